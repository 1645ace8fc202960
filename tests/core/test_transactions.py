"""``commerce.core.transactions.atomic``: savepoints only where a caller may go on."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce.core.models import IdempotencyKey
from commerce.core.transactions import atomic

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def savepoints(queries) -> int:
    return sum(query["sql"].startswith("SAVEPOINT") for query in queries.captured_queries)


def write(key: str) -> None:
    IdempotencyKey.objects.create(scope="test", key=key, fingerprint="f", expires_at=timezone.now())


@atomic
def service(key: str, *, fail: bool = False, depth: int = 0) -> None:
    write(f"{key}-{depth}")
    if depth:
        service(key, fail=fail, depth=depth - 1)
    elif fail:
        raise Refused


def test_inside_djangos_atomic_a_service_is_a_savepoint_and_its_callees_join_it():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        service("a", depth=2)
    # The test's own transaction is outermost: Django's atomic is one savepoint, the
    # service another, and the two services it calls none.
    assert savepoints(queries) == 2
    assert IdempotencyKey.objects.filter(key__startswith="a-").count() == 3


def test_a_caller_that_goes_on_after_the_error_keeps_what_it_did_before():
    with transaction.atomic():
        write("before")
        with pytest.raises(Refused):
            service("b", fail=True, depth=2)
        write("after")
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"before", "after"}


def test_an_error_caught_inside_an_atomic_block_leaves_nothing_half_kept():
    def go_on_after_an_error():
        with atomic():
            write("outer")
            with contextlib.suppress(Refused):
                service("c", fail=True)
            # Without a savepoint the transaction is for rollback only: Django refuses more.
            write("more")

    with pytest.raises(TransactionManagementError):
        go_on_after_an_error()
    assert not IdempotencyKey.objects.exists()


def test_as_a_context_manager_and_with_a_database_alias():
    with CaptureQueriesContext(connection) as queries, atomic("default"):
        write("d")
        with atomic():
            write("e")
    assert savepoints(queries) == 1
    assert IdempotencyKey.objects.count() == 2
