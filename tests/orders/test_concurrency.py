"""Checkout and the order lifecycle under concurrent requests, on real row locks (PostgreSQL).

Each test commits its data (``transaction=True``) and sends real API requests
from several threads, each on its own database connection, all released at
the same moment by a barrier.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.catalog.models import StockMovement, StockRecord
from commerce.core.idempotency import REPLAY_HEADER
from commerce.core.models import IdempotencyKey
from commerce.orders import services
from commerce.orders.models import Order, OrderLine
from commerce.promotions import services as promotion_services
from commerce.promotions.models import Redemption, VoucherCode
from commerce.testing.factories import UserFactory, VariantFactory
from tests.helpers import client_for
from tests.orders.helpers import ADDRESS, checkout, fill_cart, order_url, stock
from tests.threads import results_or_raise, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BODY = {"shipping_address": ADDRESS}


def post_checkout(user, **kwargs):
    def call():
        response = checkout(client_for(user), BODY, **kwargs)
        return response.status_code, response.json(), response.get(REPLAY_HEADER)

    return call


def assert_stock_is_sane():
    """No stock row or movement ever went below zero or reserved more than on hand."""
    for quantity, reserved in StockRecord.objects.values_list("quantity", "reserved"):
        assert 0 <= reserved <= quantity
    for quantity, reserved in StockMovement.objects.values_list("quantity_after", "reserved_after"):
        assert 0 <= reserved <= quantity


def test_fifty_checkouts_for_ten_units():
    variant = VariantFactory(quantity=10)
    users = [UserFactory() for _ in range(50)]
    for user in users:
        fill_cart(user, {variant: 1})

    results = results_or_raise(run_in_threads([post_checkout(user) for user in users]))

    codes = Counter(status for status, _, _ in results)
    assert codes == {201: 10, 409: 40}, codes
    refusals = {body["error"]["code"] for status, body, _ in results if status == 409}
    assert refusals == {"insufficient_stock"}
    assert stock(variant) == (10, 10)
    assert Order.objects.count() == 10
    assert OrderLine.objects.count() == 10
    assert not Order.objects.filter(lines__isnull=True).exists()
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == 10
    assert StockMovement.objects.filter(kind="reserve").count() == 10
    assert_stock_is_sane()
    # The refused shoppers keep their carts; the buyers' carts are empty.
    placed = {body["number"] for status, body, _ in results if status == 201}
    assert placed == set(Order.objects.values_list("number", flat=True))


def test_crossed_carts_do_not_deadlock():
    """Carts holding the same two variants in opposite orders: stock rows lock in one order."""
    first, second = VariantFactory(quantity=10), VariantFactory(quantity=10)
    users = [UserFactory() for _ in range(20)]
    for n, user in enumerate(users):
        fill_cart(user, {first: 1, second: 1} if n % 2 else {second: 1, first: 1})

    results = results_or_raise(run_in_threads([post_checkout(user) for user in users]))

    assert Counter(status for status, _, _ in results) == {201: 10, 409: 10}
    assert stock(first) == stock(second) == (10, 10)
    assert OrderLine.objects.count() == 20
    assert_stock_is_sane()


def test_one_idempotency_key_sent_eight_times_at_once_creates_one_order():
    variant = VariantFactory(quantity=10)
    user = UserFactory()
    fill_cart(user, {variant: 1})

    results = results_or_raise(run_in_threads([post_checkout(user, key="same") for _ in range(8)]))

    assert {status for status, _, _ in results} == {201}, results
    bodies = [body for _, body, _ in results]
    assert all(body == bodies[0] for body in bodies)
    assert sorted(replayed or "" for _, _, replayed in results) == [""] + ["true"] * 7
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert stock(variant) == (10, 1)


def test_a_double_submitted_checkout_without_a_key_creates_one_order():
    """The cart lock serializes the two: the second finds the cart already emptied."""
    variant = VariantFactory(quantity=10)
    user = UserFactory()
    fill_cart(user, {variant: 2})

    results = results_or_raise(run_in_threads([post_checkout(user) for _ in range(2)]))

    assert sorted(status for status, _, _ in results) == [201, 400]
    assert [body["error"]["code"] for status, body, _ in results if status == 400] == ["empty_cart"]
    assert Order.objects.count() == 1
    assert stock(variant) == (10, 2)


@pytest.mark.parametrize("attempt", range(5))
def test_a_cancel_racing_two_expiry_runs_releases_stock_once(attempt):
    variant = VariantFactory(quantity=5)
    user = UserFactory()
    fill_cart(user, {variant: 2})
    number = services.place_order(
        cart=user.commerce_cart, user=user, shipping_address=ADDRESS
    ).order.number
    assert stock(variant) == (5, 2)
    later = timezone.now() + timedelta(hours=2)

    def cancel():
        response = client_for(user).post(order_url(number, "cancel/"))
        return response.status_code

    def expire():
        return services.expire_orders(now=later)

    cancel_status, *expired = results_or_raise(run_in_threads([cancel, expire, expire]))

    assert cancel_status in (200, 409)
    assert (cancel_status == 200) + sum(expired) == 1, (cancel_status, expired)
    assert Order.objects.get(number=number).status == "cancelled"
    assert stock(variant) == (5, 0)
    assert StockMovement.objects.filter(reference=number, kind="release").count() == 1
    assert_stock_is_sane()


# --- voucher codes ---------------------------------------------------------------------------


def test_a_hundred_checkouts_with_a_code_limited_to_ten_uses():
    """Each checkout spends the code with a conditional UPDATE: exactly ten orders get it.

    At most 40 requests run at once (PostgreSQL's connections are shared with other
    test runs), all released together, so the code's row is fought over throughout.
    Then the ten orders are cancelled while two expiry runs race each cancel: the ten
    uses come back exactly once.
    """
    promotion = promotion_services.create_promotion(
        name="Ten only",
        lane="order",
        requires_code=True,
        benefit={"kind": "percentage_off", "percent": Decimal(10)},
        codes=[{"code": "TEN", "max_uses": 10}],
    )
    variant = VariantFactory(quantity=1000)
    users = [UserFactory() for _ in range(100)]
    for user in users:
        cart, _ = fill_cart(user, {variant: 1})
        cart.codes = ["TEN"]
        cart.save(update_fields=["codes"])
    gate = threading.BoundedSemaphore(40)

    def gated(call):
        def run():
            with gate:
                return call()

        return run

    results = results_or_raise(run_in_threads([gated(post_checkout(user)) for user in users]))

    statuses = Counter(status for status, _, _ in results)
    assert statuses[201] == 10, statuses
    refusals = Counter(body["error"]["code"] for status, body, _ in results if status != 201)
    # Refused before the spend (the code already read as used up) or by it (409).
    assert set(refusals) <= {"used_up", "discount_unavailable"}, refusals
    assert VoucherCode.objects.get(code="TEN").uses == 10
    assert Redemption.objects.filter(promotion=promotion, released_at__isnull=True).count() == 10
    numbers = [body["number"] for status, body, _ in results if status == 201]
    assert set(Redemption.objects.values_list("order_reference", flat=True)) == set(numbers)

    later = timezone.now() + timedelta(hours=2)
    owners = {
        body["number"]: user
        for user, (status, body, _) in zip(users, results, strict=True)
        if status == 201
    }

    def cancel(number):
        return lambda: client_for(owners[number]).post(order_url(number, "cancel/")).status_code

    def expire():
        return services.expire_orders(now=later)

    calls = [call for number in numbers for call in (cancel(number), expire)]
    outcomes = results_or_raise(run_in_threads(calls))
    assert set(outcomes[0::2]) <= {200, 409}
    assert Order.objects.filter(number__in=numbers, status="cancelled").count() == 10
    assert VoucherCode.objects.get(code="TEN").uses == 0
    assert Redemption.objects.filter(released_at__isnull=True).count() == 0
