"""Pinned query counts: checkout and the order reads do not grow with lines or orders."""

from __future__ import annotations

import re

import pytest

from commerce.cart.models import Cart
from commerce.conf import commerce_settings
from commerce.core import batching
from commerce.orders import services
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.helpers import client_for
from tests.orders.helpers import (
    ADDRESS,
    ORDERS,
    VENDOR_ORDERS,
    checkout,
    count_queries,
    fill_cart,
    order_url,
    place,
)
from tests.statements import batch_size, recording

pytestmark = pytest.mark.django_db

#: Checkout of a signed-in customer's cart with an inline address, whatever the
#: number of lines. Under the test's transaction ``place_order`` is a savepoint (two
#: queries; outside one, BEGIN/COMMIT); what it calls joins its transaction without
#: savepoints of their own, and the order it returns carries its lines, adjustments
#: and tax lines, so the response reads nothing back.
CHECKOUT_QUERIES = sum(
    {
        "find the cart": 1,
        "place_order savepoint": 2,
        "lock the cart, read its lines with variants and stock": 2,
        "pricing: the categories' ancestors, the promotions that can match": 2,
        "shipping: the zones for the address (none), whether any method ships": 2,
        "order number free?": 1,
        "lock stock rows, one UPDATE, one INSERT of movements": 3,
        "shipping address snapshot": 1,
        "order insert": 1,
        "lines in one INSERT, the event": 2,
        "empty the cart (delete lines, bump version)": 2,
    }.values()
)
#: The same with an ``Idempotency-Key``: the key's block takes the place of
#: ``place_order``'s savepoint, and adds the claim (an ``INSERT ... ON CONFLICT DO
#: NOTHING``, then the key's row) and storing the response.
IDEMPOTENT_CHECKOUT_QUERIES = CHECKOUT_QUERIES + 3
#: The order with its addresses, its lines, their adjustments and tax lines, and the
#: shipping's adjustments and tax lines: for the owner, staff and a guest.
DETAIL_QUERIES = 6
#: A page of orders.
LIST_QUERIES = 1
#: The caller's vendors, a page of orders, their lines of those vendors with the
#: lines' adjustments and tax lines.
VENDOR_LIST_QUERIES = 5
#: The order, then its events with their actors.
EVENTS_QUERIES = 2


@pytest.fixture
def variants(db):
    return [VariantFactory(quantity=20) for _ in range(10)]


@pytest.mark.parametrize("key", [None, "order-1"], ids=["plain", "idempotent"])
def test_checkout_does_not_grow_with_lines(customer, customer_b, variants, key):
    fill_cart(customer, {variants[0]: 1})
    fill_cart(customer_b, dict.fromkeys(variants, 2))
    one = count_queries(
        lambda: checkout(client_for(customer), {"shipping_address": ADDRESS}, key=key)
    )
    ten = count_queries(
        lambda: checkout(client_for(customer_b), {"shipping_address": ADDRESS}, key=key)
    )
    assert one == ten == (CHECKOUT_QUERIES if key is None else IDEMPOTENT_CHECKOUT_QUERIES)


def test_checkout_with_an_address_book_entry_and_billing(customer, variants):
    shipping = services.create_address(customer, **ADDRESS)
    fill_cart(customer, dict.fromkeys(variants, 1))
    body = {"shipping_address": str(shipping.pk), "billing_address": ADDRESS}
    # The address-book lookup and the billing snapshot: two more.
    assert count_queries(lambda: checkout(client_for(customer), body)) == CHECKOUT_QUERIES + 2


@pytest.mark.parametrize("size", [1, 10])
def test_order_detail_does_not_grow_with_lines(customer, staff_user, variants, size):
    placed = place(customer, dict.fromkeys(variants[:size], 1))
    for user in [customer, staff_user]:
        assert (
            count_queries(lambda u=user: client_for(u).get(order_url(placed.order)))
            == DETAIL_QUERIES
        )
    guest = place(None, dict.fromkeys(variants[:size], 1))
    assert (
        count_queries(
            lambda: client_for(None).get(
                order_url(guest.order), HTTP_X_ORDER_TOKEN=guest.access_token
            )
        )
        == DETAIL_QUERIES
    )


@pytest.mark.parametrize("size", [1, 10])
def test_order_list_does_not_grow_with_orders(customer, staff_user, variants, size):
    for index in range(size):
        place(customer, {variants[index]: 1, variants[(index + 1) % 10]: 1})
    for user in [customer, staff_user]:
        response = client_for(user).get(ORDERS)
        assert len(response.json()["results"]) == size
        assert count_queries(lambda u=user: client_for(u).get(ORDERS)) == LIST_QUERIES


@pytest.mark.parametrize("size", [1, 10])
def test_vendor_order_list_does_not_grow(customer, vendor, vendor_member, size):
    product = ProductFactory(vendor=vendor)
    mine = [VariantFactory(product=product, quantity=20) for _ in range(3)]
    for _ in range(size):
        place(customer, {mine[0]: 1, mine[1]: 1, mine[2]: 1, VariantFactory(quantity=1): 1})
    client = client_for(vendor_member)
    rows = client.get(VENDOR_ORDERS).json()["results"]
    assert len(rows) == size
    assert all(len(row["lines"]) == 3 for row in rows)
    assert count_queries(lambda: client.get(VENDOR_ORDERS)) == VENDOR_LIST_QUERIES
    number = rows[0]["number"]
    assert count_queries(lambda: client.get(f"{VENDOR_ORDERS}{number}/")) == VENDOR_LIST_QUERIES


@pytest.mark.parametrize("steps", [0, 3])
def test_events_do_not_grow(customer, staff_user, variants, steps):
    order = place(customer, {variants[0]: 1}).order
    if steps:
        order = services.mark_order_paid(order)
        order = services.ship_order(order, actor=staff_user, carrier="DHL", tracking_number="1")
        order = services.deliver_order(order, actor=staff_user)
    response = client_for(customer).get(order_url(order, "events/"))
    assert len(response.json()) == 1 + steps
    assert (
        count_queries(lambda: client_for(customer).get(order_url(order, "events/")))
        == EVENTS_QUERIES
    )


# --- the largest cart ----------------------------------------------------------------------

#: Each batch of lines past the first adds, at checkout: a lock of its stock rows, an
#: UPDATE of them, an INSERT of their movements and an INSERT of their order lines.
CHECKOUT_QUERIES_PER_BATCH = 4
#: And when the order is paid or cancelled: the lock, the UPDATE, the movements.
TRANSITION_QUERIES_PER_BATCH = 3


@pytest.fixture
def many_variants(db):
    """As many variants as the largest cart may hold."""
    return [VariantFactory(quantity=5) for _ in range(commerce_settings.CART_MAX_LINES)]


@pytest.mark.postgres
def test_the_largest_cart_checks_out_with_the_queries_of_a_small_one(
    customer, customer_b, many_variants
):
    """On PostgreSQL, a cart of ``CART_MAX_LINES`` lines is one batch per step.

    (SQLite splits the inserts further, by its limit of 999 parameters a statement.)
    """
    assert len(many_variants) <= batching.BATCH_SIZE
    fill_cart(customer, {many_variants[0]: 1})
    fill_cart(customer_b, dict.fromkeys(many_variants, 1))
    one = count_queries(lambda: checkout(client_for(customer), {"shipping_address": ADDRESS}))
    largest = count_queries(lambda: checkout(client_for(customer_b), {"shipping_address": ADDRESS}))
    assert one == largest == CHECKOUT_QUERIES


def test_no_statement_grows_with_the_cart(customer, customer_b, many_variants):
    """From 10 lines to the largest cart, more statements but never a larger one.

    With batches of 10 rows, both carts send full batches only: if anything were
    written or locked in one statement per cart, the largest cart's would be ten
    times the size.
    """
    fill_cart(customer, dict.fromkeys(many_variants[:10], 1))
    fill_cart(customer_b, dict.fromkeys(many_variants, 1))
    with batch_size(10) as size:
        with recording() as small:
            small_order = place_cart(customer)
        with recording() as large:
            large_order = place_cart(customer_b)
        batches = len(many_variants) // size
        assert largest(large, pricing=False) == largest(small, pricing=False)
        # The pricing's reads name the cart's distinct products, categories, brands and
        # vendors: bounded by CART_MAX_LINES, not batched.
        assert largest(large, pricing=True)[1] <= 4 * commerce_settings.CART_MAX_LINES + 10
        assert len(large) - len(small) == CHECKOUT_QUERIES_PER_BATCH * (batches - 1)
        assert large_order.lines.count() == len(many_variants)

        # Paying (commit) and cancelling (release) move the stock in batches too.
        for settle in (services.mark_order_paid, services.cancel_order):
            with recording() as small:
                settle(small_order)
            with recording() as large:
                settle(large_order)
            assert large.largest == small.largest
            assert len(large) - len(small) == TRANSITION_QUERIES_PER_BATCH * (batches - 1)
            small_order = place(customer, dict.fromkeys(many_variants[:10], 1)).order
            large_order = place(customer_b, dict.fromkeys(many_variants, 1)).order


#: The pricing pipeline's reads of promotions and category ancestors.
PRICING_READS = re.compile(r'FROM "commerce_(promotions_\w+|catalog_category)"')


def largest(statements, *, pricing: bool) -> tuple[int, int]:
    """The longest SQL and most parameters among the pricing's reads, or among the rest."""
    chosen = [
        (sql, count) for sql, count in statements.sent if bool(PRICING_READS.search(sql)) == pricing
    ]
    return max(len(sql) for sql, _ in chosen), max(count for _, count in chosen)


def place_cart(user):
    """Check out ``user``'s cart through the service."""
    return services.place_order(
        cart=Cart.objects.get(user=user), user=user, shipping_address=ADDRESS
    ).order
