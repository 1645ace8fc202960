"""PostgreSQL timeouts set the documented way, and row locks held by another connection."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def database_timeouts(**milliseconds: int):
    """Reconnect with ``OPTIONS["options"] = "-c statement_timeout=... ..."``, as the
    deployment how-to says to configure ``DATABASES``; restore the options after."""
    original = connection.settings_dict.get("OPTIONS", {})
    connection.settings_dict["OPTIONS"] = {
        **original,
        "options": " ".join(f"-c {name}={value}" for name, value in milliseconds.items()),
    }
    connection.close()
    try:
        yield
    finally:
        connection.settings_dict["OPTIONS"] = original
        connection.close()


@contextmanager
def row_locked(queryset, *, nowait: bool = False):
    """Hold ``SELECT ... FOR UPDATE`` on ``queryset``'s rows in another connection.

    With ``nowait``, taking the lock fails at once (and so does this) if anyone holds it.
    """
    locked, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                list(queryset.select_for_update(nowait=nowait))
                locked.set()
                release.wait(60)
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
            locked.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(30), "the lock holder never started"
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        thread.join(30)


def locks_held_by(pid: int) -> list[tuple]:
    """The locks backend ``pid`` holds, seen from another connection."""
    result: list[tuple] = []

    def look():
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT locktype, relation::regclass::text, mode FROM pg_locks "
                    "WHERE pid = %s AND granted AND locktype <> 'virtualxid'",
                    [pid],
                )
                result.extend(cursor.fetchall())
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(30)
    return result
