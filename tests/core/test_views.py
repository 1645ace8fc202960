"""Non-DRF error handlers and the health probes."""

import logging
from unittest import mock

import pytest
from django.db import DatabaseError, OperationalError, connection
from django.test import Client, RequestFactory, override_settings

from commerce.core import views

ENVELOPE_KEYS = {"code", "message", "details"}
BROKEN_CACHE = {"default": {"BACKEND": "tests.core.helpers.UnreachableCache"}}
FORGETFUL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


# --- handler404 / handler500 ---------------------------------------------------


@override_settings(DEBUG=False)
@pytest.mark.parametrize("url", ["/api/v1/no-such-endpoint/", "/api/v1/catalog/nope/", "/nope"])
def test_unknown_url_is_a_404_envelope(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "details": {}}
    }


@override_settings(DEBUG=False)
@pytest.mark.urls("tests.core.urls")
def test_http404_from_a_plain_django_view_does_not_leak_its_message(client):
    response = client.get("/plain/404/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert b"Widget" not in response.content


@override_settings(DEBUG=False)
@pytest.mark.urls("tests.core.urls")
def test_crash_in_a_plain_django_view_is_a_500_envelope():
    client = Client(raise_request_exception=False)
    response = client.get("/plain/error/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "server_error", "message": "A server error occurred.", "details": {}}
    }
    assert b"secret detail" not in response.content
    assert b"Traceback" not in response.content


def test_handlers_called_directly():
    request = RequestFactory().get("/anything")
    not_found = views.page_not_found(request, exception=Exception("private"))
    assert not_found.status_code == 404
    assert b"private" not in not_found.content
    server_error = views.server_error(request)
    assert server_error.status_code == 500
    assert b'"code": "server_error"' in server_error.content


# --- /healthz ------------------------------------------------------------------


def test_healthz_ok(client):
    # No django_db mark: liveness must not touch the database (pytest-django would refuse).
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_head(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_probes_refuse_other_methods_in_the_envelope(url, method):
    # Enforced CSRF, as a real client meets it: still a 405, not a CSRF page.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    error = response.json()["error"]
    assert set(error) == ENVELOPE_KEYS
    assert error["code"] == "method_not_allowed"


# --- /readyz -------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_ok_lists_its_checks(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"databases": {"default": "ok"}, "cache": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/readyz").status_code == 200


def assert_not_ready(response, checks, *secrets):
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "not_ready",
            "message": "A dependency is unavailable.",
            "details": checks,
        }
    }
    for secret in secrets:
        assert secret.encode() not in response.content


def _cursor_fails_to_connect():
    return mock.patch.object(
        connection,
        "cursor",
        side_effect=OperationalError('connection to "db-internal.example" failed: password'),
    )


def _query_fails():
    cursor = mock.MagicMock()
    cursor.__enter__.return_value.execute.side_effect = DatabaseError(
        "relation pg_secret_table does not exist"
    )
    return mock.patch.object(connection, "cursor", return_value=cursor)


@pytest.mark.django_db
@pytest.mark.parametrize("breakage", [_cursor_fails_to_connect, _query_fails])
def test_readyz_503_when_the_database_fails(client, caplog, breakage):
    with caplog.at_level(logging.ERROR, logger="commerce.health"), breakage():
        response = client.get("/readyz")
    assert_not_ready(
        response,
        {"databases": {"default": "unavailable"}, "cache": "ok"},
        "db-internal",
        "pg_secret_table",
        "Traceback",
    )
    (record,) = [r for r in caplog.records if r.name == "commerce.health"]
    assert record.exc_info is not None


@pytest.mark.django_db
def test_readyz_503_when_the_cache_raises(client, caplog):
    with (
        override_settings(CACHES=BROKEN_CACHE),
        caplog.at_level(logging.ERROR, logger="commerce.health"),
    ):
        response = client.get("/readyz")
    assert_not_ready(
        response,
        {"databases": {"default": "ok"}, "cache": "unavailable"},
        "cache-internal",
        "6379",
        "Traceback",
    )
    assert any(r.name == "commerce.health" and r.exc_info for r in caplog.records)


@pytest.mark.django_db
@override_settings(CACHES=FORGETFUL_CACHE)
def test_readyz_503_when_the_cache_does_not_keep_values(client):
    response = client.get("/readyz")
    assert_not_ready(response, {"databases": {"default": "ok"}, "cache": "unavailable"})


@pytest.mark.django_db
def test_readyz_503_when_the_cache_returns_something_else(client):
    with mock.patch("commerce.core.views.cache") as fake_cache:
        fake_cache.get.return_value = "stale"
        response = client.get("/readyz")
    assert_not_ready(response, {"databases": {"default": "ok"}, "cache": "unavailable"})
    fake_cache.set.assert_called_once()
    fake_cache.delete.assert_called_once()
