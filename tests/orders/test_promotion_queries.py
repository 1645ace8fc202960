"""The cart read and checkout cost the same queries with 1,000 promotions present as with
none: the engine loads only the promotions that can match the cart (issue 11)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from commerce.cart import services as cart_services
from commerce.orders.models import Order
from commerce.promotions.models import Promotion, Redemption
from commerce.testing.factories import CategoryFactory, VariantFactory
from tests.helpers import client_for, money
from tests.orders.helpers import checkout, count_queries, fill_cart
from tests.pricing.helpers import method, rate, zone
from tests.promotions.helpers import noise_promotions, percent_off, promotion

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/?country=DE&postal_code=10115"
BERLIN = {
    "full_name": "Ada Lovelace",
    "line1": "1 Loop Road",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}
#: What pricing a cart of a signed-in customer with two codes entered costs, for an
#: address in a zone with shipping and tax: the categories' ancestors, the promotions
#: that can match, the entered codes, this customer's redemptions of the limited
#: code; the destination's zones with their members, once for shipping and tax; for
#: shipping, the methods with their bands; for tax, the rates.
PRICING_QUERIES = sum(
    {
        "promotions: ancestors, candidates, codes, the customer's redemptions": 4,
        "zones, their members": 2,
        "shipping: methods, their bands": 2,
        "tax: rates": 1,
    }.values()
)
#: ``GET /cart/?country=DE&postal_code=10115``: the cart, its lines (with variant,
#: product, vendor and stock), and the pricing.
CART_READ_QUERIES = 2 + PRICING_QUERIES
#: ``POST /checkout/`` of that cart with a shipping method, under the test's
#: transaction (``place_order`` a savepoint, two queries; what it calls joins its
#: transaction without savepoints of their own): find the cart, then in ``place_order``
#: lock it and read its lines, snapshot the address, price the cart once, reserve the
#: stock, spend two codes and three promotions, write the order (the response shows
#: the rows written, reading nothing back).
CHECKOUT_QUERIES = sum(
    {
        "find the cart": 1,
        "place_order savepoint": 2,
        "lock the cart, read its lines": 2,
        "shipping address snapshot": 1,
        "pricing": PRICING_QUERIES,
        "order number free?": 1,
        "reserve: lock stock rows, one UPDATE, one INSERT of movements": 3,
        "spend: the three promotions (none limited) read FOR SHARE in one query": 1,
        "spend: two code UPDATEs, two code reads": 4,
        "spend: the customer's uses of the limited code": 1,
        "spend: the redemptions in one INSERT": 1,
        "order insert": 1,
        "lines, adjustments, tax lines and the event, one INSERT each": 4,
        "empty the cart (delete lines, bump version)": 2,
    }.values()
)


@pytest.fixture
def priced_cart(customer, settings):
    """A customer's cart of three lines in a discounted category, with an automatic
    promotion and two voucher codes (one limited per customer) applying, shipped to
    a zone with a flat method and a VAT rate."""
    settings.COMMERCE = {**settings.COMMERCE, "TAX_STRATEGY": "commerce.pricing.tax.FlatRates"}
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    items = [VariantFactory(product__category=child, price=money("10.00")) for _ in range(3)]
    promotion("Ten", benefit=percent_off(10, target={"categories": [str(parent.pk)]}))
    promotion(
        "Order code", lane="order", requires_code=True, benefit=percent_off(5),
        codes=[{"code": "ORDER5", "per_customer_limit": 2}],
    )  # fmt: skip
    promotion(
        "Free shipping",
        lane="shipping",
        requires_code=True,
        benefit={"kind": "free_shipping"},
        codes=["SHIPFREE"],
    )
    germany = zone("Germany", ("DE",))
    method(germany, "de-standard", price="4.90")
    rate(germany, "VAT", "19")
    cart, _ = fill_cart(customer, dict.fromkeys(items, 2))
    for code in ("ORDER5", "SHIPFREE"):
        cart = cart_services.add_code(cart, code)
    return cart


def loaded_noise(count: int) -> None:
    noise_promotions(count, now=timezone.now())
    assert Promotion.objects.filter(name__startswith="Noise").count() == count


@pytest.mark.parametrize("noise", [0, 1000])
def test_the_cart_read_costs_the_same_whatever_the_number_of_promotions(
    customer, priced_cart, noise
):
    loaded_noise(noise)
    client = client_for(customer)
    assert count_queries(lambda: client.get(CART)) == CART_READ_QUERIES
    body = client.get(CART).json()
    assert [code["applied"] for code in body["codes"]] == [True, True]
    assert body["shipping_methods"][0]["code"] == "de-standard"
    assert body["tax_total"]["amount"] != "0.00"


@pytest.mark.parametrize("noise", [0, 1000])
def test_checkout_costs_the_same_whatever_the_number_of_promotions(customer, priced_cart, noise):
    loaded_noise(noise)
    client = client_for(customer)
    body = {"shipping_address": BERLIN, "shipping_method": "de-standard"}
    assert count_queries(lambda: checkout(client, body)) == CHECKOUT_QUERIES
    order = Order.objects.get()
    assert order.shipping_total.amount == 0
    names = set(order.adjustments.values_list("name", flat=True))
    assert {"Ten", "Order code", "Free shipping"} <= names
    assert not Redemption.objects.filter(promotion__name__startswith="Noise").exists()
