"""A statement PostgreSQL cancels (``statement_timeout``, ``lock_timeout``) is a 503 in
the envelope, logged without a traceback, and leaves nothing locked.

The timeouts are set the way the deployment how-to documents: ``-c`` options in
``DATABASES["default"]["OPTIONS"]["options"]``, applied when the connection opens.
"""

from __future__ import annotations

import logging
import time

import pytest
from django.db import OperationalError, connection

from commerce.catalog.models import Brand
from commerce.testing.factories import BrandFactory
from tests.helpers import assert_error
from tests.timeouts import database_timeouts, locks_held_by, row_locked


class FakeDriverError(Exception):
    """A driver exception carrying a SQLSTATE, as psycopg's do."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__("canceling statement due to statement timeout\nCONTEXT: SELECT secret")
        self.sqlstate = sqlstate


def cancelled(sqlstate: str) -> OperationalError:
    error = OperationalError("canceling statement due to statement timeout\nCONTEXT: SELECT 1")
    error.__cause__ = FakeDriverError(sqlstate)
    return error


@pytest.mark.parametrize("sqlstate", ["57014", "55P03"], ids=["statement", "lock"])
def test_a_cancelled_statement_is_a_503_logged_as_a_warning(sqlstate, caplog):
    from rest_framework.views import APIView

    from commerce.core.api.errors import exception_handler

    response = exception_handler(cancelled(sqlstate), {"view": APIView()})
    assert response.status_code == 503
    assert response.data["error"]["code"] == "timeout"
    assert response["Retry-After"] == "1"
    (record,) = [record for record in caplog.records if record.name == "commerce.errors"]
    assert record.levelno == logging.WARNING
    assert not record.exc_info
    assert "CONTEXT" not in record.getMessage()  # the first line only, no SQL


def test_other_operational_errors_are_still_service_unavailable():
    from commerce.core.api.errors import exception_handler

    error = OperationalError("server closed the connection unexpectedly")
    error.__cause__ = FakeDriverError("08006")
    response = exception_handler(error, {})
    assert response.data["error"]["code"] == "service_unavailable"


# --- on PostgreSQL -------------------------------------------------------------------


def assert_logged_without_traceback(caplog):
    # Django's own django.request line for any 5xx is ERROR, but carries no traceback.
    assert not any(record.exc_info for record in caplog.records)
    (record,) = [record for record in caplog.records if record.name == "commerce.errors"]
    assert record.levelno == logging.WARNING
    assert "cancel" in record.getMessage()


@pytest.fixture
def brand():
    return BrandFactory(name="Acme", slug="acme")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.core.urls")
def test_a_statement_past_the_timeout_is_cancelled_and_leaves_nothing_locked(
    api_client, brand, caplog
):
    with database_timeouts(statement_timeout=300, lock_timeout=0):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "300ms"
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]

        started = time.monotonic()
        response = api_client.post("/slow/acme/?seconds=30")
        elapsed = time.monotonic() - started

        assert_error(response, 503, "timeout")
        assert elapsed < 5, elapsed  # cancelled at 300 ms, not after the 30 s statement
        assert_logged_without_traceback(caplog)
        # Rolled back and unlocked: another connection may lock the row at once.
        assert locks_held_by(pid) == []
        assert Brand.objects.get(pk=brand.pk).name == "Acme"
        with row_locked(Brand.objects.filter(pk=brand.pk), nowait=True):
            pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    "timeouts",
    [
        {"statement_timeout": 300, "lock_timeout": 0},
        {"statement_timeout": 0, "lock_timeout": 300},
    ],
    ids=["statement-timeout", "lock-timeout"],
)
def test_waiting_for_a_lock_past_the_timeout_is_a_503(api_client, brand, caplog, timeouts):
    with database_timeouts(**timeouts), row_locked(Brand.objects.filter(pk=brand.pk)):
        started = time.monotonic()
        response = api_client.post("/slow/acme/?seconds=0")
        assert time.monotonic() - started < 5
    assert_error(response, 503, "timeout")
    assert_logged_without_traceback(caplog)
    assert Brand.objects.get(pk=brand.pk).name == "Acme"
