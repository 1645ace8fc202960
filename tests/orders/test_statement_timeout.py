"""Checkout against a stock row another transaction holds: with the documented
``lock_timeout``/``statement_timeout`` it gives up, answers 503 in the envelope, writes
nothing and holds no lock afterwards (PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from commerce.catalog.models import StockRecord
from commerce.testing.factories import UserFactory, VariantFactory
from tests.helpers import assert_error, client_for
from tests.orders.helpers import ADDRESS, checkout, counts, fill_cart, stock
from tests.timeouts import database_timeouts, locks_held_by, row_locked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "timeouts",
    [
        {"statement_timeout": 400, "lock_timeout": 0},
        {"statement_timeout": 15_000, "lock_timeout": 400},
    ],
    ids=["statement-timeout", "lock-timeout"],
)
def test_a_checkout_waiting_on_a_locked_stock_row_gives_up_cleanly(timeouts):
    user = UserFactory()
    variant = VariantFactory(quantity=10)
    fill_cart(user, {variant: 2})
    before = counts()
    client = client_for(user)

    with database_timeouts(**timeouts):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with row_locked(StockRecord.objects.filter(variant=variant)):
            started = time.monotonic()
            response = checkout(client, {"shipping_address": ADDRESS}, key="timeout-1")
            assert time.monotonic() - started < 5
        assert_error(response, 503, "timeout")
        assert locks_held_by(pid) == []

    assert counts() == before
    assert stock(variant) == (10, 0)
    # The lock is gone and the key's claim rolled back: the retry places the order once.
    retry = checkout(client, {"shipping_address": ADDRESS}, key="timeout-1")
    assert retry.status_code == 201, retry.content
    assert stock(variant) == (10, 2)
