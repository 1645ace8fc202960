"""Checkout through the pricing pipeline: voucher codes on the cart, discounts snapshotted
on the order, codes spent at checkout and given back on cancel or expiry, and the 409s
that keep a shopper from paying a total they were not shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from djmoney.money import Money

from commerce.cart import services as cart_services
from commerce.core.invariants import check_invariants
from commerce.orders import services
from commerce.orders.models import Order, OrderAdjustment
from commerce.promotions import services as promotion_services
from commerce.promotions.models import Redemption, VoucherCode
from tests.cart.helpers import fill_cart, voucher
from tests.helpers import assert_error, client_for, money
from tests.orders.helpers import ADDRESS, checkout, order_url, place
from tests.pricing.helpers import method, rate, zone

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
CODES = "/api/v1/cart/codes/"


def uses(code: str) -> int:
    return VoucherCode.objects.get(code=code).uses


# --- codes on the cart ------------------------------------------------------------------------
# What the cart shows and takes is in tests/cart/test_codes.py; here, what checkout does.


def test_checkout_refuses_a_code_that_stopped_applying(customer, shirt):
    promotion = voucher()
    cart, _ = fill_cart(customer, {shirt: 1})
    cart_services.add_code(cart, "SAVE10")
    promotion_services.update_promotion(promotion, is_active=False)
    # Refused, naming the reason, rather than charging the full price silently.
    response = checkout(client_for(customer), {"shipping_address": ADDRESS})
    assert_error(response, 400, "inactive")
    assert not Order.objects.exists()


# --- checkout --------------------------------------------------------------------------------


def test_checkout_snapshots_the_discount_and_spends_the_code(customer, shirt, mug):
    voucher(max_uses=5)
    cart, _ = fill_cart(customer, {shirt: 2, mug: 1})
    cart_services.add_code(cart, "SAVE10")
    response = checkout(client_for(customer), {"shipping_address": ADDRESS})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["discount_total"] == {"amount": "3.30", "currency": "USD"}
    assert body["total"] == {"amount": "29.70", "currency": "USD"}
    order = Order.objects.get(number=body["number"])
    assert order.discount_total == money("3.30")
    assert sum(line.discount_total for line in order.lines.all()) == order.discount_total
    assert sum(line.total for line in order.lines.all()) == order.total
    assert set(OrderAdjustment.objects.filter(order=order).values_list("code", flat=True)) == {
        "SAVE10"
    }
    assert uses("SAVE10") == 1
    assert Redemption.objects.get(order_reference=order.number).amount == money("3.30")
    # The cart is emptied, its codes too.
    assert client_for(customer).get(CART).json()["codes"] == []


def test_nothing_is_recomputed_from_live_promotions_afterwards(customer, shirt):
    promotion = voucher()
    _cart, _ = fill_cart(customer, {shirt: 2})
    order = place(customer, {}, codes=["SAVE10"]).order
    promotion_services.set_benefit(promotion, kind="percentage_off", percent=Decimal(50))
    promotion_services.update_promotion(promotion, name="Renamed", is_active=False)
    body = client_for(customer).get(order_url(order)).json()
    assert body["discount_total"] == {"amount": "2.50", "currency": "USD"}
    assert body["lines"][0]["adjustments"][0]["name"] == "10% off with SAVE10"


def test_cancelling_gives_the_code_back_once(customer, shirt):
    voucher(max_uses=1)
    order = place(customer, {shirt: 1}, codes=["SAVE10"]).order
    assert uses("SAVE10") == 1
    services.cancel_order(order)
    assert uses("SAVE10") == 0
    assert Redemption.objects.get(order_reference=order.number).released_at is not None
    # Used up again by the next order, never twice given back.
    place(customer, {shirt: 1}, codes=["SAVE10"])
    assert uses("SAVE10") == 1


def test_expiry_gives_the_code_back(customer, shirt):
    voucher(max_uses=1)
    order = place(customer, {shirt: 1}, codes=["SAVE10"]).order
    Order.objects.filter(pk=order.pk).update(reservation_expires_at=timezone.now())
    assert services.expire_orders() == 1
    assert uses("SAVE10") == 0


def test_a_used_up_code_at_checkout_is_refused_and_nothing_is_made(customer, customer_b, shirt):
    voucher(max_uses=1)
    cart, _ = fill_cart(customer, {shirt: 1})
    cart_services.add_code(cart, "SAVE10")
    place(customer_b, {shirt: 1}, codes=["SAVE10"])
    before = Order.objects.count()
    assert_error(checkout(client_for(customer), {"shipping_address": ADDRESS}), 400, "used_up")
    assert Order.objects.count() == before
    assert uses("SAVE10") == 1


def test_a_new_promotion_changes_the_cart_version(customer, shirt):
    fill_cart(customer, {shirt: 2})
    client = client_for(customer)
    seen = client.get(CART).json()["version"]
    promotion_services.create_promotion(
        name="Summer", lane="catalog", benefit={"kind": "percentage_off", "percent": Decimal(20)}
    )
    response = checkout(client, {"shipping_address": ADDRESS, "cart_version": seen})
    assert_error(response, 409, "cart_changed")


def test_an_expected_total_that_moved_is_a_409_with_the_new_figures(customer, shirt):
    voucher()
    cart, _ = fill_cart(customer, {shirt: 2})
    cart_services.add_code(cart, "SAVE10")
    client = client_for(customer)
    response = checkout(client, {"shipping_address": ADDRESS, "expected_total": "25.00"})
    error = assert_error(response, 409, "price_changed")
    assert error["details"] == {
        "currency": "USD",
        "subtotal": "25.00",
        "discount_total": "2.50",
        "shipping_total": "0.00",
        "tax_total": "0.00",
        "total": "22.50",
    }
    response = checkout(client, {"shipping_address": ADDRESS, "expected_total": "22.50"})
    assert response.status_code == 201, response.json()


def test_checkout_codes_replace_the_carts(customer, shirt):
    voucher("SAVE10")
    voucher("SAVE20", percent="20")
    cart, _ = fill_cart(customer, {shirt: 2})
    cart_services.add_code(cart, "SAVE10")
    body = checkout(client_for(customer), {"shipping_address": ADDRESS, "codes": ["save20"]}).json()
    assert body["discount_total"] == {"amount": "5.00", "currency": "USD"}
    assert uses("SAVE10") == 0


def test_a_guest_cart_shows_a_first_order_promotion_checkout_checks_the_email(
    api_client, customer, shirt
):
    promotion_services.create_promotion(
        name="Welcome",
        lane="order",
        condition={"first_order": True},
        benefit={"kind": "amount_off", "amount": Money("5.00", "USD"), "allocation": "across"},
        currency="USD",
    )
    place(customer, {shirt: 1})  # customer@... has ordered before
    _cart, token = fill_cart(None, {shirt: 2})
    seen = api_client.get(CART, HTTP_X_CART_TOKEN=token).json()
    assert seen["discount_total"] == {"amount": "5.00", "currency": "USD"}
    response = checkout(
        api_client,
        {"shipping_address": ADDRESS, "email": customer.email, "cart_version": seen["version"]},
        token=token,
    )
    assert_error(response, 409, "cart_changed")


# --- shipping and tax ------------------------------------------------------------------------

SHIPPING_METHODS = "/api/v1/cart/shipping-methods/"


@pytest.fixture
def nigeria(db):
    """A Nigeria zone with two methods in USD and a 7.5% VAT added to prices; an
    express method free over 30.00."""
    ng = zone("Nigeria", ("NG",))
    method(ng, "standard", price="4.00")
    method(ng, "express", price="9.00", free_over="60.00")
    rate(ng, "VAT", "7.5")
    return ng


def test_the_cart_lists_methods_for_a_destination_and_prices_one(customer, shirt, nigeria):
    fill_cart(customer, {shirt: 2})  # 25.00
    client = client_for(customer)
    listed = client.get(SHIPPING_METHODS, {"country": "ng"}).json()
    assert [(m["code"], m["price"]["amount"]) for m in listed] == [
        ("standard", "4.00"),
        ("express", "9.00"),
    ]
    with override_settings(COMMERCE={"TAX_STRATEGY": "commerce.pricing.tax.FlatRates"}):
        body = client.get(CART, {"country": "NG", "shipping_method": "standard"}).json()
    assert body["shipping"]["code"] == "standard"
    # 7.5% of 25.00 (1.875 -> 1.88, half up) and of 4.00 (0.30).
    assert body["tax_total"] == {"amount": "2.18", "currency": "USD"}
    assert body["total"] == {"amount": "31.18", "currency": "USD"}
    assert_error(client.get(SHIPPING_METHODS), 400, "invalid")
    assert_error(client.get(CART, {"country": "XX"}), 400, "invalid")


def test_checkout_snapshots_shipping_and_tax(customer, shirt, nigeria):
    fill_cart(customer, {shirt: 2})
    client = client_for(customer)
    with override_settings(COMMERCE={"TAX_STRATEGY": "commerce.pricing.tax.FlatRates"}):
        assert_error(
            checkout(client, {"shipping_address": ADDRESS}), 400, "shipping_method_required"
        )
        assert_error(
            checkout(client, {"shipping_address": ADDRESS, "shipping_method": "drone"}),
            400,
            "shipping_method_unavailable",
        )
        response = checkout(client, {"shipping_address": ADDRESS, "shipping_method": "standard"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["shipping_method_code"], body["shipping_method_name"]) == ("standard", "Standard")
    assert body["shipping_price"] == {"amount": "4.00", "currency": "USD"}
    assert body["shipping_total"] == {"amount": "4.00", "currency": "USD"}
    assert [t["amount"]["amount"] for t in body["shipping_tax_lines"]] == ["0.30"]
    assert body["tax_total"] == {"amount": "2.18", "currency": "USD"}
    assert body["total"] == {"amount": "31.18", "currency": "USD"}
    order = Order.objects.get(number=body["number"])
    assert order.tax_lines.filter(line__isnull=True).count() == 1
    assert check_invariants() == []


def test_an_address_no_method_serves_is_refused(customer, shirt, nigeria):
    fill_cart(customer, {shirt: 1})
    elsewhere = {**ADDRESS, "country": "GH"}
    response = checkout(client_for(customer), {"shipping_address": elsewhere})
    error = assert_error(response, 400, "shipping_method_unavailable")
    assert error["details"] == {"available": []}


def test_prices_that_include_tax(customer, shirt, nigeria):
    fill_cart(customer, {shirt: 2})  # 25.00, VAT inside
    commerce = {"TAX_STRATEGY": "commerce.pricing.tax.FlatRates", "PRICES_INCLUDE_TAX": True}
    with override_settings(COMMERCE=commerce):
        body = checkout(
            client_for(customer), {"shipping_address": ADDRESS, "shipping_method": "standard"}
        ).json()
    # 25.00 * 7.5 / 107.5 = 1.744 -> 1.74; 4.00 * 7.5 / 107.5 = 0.279 -> 0.28.
    assert body["tax_total"] == {"amount": "2.02", "currency": "USD"}
    assert body["total"] == {"amount": "29.00", "currency": "USD"}
    assert body["prices_include_tax"] is True
    assert check_invariants() == []


def test_a_free_shipping_voucher(customer, shirt, nigeria):
    promotion_services.create_promotion(
        name="Free shipping",
        lane="shipping",
        requires_code=True,
        benefit={"kind": "free_shipping"},
        codes=["SHIPFREE"],
    )
    cart, _ = fill_cart(customer, {shirt: 2})
    cart_services.add_code(cart, "SHIPFREE")
    body = checkout(
        client_for(customer), {"shipping_address": ADDRESS, "shipping_method": "express"}
    ).json()
    assert body["shipping_price"] == {"amount": "9.00", "currency": "USD"}
    assert body["shipping_total"] == {"amount": "0.00", "currency": "USD"}
    assert [a["code"] for a in body["shipping_adjustments"]] == ["SHIPFREE"]
    assert body["total"] == {"amount": "25.00", "currency": "USD"}
    assert uses("SHIPFREE") == 1
    assert check_invariants() == []
