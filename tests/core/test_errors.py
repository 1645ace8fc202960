"""The DRF exception handler: every error in one envelope, with the right status."""

import logging

import pytest
from django.db import connection
from django.test import override_settings

from commerce.catalog.models import Brand

pytestmark = [pytest.mark.urls("tests.core.urls")]


def error_of(response):
    """The envelope's inner object, after checking the envelope's shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    return error


def test_commerce_error_carries_its_status_code_and_details(api_client):
    response = api_client.get("/errors/insufficient-stock/")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "insufficient_stock"
    assert error["message"] == "Only 2 of SKU-1 available; 5 requested."
    assert error["details"] == {"sku": "SKU-1", "requested": 5, "available": 2}


def test_commerce_permission_denied_is_a_403_with_its_own_message(api_client):
    response = api_client.get("/errors/commerce-permission/")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "permission_denied"
    assert error["message"] == "Not your vendor."


@pytest.mark.parametrize(
    ("name", "details"),
    [
        ("validation-dict", {"name": ["This field is required."]}),
        ("validation-list", {"non_field_errors": ["First problem.", "Second problem."]}),
        ("validation-string", {"non_field_errors": ["Just wrong."]}),
    ],
)
def test_drf_validation_error_details_are_always_an_object(api_client, name, details):
    response = api_client.get(f"/errors/{name}/")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["details"] == details


def test_not_authenticated_is_a_401_with_www_authenticate(api_client):
    response = api_client.get("/errors/private/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    error = error_of(response)
    assert error["code"] == "not_authenticated"
    assert error["details"] == {}


def test_a_bad_token_is_a_401_envelope_with_a_flat_message(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get("/errors/private/")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    error = error_of(response)
    assert error["code"] == "token_not_valid"
    assert error["message"] == "Given token not valid for any token type"


@pytest.mark.parametrize(
    ("name", "status", "code", "message"),
    [
        (
            "drf-permission",
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
        ),
        (
            "django-permission",
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
        ),
        ("http404", 404, "not_found", "Not found."),
        ("not-found", 404, "not_found", "Not found."),
    ],
)
def test_permission_and_not_found_errors(api_client, name, status, code, message):
    response = api_client.get(f"/errors/{name}/")
    assert response.status_code == status
    error = error_of(response)
    assert (error["code"], error["message"], error["details"]) == (code, message, {})
    # Django's own exceptions keep their (possibly internal) text to themselves.
    assert b"Widget" not in response.content
    assert b"internal reason" not in response.content


def test_method_not_allowed_is_a_405_with_allow(api_client):
    response = api_client.delete("/errors/http404/")
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    error = error_of(response)
    assert error["code"] == "method_not_allowed"
    assert error["message"] == 'Method "DELETE" not allowed.'


def test_throttled_is_a_429_with_retry_after(api_client):
    response = api_client.get("/errors/throttled/")
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    error = error_of(response)
    assert error["code"] == "throttled"
    assert error["details"] == {"retry_after": 42}


def test_throttled_without_a_wait_has_no_retry_after(api_client):
    response = api_client.get("/errors/throttled-no-wait/")
    assert response.status_code == 429
    assert "Retry-After" not in response
    assert error_of(response)["details"] == {}


def test_malformed_json_is_a_400_parse_error(api_client):
    response = api_client.post(
        "/errors/anything/", data=b'{"name": ', content_type="application/json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert error["message"].startswith("JSON parse error")


def test_well_formed_json_reaches_the_view(api_client):
    # The control for the parse-error test: the same view accepts a good body.
    response = api_client.post("/errors/anything/", data={"name": "x"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"received": {"name": "x"}}


def test_unsupported_media_type_is_a_415(api_client):
    response = api_client.post("/errors/anything/", data=b"name=x", content_type="text/csv")
    assert response.status_code == 415
    error = error_of(response)
    assert error["code"] == "unsupported_media_type"
    assert "text/csv" in error["message"]


@pytest.mark.parametrize(
    ("name", "details"),
    [
        ("django-validation-dict", {"sku": ["Already taken."]}),
        ("django-validation", {"non_field_errors": ["Bad value."]}),
    ],
)
def test_django_validation_error_is_a_400(api_client, name, details):
    response = api_client.get(f"/errors/{name}/")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["details"] == details


def test_lost_database_is_a_503_without_the_driver_message(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="commerce.errors"):
        response = api_client.get("/errors/operational/")
    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "service_unavailable"
    assert b"hunter2" not in response.content
    assert b"10.9.8.7" not in response.content
    (record,) = [r for r in caplog.records if r.name == "commerce.errors"]
    assert record.exc_info is not None


@pytest.mark.parametrize("debug", [False, True])
def test_unhandled_error_is_a_bare_500_and_is_logged(api_client, caplog, debug):
    with override_settings(DEBUG=debug), caplog.at_level(logging.ERROR, logger="commerce.errors"):
        response = api_client.get("/errors/unhandled/")
    assert response.status_code == 500
    error = error_of(response)
    assert error == {"code": "server_error", "message": "A server error occurred.", "details": {}}
    for leak in (b"secret detail", b"Traceback", b"RuntimeError", b"tests/core"):
        assert leak not in response.content
    (record,) = [r for r in caplog.records if r.name == "commerce.errors"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert str(record.exc_info[1]) == "secret detail"
    assert "RaiseView" in record.getMessage()


@pytest.mark.django_db
def test_an_error_rolls_back_an_atomic_request(client, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    response = client.post("/errors/atomic/")
    assert response.status_code == 400
    assert error_of(response)["message"] == "Changed my mind."
    assert not Brand.objects.filter(slug="rolled-back").exists()


@pytest.mark.django_db
def test_without_atomic_requests_the_write_stays(client):
    # The control for the rollback test: the view really does write the row.
    assert connection.settings_dict["ATOMIC_REQUESTS"] is False
    response = client.post("/errors/atomic/")
    assert response.status_code == 400
    assert Brand.objects.filter(slug="rolled-back").exists()
