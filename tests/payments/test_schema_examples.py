"""The OpenAPI examples of the cart, checkout and refund bodies tell the truth.

Each is there (for every new body, request and response), its figures add up
(totals are the sums of their parts, the order is the cart it came from, the
refund what its lines cost), and replaying the worked case the examples
describe through the API gives the examples back, ids and timestamps aside.
That every example matches its own schema is checked for the whole schema in
``tests/core/test_schema.py``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from commerce.cart import services as cart_services
from commerce.core.money import allocate
from commerce.orders.models import Order
from commerce.payments import services as payment_services
from commerce.promotions import services as promotion_services
from commerce.testing.factories import ProductFactory, UserFactory, VariantFactory
from tests.helpers import client_for, money
from tests.openapi import examples, openapi_schema
from tests.payments.flows import deliver
from tests.pricing.helpers import method as shipping_method
from tests.pricing.helpers import rate, zone

CART = "/api/v1/cart/"
CODES = "/api/v1/cart/codes/"
CODE = "/api/v1/cart/codes/{code}/"
SHIPPING_METHODS = "/api/v1/cart/shipping-methods/"
CHECKOUT = "/api/v1/checkout/"
REFUNDS = "/api/v1/payments/{reference}/refunds/"

#: ``(method, path) -> what has an example``: "request", or a response's status.
DOCUMENTED = {
    ("post", CODES): {"request", "201", "400"},
    ("delete", CODE): {"200", "404"},
    ("get", CART): {"200"},
    ("get", SHIPPING_METHODS): {"200"},
    ("post", CHECKOUT): {"request", "201", "400", "409"},
    ("post", REFUNDS): {"request", "201", "400"},
}

#: Keys whose values differ each time the case is replayed (ids, tokens, times).
VOLATILE = {
    "id",
    "version",
    "number",
    "access_token",
    "reference",
    "created_at",
    "reservation_expires_at",
}


def documented(method: str, path: str, where: str) -> dict[str, Any]:
    """The examples (name -> value) of ``method path``'s request (``where="request"``)
    or of its ``where`` status response, as the served schema has them (JSON bodies)."""
    found = {}
    for label, direction, _schema, name, value in examples(openapi_schema()):
        verb, route, *rest = label.split(" ")
        if (verb, route) != (method, path) or rest[-1] != "application/json":
            continue
        status = "request" if direction == "request" else rest[0]
        if status == where:
            found[name] = value
    return found


def only(method: str, path: str, where: str, name: str | None = None) -> Any:
    """The example of :func:`documented` called ``name``, or its only one."""
    found = documented(method, path, where)
    if name is not None:
        return found[name]
    (value,) = found.values()
    return value


LINES_REFUND = "OneUnitOfALineAndTheShipping"


def test_every_new_body_has_its_examples():
    for (method, path), places in DOCUMENTED.items():
        for where in places:
            assert documented(method, path, where), f"{method} {path} {where}"


def test_the_error_examples_show_the_documented_codes():
    def code(method, path, status):
        return only(method, path, status)["error"]["code"]

    assert code("post", CODES, "400") == "below_minimum_spend"
    assert code("delete", CODE, "404") == "code_not_found"
    assert code("post", CHECKOUT, "400") == "shipping_method_required"
    assert code("post", CHECKOUT, "409") == "price_changed"
    assert code("post", REFUNDS, "400") == "invalid_refund_lines"


# --- the figures add up ----------------------------------------------------------------------


def amount(value: dict[str, str]) -> Decimal:
    assert value["currency"] == "USD"
    return Decimal(value["amount"])


def total(values) -> Decimal:
    return sum((amount(value) for value in values), Decimal(0))


def added_tax(tax_lines) -> Decimal:
    return total(line["amount"] for line in tax_lines if not line["included"])


def check_cart(cart: dict[str, Any]) -> None:
    for line in cart["lines"]:
        assert amount(line["line_total"]) == amount(line["unit_price"]) * line["quantity"]
        assert amount(line["discount"]) == total(a["amount"] for a in line["adjustments"])
        assert amount(line["total"]) == (
            amount(line["line_total"]) - amount(line["discount"]) + added_tax(line["tax_lines"])
        )
        for tax in line["tax_lines"]:
            base = amount(line["line_total"]) - amount(line["discount"])
            assert amount(tax["amount"]) == (base * Decimal(tax["rate"]) / 100).quantize(
                Decimal("0.01")
            )
    shipping = cart["shipping"]
    shipping_tax = shipping["tax_lines"] if shipping else []
    if shipping:
        assert amount(shipping["discount"]) == total(a["amount"] for a in shipping["adjustments"])
        net = amount(shipping["price"]) - amount(shipping["discount"])
        assert amount(cart["shipping_total"]) == net
        assert amount(shipping["total"]) == net + added_tax(shipping_tax)
        assert {k: shipping[k] for k in ("code", "name", "price")} in cart["shipping_methods"]
    else:
        assert amount(cart["shipping_total"]) == 0
    assert amount(cart["subtotal"]) == total(line["line_total"] for line in cart["lines"])
    assert amount(cart["discount_total"]) == total(line["discount"] for line in cart["lines"])
    all_tax = [tax for line in cart["lines"] for tax in line["tax_lines"]] + shipping_tax
    assert amount(cart["tax_total"]) == total(tax["amount"] for tax in all_tax)
    assert amount(cart["total"]) == (
        amount(cart["subtotal"])
        - amount(cart["discount_total"])
        + amount(cart["shipping_total"])
        + added_tax(all_tax)
    )
    # The total is also what the lines and the shipping cost.
    assert amount(cart["total"]) == total(line["total"] for line in cart["lines"]) + (
        amount(shipping["total"]) if shipping else 0
    )
    assert cart["item_count"] == sum(line["quantity"] for line in cart["lines"])


def check_order(order: dict[str, Any]) -> None:
    for line in order["lines"]:
        assert amount(line["line_total"]) == amount(line["unit_price"]) * line["quantity"]
        assert amount(line["discount_total"]) == total(a["amount"] for a in line["adjustments"])
        assert amount(line["tax_total"]) == total(t["amount"] for t in line["tax_lines"])
        assert amount(line["total"]) == (
            amount(line["line_total"])
            - amount(line["discount_total"])
            + added_tax(line["tax_lines"])
        )
    shipping_discount = total(a["amount"] for a in order["shipping_adjustments"])
    assert amount(order["shipping_total"]) == amount(order["shipping_price"]) - shipping_discount
    assert amount(order["subtotal"]) == total(line["line_total"] for line in order["lines"])
    assert amount(order["discount_total"]) == total(
        line["discount_total"] for line in order["lines"]
    )
    all_tax = [tax for line in order["lines"] for tax in line["tax_lines"]]
    all_tax += order["shipping_tax_lines"]
    assert amount(order["tax_total"]) == total(tax["amount"] for tax in all_tax)
    assert amount(order["total"]) == (
        amount(order["subtotal"])
        - amount(order["discount_total"])
        + amount(order["shipping_total"])
        + added_tax(all_tax)
    )


def figures(priced: dict[str, Any]) -> dict[str, str]:
    """The totals of a cart or an order, as ``price_changed`` details write them."""
    names = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
    return {"currency": "USD", **{name: priced[name]["amount"] for name in names}}


def test_the_cart_examples_add_up():
    carts = [
        only("get", CART, "200"),
        only("post", CODES, "201"),
        only("delete", CODE, "200"),
    ]
    for cart in carts:
        check_cart(cart)
    priced = carts[0]
    assert priced["shipping"] is not None
    assert any(line["adjustments"] and line["tax_lines"] for line in priced["lines"])
    assert {code["applied"] for code in priced["codes"]} == {True, False}
    methods = only("get", SHIPPING_METHODS, "200")
    assert methods == priced["shipping_methods"][: len(methods)]


def test_the_checkout_examples_are_the_cart_they_came_from():
    cart = only("get", CART, "200")
    request = only("post", CHECKOUT, "request")
    order = only("post", CHECKOUT, "201")
    check_order(order)
    assert Decimal(request["expected_total"]) == amount(cart["total"]) == amount(order["total"])
    assert request["shipping_method"] == cart["shipping"]["code"] == order["shipping_method_code"]
    assert request["codes"] == [code["code"] for code in cart["codes"] if code["applied"]]
    assert figures(order) == figures(cart)
    assert only("post", CHECKOUT, "409")["error"]["details"] == figures(order)
    assert only("post", CHECKOUT, "400")["error"]["details"]["available"] == [
        method["code"] for method in cart["shipping_methods"]
    ]
    for cart_line, order_line in zip(cart["lines"], order["lines"], strict=True):
        assert cart_line["variant"]["sku"] == order_line["sku"]
        assert cart_line["total"] == order_line["total"]
        assert cart_line["adjustments"] == order_line["adjustments"]
        assert cart_line["tax_lines"] == order_line["tax_lines"]
    assert cart["shipping"]["tax_lines"] == order["shipping_tax_lines"]


def test_the_refund_example_gives_back_what_its_lines_cost():
    order = only("post", CHECKOUT, "201")
    request = only("post", REFUNDS, "request", LINES_REFUND)
    refund = only("post", REFUNDS, "201")
    lines = {line["id"]: line for line in order["lines"]}
    given = Decimal(0)
    for asked, refunded in zip(request["lines"], refund["lines"], strict=False):
        line = lines[asked["line"]]
        assert refunded["line"] == asked["line"]
        assert refunded["quantity"] == asked["quantity"]
        cents = int(amount(line["total"]) * 100)
        shares = allocate(cents, [1] * line["quantity"])
        assert amount(refunded["amount"]) == Decimal(sum(shares[: asked["quantity"]])) / 100
        given += amount(refunded["amount"])
    assert request["shipping"] is True
    (shipping,) = [line for line in refund["lines"] if line["line"] is None]
    assert amount(shipping["amount"]) == amount(order["shipping_total"]) + added_tax(
        order["shipping_tax_lines"]
    )
    assert amount(refund["amount"]) == given + amount(shipping["amount"])
    assert amount(refund["amount"]) <= amount(order["total"])
    error = only("post", REFUNDS, "400")
    assert set(error["error"]["details"]["lines"]) <= set(lines)


# --- replayed through the API ---------------------------------------------------------------


def same_as_documented(answer: Any, example: Any, renames: dict[str, str]) -> Any:
    """``answer`` with its volatile values (ids, tokens, times) replaced by the example's,
    and the ids in ``renames`` (the answer's -> the example's) renamed wherever they
    appear (dictionary keys too)."""
    return _volatile_replaced(renamed(answer, renames), example)


def renamed(value: Any, renames: dict[str, str]) -> Any:
    """``value`` (JSON) with each string key of ``renames`` replaced by its value."""
    text = json.dumps(value)
    for old, new in renames.items():
        text = text.replace(old, new)
    return json.loads(text)


def _volatile_replaced(answer: Any, example: Any) -> Any:
    if isinstance(answer, dict) and isinstance(example, dict):
        return {
            key: (
                example[key]
                if key in VOLATILE and isinstance(value, str) and isinstance(example.get(key), str)
                else _volatile_replaced(value, example.get(key))
            )
            for key, value in answer.items()
        }
    if isinstance(answer, list) and isinstance(example, list) and len(answer) == len(example):
        return [_volatile_replaced(a, e) for a, e in zip(answer, example, strict=True)]
    return answer


@pytest.fixture
def shop(db, settings):
    """The shop the examples describe (see ``commerce.cart.api.examples``)."""
    settings.COMMERCE = {**settings.COMMERCE, "TAX_STRATEGY": "commerce.pricing.tax.FlatRates"}
    united_states = zone("United States", ("US",))
    shipping_method(united_states, "standard", price="5.00", name="Standard")
    shipping_method(united_states, "express", price="15.00", name="Express")
    rate(united_states, "Sales tax", "8")
    shirt = VariantFactory(
        product=ProductFactory(name="Linen shirt", slug="linen-shirt"),
        sku="SHIRT-M-BLUE",
        name="M / Blue",
        options={"size": "M", "colour": "Blue"},
        price=money("40.00"),
    )
    mug = VariantFactory(
        product=ProductFactory(name="Mug", slug="mug"),
        sku="MUG-1",
        name="Default",
        price=money("12.50"),
    )
    promotion_services.create_promotion(
        name="Summer sale",
        lane="catalog",
        requires_code=True,
        currency="USD",
        benefit={
            "kind": "percentage_off",
            "percent": Decimal("10.00"),
            "target": {"products": [str(shirt.product_id)]},
        },
        codes=["SUMMER10"],
    )
    promotion_services.create_promotion(
        name="Welcome",
        lane="order",
        requires_code=True,
        currency="USD",
        condition={"min_subtotal": 15000},
        benefit={"kind": "amount_off", "amount": money("5.00"), "allocation": "across"},
        codes=["WELCOME5"],
    )
    return shirt, mug


def test_replaying_the_case_gives_the_examples_back(shop, staff_user, dummy):
    shirt, mug = shop
    shopper = UserFactory(email="ada@example.com")
    client = client_for(shopper)
    cart, _token = cart_services.get_or_create_cart(user=shopper)
    shirts = cart_services.add_line(cart, variant_id=shirt.pk, quantity=2).lines.get(variant=shirt)
    cart_services.add_line(cart, variant_id=mug.pk, quantity=1)
    cart_ids = {}

    def check(response, status, method, path, where=None, example=None):
        assert response.status_code == status, response.content
        if example is None:
            example = only(method, path, where or str(status))
        body = response.json()
        if path == REFUNDS and status == 201:
            # Created in one statement: their creation times may tie; the shipping last.
            body["lines"].sort(key=lambda line: line["line"] is None)
        if isinstance(body, dict) and "lines" in body and "variant" in body["lines"][0]:
            for line, documented_line in zip(body["lines"], example["lines"], strict=True):
                cart_ids[line["variant"]["id"]] = documented_line["variant"]["id"]
        assert same_as_documented(body, example, cart_ids) == example

    # Enter SUMMER10 (typed in lower case), then WELCOME5, refused: below its minimum.
    check(client.post(CODES, {"code": "summer10"}, format="json"), 201, "post", CODES)
    check(client.post(CODES, {"code": "WELCOME5"}, format="json"), 400, "post", CODES)
    # WELCOME5 entered while the cart held five shirts stays when it drops back to two.
    cart_services.set_line_quantity(cart, line_id=shirts.pk, quantity=5)
    cart_services.add_code(cart, "WELCOME5")
    cart_services.set_line_quantity(cart, line_id=shirts.pk, quantity=2)
    new_york = "country=US&region=NY&postal_code=10001"
    check(client.get(f"{CART}?{new_york}&shipping_method=standard"), 200, "get", CART)
    answer = client.get(f"{SHIPPING_METHODS}?{new_york}")
    first = only("get", SHIPPING_METHODS, "200")
    check(answer, 200, "get", SHIPPING_METHODS, example=first + answer.json()[len(first) :])
    check(client.delete(CODE.format(code="WELCOME5")), 200, "delete", CODE)
    check(client.delete(CODE.format(code="WELCOME5")), 404, "delete", CODE)

    request = only("post", CHECKOUT, "request")
    without_method = {k: v for k, v in request.items() if k != "shipping_method"}
    check(client.post(CHECKOUT, without_method, format="json"), 400, "post", CHECKOUT)
    stale = {**request, "expected_total": "100.00"}
    check(client.post(CHECKOUT, stale, format="json"), 409, "post", CHECKOUT)
    placed = client.post(CHECKOUT, request, format="json")
    order = Order.objects.get(number=placed.json()["number"])
    example_order = only("post", CHECKOUT, "201")
    by_sku = {line["sku"]: line["id"] for line in example_order["lines"]}
    line_ids = {str(line.pk): by_sku[line.sku] for line in order.lines.all()}
    cart_ids.update(line_ids)
    check(placed, 201, "post", CHECKOUT)

    payment = payment_services.start_payment(order, "dummy").payment
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    staff = client_for(staff_user)
    url = REFUNDS.format(reference=payment.reference)
    example_ids = {documented_id: actual for actual, documented_id in line_ids.items()}
    body = renamed(only("post", REFUNDS, "request", LINES_REFUND), example_ids)
    check(staff.post(url, body, format="json"), 201, "post", REFUNDS)
    both = {"lines": [{**body["lines"][0], "quantity": 2}], "reason": body["reason"]}
    check(staff.post(url, both, format="json"), 400, "post", REFUNDS)
