"""Promotions without limits under concurrent checkouts (PostgreSQL only).

Spending one moves no counter, so checkouts that apply the same broad promotion
must not queue on its row; but a limit set meanwhile must still wait for them and
count them, and a checkout that meets a limit being set must spend against it.
Each test holds one transaction open in a thread and watches ``pg_locks`` for the
other to wait, so the interleaving is the one named, not a timing accident.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from commerce.promotions import services
from commerce.promotions.models import Promotion, Redemption
from tests.promotions.helpers import percent_off, promotion, spend_automatic

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def broad() -> Promotion:
    return promotion("Broad", benefit=percent_off(10), currency="USD")


class Worker:
    """``work()`` in its own transaction and connection, in a thread; with ``hold``
    the transaction stays open after ``work()`` until :meth:`finish`."""

    def __init__(self, work, *, hold: bool = False):
        self.work, self.hold = work, hold
        self.pid: int | None = None
        self.result = self.error = None
        self.ready, self.done = threading.Event(), threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(30), "the worker never connected"

    def _run(self):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.pid = cursor.fetchone()[0]
                self.ready.set()
                self.result = self.work()
                self.done.set()
                if self.hold:
                    self.release.wait(60)
        except BaseException as exc:  # asserted by the test
            self.error = exc
        finally:
            self.ready.set()
            self.done.set()
            connection.close()

    def finish(self):
        self.release.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the worker hung"
        if self.error is not None:
            raise self.error
        return self.result


def wait_until_blocked(worker: Worker, timeout: float = 15) -> None:
    """Return once ``worker``'s backend waits for a lock another transaction holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [worker.pid])
            if cursor.fetchone():
                return
        assert not worker.done.is_set(), "the worker finished without waiting"
        time.sleep(0.02)
    raise AssertionError("the worker never waited for a lock")


@contextmanager
def lock_timeout(milliseconds: int):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(milliseconds)}")
        yield


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_checkouts_spending_an_unlimited_promotion_do_not_wait_for_each_other():
    p = broad()
    first = Worker(lambda: spend_automatic(p, "ORDER-1"), hold=True)
    assert first.done.wait(30)

    # Were the row locked for update by the first checkout, this would time out.
    with lock_timeout(2000):
        assert spend_automatic(p, "ORDER-2") == "spent"

    assert first.finish() == "spent"
    assert Redemption.objects.filter(promotion=p).count() == 2
    p.refresh_from_db()
    assert (p.uses, p.budget_spent) == (0, 0)


def test_a_limit_set_during_a_checkout_waits_for_it_and_counts_it():
    p = broad()
    checkout = Worker(lambda: spend_automatic(p, "ORDER-1"), hold=True)
    assert checkout.done.wait(30)

    limit = Worker(lambda: services.update_promotion(p, max_uses=5))
    wait_until_blocked(limit)
    assert checkout.finish() == "spent"
    limit.finish()

    p.refresh_from_db()
    assert (p.max_uses, p.uses) == (5, 1)


def test_a_checkout_meeting_a_limit_being_set_spends_against_it():
    p = broad()
    limit = Worker(lambda: services.update_promotion(p, max_uses=1), hold=True)
    assert limit.done.wait(30)

    checkout = Worker(lambda: spend_automatic(p, "ORDER-1"))
    wait_until_blocked(checkout)
    limit.finish()
    assert checkout.finish() == "spent"

    p.refresh_from_db()
    assert p.uses == 1
    with transaction.atomic():
        assert spend_automatic(p, "ORDER-2") == "used_up"
