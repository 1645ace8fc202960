"""The address book: CRUD for the owner, validation, and one default of each kind per user.

Who may touch whose address is in ``test_access.py``.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commerce.core.exceptions import CommerceValidationError
from commerce.orders import services
from commerce.orders.models import Address
from tests.helpers import assert_error, client_for
from tests.orders.helpers import ADDRESS, ADDRESSES, BILLING

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(customer):
    return client_for(customer)


def url(address) -> str:
    return f"{ADDRESSES}{getattr(address, 'pk', address)}/"


def defaults(user) -> dict[str, list[str]]:
    rows = Address.objects.filter(user=user)
    return {
        "shipping": sorted(a.line1 for a in rows if a.is_default_shipping),
        "billing": sorted(a.line1 for a in rows if a.is_default_billing),
    }


def test_create_read_update_delete(client, customer):
    response = client.post(ADDRESSES, {**ADDRESS, "phone": "+234 800 000 0000"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    address = Address.objects.get(pk=body["id"])
    assert address.user == customer
    assert body == {
        "id": str(address.pk),
        "full_name": "Ada Lovelace",
        "company": "",
        "line1": "1 Loop Road",
        "line2": "",
        "city": "Lagos",
        "region": "",
        "postal_code": "100001",
        "country": "NG",
        "phone": "+234 800 000 0000",
        "is_default_shipping": False,
        "is_default_billing": False,
        "created_at": body["created_at"],
    }
    assert client.get(url(address)).json() == body
    assert client.get(ADDRESSES).json() == [body]

    response = client.patch(url(address), {"line2": "Flat 3", "country": "gh"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["line2"], response.json()["country"]) == ("Flat 3", "GH")
    assert response.json()["full_name"] == "Ada Lovelace"
    address.refresh_from_db()
    assert (address.line2, address.country.code) == ("Flat 3", "GH")

    assert client.delete(url(address)).status_code == 204
    assert not Address.objects.exists()
    assert_error(client.get(url(address)), 404, "not_found")


def test_the_list_is_newest_first_and_only_mine(client, customer, customer_b):
    services.create_address(customer_b, **ADDRESS)
    first = services.create_address(customer, **ADDRESS)
    second = services.create_address(customer, **BILLING)
    assert [row["id"] for row in client.get(ADDRESSES).json()] == [str(second.pk), str(first.pk)]


def test_put_is_not_offered(client, customer):
    address = services.create_address(customer, **ADDRESS)
    assert_error(client.put(url(address), ADDRESS, format="json"), 405)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in ADDRESS.items() if k != "full_name"}, "full_name"),
        ({k: v for k, v in ADDRESS.items() if k != "line1"}, "line1"),
        ({k: v for k, v in ADDRESS.items() if k != "city"}, "city"),
        ({k: v for k, v in ADDRESS.items() if k != "country"}, "country"),
        ({**ADDRESS, "country": "XX"}, "country"),
        ({**ADDRESS, "country": "Nigeria"}, "country"),
        ({**ADDRESS, "country": "NGA"}, "country"),
        ({**ADDRESS, "country": 566}, "country"),
        ({**ADDRESS, "postal_code": "1" * 21}, "postal_code"),
        ({**ADDRESS, "is_default_shipping": "maybe"}, "is_default_shipping"),
        ({**ADDRESS, "user": 1}, "user"),
        ({**ADDRESS, "id": "3f1e4d5c-0000-4000-8000-000000000000"}, "id"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(client, body, field):
    error = assert_error(client.post(ADDRESSES, body, format="json"), 400, "invalid")
    assert field in error["details"]
    assert not Address.objects.exists()


def test_an_invalid_change_changes_nothing(client, customer):
    address = services.create_address(customer, **ADDRESS)
    error = assert_error(
        client.patch(url(address), {"city": "Abuja", "country": "ZZ"}, format="json"),
        400,
        "invalid",
    )
    assert "country" in error["details"]
    address.refresh_from_db()
    assert (address.city, address.country.code) == ("Lagos", "NG")


def test_one_default_of_each_kind(client, customer, customer_b):
    services.create_address(customer_b, **ADDRESS, is_default_shipping=True)
    home = client.post(
        ADDRESSES,
        {**ADDRESS, "is_default_shipping": True, "is_default_billing": True},
        format="json",
    ).json()
    assert defaults(customer) == {"shipping": ["1 Loop Road"], "billing": ["1 Loop Road"]}

    office = client.post(ADDRESSES, {**BILLING, "is_default_billing": True}, format="json")
    assert office.status_code == 201, office.json()
    assert defaults(customer) == {"shipping": ["1 Loop Road"], "billing": ["2 Engine Street"]}
    assert client.get(url(home["id"])).json()["is_default_billing"] is False

    client.patch(url(office.json()["id"]), {"is_default_shipping": True}, format="json")
    assert defaults(customer) == {"shipping": ["2 Engine Street"], "billing": ["2 Engine Street"]}
    # Another user's default is untouched.
    assert defaults(customer_b) == {"shipping": ["1 Loop Road"], "billing": []}


def test_clearing_a_default_leaves_none(client, customer):
    address = services.create_address(customer, **ADDRESS, is_default_shipping=True)
    client.patch(url(address), {"is_default_shipping": False}, format="json")
    assert defaults(customer) == {"shipping": [], "billing": []}


def test_the_database_allows_one_default_per_user(customer):
    Address.objects.create(user=customer, **ADDRESS, is_default_shipping=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(user=customer, **BILLING, is_default_shipping=True)


def test_services_refuse_unknown_fields(customer):
    with pytest.raises(CommerceValidationError) as caught:
        services.create_address(customer, **ADDRESS, user_id=1)
    assert caught.value.details == {"user_id": ["Unknown field."]}
    address = services.create_address(customer, **ADDRESS)
    with pytest.raises(CommerceValidationError):
        services.update_address(address, user=None)
    address.refresh_from_db()
    assert address.user == customer


def test_services_validate_the_model(customer):
    with pytest.raises(ValidationError) as caught:
        services.create_address(customer, **{**ADDRESS, "country": "XX"})
    assert "country" in caught.value.message_dict
    assert not Address.objects.exists()


def test_an_invalid_new_default_keeps_the_old_one(client, customer):
    services.create_address(customer, **ADDRESS, is_default_shipping=True)
    response = client.post(
        ADDRESSES, {**BILLING, "country": "GB", "city": "", "is_default_shipping": True}
    )
    assert_error(response, 400, "invalid")
    with pytest.raises(ValidationError):
        services.create_address(customer, **{**BILLING, "city": ""}, is_default_shipping=True)
    assert defaults(customer) == {"shipping": ["1 Loop Road"], "billing": []}


def test_the_address_book_holds_at_most_the_configured_number(settings, client, customer):
    settings.COMMERCE = {**settings.COMMERCE, "ADDRESS_BOOK_MAX_ENTRIES": 2}
    first = services.create_address(customer, **ADDRESS)
    services.create_address(customer, **BILLING)
    error = assert_error(client.post(ADDRESSES, ADDRESS, format="json"), 400, "address_book_full")
    assert error["details"] == {"setting": "ADDRESS_BOOK_MAX_ENTRIES", "maximum": 2}
    assert Address.objects.filter(user=customer).count() == 2
    # Changing an entry of a full book is fine; deleting one makes room.
    services.update_address(first, city="Abuja")
    assert client.delete(url(first)).status_code == 204
    assert client.post(ADDRESSES, ADDRESS, format="json").status_code == 201
