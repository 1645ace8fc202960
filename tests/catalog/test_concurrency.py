"""Stock under concurrent writers, on real row locks (PostgreSQL only).

Each test commits its data (``transaction=True``) and runs the services from
several threads, each on its own database connection, released at the end.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import connection

from commerce.catalog import services
from commerce.catalog.models import StockMovement, StockRecord
from commerce.core.exceptions import CommerceValidationError, InsufficientStockError, StockError
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.helpers import money
from tests.threads import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcomes(results) -> Counter:
    return Counter("ok" if kind == "ok" else type(value).__name__ for kind, value in results)


def unexpected(results, *allowed: type[Exception]) -> list:
    return [v for kind, v in results if kind == "error" and not isinstance(v, allowed)]


def assert_constraints_hold():
    for record in StockRecord.objects.all():
        assert 0 <= record.reserved <= record.quantity, record


@pytest.fixture
def make_variant():
    def make(sku: str, quantity: int):
        product = ProductFactory()
        return VariantFactory(product=product, sku=sku, price=money("5.00"), quantity=quantity)

    return make


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize(("quantity", "threads", "each"), [(5, 12, 1), (7, 10, 2)])
def test_concurrent_reservations_never_oversell(make_variant, quantity, threads, each):
    variant = make_variant("HOT", quantity)
    results = run_in_threads([lambda: services.reserve({variant.pk: each}) for _ in range(threads)])
    assert unexpected(results, InsufficientStockError) == []
    winners = quantity // each
    assert outcomes(results) == Counter(
        {"ok": winners, "InsufficientStockError": threads - winners}
    )
    for kind, error in results:
        if kind == "error":
            assert error.sku == "HOT"
            assert error.requested == each
            assert error.available == quantity - winners * each
    record = StockRecord.objects.get(variant=variant)
    assert (record.quantity, record.reserved) == (quantity, winners * each)
    # No lost update: one audit row per successful reservation.
    assert StockMovement.objects.filter(kind="reserve").count() == winners


def test_multi_line_reservations_are_all_or_nothing_under_contention(make_variant):
    a, b = make_variant("A", 5), make_variant("B", 3)

    def reserve_both():
        lines = [(a.pk, 1), (b.pk, 1)]
        random.shuffle(lines)
        return services.reserve(lines)

    results = run_in_threads([reserve_both for _ in range(10)])
    assert unexpected(results, InsufficientStockError) == []
    assert outcomes(results)["ok"] == 3
    assert StockRecord.objects.get(variant=a).reserved == 3
    assert StockRecord.objects.get(variant=b).reserved == 3
    assert_constraints_hold()


def test_opposite_line_order_does_not_deadlock(make_variant):
    a, b = make_variant("LEFT", 1000), make_variant("RIGHT", 1000)
    rounds = 25

    def forwards():
        for _ in range(rounds):
            services.reserve([(a.pk, 1), (b.pk, 1)])
            services.release({a.pk: 1, b.pk: 1})

    def backwards():
        for _ in range(rounds):
            services.reserve([(b.pk, 1), (a.pk, 1)])
            services.release({b.pk: 1, a.pk: 1})

    results = run_in_threads([forwards, backwards, forwards, backwards])
    assert [value for kind, value in results if kind == "error"] == []
    for variant in (a, b):
        record = StockRecord.objects.get(variant=variant)
        assert (record.quantity, record.reserved) == (1000, 0)
    assert StockMovement.objects.filter(kind="reserve").count() == 4 * rounds * 2


def test_concurrent_adjustments_and_reservations_keep_the_constraints(make_variant):
    variant = make_variant("MIXED", 10)
    calls = [lambda: services.reserve({variant.pk: 1}) for _ in range(10)]
    calls += [lambda: services.adjust_stock(variant, -1, reason="Shrinkage") for _ in range(10)]
    calls += [lambda: services.adjust_stock(variant, 1, reason="Found") for _ in range(3)]
    random.shuffle(calls)
    results = run_in_threads(calls)
    assert unexpected(results, InsufficientStockError, CommerceValidationError) == []

    record = StockRecord.objects.get(variant=variant)
    assert 0 <= record.reserved <= record.quantity
    # The audit trail adds up to the final numbers: nothing was lost.
    movements = StockMovement.objects.filter(stock_record=record)
    assert sum(m.quantity_change for m in movements) == record.quantity
    assert sum(m.reserved_change for m in movements) == record.reserved
    reserved_ok = movements.filter(kind="reserve").count()
    assert record.reserved == reserved_ok
    # Every unit of the 13 that were ever available went to exactly one taker.
    removed = movements.filter(kind="adjustment", quantity_change=-1).count()
    assert reserved_ok + removed == 13 - record.available


def test_concurrent_commits_and_releases_never_exceed_the_reservation(make_variant):
    variant = make_variant("PAID", 10)
    services.reserve({variant.pk: 10})
    calls = [lambda: services.commit({variant.pk: 1}) for _ in range(8)]
    calls += [lambda: services.release({variant.pk: 1}) for _ in range(8)]
    random.shuffle(calls)
    results = run_in_threads(calls)
    assert unexpected(results, StockError) == []
    assert outcomes(results)["ok"] == 10

    record = StockRecord.objects.get(variant=variant)
    commits = StockMovement.objects.filter(stock_record=record, kind="commit").count()
    assert record.reserved == 0
    assert record.quantity == 10 - commits
    assert_constraints_hold()


def test_concurrent_variant_price_changes_leave_the_right_from_price(make_variant):
    first = make_variant("FIRST", 1)
    product = first.product
    second = services.create_variant(product, sku="SECOND", price=money("20.00"))
    for round_ in range(5):
        low, high = 30 + 2 * round_, 31 + 2 * round_
        # Both variants get dearer at once: each writer alone would see the other's
        # old (cheaper) price; the product must end at the true minimum.
        services.update_variant(first, price=money("5.00"))
        services.update_variant(second, price=money("6.00"))
        results = run_in_threads(
            [
                lambda high=high: services.update_variant(first, price=money(f"{high}.00")),
                lambda low=low: services.update_variant(second, price=money(f"{low}.00")),
            ]
        )
        assert [value for kind, value in results if kind == "error"] == []
        product.refresh_from_db()
        assert product.price == money(f"{low}.00")


def test_in_stock_is_right_after_concurrent_moves_that_cross_zero_on_one_product():
    # Two variants of one product cross zero at the same moment, in both directions:
    # whichever commits last, the card says what the stock rows say.
    from commerce.core.invariants import check_invariants

    product = ProductFactory()
    a = VariantFactory(product=product, sku="A", price=money("5.00"), quantity=1)
    b = VariantFactory(product=product, sku="B", price=money("5.00"), quantity=0)
    for _ in range(5):
        # A sells its last unit while B comes back: still in stock.
        results = run_in_threads(
            [
                lambda: services.reserve({a.pk: 1}),
                lambda: services.restock({b.pk: 1}, reason="Delivery"),
            ]
        )
        assert unexpected(results) == []
        product.refresh_from_db()
        assert product.in_stock is True
        # Both sell their last unit: sold out.
        results = run_in_threads(
            [lambda: services.reserve({b.pk: 1}), lambda: services.adjust_stock(a, 1, reason="x")]
        )
        assert unexpected(results) == []
        product.refresh_from_db()
        assert product.in_stock is True  # A got one back
        services.reserve({a.pk: 1})
        product.refresh_from_db()
        assert product.in_stock is False
        # Both come back at once.
        results = run_in_threads(
            [lambda: services.release({a.pk: 2}), lambda: services.release({b.pk: 1})]
        )
        assert unexpected(results) == []
        product.refresh_from_db()
        assert product.in_stock is True
        # Back to A: 1 available, B: 0 available.
        services.adjust_stock(a, -1, reason="Reset")
        services.adjust_stock(b, -1, reason="Reset")
        assert [v for v in check_invariants() if v.code == "catalog.product_card"] == []


def test_checkouts_and_restocks_crossing_zero_on_shared_products_never_deadlock():
    # Every move locks its stock rows (variant order), then the products (id order):
    # two multi-line moves over the same products queue instead of deadlocking.
    first, second = ProductFactory(), ProductFactory()
    a = VariantFactory(product=first, sku="A", price=money("5.00"), quantity=1)
    b = VariantFactory(product=second, sku="B", price=money("5.00"), quantity=1)
    c = VariantFactory(product=first, sku="C", price=money("5.00"), quantity=0)
    d = VariantFactory(product=second, sku="D", price=money("5.00"), quantity=0)
    for _ in range(5):
        results = run_in_threads(
            [
                lambda: services.reserve([(b.pk, 1), (a.pk, 1)]),
                lambda: services.restock([(c.pk, 1), (d.pk, 1)], reason="Back"),
            ]
        )
        assert unexpected(results) == []
        services.release([(a.pk, 1), (b.pk, 1)])
        services.adjust_stock(c, -1, reason="Out again")
        services.adjust_stock(d, -1, reason="Out again")
    for product in (first, second):
        product.refresh_from_db()
        assert product.in_stock is True
