"""The cart admin: staff can look at carts and delete them, never edit them behind the services."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.cart import services
from commerce.cart.models import Cart, CartLine
from commerce.testing.factories import UserFactory
from tests.cart.helpers import make_variant

pytestmark = pytest.mark.django_db


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:commerce_cart_cart_{view}", args=args)


@pytest.fixture
def carts(customer, shirt, mug):
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=2)
    anonymous, _ = services.create_anonymous_cart()
    services.add_line(anonymous, variant_id=mug.pk, quantity=1)
    return {"user": user_cart, "anonymous": anonymous}


def test_changelist_loads(admin_client, carts):
    response = admin_client.get(admin_url("changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "customer@example.com" in content
    assert str(carts["anonymous"].pk) in content
    assert "Add cart" not in content


def test_changelist_query_count_does_not_grow_with_carts(admin_client, carts):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(admin_url("changelist")).status_code == 200
        return len(queries)

    before = count()
    for index in range(5):
        user = UserFactory(email=f"shopper{index}@example.com")
        cart, _ = services.get_or_create_cart(user=user)
        services.add_line(cart, variant_id=make_variant(f"EXTRA-{index}").pk, quantity=1)
    assert count() == before


@pytest.mark.parametrize("which", ["user", "anonymous"])
def test_change_page_shows_the_cart_read_only(admin_client, carts, which):
    cart = carts[which]
    response = admin_client.get(admin_url("change", cart.pk))
    assert response.status_code == 200
    content = response.content.decode()
    sku = "SHIRT-M" if which == "user" else "MUG"
    assert sku in content
    # View only: no form fields to submit, no save button.
    assert 'name="_save"' not in content
    assert 'name="lines-0-quantity"' not in content


def test_the_change_page_refuses_edits(admin_client, carts):
    cart = carts["user"]
    version = Cart.objects.get(pk=cart.pk).revision
    response = admin_client.post(
        admin_url("change", cart.pk),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-id": str(CartLine.objects.get(cart=cart).pk),
            "lines-0-quantity": "99",
            "_save": "Save",
        },
    )
    assert response.status_code == 403
    assert CartLine.objects.get(cart=cart).quantity == 2
    assert Cart.objects.get(pk=cart.pk).revision == version


def test_there_is_no_add_page(admin_client, carts):
    assert admin_client.get(admin_url("add")).status_code == 403


def test_a_cart_can_be_deleted(admin_client, carts):
    cart = carts["anonymous"]
    response = admin_client.post(admin_url("delete", cart.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Cart.objects.filter(pk=cart.pk).exists()
    assert not CartLine.objects.filter(cart_id=cart.pk).exists()


@pytest.mark.parametrize(
    ("query", "expected"), [("customer@example", {"user"}), ("nobody@", set())]
)
def test_search_by_email(admin_client, carts, query, expected):
    response = admin_client.get(admin_url("changelist"), {"q": query})
    assert response.status_code == 200
    found = {str(cart.pk) for cart in response.context["cl"].result_list}
    assert found == {str(carts[name].pk) for name in expected}


@pytest.mark.parametrize(("value", "expected"), [("1", {"anonymous"}), ("0", {"user"})])
def test_filter_anonymous_carts(admin_client, carts, value, expected):
    response = admin_client.get(admin_url("changelist"), {"user__isempty": value})
    assert response.status_code == 200
    found = {cart.pk for cart in response.context["cl"].result_list}
    assert found == {carts[name].pk for name in expected}


def test_staff_without_permissions_cannot_see_carts(client, staff_user, carts):
    client.force_login(staff_user)
    assert client.get(admin_url("changelist")).status_code == 403


def test_the_change_page_previews_the_pricing_and_explains_what_did_not_apply(admin_client, carts):
    from decimal import Decimal

    from commerce.promotions import services as promotions

    promotions.create_promotion(
        name="Ten percent",
        lane="order",
        benefit={"kind": "percentage_off", "percent": Decimal(10)},
    )
    promotions.create_promotion(
        name="Big spenders",
        lane="order",
        currency="USD",
        condition={"min_subtotal": 100000},
        benefit={"kind": "percentage_off", "percent": Decimal(20)},
    )
    content = admin_client.get(admin_url("change", carts["user"].pk)).content.decode()
    # Two shirts at 12.50: 10 % off is 2.50.
    assert "Ten percent: -$2.50" in content
    assert "Big spenders (below_minimum_spend)" in content
