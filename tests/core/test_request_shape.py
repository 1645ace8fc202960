"""Request shape: too-large bodies are a 413, too-deep JSON and text PostgreSQL cannot
store are a 400, all in the envelope and none logged with a traceback at ERROR.

Run on SQLite and on PostgreSQL (where a NUL that got through would be a 500).
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.apps import apps
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError

from commerce.core.api.parsers import (
    MAX_JSON_DEPTH,
    PARSER_CLASSES,
    check_json_value,
    read_body,
)
from tests.helpers import assert_error, client_for
from tests.routes import commerce_views

LIMIT = 1024


def test_every_commerce_view_parses_with_commerce_parsers():
    views = list(commerce_views())
    assert views, "no commerce API view found"
    for route, view_class in views:
        assert view_class.__module__.startswith("commerce."), route
        assert list(view_class.parser_classes) == PARSER_CLASSES, route


def no_errors_logged(caplog) -> None:
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]
    assert not any(record.exc_info for record in caplog.records)


# --- endpoints that read a body --------------------------------------------------------

#: (app, path, who) for endpoints that read the request body.
ENDPOINTS = [
    ("commerce.catalog", "/api/v1/catalog/products/", "vendor_member"),
    ("commerce.cart", "/api/v1/cart/lines/", None),
    ("commerce.orders", "/api/v1/checkout/", "customer"),
    ("commerce.orders", "/api/v1/addresses/", "customer"),
]
WEBHOOK = ("commerce.payments", "/api/v1/payments/webhooks/dummy/", None)


@pytest.fixture
def post(request, db):
    """``post(endpoint, body, content_type)`` as the endpoint's caller."""

    def post(endpoint, body: bytes, content_type="application/json"):
        app, path, who = endpoint
        if not apps.is_installed(app):
            pytest.skip(f"{app} is not installed in this host")
        user = request.getfixturevalue(who) if who else None
        return client_for(user).post(path, body, content_type=content_type)

    return post


def big_json(size: int) -> bytes:
    return json.dumps({"note": "x" * size}).encode()


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("endpoint", [*ENDPOINTS, WEBHOOK], ids=lambda e: e[1])
def test_a_body_over_the_limit_is_a_413(post, endpoint, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    response = post(endpoint, big_json(2 * LIMIT))
    error = assert_error(response, 413, "request_too_large")
    assert error["details"] == {"reason": "RequestDataTooBig"}
    no_errors_logged(caplog)


def test_the_default_limit_is_djangos(db, customer, caplog):
    # DATA_UPLOAD_MAX_MEMORY_SIZE's default, 2.5 MB: a 3 MB body is refused.
    response = client_for(customer).post(
        "/api/v1/catalog/products/", big_json(3 * 1024 * 1024), content_type="application/json"
    )
    assert_error(response, 413, "request_too_large")
    no_errors_logged(caplog)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e[1])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(nested(100_000), id="recursion"),
        pytest.param(nested(MAX_JSON_DEPTH + 1), id="past-the-limit"),
        pytest.param(json.dumps({"note": "a\x00b"}).encode(), id="nul-in-string"),
        pytest.param(json.dumps({"a\x00": 1}).encode(), id="nul-in-key"),
        pytest.param(json.dumps({"a": [{"b": ["\x00"]}]}).encode(), id="nul-nested"),
        pytest.param(b'{"note": "\\ud800"}', id="unpaired-surrogate"),
        pytest.param(b'{"note": NaN}', id="nan"),
        pytest.param(b'{"note": ', id="truncated"),
        pytest.param(b'{"n": 1' + b"0" * 5000 + b"}", id="huge-integer"),
        pytest.param(b'{"note": "\xff"}', id="not-utf8"),
    ],
)
def test_bad_json_is_a_400(post, endpoint, body, caplog):
    response = post(endpoint, body)
    assert_error(response, 400, "parse_error")
    no_errors_logged(caplog)


def test_json_at_the_depth_limit_is_parsed(post):
    # 32 levels parse; the serializer then refuses the shape, not the parser.
    response = post(ENDPOINTS[1], nested(MAX_JSON_DEPTH))
    assert response.status_code == 400
    assert response.json()["error"]["code"] != "parse_error"


def test_too_many_form_fields_is_a_413(post, settings, caplog):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{n}=1" for n in range(10)).encode()
    response = post(ENDPOINTS[1], body, "application/x-www-form-urlencoded")
    error = assert_error(response, 413, "request_too_large")
    assert error["details"] == {"reason": "TooManyFieldsSent"}
    no_errors_logged(caplog)


def test_a_form_body_over_the_limit_is_a_413(post, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    body = b"note=" + b"x" * (2 * LIMIT)
    response = post(ENDPOINTS[1], body, "application/x-www-form-urlencoded")
    assert_error(response, 413, "request_too_large")
    no_errors_logged(caplog)


def test_too_many_multipart_fields_is_a_413(post, settings, caplog):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    boundary = "BoUnDaRy"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\n1\r\n'
        for n in range(10)
    )
    body = (parts + f"--{boundary}--\r\n").encode()
    response = post(ENDPOINTS[0], body, f"multipart/form-data; boundary={boundary}")
    error = assert_error(response, 413, "request_too_large")
    assert error["details"] == {"reason": "TooManyFieldsSent"}
    no_errors_logged(caplog)


# --- the pieces ------------------------------------------------------------------------


def test_read_body_stops_one_byte_past_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    assert read_body(io.BytesIO(b"0123456789"), None) == b"0123456789"
    stream = io.BytesIO(b"0123456789" * 1000)
    with pytest.raises(RequestDataTooBig):
        read_body(stream, None)
    assert stream.tell() == 11  # no more was read
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    assert len(read_body(io.BytesIO(b"x" * 5000), None)) == 5000


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": {"b": ["ok", "no\x00"]}}, "a.b[1]"),
        ({"a": {"k\x00": 1}}, "a key in a"),
        ("\x00", "the body"),
        ([{"x": "\udfff"}], "[0].x"),
    ],
)
def test_check_json_value_names_where(value, where):
    with pytest.raises(ParseError) as excinfo:
        check_json_value(value)
    assert where in str(excinfo.value.detail)


def test_check_json_value_counts_depth_from_one():
    check_json_value(json.loads(nested(3)), max_depth=3)
    with pytest.raises(ParseError, match="deeper than 3"):
        check_json_value(json.loads(nested(4)), max_depth=3)
    check_json_value({"a": "plain", "b": ["é", 1, None, 2.5, True]})
