"""Checkout: guests and signed-in customers, totals, snapshots, and refusals that write nothing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import override_settings
from djmoney.money import Money

from commerce.cart.models import Cart, CartLine
from commerce.catalog import services as catalog_services
from commerce.catalog.models import StockMovement
from commerce.core.money import percentage_of
from commerce.orders import services, signals
from commerce.orders.models import Order, OrderEvent
from commerce.pricing.tax import TaxStrategy
from commerce.pricing.types import TaxLine, TaxRequest, TaxResult
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.helpers import assert_error, client_for, money
from tests.orders.helpers import (
    ADDRESS,
    BILLING,
    checkout,
    counts,
    fill_cart,
    order_url,
    place,
    stock,
)

pytestmark = pytest.mark.django_db


class PercentTax(TaxStrategy):
    """A custom tax strategy: 10% added to every item, rounded half up per item."""

    requests: list[TaxRequest] = []

    def calculate(self, request):
        PercentTax.requests.append(request)
        return TaxResult(
            tuple(
                TaxLine(item.key, "Sales tax", Decimal(10), percentage_of(item.amount, 10), False)
                for item in request.items
            )
        )


@pytest.fixture
def on_placed():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.order_placed.connect(receiver)
    yield received
    signals.order_placed.disconnect(receiver)


# --- guests ----------------------------------------------------------------------------------


def test_guest_checks_out_with_an_inline_address(
    api_client, shirt, on_placed, django_capture_on_commit_callbacks
):
    cart, token = fill_cart(None, {shirt: 2})
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(
            api_client, {"shipping_address": ADDRESS, "email": "guest@example.com"}, token=token
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert order.user is None
    assert body["status"] == "pending"
    assert body["email"] == "guest@example.com"
    assert body["access_token"]
    assert body["shipping_address"]["country"] == "NG"
    assert body["shipping_address"]["full_name"] == "Ada Lovelace"
    assert body["billing_address"] is None
    assert body["lines"] == [
        {
            "id": str(order.lines.get().pk),
            "product_name": "Plain shirt",
            "variant_name": "Medium",
            "sku": "SHIRT-M",
            "options": {"size": "M"},
            "unit_price": {"amount": "12.50", "currency": "USD"},
            "quantity": 2,
            "line_total": {"amount": "25.00", "currency": "USD"},
            "discount_total": {"amount": "0.00", "currency": "USD"},
            "tax_total": {"amount": "0.00", "currency": "USD"},
            "total": {"amount": "25.00", "currency": "USD"},
            "adjustments": [],
            "tax_lines": [],
        }
    ]
    assert body["allowed_transitions"] == ["cancel", "mark_paid"]
    # The token is shown once; only its digest is stored.
    # Derived from SECRET_KEY, stored nowhere: not on the order, not with the idempotency key.
    assert body["access_token"] == services.order_access_token(order)
    assert body["access_token"] not in {str(value) for value in vars(order).values()}
    assert stock(shirt) == (10, 2)
    assert not CartLine.objects.filter(cart=cart).exists()
    emptied = Cart.objects.get(pk=cart.pk)
    assert (emptied.currency, emptied.revision) == ("", cart.revision + 1)
    event = OrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status, event.actor) == ("", "pending", None)
    assert [m.reference for m in StockMovement.objects.filter(kind="reserve")] == [order.number]
    assert [kwargs["order"].number for kwargs in on_placed] == [order.number]


def test_guest_reads_the_order_back_with_the_token(api_client, shirt):
    _, token = fill_cart(None, {shirt: 1})
    body = checkout(
        api_client, {"shipping_address": ADDRESS, "email": "guest@example.com"}, token=token
    ).json()
    response = api_client.get(order_url(body["number"]), HTTP_X_ORDER_TOKEN=body["access_token"])
    assert response.status_code == 200
    detail = response.json()
    assert "access_token" not in detail
    assert detail == {k: v for k, v in body.items() if k != "access_token"}


def test_guest_must_give_an_email(api_client, shirt):
    cart, token = fill_cart(None, {shirt: 1})
    before = counts()
    error = assert_error(checkout(api_client, {"shipping_address": ADDRESS}, token=token), 400)
    assert "email" in error["details"]
    assert counts() == before
    assert CartLine.objects.filter(cart=cart).count() == 1


def test_guest_email_must_be_an_email(api_client, shirt):
    _, token = fill_cart(None, {shirt: 1})
    error = assert_error(
        checkout(api_client, {"shipping_address": ADDRESS, "email": "nope"}, token=token),
        400,
        "invalid",
    )
    assert "email" in error["details"]


def test_guest_cannot_use_an_address_book_id(api_client, customer, shirt):
    address = services.create_address(customer, **ADDRESS)
    _, token = fill_cart(None, {shirt: 1})
    before = counts()
    error = assert_error(
        checkout(
            api_client,
            {"shipping_address": str(address.pk), "email": "g@example.com"},
            token=token,
        ),
        400,
        "invalid",
    )
    assert "shipping_address" in error["details"]
    assert counts() == before


# --- signed-in customers ---------------------------------------------------------------------


def test_customer_checks_out_with_an_address_book_entry(
    customer, shirt, on_placed, django_capture_on_commit_callbacks
):
    address = services.create_address(customer, **ADDRESS, phone="+2348000000000")
    fill_cart(customer, {shirt: 1})
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(client_for(customer), {"shipping_address": str(address.pk)})
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert order.user == customer
    assert body["email"] == customer.email
    assert body["shipping_address"]["phone"] == "+2348000000000"
    assert order.shipping_address.pk != address.pk
    assert OrderEvent.objects.get(order=order).actor == customer
    assert on_placed[0]["actor"] == customer


def test_customer_may_give_another_email_and_a_note(customer, shirt):
    fill_cart(customer, {shirt: 1})
    body = checkout(
        client_for(customer),
        {"shipping_address": ADDRESS, "email": "orders@example.com", "note": "Ring twice"},
    ).json()
    assert (body["email"], body["note"]) == ("orders@example.com", "Ring twice")


def test_someone_elses_address_id_is_refused(customer, customer_b, shirt):
    address = services.create_address(customer_b, **ADDRESS)
    cart, _ = fill_cart(customer, {shirt: 1})
    before = counts()
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": str(address.pk)}), 400, "invalid"
    )
    assert error["details"]["shipping_address"] == ["No such address in your address book."]
    error = assert_error(
        checkout(
            client_for(customer),
            {"shipping_address": ADDRESS, "billing_address": str(address.pk)},
        ),
        400,
        "invalid",
    )
    assert "billing_address" in error["details"]
    assert counts() == before
    assert CartLine.objects.filter(cart=cart).count() == 1


@pytest.mark.parametrize("value", ["not-a-uuid", 42, ["NG"], ""])
def test_an_address_is_an_id_or_an_object(customer, shirt, value):
    fill_cart(customer, {shirt: 1})
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": value}), 400, "invalid"
    )
    assert "shipping_address" in error["details"]


def test_billing_address_inline_or_from_the_book(customer, shirt):
    billing = services.create_address(customer, **BILLING)
    fill_cart(customer, {shirt: 1})
    body = checkout(
        client_for(customer), {"shipping_address": ADDRESS, "billing_address": str(billing.pk)}
    ).json()
    assert body["billing_address"]["company"] == "Analytical Ltd"
    assert body["billing_address"]["country"] == "GB"
    assert body["shipping_address"]["country"] == "NG"

    fill_cart(customer, {shirt: 1})
    body = checkout(
        client_for(customer), {"shipping_address": ADDRESS, "billing_address": BILLING}
    ).json()
    assert body["billing_address"]["line1"] == "2 Engine Street"
    order = Order.objects.get(number=body["number"])
    assert order.billing_address_id != order.shipping_address_id


def test_the_expected_cart_version_is_accepted(customer, shirt):
    fill_cart(customer, {shirt: 1})
    seen = client_for(customer).get("/api/v1/cart/").json()["version"]
    response = checkout(client_for(customer), {"shipping_address": ADDRESS, "cart_version": seen})
    assert response.status_code == 201, response.json()


# --- totals ----------------------------------------------------------------------------------


def test_totals_default_to_free_shipping_and_no_tax(customer, shirt):
    fill_cart(customer, {shirt: 3})
    body = checkout(client_for(customer), {"shipping_address": ADDRESS}).json()
    assert body["subtotal"] == {"amount": "37.50", "currency": "USD"}
    assert body["shipping_total"] == {"amount": "0.00", "currency": "USD"}
    assert body["tax_total"] == {"amount": "0.00", "currency": "USD"}
    assert body["total"] == {"amount": "37.50", "currency": "USD"}
    assert body["currency"] == "USD"


def test_the_tax_strategy_is_named_by_import_string(customer, shirt, mug, settings):
    PercentTax.requests.clear()
    fill_cart(customer, {shirt: 2, mug: 1})
    commerce = {**settings.COMMERCE, "TAX_STRATEGY": "tests.orders.test_checkout.PercentTax"}
    with override_settings(COMMERCE=commerce):
        body = checkout(client_for(customer), {"shipping_address": ADDRESS}).json()
    assert body["subtotal"] == {"amount": "33.00", "currency": "USD"}
    assert body["shipping_total"] == {"amount": "0.00", "currency": "USD"}
    assert body["tax_total"] == {"amount": "3.30", "currency": "USD"}
    assert body["total"] == {"amount": "36.30", "currency": "USD"}
    assert [line["tax_lines"] for line in body["lines"]] == [
        [
            {
                "name": "Sales tax",
                "rate": "10.0000",
                "amount": {"amount": "2.50", "currency": "USD"},
                "included": False,
            }
        ],
        [
            {
                "name": "Sales tax",
                "rate": "10.0000",
                "amount": {"amount": "0.80", "currency": "USD"},
                "included": False,
            }
        ],
    ]
    (request,) = PercentTax.requests
    assert request.destination.country == "NG"
    assert (request.currency, request.prices_include_tax, request.rounding) == (
        "USD",
        False,
        "line",
    )
    assert sorted(item.amount for item in request.items) == [800, 2500]
    order = Order.objects.get(number=body["number"])
    assert order.tax_lines.count() == 2
    assert sum(t.amount for t in order.tax_lines.all()) == order.tax_total == money("3.30")


# --- snapshots -------------------------------------------------------------------------------


def test_an_order_keeps_its_snapshot_when_the_catalog_and_book_change(customer, shirt):
    address = services.create_address(customer, **ADDRESS)
    fill_cart(customer, {shirt: 2})
    client = client_for(customer)
    placed = checkout(client, {"shipping_address": str(address.pk)}).json()

    catalog_services.update_variant(shirt, price=money("99.00"), name="Huge", sku="SHIRT-XL")
    catalog_services.update_product(shirt.product, name="Renamed shirt")
    services.update_address(address, line1="9 Other Street", country="DE")

    detail = client.get(order_url(placed["number"])).json()
    line = detail["lines"][0]
    assert (line["product_name"], line["variant_name"], line["sku"]) == (
        "Plain shirt",
        "Medium",
        "SHIRT-M",
    )
    assert line["unit_price"] == {"amount": "12.50", "currency": "USD"}
    assert detail["total"] == {"amount": "25.00", "currency": "USD"}
    assert (detail["shipping_address"]["line1"], detail["shipping_address"]["country"]) == (
        "1 Loop Road",
        "NG",
    )
    assert detail == {k: v for k, v in placed.items() if k != "access_token"}


def test_an_order_outlives_its_variant(customer, shirt):
    placed = place(customer, {shirt: 1})
    line = placed.order.lines.get()
    assert line.vendor == shirt.product.vendor
    shirt.delete()
    line.refresh_from_db()
    assert (line.variant, line.sku, line.product_name) == (None, "SHIRT-M", "Plain shirt")


# --- signals ---------------------------------------------------------------------------------


def test_order_placed_is_sent_on_commit_only(
    customer, shirt, on_placed, django_capture_on_commit_callbacks
):
    fill_cart(customer, {shirt: 1})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = checkout(client_for(customer), {"shipping_address": ADDRESS})
    assert response.status_code == 201
    assert on_placed == []
    for callback in callbacks:
        callback()
    assert len(on_placed) == 1
    assert on_placed[0]["order"].number == response.json()["number"]
    assert on_placed[0]["actor"] == customer
    assert on_placed[0]["reason"] == ""


def test_a_refused_checkout_sends_nothing(
    customer, shirt, on_placed, django_capture_on_commit_callbacks
):
    fill_cart(customer, {shirt: 1})
    catalog_services.set_stock(shirt, 0, reason="Count")
    with django_capture_on_commit_callbacks(execute=True):
        assert_error(checkout(client_for(customer), {"shipping_address": ADDRESS}), 409)
    assert on_placed == []


# --- refusals write nothing ------------------------------------------------------------------


def test_an_empty_cart_is_a_400(customer, shirt):
    cart, _ = fill_cart(customer, {shirt: 1})
    cart.lines.all().delete()
    before = counts()
    assert_error(checkout(client_for(customer), {"shipping_address": ADDRESS}), 400, "empty_cart")
    assert counts() == before


def test_a_customer_without_a_cart_is_a_400(customer):
    assert_error(checkout(client_for(customer), {"shipping_address": ADDRESS}), 400, "empty_cart")
    assert not Cart.objects.exists()


def test_a_guest_without_a_cart_token_is_a_400(api_client, shirt):
    fill_cart(None, {shirt: 1})
    before = counts()
    assert_error(
        checkout(api_client, {"shipping_address": ADDRESS, "email": "g@example.com"}),
        400,
        "empty_cart",
    )
    assert counts() == before


def test_an_unknown_cart_token_is_a_404(api_client):
    assert_error(
        checkout(
            api_client,
            {"shipping_address": ADDRESS, "email": "g@example.com"},
            token="no-such-cart",
        ),
        404,
        "cart_not_found",
    )


@pytest.mark.parametrize("how", ["archived", "inactive", "deleted"])
def test_a_line_no_longer_for_sale_is_a_400(customer, shirt, mug, how):
    cart, _ = fill_cart(customer, {shirt: 1, mug: 1})
    if how == "archived":
        catalog_services.archive_product(mug.product)
    elif how == "inactive":
        catalog_services.update_variant(mug, is_active=False)
    else:
        catalog_services.delete_product(mug.product)
    before = counts()
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": ADDRESS}), 400, "unavailable_items"
    )
    assert error["details"] == {"skus": ["MUG-1"]}
    assert counts() == before
    assert CartLine.objects.filter(cart=cart).count() == 2


def test_a_short_line_reserves_nothing_at_all(customer, shirt, mug):
    """Two lines, the second short: the first line's stock is not reserved either."""
    cart, _ = fill_cart(customer, {shirt: 2, mug: 3})
    catalog_services.set_stock(mug, 2, reason="Breakage")
    before = counts()
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": ADDRESS}), 409, "insufficient_stock"
    )
    assert error["details"] == {"sku": "MUG-1", "requested": 3, "available": 2}
    assert counts() == before
    assert stock(shirt) == (10, 0)
    assert stock(mug) == (2, 0)
    assert CartLine.objects.filter(cart=cart).count() == 2


def test_a_cart_over_a_lowered_line_limit_is_a_400(settings, customer, shirt, mug):
    cart, _ = fill_cart(customer, {shirt: 1, mug: 1})
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINES": 1}
    before = counts()
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": ADDRESS}), 400, "cart_full"
    )
    assert error["details"] == {"lines": 2, "maximum": 1, "setting": "CART_MAX_LINES"}
    assert counts() == before
    assert (stock(shirt), stock(mug)) == ((10, 0), (5, 0))
    assert CartLine.objects.filter(cart=cart).count() == 2


def test_a_line_over_a_lowered_quantity_limit_is_a_400(settings, customer, shirt, mug):
    fill_cart(customer, {shirt: 3, mug: 1})
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINE_QUANTITY": 2}
    before = counts()
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": ADDRESS}), 400, "invalid_quantity"
    )
    assert error["details"] == {"skus": ["SHIRT-M"], "maximum": 2}
    assert counts() == before
    assert stock(shirt) == (10, 0)


def test_stock_reserved_by_another_order_counts(customer, customer_b, shirt):
    place(customer_b, {shirt: 9})
    fill_cart(customer, {shirt: 1})
    catalog_services.set_stock(shirt, 9, reason="Count")
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": ADDRESS}), 409, "insufficient_stock"
    )
    assert error["details"]["available"] == 0


def test_a_stale_cart_version_is_a_409(customer, shirt):
    fill_cart(customer, {shirt: 1})
    seen = client_for(customer).get("/api/v1/cart/").json()["version"]
    fill_cart(customer, {shirt: 1})  # changed elsewhere (another tab)
    now = client_for(customer).get("/api/v1/cart/").json()["version"]
    before = counts()
    error = assert_error(
        checkout(client_for(customer), {"shipping_address": ADDRESS, "cart_version": seen}),
        409,
        "cart_changed",
    )
    assert error["details"] == {"expected_version": seen, "version": now}
    assert counts() == before


def test_a_catalog_price_change_since_the_shopper_looked_is_a_409(customer, shirt):
    # The shopper did not touch the cart, but the price they saw is no longer the price.
    fill_cart(customer, {shirt: 1})
    seen = client_for(customer).get("/api/v1/cart/").json()["version"]
    catalog_services.update_variant(shirt, price=Money("99.00", "USD"))
    before = counts()
    assert_error(
        checkout(client_for(customer), {"shipping_address": ADDRESS, "cart_version": seen}),
        409,
        "cart_changed",
    )
    assert counts() == before


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({**ADDRESS, "country": "XX"}, "country"),
        ({**ADDRESS, "country": ""}, "country"),
        ({**ADDRESS, "country": "Nigeria"}, "country"),
        ({**ADDRESS, "country": "NGA"}, "country"),
        ({k: v for k, v in ADDRESS.items() if k != "city"}, "city"),
        ({**ADDRESS, "full_name": "   "}, "full_name"),
        ({**ADDRESS, "line1": "x" * 201}, "line1"),
        ({}, "full_name"),
    ],
)
def test_an_invalid_address_is_a_400(api_client, shirt, address, field):
    _, token = fill_cart(None, {shirt: 1})
    before = counts()
    error = assert_error(
        checkout(api_client, {"shipping_address": address, "email": "g@example.com"}, token=token),
        400,
        "invalid",
    )
    assert field in error["details"]["shipping_address"]
    assert counts() == before


def test_a_lowercase_country_code_is_normalized(api_client, shirt):
    _, token = fill_cart(None, {shirt: 1})
    body = checkout(
        api_client,
        {"shipping_address": {**ADDRESS, "country": "ng"}, "email": "g@example.com"},
        token=token,
    ).json()
    assert body["shipping_address"]["country"] == "NG"


def test_an_invalid_billing_address_is_a_400(customer, shirt):
    fill_cart(customer, {shirt: 1})
    before = counts()
    error = assert_error(
        checkout(
            client_for(customer),
            {"shipping_address": ADDRESS, "billing_address": {**BILLING, "country": "ZZ"}},
        ),
        400,
        "invalid",
    )
    assert "country" in error["details"]["billing_address"]
    assert counts() == before


def test_the_service_validates_a_mapping_address(customer, shirt):
    """Hosts calling ``place_order`` directly get the same address validation."""
    cart, _ = fill_cart(customer, {shirt: 1})
    before = counts()
    with pytest.raises(ValidationError) as caught:
        services.place_order(cart=cart, user=customer, shipping_address={**ADDRESS, "city": ""})
    assert "city" in caught.value.message_dict
    assert counts() == before


def test_a_cart_can_be_checked_out_again_after_a_refusal(customer, shirt, mug):
    fill_cart(customer, {shirt: 1, mug: 5})
    catalog_services.set_stock(mug, 4, reason="Count")
    client = client_for(customer)
    assert_error(checkout(client, {"shipping_address": ADDRESS}), 409, "insufficient_stock")
    catalog_services.set_stock(mug, 5, reason="Found one")
    response = checkout(client, {"shipping_address": ADDRESS})
    assert response.status_code == 201, response.json()
    assert stock(mug) == (5, 5)


# --- currencies, strategies that misbehave, order numbers ------------------------------------


class UnknownItemTax(TaxStrategy):
    def calculate(self, request):
        return TaxResult((TaxLine("nope", "Tax", Decimal(1), 1, False),))


class NegativeTax(TaxStrategy):
    def calculate(self, request):
        return TaxResult(tuple(TaxLine(i.key, "Tax", Decimal(1), -1, False) for i in request.items))


class UnroundedTax(TaxStrategy):
    def calculate(self, request):
        return TaxResult(
            tuple(
                TaxLine(i.key, "Tax", Decimal(1), Decimal(i.amount) / 3, False)
                for i in request.items
            )
        )


class TooMuchIncludedTax(TaxStrategy):
    def calculate(self, request):
        return TaxResult(
            tuple(TaxLine(i.key, "VAT", Decimal(1), i.amount + 1, True) for i in request.items)
        )


@pytest.mark.parametrize(
    "strategy", ["UnknownItemTax", "NegativeTax", "UnroundedTax", "TooMuchIncludedTax"]
)
def test_a_misbehaving_tax_strategy_is_a_configuration_error(customer, shirt, settings, strategy):
    cart, _ = fill_cart(customer, {shirt: 1})
    before = counts()
    commerce = {**settings.COMMERCE, "TAX_STRATEGY": f"tests.orders.test_checkout.{strategy}"}
    with override_settings(COMMERCE=commerce):
        with pytest.raises(ImproperlyConfigured) as caught:
            services.place_order(cart=cart, user=customer, shipping_address=ADDRESS)
        assert "TAX_STRATEGY" in str(caught.value)
        # Through the API it is a logged 500 in the envelope, never a half-made order.
        assert_error(
            checkout(client_for(customer), {"shipping_address": ADDRESS}), 500, "server_error"
        )
    assert counts() == before
    assert CartLine.objects.filter(cart=cart).count() == 1


@pytest.mark.parametrize(
    ("currency", "price", "expected"),
    [
        ("EUR", "19.99", ("39.98", "4.00", "43.98")),
        ("JPY", "1500", ("3000", "300", "3300")),
        ("KWD", "1.250", ("2.500", "0.250", "2.750")),
        ("NGN", "5000.00", ("10000.00", "1000.00", "11000.00")),
    ],
)
def test_an_order_is_in_its_carts_currency(customer, vendor, settings, currency, price, expected):
    variant = VariantFactory(
        product=ProductFactory(vendor=vendor), price=Money(Decimal(price), currency)
    )
    fill_cart(customer, {variant: 2})
    commerce = {**settings.COMMERCE, "TAX_STRATEGY": "tests.orders.test_checkout.PercentTax"}
    with override_settings(COMMERCE=commerce):
        body = checkout(client_for(customer), {"shipping_address": ADDRESS}).json()
    assert body["currency"] == currency
    assert (
        body["subtotal"]["amount"],
        body["tax_total"]["amount"],
        body["total"]["amount"],
    ) == expected
    assert {body[k]["currency"] for k in ["subtotal", "shipping_total", "tax_total", "total"]} == {
        currency
    }


NUMBERS = iter(())


def next_number() -> str:
    return next(NUMBERS)


def test_order_numbers_come_from_the_configured_generator(customer, shirt, settings, monkeypatch):
    monkeypatch.setattr(
        "tests.orders.test_checkout.NUMBERS", iter(["TAKEN-1", "TAKEN-1", "FRESH-2"])
    )
    commerce = {
        **settings.COMMERCE,
        "ORDER_NUMBER_GENERATOR": "tests.orders.test_checkout.next_number",
    }
    with override_settings(COMMERCE=commerce):
        first = place(customer, {shirt: 1}).order
        # The generator repeats itself: the taken number is skipped, not a 500.
        second = place(customer, {shirt: 1}).order
    assert (first.number, second.number) == ("TAKEN-1", "FRESH-2")


def test_default_order_numbers_are_readable_and_distinct(customer, shirt):
    numbers = {place(customer, {shirt: 1}).order.number for _ in range(5)}
    assert len(numbers) == 5
    for number in numbers:
        assert re.fullmatch(r"\d{6}-[2-9A-HJKMNP-Z]{6}", number), number


def test_unknown_fields_are_refused_not_ignored(customer, shirt):
    """A client sending a price or a shipping method must not believe it was honoured."""
    fill_cart(customer, {shirt: 1})
    before = counts()
    client = client_for(customer)
    error = assert_error(
        checkout(client, {"shipping_address": ADDRESS, "total": {"amount": "0.01"}}),
        400,
        "invalid",
    )
    assert error["details"] == {"total": ["This field cannot be set here."]}
    error = assert_error(
        checkout(client, {"shipping_address": {**ADDRESS, "latitude": "6.5"}}), 400, "invalid"
    )
    refused = ["This field cannot be set here."]
    assert error["details"] == {"shipping_address": {"latitude": refused}}
    assert counts() == before
