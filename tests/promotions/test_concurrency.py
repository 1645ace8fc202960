"""Spending and releasing under concurrent checkouts, on real row locks (PostgreSQL only).

Each test commits its data (``transaction=True``); every worker spends or releases
in its own transaction on its own connection, all released at once by a barrier.
PostgreSQL's ``max_connections`` (100 by default, shared with other test runs) is
less than a hundred workers plus the test's own connection, so a semaphore lets a
third of them hold a connection at a time: they still queue on the same rows.
"""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction
from djmoney.money import Money

from commerce.pricing.exceptions import DiscountUnavailableError
from commerce.pricing.types import Claim, Customer, Discount
from commerce.promotions.models import Promotion, Redemption, VoucherCode
from tests.promotions.helpers import SOURCE, percent_off, promotion
from tests.threads import results_or_raise, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHECKOUTS = 100


def connection_slots() -> threading.BoundedSemaphore:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        (limit,) = cursor.fetchone()
    return threading.BoundedSemaphore(max(10, min(CHECKOUTS, int(limit) // 3)))


def in_own_transaction(slots, work):
    """``work()`` in a transaction of its own, on a connection closed before the slot
    is given back."""

    def call():
        with slots:
            try:
                with transaction.atomic():
                    return work()
            except DiscountUnavailableError as error:
                return error.details["reason"]
            finally:
                connection.close()

    return call


def voucher(**limits) -> Promotion:
    return promotion(
        "Ten uses",
        benefit=percent_off(10),
        requires_code=True,
        currency="USD",
        budget=Money("1000.00", "USD"),
        codes=[{"code": "TEN", **limits}],
    )


def claim(p: Promotion, amount: int = 100) -> Claim:
    return Claim(Discount("voucher", str(p.pk), "TEN", p.name, "voucher"), amount, "USD")


def spender(slots, p, n):
    customer = Customer(email=f"shopper{n}@example.com")
    return in_own_transaction(
        slots,
        lambda: (
            SOURCE.spend([claim(p)], order_reference=f"ORDER-{n}", customer=customer) or "spent"
        ),
    )


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_a_hundred_checkouts_spend_a_ten_use_code_exactly_ten_times():
    p = voucher(max_uses=10)
    slots = connection_slots()

    outcomes = results_or_raise(run_in_threads([spender(slots, p, n) for n in range(CHECKOUTS)]))

    assert Counter(outcomes) == {"spent": 10, "used_up": 90}
    assert VoucherCode.objects.get().uses == 10
    assert Redemption.objects.count() == 10
    p.refresh_from_db()
    # The promotion has no maximum uses: only the code counts them.
    assert (p.uses, p.budget_spent) == (0, Decimal("10.000"))


def test_a_budget_is_never_overspent():
    p = promotion(
        "Small budget", benefit=percent_off(10), currency="USD", budget=Money("5.00", "USD")
    )
    automatic = Claim(Discount("promotion", str(p.pk), "", p.name, "catalog"), 100, "USD")
    slots = connection_slots()

    def spend(n):
        return in_own_transaction(
            slots,
            lambda: (
                SOURCE.spend([automatic], order_reference=f"B-{n}", customer=Customer()) or "spent"
            ),
        )

    outcomes = results_or_raise(run_in_threads([spend(n) for n in range(20)]))

    assert Counter(outcomes) == {"spent": 5, "used_up": 15}
    p.refresh_from_db()
    assert p.budget_spent == Decimal("5.000")


def test_racing_releases_give_each_order_back_exactly_once():
    p = voucher(max_uses=10)
    for n in range(10):
        with transaction.atomic():
            SOURCE.spend([claim(p)], order_reference=f"ORDER-{n}", customer=Customer())
    assert VoucherCode.objects.get().uses == 10
    slots = connection_slots()

    def releaser(n):
        return in_own_transaction(slots, lambda: SOURCE.release(f"ORDER-{n}"))

    # Two releasers per order (a cancellation racing the reservation's expiry).
    outcomes = results_or_raise(run_in_threads([releaser(n // 2) for n in range(20)]))

    assert sum(outcomes) == 10
    assert sorted(outcomes) == [0] * 10 + [1] * 10
    assert VoucherCode.objects.get().uses == 0
    p.refresh_from_db()
    assert (p.uses, p.budget_spent) == (0, Decimal("0.000"))
    assert not Redemption.objects.filter(released_at__isnull=True).exists()
