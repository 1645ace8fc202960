"""The checkout flow's round trips, pinned per request (issue 12): a cart add, checkout
with an ``Idempotency-Key``, and the payment start with the dummy gateway.

Counted under the test's transaction, where each request's outermost transaction is a
savepoint (two queries); served, it is a BEGIN and a COMMIT instead, which the
database driver sends without Django counting them. The counts are the same on
SQLite and PostgreSQL, for a guest and for a signed-in customer.
"""

from __future__ import annotations

import uuid

import pytest

from commerce.cart import services as cart_services
from commerce.payments.models import Payment, PaymentEvent
from commerce.testing.factories import VariantFactory
from tests.helpers import client_for, money
from tests.orders.helpers import ADDRESS, CHECKOUT, count_queries, order_url
from tests.pricing.helpers import method, rate, zone
from tests.promotions.helpers import percent_off, promotion

pytestmark = pytest.mark.django_db

#: ``POST /cart/lines/`` of a new variant into a cart of three lines.
CART_ADD_QUERIES = sum(
    {
        "the service's transaction (a savepoint here)": 2,
        "find the cart, locked": 1,
        "the variant with its product, vendor and stock": 1,
        "the cart's lines: the one to grow, whether a new one fits": 1,
        "insert the line, bump the cart's version": 2,
        "the priced cart's lines, with variants, products and stock": 1,
        "pricing: the categories' ancestors, the promotions that can match": 2,
    }.values()
)
#: ``POST /checkout/`` with an ``Idempotency-Key`` and a shipping method. Nothing in
#: it opens a savepoint of its own: any error rolls all of it back.
CHECKOUT_QUERIES = sum(
    {
        "the key's transaction (a savepoint here)": 2,
        "claim the key: INSERT ... ON CONFLICT DO NOTHING, then its row": 2,
        "find the cart": 1,
        "lock the cart, read its lines with variants and stock": 2,
        "shipping address snapshot": 1,
        "pricing: ancestors, promotions": 2,
        "shipping: zones, their members, methods, their bands": 4,
        "order number free?": 1,
        "reserve: lock the stock rows, one UPDATE, one INSERT of movements": 3,
        "the order, its lines, its event": 3,
        "empty the cart (delete lines, bump version)": 2,
        "store the response with the key": 1,
    }.values()
)
#: ``POST /orders/<number>/payments/`` with the dummy gateway: two short transactions
#: around the provider's call, never one held across it.
PAYMENT_START_QUERIES = sum(
    {
        "find the order for its owner or token holder": 1,
        "create: a transaction (a savepoint here)": 2,
        "create: lock the order, its payments that matter in one read": 2,
        "create: the payment, its 'created' event and the claim of the provider call": 3,
        "answer: a transaction (a savepoint here)": 2,
        "answer: lock the order and the payment again (time passed)": 2,
        "answer: the 'initiate' event, the transition's UPDATE and its event": 3,
    }.values()
)


@pytest.fixture
def flow(request):
    """A cart of three lines (a guest's, or the customer's) and a fourth variant to add."""
    user = request.getfixturevalue("customer") if request.param == "customer" else None
    method(zone("Nigeria", ("NG",)), "standard", price="5.00")
    variants = [VariantFactory(quantity=20) for _ in range(4)]
    cart, token = cart_services.get_or_create_cart(user=user)
    for variant in variants[:3]:
        cart = cart_services.add_line(cart, variant_id=variant.pk, quantity=1)
    client = client_for(user)
    if token:
        client.credentials(HTTP_X_CART_TOKEN=token)
    return client, variants[3]


@pytest.mark.parametrize("flow", ["guest", "customer"], indirect=True)
def test_the_checkout_flow_round_trips(flow):
    client, variant = flow
    add = {"variant": str(variant.pk), "quantity": 1}
    assert count_queries(lambda: client.post("/api/v1/cart/lines/", add)) == CART_ADD_QUERIES

    body = {
        "email": "buyer@example.com",
        "shipping_address": ADDRESS,
        "shipping_method": "standard",
    }
    key = uuid.uuid4().hex
    placed = []

    def checkout():
        placed.append(client.post(CHECKOUT, body, format="json", HTTP_IDEMPOTENCY_KEY=key))
        return placed[-1]

    assert count_queries(checkout) == CHECKOUT_QUERIES
    order = placed[0].json()
    assert len(order["lines"]) == 4

    def start():
        return client.post(
            f"{order_url(order['number'])}payments/",
            {"gateway": "dummy", "return_url": "https://shop.test/done"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            HTTP_X_ORDER_TOKEN=order["access_token"],
        )

    assert count_queries(start) == PAYMENT_START_QUERIES
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PROCESSING
    # Every step of the start is still in the payment's history, in order.
    events = PaymentEvent.objects.filter(payment=payment).order_by("created_at")
    assert list(events.values_list("kind", "to_status")) == [
        ("created", "pending"),
        ("initiate_requested", ""),
        ("initiate", ""),
        ("mark_processing", "processing"),
    ]
    assert events.last().gateway_reference == payment.gateway_reference != ""


def test_the_new_order_is_shown_as_reading_it_back_shows_it(customer, settings):
    """The checkout response, built from the rows just written, is the order's detail."""
    settings.COMMERCE = {**settings.COMMERCE, "TAX_STRATEGY": "commerce.pricing.tax.FlatRates"}
    germany = zone("Germany", ("DE",))
    method(germany, "de-standard", price="4.90")
    rate(germany, "VAT", "19")
    variants = [VariantFactory(price=money(price), quantity=5) for price in ("10.00", "3.33")]
    promotion("Tenth", benefit=percent_off(10))
    cart, _ = cart_services.get_or_create_cart(user=customer)
    for variant in variants:
        cart = cart_services.add_line(cart, variant_id=variant.pk, quantity=3)
    client = client_for(customer)
    berlin = {**ADDRESS, "city": "Berlin", "postal_code": "10115", "country": "DE"}
    response = client.post(
        CHECKOUT,
        {"shipping_address": berlin, "billing_address": ADDRESS, "shipping_method": "de-standard"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    placed = response.json()
    assert placed.pop("access_token")
    assert all(line["adjustments"] and line["tax_lines"] for line in placed["lines"])
    assert placed["shipping_tax_lines"]
    assert placed == client.get(order_url(placed["number"])).json()


@pytest.mark.parametrize("flow", ["customer"], indirect=True)
def test_a_new_payment_is_shown_as_reading_it_back_shows_it(flow):
    client, _ = flow
    order = client.post(
        CHECKOUT, {"shipping_address": ADDRESS, "shipping_method": "standard"}, format="json"
    ).json()
    url = f"{order_url(order['number'])}payments/"
    body = {"gateway": "dummy", "return_url": "https://shop.test/done"}
    started = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert started.status_code == 201
    shown = started.json()
    assert shown["next_action"]["redirect_url"]
    assert shown == client.get(f"/api/v1/payments/{shown['reference']}/").json()
    # A replay reads it back, as it is now.
    replay = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == shown
