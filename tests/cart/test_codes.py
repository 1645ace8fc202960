"""Voucher codes and promotions on the cart: what ``GET /api/v1/cart/`` shows and
``/api/v1/cart/codes/`` takes, and :func:`~commerce.pricing.pipeline.explain`.

Nothing here needs the orders app: these run in the cart-and-promotions host
too. What checkout does with codes (spending, giving back) is in
``tests/orders/test_checkout_pricing.py``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from djmoney.money import Money

from commerce.pricing.pipeline import explain
from commerce.promotions import services as promotion_services
from commerce.promotions.models import VoucherCode
from tests.cart.helpers import fill_cart, voucher
from tests.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
CODES = "/api/v1/cart/codes/"


def test_a_code_entered_on_the_cart_discounts_it(customer, shirt, mug):
    voucher()
    fill_cart(customer, {shirt: 2, mug: 1})  # 25.00 + 8.00
    client = client_for(customer)
    response = client.post(CODES, {"code": " save10 "}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["codes"] == [{"code": "SAVE10", "applied": True, "reason": None}]
    assert body["subtotal"] == {"amount": "33.00", "currency": "USD"}
    assert body["discount_total"] == {"amount": "3.30", "currency": "USD"}
    assert body["total"] == {"amount": "29.70", "currency": "USD"}
    # 3.30 spread over 25.00 and 8.00: 2.50 and 0.80, adding up exactly.
    assert [line["discount"]["amount"] for line in body["lines"]] == ["2.50", "0.80"]
    (adjustment,) = body["lines"][0]["adjustments"]
    assert (adjustment["code"], adjustment["source"]) == ("SAVE10", "voucher")
    assert client.get(CART).json()["version"] == body["version"]
    # Showing a discount spends nothing: only checkout does.
    assert VoucherCode.objects.get(code="SAVE10").uses == 0


def test_an_automatic_promotion_shows_on_the_cart_without_a_code(customer, shirt):
    promotion_services.create_promotion(
        name="Summer", lane="catalog", benefit={"kind": "percentage_off", "percent": Decimal(20)}
    )
    fill_cart(customer, {shirt: 2})  # 25.00
    body = client_for(customer).get(CART).json()
    assert body["codes"] == []
    assert body["discount_total"] == {"amount": "5.00", "currency": "USD"}
    assert body["total"] == {"amount": "20.00", "currency": "USD"}


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("NOPE", 400, "unknown_code"),
        ("bad code!", 400, "invalid_code"),
        ("", 400, "invalid"),
    ],
)
def test_a_code_that_does_not_apply_is_refused_and_not_kept(customer, shirt, code, status, error):
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    assert_error(client.post(CODES, {"code": code}, format="json"), status, error)
    assert client.get(CART).json()["codes"] == []


def test_an_expired_or_used_up_code_says_why(customer, shirt):
    voucher("OLD").codes.update(ends_at=timezone.now() - timedelta(days=1))
    voucher("GONE", max_uses=1)
    VoucherCode.objects.filter(code="GONE").update(uses=1)
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    assert_error(client.post(CODES, {"code": "OLD"}, format="json"), 400, "expired")
    assert_error(client.post(CODES, {"code": "gone"}, format="json"), 400, "used_up")


def test_a_code_entered_twice_and_a_full_cart_of_codes(customer, shirt, settings):
    voucher("ONE")
    voucher("TWO")
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    assert client.post(CODES, {"code": "ONE"}, format="json").status_code == 201
    assert_error(client.post(CODES, {"code": "one"}, format="json"), 400, "duplicate_code")
    with override_settings(COMMERCE={**settings.COMMERCE, "CART_MAX_CODES": 1}):
        assert_error(client.post(CODES, {"code": "TWO"}, format="json"), 400, "cart_codes_full")


def test_removing_a_code(customer, shirt):
    voucher()
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    client.post(CODES, {"code": "SAVE10"}, format="json")
    response = client.delete(f"{CODES}save10/")
    assert response.status_code == 200
    assert response.json()["codes"] == []
    assert response.json()["discount_total"] == {"amount": "0.00", "currency": "USD"}
    assert_error(client.delete(f"{CODES}SAVE10/"), 404, "code_not_found")


def test_codes_need_a_cart(api_client):
    assert_error(api_client.post(CODES, {"code": "SAVE10"}, format="json"), 404, "cart_not_found")


def test_a_code_that_stops_applying_stays_with_its_reason(customer, shirt):
    promotion = voucher()
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    client.post(CODES, {"code": "SAVE10"}, format="json")
    promotion_services.update_promotion(promotion, is_active=False)
    body = client.get(CART).json()
    assert body["codes"] == [
        {
            "code": "SAVE10",
            "applied": False,
            "reason": {"code": "inactive", "message": body["codes"][0]["reason"]["message"]},
        }
    ]
    assert body["discount_total"] == {"amount": "0.00", "currency": "USD"}


def test_a_first_order_promotion_shows_on_a_guest_cart(api_client, shirt):
    promotion_services.create_promotion(
        name="Welcome",
        lane="order",
        condition={"first_order": True},
        benefit={"kind": "amount_off", "amount": Money("5.00", "USD"), "allocation": "across"},
        currency="USD",
    )
    _cart, token = fill_cart(None, {shirt: 2})
    seen = api_client.get(CART, HTTP_X_CART_TOKEN=token).json()
    assert seen["discount_total"] == {"amount": "5.00", "currency": "USD"}


def test_explain_says_why_each_promotion_and_code_did_not_apply(customer, shirt):
    voucher("SAVE10")
    promotion_services.create_promotion(
        name="Big spender",
        lane="order",
        condition={"min_subtotal": 10000},
        benefit={"kind": "percentage_off", "percent": Decimal(5)},
        currency="USD",
    )
    cart, _ = fill_cart(customer, {shirt: 1})
    reasons = {reason.code: reason for reason in explain(cart, codes=["save10", "NOPE"])}
    # SAVE10 applies, so it has nothing to explain.
    assert set(reasons) == {"below_minimum_spend", "unknown_code"}
    assert reasons["below_minimum_spend"].discount.name == "Big spender"
    assert reasons["unknown_code"].discount is None
    assert all(reason.message for reason in reasons.values())
    # A promotion that needs a code says nothing until the code is entered.
    assert [reason.code for reason in explain(cart)] == ["below_minimum_spend"]
