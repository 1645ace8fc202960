"""The demo host in production: ``check --deploy`` clean, throttles, CORS, redacted logs.

``DJANGO_ENV=production`` (with the variables that have no safe default) must
pass ``manage.py check --deploy --fail-level WARNING``; the same check must
fail on the demo defaults, so the test is not passing by accident.
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from commerce.core.logging import RedactSecretsFilter
from support import SETTINGS_VARIABLES, assert_envelope

PROJECT = Path(__file__).resolve().parent.parent
SETTINGS = PROJECT / "shop" / "settings.py"
VARIABLES = SETTINGS_VARIABLES
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
    "CORS_ALLOWED_ORIGINS": "https://app.example.com",
    # Throttle counters and the dummy gateway's state must be shared by the workers.
    "CACHE_URL": "rediscache://cache.internal:6379/1",
}


def test_the_variable_list_is_read_from_the_settings():
    assert {"DJANGO_ENV", "DJANGO_SECRET_KEY", "CHECKOUT_THROTTLE_RATE", "DATABASE_URL"} <= set(
        VARIABLES
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a fresh process with only ``env`` set of the settings' variables."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in VARIABLES and name != "DJANGO_SETTINGS_MODULE"
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def secret_key() -> str:
    return secrets.token_urlsafe(50)


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DJANGO_SECRET_KEY=secret_key(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_with_real_gateways_from_the_environment_passes_check_deploy(tmp_path):
    # The gateways are built by commerce's checks (commerce.E011 names a bad option),
    # and commerce_gateways lists what a shopper may pay with.
    gateways = {
        "STRIPE_SECRET_KEY": "sk_test_" + "x" * 24,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_" + "x" * 24,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "x" * 32,
        "PAYSTACK_SECRET_KEY": "sk_test_" + "y" * 24,
        "PAYSTACK_PUBLIC_KEY": "pk_test_" + "y" * 24,
        "COMMERCE_CURRENCIES": "NGN,USD",
    }
    env = {
        **PRODUCTION,
        **gateways,
        "DJANGO_SECRET_KEY": secret_key(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr

    listed = manage("commerce_gateways", **env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "stripe" in listed.stdout
    assert "paystack" in listed.stdout
    assert "dummy" not in listed.stdout


def test_the_demo_defaults_fail_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check_id in ("W004", "W008", "W009", "W012", "W016"):
        assert f"security.{check_id}" in result.stderr


def test_check_deploy_names_an_endpoint_left_unthrottled():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DJANGO_SECRET_KEY=secret_key(),
        WEBHOOK_THROTTLE_RATE="off",
    )
    assert result.returncode != 0
    assert "commerce.W012" in result.stderr
    assert "commerce_webhook" in result.stderr


def test_production_turns_on_https_hsts_and_secure_cookies(load):
    settings = load(**PRODUCTION, DJANGO_SECRET_KEY="k" * 64)
    assert settings["DEBUG"] is False
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SESSION_COOKIE_SECURE"] is settings["CSRF_COOKIE_SECURE"] is True
    assert settings["ALLOWED_HOSTS"] == ["shop.example.com"]
    assert "SECURE_PROXY_SSL_HEADER" not in settings


def test_production_settings_can_be_adjusted(load):
    settings = load(
        **PRODUCTION,
        DJANGO_SECRET_KEY="k" * 64,
        DJANGO_SECURE_PROXY_SSL_HEADER="true",
        DJANGO_HSTS_SECONDS="3600",
        DJANGO_HSTS_PRELOAD="false",
    )
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SECURE_HSTS_SECONDS"] == 3600
    assert settings["SECURE_HSTS_PRELOAD"] is False


def test_development_keeps_the_demo_on_plain_http(load):
    settings = load()
    assert settings["ENVIRONMENT"] == "development"
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CORS_ALLOWED_ORIGINS"] == []


def test_the_catalog_cache_needs_a_shared_cache_in_production(load):
    # Several worker processes each with their own LocMem would serve stale catalog reads.
    per_process = load(**{**PRODUCTION, "CACHE_URL": "locmemcache://"}, DJANGO_SECRET_KEY="k" * 64)
    assert per_process["COMMERCE"]["CATALOG_CACHE"] is None
    shared = load(**PRODUCTION, DJANGO_SECRET_KEY="k" * 64)
    assert shared["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert shared["COMMERCE"]["CATALOG_CACHE"] == "default"
    assert load()["COMMERCE"]["CATALOG_CACHE"] == "default"  # the one-process demo


def test_check_deploy_refuses_a_per_process_cache_in_production():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**PRODUCTION, "CACHE_URL": "locmemcache://"},
        DJANGO_SECRET_KEY=secret_key(),
        COMMERCE_DUMMY_GATEWAY="true",  # production leaves it out unless asked
    )
    assert result.returncode != 0
    # Throttle counters and the dummy gateway's state; the catalog cache is already off.
    assert "commerce.W020" in result.stderr
    assert "commerce.W021" in result.stderr
    assert "commerce.W022" not in result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "CACHE_URL"])
def test_production_requires_a_secret_key_hosts_and_a_shared_cache(load, missing):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": "k" * 64}
    del env[missing]
    with pytest.raises(ImproperlyConfigured, match=missing):
        load(**env)


def test_production_refuses_debug_and_unknown_environments(load):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        load(**PRODUCTION, DJANGO_SECRET_KEY="k" * 64, DJANGO_DEBUG="true")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ENV"):
        load(DJANGO_ENV="prod")


def test_throttle_rates_and_cors_origins_come_from_the_environment(load):
    settings = load(
        CHECKOUT_THROTTLE_RATE="5/minute",
        PAYMENT_THROTTLE_RATE="off",
        WEBHOOK_THROTTLE_RATE="100/second",
        CORS_ALLOWED_ORIGINS="https://app.example.com,https://admin.example.com",
    )
    rates = settings["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]
    assert rates["commerce_checkout"] == "5/minute"
    assert rates["commerce_payment"] is None
    assert rates["commerce_webhook"] == "100/second"
    assert settings["CORS_ALLOWED_ORIGINS"] == [
        "https://app.example.com",
        "https://admin.example.com",
    ]


# --- throttling, as configured -----------------------------------------------------


def rate_limit(scope: str) -> int:
    number, _, _period = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].partition(
        "/"
    )
    return int(number)


def assert_throttled(response):
    error = assert_envelope(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert error["details"]["retry_after"] == int(response["Retry-After"])


@pytest.mark.django_db
def test_checkout_is_throttled_at_the_configured_rate():
    client = APIClient()
    for _ in range(rate_limit("commerce_checkout")):
        assert_envelope(client.post("/api/v1/checkout/", {}, format="json"), 400, "empty_cart")
    assert_throttled(client.post("/api/v1/checkout/", {}, format="json"))


@pytest.mark.django_db
def test_payment_starts_are_throttled_at_the_configured_rate(user):
    client = APIClient()
    client.force_authenticate(user)
    url = "/api/v1/orders/NO-SUCH-ORDER/payments/"
    for _ in range(rate_limit("commerce_payment")):
        assert client.post(url, {}, format="json").status_code == 404
    assert_throttled(client.post(url, {}, format="json"))


@pytest.mark.django_db
def test_webhooks_get_a_generous_rate():
    assert rate_limit("commerce_webhook") >= 10 * rate_limit("commerce_checkout")
    client = APIClient()
    # A provider's burst from one address, well past the checkout limit: none refused.
    for _ in range(3 * rate_limit("commerce_checkout")):
        response = client.post(
            "/api/v1/payments/webhooks/dummy/", b"{}", content_type="application/json"
        )
        assert_envelope(response, 400, "invalid_webhook")


# --- CORS ----------------------------------------------------------------------------

APP = "https://app.example.com"


def preflight(client, path="/api/v1/checkout/", origin=APP):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )


def test_cors_is_off_by_default(db):
    assert django_settings.CORS_ALLOWED_ORIGINS == []
    response = preflight(APIClient())
    assert "Access-Control-Allow-Origin" not in response


def test_a_preflight_from_an_allowed_origin(db, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    client = APIClient()

    response = preflight(client)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    allowed_headers = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "x-cart-token"} <= allowed_headers
    assert {"x-order-token"} <= allowed_headers
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response  # bearer tokens, not cookies

    # The real request: the browser may read the cart token and Retry-After.
    response = client.post("/api/v1/cart/items/", {}, format="json", HTTP_ORIGIN=APP)
    assert response["Access-Control-Allow-Origin"] == APP
    exposed = response["Access-Control-Expose-Headers"]
    assert "X-Cart-Token" in exposed
    assert "Retry-After" in exposed


def test_other_origins_and_the_admin_get_no_cors_headers(db, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    client = APIClient()
    assert "Access-Control-Allow-Origin" not in preflight(client, origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in preflight(client, path="/admin/login/")


# --- logs ------------------------------------------------------------------------------

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxLCJleHAiOjE3MDAwMDAwMDB9."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
SIGNATURE = "0f" * 32
CLIENT_SECRET = "pi_3OaBcD2eZvKYlo2C1xYz9876_secret_QwErTy123UiOp456AsDf"
CARD = "4242424242424242"
LEAKS = [SIGNATURE, JWT.split(".")[2], "QwErTy123UiOp456AsDf", CARD, "4242 4242 4242 4242"]


def configured_handlers(name: str) -> list[logging.Handler]:
    """The handlers the settings put on logger ``name`` (not pytest's capture handlers)."""
    return [
        handler
        for handler in logging.getLogger(name).handlers
        if not type(handler).__module__.startswith("_pytest")
    ]


def test_every_configured_handler_redacts():
    handlers = django_settings.LOGGING["handlers"]
    assert handlers
    for name, handler in handlers.items():
        assert "redact_secrets" in handler.get("filters", []), name
    for name in ("", "django", "django.server", "commerce", "accounts"):
        for handler in configured_handlers(name):
            assert any(isinstance(f, RedactSecretsFilter) for f in handler.filters), name


@pytest.fixture
def console():
    """What the configured console handler writes, captured in a string."""
    # One handler object ("console") serves every logger the settings configure.
    (handler,) = {
        handler
        for name in ("django", "django.server", "commerce")
        for handler in configured_handlers(name)
    }
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_webhook_with_a_bad_signature_leaves_no_secret_in_the_logs(console):
    body = json.dumps(
        {
            "type": "payment.captured",
            "client_secret": CLIENT_SECRET,
            "card": CARD,
            "note": "pay with 4242 4242 4242 4242",
        }
    ).encode()
    client = APIClient()
    response = client.post(
        "/api/v1/payments/webhooks/dummy/",
        body,
        content_type="application/json",
        HTTP_X_DUMMY_SIGNATURE=f"t={int(time.time())},v1={SIGNATURE}",
        HTTP_AUTHORIZATION=f"Bearer {JWT}",
    )
    assert_envelope(response, 400, "invalid_webhook")

    # A careless debugging line a host might add next to the webhook endpoint.
    request = response.wsgi_request
    logging.getLogger("commerce.payments.webhooks").warning(
        "Rejected webhook: headers=%s body=%r", dict(request.headers), body
    )
    # runserver's request line, with a token in the query string.
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /api/v1/orders/1/?token={SIGNATURE} HTTP/1.1", "200", "10"
    )

    output = console.getvalue()
    assert "Bad Request: /api/v1/payments/webhooks/dummy/" in output
    assert "Rejected webhook" in output
    assert "GET /api/v1/orders/1/" in output
    for leak in LEAKS:
        assert leak not in output, leak


# --- client identity: DJANGO_NUM_PROXIES ----------------------------------------------


def test_num_proxies_comes_from_the_environment(load):
    # DRF's default, None, would identify clients by the X-Forwarded-For they send.
    assert load()["REST_FRAMEWORK"]["NUM_PROXIES"] == 0
    assert load(DJANGO_NUM_PROXIES="2")["REST_FRAMEWORK"]["NUM_PROXIES"] == 2


@pytest.mark.parametrize("value", ["off", "OFF", "none", ""])
def test_every_throttle_rate_variable_can_be_turned_off(load, value):
    variables = ["AUTH", "CHECKOUT", "PAYMENT", "WEBHOOK"]
    settings = load(**{f"{name}_THROTTLE_RATE": value for name in variables})
    rates = settings["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]
    assert set(rates.values()) == {None}


def test_a_bad_throttle_rate_variable_fails_the_checks():
    result = manage("check", CHECKOUT_THROTTLE_RATE="30 a minute")
    assert result.returncode != 0
    assert "commerce.E023" in result.stderr
    assert "commerce_checkout" in result.stderr


def login_attempts(client, forwarded_for: str, remote_addr: str = "198.51.100.20"):
    return client.post(
        "/api/v1/auth/token/",
        {"email": "nobody@example.com", "password": "wrong"},
        format="json",
        REMOTE_ADDR=remote_addr,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.fixture
def auth_rate(settings):
    def auth_rate(rate, num_proxies):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"auth": rate},
            "NUM_PROXIES": num_proxies,
        }

    return auth_rate


@pytest.mark.django_db
def test_a_client_cannot_pick_a_new_identity_with_x_forwarded_for(auth_rate):
    auth_rate("3/minute", django_settings.REST_FRAMEWORK["NUM_PROXIES"])
    client = APIClient()
    for n in range(3):
        assert login_attempts(client, f"203.0.113.{n}").status_code == 401
    assert_throttled(login_attempts(client, "203.0.113.99"))


@pytest.mark.django_db
def test_behind_the_configured_proxies_each_client_counts_on_its_own(auth_rate):
    auth_rate("2/minute", 1)  # DJANGO_NUM_PROXIES=1
    client = APIClient()
    proxy = "10.0.0.1"
    for spoof in ("1.1.1.1", "2.2.2.2"):
        response = login_attempts(client, f"{spoof}, 203.0.113.7", remote_addr=proxy)
        assert response.status_code == 401
    assert_throttled(login_attempts(client, "3.3.3.3, 203.0.113.7", remote_addr=proxy))
    assert login_attempts(client, "203.0.113.8", remote_addr=proxy).status_code == 401


@pytest.mark.django_db
def test_an_auth_scope_turned_off_is_never_a_500(auth_rate):
    auth_rate(None, 0)
    client = APIClient()
    for n in range(25):
        assert login_attempts(client, f"203.0.113.{n}").status_code == 401


# --- database timeouts ---------------------------------------------------------------

POSTGRES_URL = "postgres://shop:secret@db.internal:5432/shop"


def test_postgresql_connections_get_statement_and_lock_timeouts(load):
    options = load(DATABASE_URL=POSTGRES_URL)["DATABASES"]["default"]["OPTIONS"]["options"]
    assert options.split() == [
        "-c",
        "statement_timeout=15000",
        "-c",
        "lock_timeout=5000",
        "-c",
        "idle_in_transaction_session_timeout=60000",
    ]


def test_database_timeouts_come_from_the_environment(load):
    settings = load(
        DATABASE_URL=POSTGRES_URL,
        DATABASE_STATEMENT_TIMEOUT="0",
        DATABASE_LOCK_TIMEOUT="250",
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT="1000",
    )
    options = settings["DATABASES"]["default"]["OPTIONS"]["options"]
    assert "-c statement_timeout=0 " in options  # off, e.g. for a long migration
    assert "-c lock_timeout=250 " in options
    assert options.endswith("-c idle_in_transaction_session_timeout=1000")


def test_sqlite_gets_no_postgresql_options(load):
    assert "options" not in load()["DATABASES"]["default"].get("OPTIONS", {})
