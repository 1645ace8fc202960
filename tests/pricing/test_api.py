"""The staff API of zones, shipping methods and tax rates."""

from __future__ import annotations

import pytest

from commerce.pricing.models import ShippingMethod, ShippingRateBand, TaxRate, Zone, ZoneMember
from commerce.testing.factories import TaxClassFactory
from tests.helpers import assert_error, client_for
from tests.pricing.helpers import method, zone

pytestmark = pytest.mark.django_db

ZONES = "/api/v1/pricing/zones/"
METHODS = "/api/v1/pricing/shipping-methods/"
RATES = "/api/v1/pricing/tax-rates/"


@pytest.fixture
def staff(staff_user):
    return client_for(staff_user)


@pytest.fixture
def germany(db):
    return zone("Germany", ("DE",))


def usd(amount: str) -> dict:
    return {"amount": amount, "currency": "USD"}


# --- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status"), [("anonymous", 401), ("customer", 403), ("vendor_member", 403)]
)
def test_only_staff_call_the_pricing_api(request, germany, viewer, status):
    client = client_for(None if viewer == "anonymous" else request.getfixturevalue(viewer))
    shipping = method(germany, "standard")
    rate = TaxRate.objects.create(zone=germany, name="VAT", rate="19")
    for base, obj in [(ZONES, germany), (METHODS, shipping), (RATES, rate)]:
        assert_error(client.get(base), status)
        assert_error(client.get(f"{base}{obj.pk}/"), status)
        assert_error(client.post(base, {"name": "X"}, format="json"), status)
        assert_error(client.patch(f"{base}{obj.pk}/", {"name": "X"}, format="json"), status)
        assert_error(client.delete(f"{base}{obj.pk}/"), status)
    assert Zone.objects.get().name == "Germany"
    assert ShippingMethod.objects.count() == 1
    assert TaxRate.objects.get().name == "VAT"


# --- zones ---------------------------------------------------------------------------------


def test_staff_create_read_change_and_delete_a_zone(staff):
    body = {
        "name": "Mainland France",
        "priority": 2,
        "members": [{"country": "fr"}, {"country": "FR", "region": "Corse", "exclude": True}],
    }
    created = staff.post(ZONES, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["name"] == "Mainland France"
    assert data["priority"] == 2
    assert data["members"] == [
        {"country": "FR", "region": "", "postal_code_pattern": "", "exclude": False},
        {"country": "FR", "region": "Corse", "postal_code_pattern": "", "exclude": True},
    ]
    detail = f"{ZONES}{data['id']}/"
    assert staff.get(detail).json() == data
    changed = staff.patch(detail, {"members": [{"country": "MC"}]}, format="json")
    assert changed.status_code == 200, changed.content
    assert [m["country"] for m in changed.json()["members"]] == ["MC"]
    assert changed.json()["priority"] == 2
    renamed = staff.patch(detail, {"name": "Monaco"}, format="json")
    assert renamed.json()["members"] == changed.json()["members"]
    assert staff.delete(detail).status_code == 204
    assert not Zone.objects.exists()
    assert not ZoneMember.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "A", "priority": 2**31}, "priority"),
        ({"name": "A", "members": [{"country": "XX"}]}, "members"),
        ({"name": "A", "members": [{"country": "DEU"}]}, "members"),
        ({"name": "A", "members": [{}]}, "members"),
        ({"name": "A", "members": [{"country": "DE", "colour": "red"}]}, "members"),
        ({"name": "A", "members": [{"country": "DE", "postal_code_pattern": "9..1"}]}, None),
        ({"name": "A", "members": [{"country": "DE", "region": "x" * 101}]}, "members"),
        ({"name": "A", "members": "DE"}, "members"),
        ({"name": "A\x00"}, None),
        ({"name": "A", "rate": 7}, "rate"),
    ],
)
def test_bad_zone_input_is_a_400(staff, body, field):
    error = assert_error(staff.post(ZONES, body, format="json"), 400)
    if field:
        assert field in error["details"], error
    assert not Zone.objects.exists()


def test_a_member_another_zone_holds_at_the_same_priority_is_a_400(staff, germany):
    error = assert_error(
        staff.post(ZONES, {"name": "DE again", "members": [{"country": "DE"}]}, format="json"),
        400,
    )
    assert "Germany" in error["message"]
    assert list(error["details"]) == ["members.0"]
    assert Zone.objects.count() == 1
    # Another priority breaks the tie.
    body = {"name": "DE again", "priority": 1, "members": [{"country": "DE"}]}
    assert staff.post(ZONES, body, format="json").status_code == 201
    # Moving it back to the same priority is refused, and changes nothing.
    again = Zone.objects.get(name="DE again")
    error = assert_error(staff.patch(f"{ZONES}{again.pk}/", {"priority": 0}, format="json"), 400)
    assert list(error["details"]) == ["priority"]
    again.refresh_from_db()
    assert again.priority == 1


def test_a_patch_replaces_members_whole(staff, germany):
    error = assert_error(
        staff.patch(f"{ZONES}{germany.pk}/", {"members": [{"region": "BE"}]}, format="json"), 400
    )
    assert "members" in error["details"]
    assert list(germany.members.values_list("country", flat=True)) == ["DE"]


def test_a_zone_in_use_cannot_be_deleted(staff, germany):
    method(germany, "standard")
    TaxRate.objects.create(zone=germany, name="VAT", rate="19")
    error = assert_error(staff.delete(f"{ZONES}{germany.pk}/"), 409, "zone_in_use")
    assert error["details"] == {"in_use_by": ["shipping methods", "tax rates"]}
    assert Zone.objects.exists()


@pytest.mark.parametrize("pk", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_zone_is_a_404(staff, pk):
    assert_error(staff.get(f"{ZONES}{pk}/"), 404)


def test_the_zone_list_is_paginated_in_a_fixed_number_of_queries(staff, django_assert_num_queries):
    for index in range(3):
        zone(f"Zone {index}", (f"A{'DEF'[index]}",), ("DE", f"R{index}"))
    # The page, then the members of all its zones.
    with django_assert_num_queries(2):
        response = staff.get(ZONES)
    results = response.json()["results"]
    assert [z["name"] for z in results] == ["Zone 0", "Zone 1", "Zone 2"]
    assert all(len(z["members"]) == 2 for z in results)
    assert response.json()["next"] is None


# --- shipping methods ----------------------------------------------------------------------


def test_staff_create_change_and_delete_a_shipping_method(staff, germany):
    reduced = TaxClassFactory(slug="reduced")
    body = {
        "zone": str(germany.pk),
        "name": "By value",
        "code": "by-value",
        "currency": "USD",
        "rate_strategy": "order_value",
        "free_over": usd("100.00"),
        "tax_class": "reduced",
        "bands": [
            {"lower_bound": 5000, "price": usd("2.00")},
            {"lower_bound": 0, "price": usd("4.90")},
        ],
    }
    created = staff.post(METHODS, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["zone"] == str(germany.pk)
    assert data["tax_class"] == "reduced"
    assert data["free_over"] == usd("100.00")
    assert data["price"] is None
    assert data["bands"] == [
        {"lower_bound": 0, "price": usd("4.90")},
        {"lower_bound": 5000, "price": usd("2.00")},
    ]
    detail = f"{METHODS}{data['id']}/"
    changed = staff.patch(
        detail,
        {"rate_strategy": "flat", "price": usd("5.00"), "bands": [], "tax_class": None},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["bands"] == []
    assert changed.json()["tax_class"] is None
    assert ShippingMethod.objects.get().tax_class is None
    assert reduced.shipping_methods.count() == 0
    assert staff.delete(detail).status_code == 204
    assert not ShippingMethod.objects.exists()
    assert not ShippingRateBand.objects.exists()


def _method_body(zone_pk, **changes):
    return {
        "zone": str(zone_pk),
        "name": "Standard",
        "code": "standard",
        "currency": "USD",
        "price": usd("5.00"),
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"zone": "00000000-0000-0000-0000-000000000000"}, "zone"),
        ({"zone": "nope"}, "zone"),
        ({"code": "not a slug"}, "code"),
        ({"currency": "GBP"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"price": None}, "price"),
        ({"price": {"amount": "5.00", "currency": "EUR"}}, "price"),
        ({"price": {"amount": "-1.00", "currency": "USD"}}, "price"),
        ({"price": {"amount": "5.001", "currency": "USD"}}, "price"),
        ({"rate_strategy": "by_moon_phase"}, "rate_strategy"),
        ({"min_weight": 500, "max_weight": 100}, "max_weight"),
        ({"min_weight": -1}, "min_weight"),
        ({"max_weight": 2**31}, "max_weight"),
        ({"position": -1}, "position"),
        ({"min_order_value": usd("50.00"), "max_order_value": usd("10.00")}, "max_order_value"),
        ({"tax_class": "nope"}, "tax_class"),
        ({"bands": [{"lower_bound": -1, "price": usd("1.00")}]}, "bands"),
        ({"bands": [{"lower_bound": 2**63, "price": usd("1.00")}]}, "bands"),
        ({"bands": [{"lower_bound": 0}]}, "bands"),
        ({"bands": [{"lower_bound": 0, "price": {"amount": "1", "currency": "EUR"}}]}, None),
        (
            {
                "bands": [
                    {"lower_bound": 0, "price": usd("1.00")},
                    {"lower_bound": 0, "price": usd("2.00")},
                ]
            },
            None,
        ),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_shipping_method_input_is_a_400(staff, germany, changes, field):
    error = assert_error(
        staff.post(METHODS, _method_body(germany.pk, **changes), format="json"), 400
    )
    if field:
        assert field in error["details"], error
    assert not ShippingMethod.objects.exists()


def test_a_taken_code_is_a_conflict(staff, germany):
    method(germany, "standard")
    assert_error(staff.post(METHODS, _method_body(germany.pk), format="json"), 409, "duplicate")


def test_a_currency_change_rechecks_the_bands(staff, germany):
    shipping = method(germany, "weight", strategy="weight", price=None, bands={0: "3.00"})
    response = staff.patch(f"{METHODS}{shipping.pk}/", {"currency": "EUR"}, format="json")
    error = assert_error(response, 400)
    assert "bands.0.price" in error["details"]
    shipping.refresh_from_db()
    assert shipping.currency == "USD"


def test_the_method_list_is_paginated_in_a_fixed_number_of_queries(
    staff, germany, django_assert_num_queries
):
    reduced = TaxClassFactory(slug="reduced")
    for index in range(3):
        method(germany, f"m{index}", tax_class=reduced, bands={0: "1.00", 100: "2.00"})
    with django_assert_num_queries(2):
        response = staff.get(METHODS)
    assert [m["code"] for m in response.json()["results"]] == ["m0", "m1", "m2"]


# --- tax rates -----------------------------------------------------------------------------


def test_staff_create_change_and_delete_a_tax_rate(staff, germany):
    TaxClassFactory(slug="reduced")
    body = {"zone": str(germany.pk), "tax_class": "reduced", "name": "VAT", "rate": "7"}
    created = staff.post(RATES, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data == {
        "id": data["id"],
        "zone": str(germany.pk),
        "tax_class": "reduced",
        "name": "VAT",
        "rate": "7.0000",
        "prices_include_tax": None,
    }
    detail = f"{RATES}{data['id']}/"
    changed = staff.patch(detail, {"rate": "19.5", "prices_include_tax": True}, format="json")
    assert changed.json()["rate"] == "19.5000"
    assert changed.json()["prices_include_tax"] is True
    assert staff.delete(detail).status_code == 204
    assert not TaxRate.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rate": "-1"}, "rate"),
        ({"rate": "100.0001"}, "rate"),
        ({"rate": "7.12345"}, "rate"),
        ({"rate": "NaN"}, "rate"),
        ({"rate": None}, "rate"),
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"zone": None}, "zone"),
        ({"tax_class": "x" * 141}, "tax_class"),
        ({"prices_include_tax": "maybe"}, "prices_include_tax"),
    ],
)
def test_bad_tax_rate_input_is_a_400(staff, germany, changes, field):
    body = {"zone": str(germany.pk), "name": "VAT", "rate": "19", **changes}
    error = assert_error(staff.post(RATES, body, format="json"), 400)
    assert field in error["details"], error
    assert not TaxRate.objects.exists()


def test_the_rate_list_is_paginated_in_a_fixed_number_of_queries(
    staff, germany, django_assert_num_queries
):
    reduced = TaxClassFactory(slug="reduced")
    for name in ["A", "B", "C"]:
        TaxRate.objects.create(zone=germany, tax_class=reduced, name=name, rate="5")
    with django_assert_num_queries(1):
        response = staff.get(RATES)
    assert [r["tax_class"] for r in response.json()["results"]] == ["reduced"] * 3
