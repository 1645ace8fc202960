"""commerce.core.throttling: scoped rates read per request, a missing rate never a 500.

A small view of the tests' own stands in for commerce's throttled endpoints
(``tests/payments/test_throttling.py`` pins those to their scopes), so these
tests also run in the catalog-only host.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.checks import registry
from django.test import override_settings
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from commerce.checks import (
    check_num_proxies,
    check_shared_caches,
    check_throttle_rate_values,
    check_throttle_rates,
)
from commerce.core.throttling import SCOPES, ScopedThrottleMixin, client_address
from tests.helpers import assert_error

SCOPE = "tests_scope"


class ThrottledView(ScopedThrottleMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = SCOPE

    def get(self, request):
        return Response({"ok": True})


class OneAnonymousRequestPerMinute(AnonRateThrottle):
    """A host's throttle (DRF's AnonRateThrottle reads its rate at import)."""

    def get_rate(self):
        return "1/minute"


def rest_framework(**options):
    return override_settings(
        REST_FRAMEWORK={
            "EXCEPTION_HANDLER": "commerce.core.api.errors.exception_handler",
            **options,
        }
    )


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttle histories live in the default cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def host_throttles(monkeypatch):
    """Give the view a host's ``DEFAULT_THROTTLE_CLASSES``.

    DRF copies that setting into ``APIView.throttle_classes`` when it is
    imported, so a test sets the class attribute, as the host's settings would.
    """

    def use(*classes):
        monkeypatch.setattr(ThrottledView, "throttle_classes", list(classes))

    return use


def get(address="198.51.100.7", forwarded_for=None):
    extra = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    request = APIRequestFactory().get("/throttled/", REMOTE_ADDR=address, **extra)
    response = ThrottledView.as_view()(request)
    response.render()
    response.json = lambda: json.loads(response.content)  # as the test client's have
    return response


def assert_throttled(response):
    error = assert_error(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert error["details"] == {"retry_after": retry_after}


def test_over_the_scopes_rate_is_a_429_in_the_envelope_with_retry_after():
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: "2/minute"}):
        assert get().status_code == 200
        assert get().status_code == 200
        assert_throttled(get())
        # Counted per client address.
        assert get("198.51.100.8").status_code == 200


def test_the_rate_is_read_on_every_request():
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: "1/minute"}):
        assert get().status_code == 200
        assert_throttled(get())
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: "5/minute"}):
        assert get().status_code == 200


def test_a_scope_without_a_rate_is_not_throttled():
    with rest_framework(DEFAULT_THROTTLE_RATES={"other": "1/minute"}):
        for _ in range(10):
            assert get().status_code == 200


def test_drfs_scoped_throttle_in_the_hosts_defaults_cannot_crash_the_view(host_throttles):
    # DRF's ScopedRateThrottle raises ImproperlyConfigured for a scope without a rate.
    host_throttles(ScopedRateThrottle)
    with rest_framework(DEFAULT_THROTTLE_RATES={}):
        for _ in range(3):
            assert get().status_code == 200


def test_the_hosts_scoped_throttle_does_not_count_a_request_twice(host_throttles):
    host_throttles(ScopedRateThrottle)
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: "2/minute"}):
        assert get().status_code == 200
        assert get().status_code == 200
        assert_throttled(get())


def test_the_hosts_other_throttles_still_apply(host_throttles):
    host_throttles(OneAnonymousRequestPerMinute)
    with rest_framework():
        assert get().status_code == 200
        assert_throttled(get())


def test_the_scopes_name_installed_endpoints():
    assert set(SCOPES) == {"commerce_checkout", "commerce_payment", "commerce_webhook"}


def test_deploy_check_names_every_installed_scope_without_a_rate():
    installed = {scope for scope, (app, _what) in SCOPES.items() if apps.is_installed(app)}
    with rest_framework(DEFAULT_THROTTLE_RATES={"commerce_checkout": "30/minute"}):
        warnings = check_throttle_rates()
    expected = installed - {"commerce_checkout"}
    if not expected:  # the catalog-only host: no throttled endpoint is installed
        assert warnings == []
        return
    (warning,) = warnings
    assert warning.id == "commerce.W012"
    assert {scope for scope in SCOPES if scope in warning.msg} == expected

    with rest_framework(DEFAULT_THROTTLE_RATES=dict.fromkeys(SCOPES, "30/minute")):
        assert check_throttle_rates() == []


@override_settings(INSTALLED_APPS=["commerce.core", "commerce.catalog"])
def test_deploy_check_ignores_apps_that_are_not_installed():
    with rest_framework(DEFAULT_THROTTLE_RATES={}):
        assert check_throttle_rates() == []


def test_deploy_check_runs_only_with_deploy(monkeypatch):
    # As if every app with a throttled endpoint were installed, in any test host.
    monkeypatch.setattr(apps, "is_installed", lambda name: True)
    with rest_framework(DEFAULT_THROTTLE_RATES={}):
        plain = registry.run_checks(tags=["security"])
        deploy = registry.run_checks(tags=["security"], include_deployment_checks=True)
    assert "commerce.W012" not in {message.id for message in plain}
    assert "commerce.W012" in {message.id for message in deploy}


# --- who is a client: X-Forwarded-For cannot choose an identity ------------------------


@pytest.mark.parametrize("num_proxies", [None, 0])
def test_without_a_proxy_the_connections_address_counts(num_proxies):
    # DRF's own throttles use X-Forwarded-For when NUM_PROXIES is None, its default.
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: "2/minute"}, NUM_PROXIES=num_proxies):
        assert get(forwarded_for="203.0.113.1").status_code == 200
        assert get(forwarded_for="203.0.113.2").status_code == 200
        assert_throttled(get(forwarded_for="203.0.113.3"))
        assert_throttled(get(forwarded_for="203.0.113.4, 203.0.113.5"))
        assert_throttled(get())
        assert get("198.51.100.8", forwarded_for="203.0.113.1").status_code == 200


def test_behind_one_proxy_the_address_it_appended_counts():
    proxy = "10.0.0.1"
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: "2/minute"}, NUM_PROXIES=1):
        # The client's own entries come first; the proxy appends the address it saw.
        assert get(proxy, forwarded_for="1.1.1.1, 203.0.113.9").status_code == 200
        assert get(proxy, forwarded_for="2.2.2.2, 203.0.113.9").status_code == 200
        assert_throttled(get(proxy, forwarded_for="203.0.113.9"))
        # Another client behind the same proxy has its own count.
        assert get(proxy, forwarded_for="203.0.113.10").status_code == 200


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "expected"),
    [
        (None, "203.0.113.1", "198.51.100.7"),
        (0, "203.0.113.1", "198.51.100.7"),
        (1, None, "198.51.100.7"),
        (1, "", "198.51.100.7"),
        (1, "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        (1, " 203.0.113.1 ", "203.0.113.1"),
        (2, "6.6.6.6, 203.0.113.1, 10.0.0.2", "203.0.113.1"),
        (2, "203.0.113.1", "203.0.113.1"),
        (1, "6.6.6.6, 2001:db8::1", "2001:db8::1"),
        # Not an address: the proxy is misconfigured, so fall back to the connection.
        (1, "6.6.6.6, not-an-address", "198.51.100.7"),
        (1, "6.6.6.6, " + "9" * 10_000, "198.51.100.7"),
        (1, "6.6.6.6, 203.0.113.1 extra", "198.51.100.7"),
        # A NUM_PROXIES that is no number never makes the header trusted, nor a 500.
        ("two", "6.6.6.6, 203.0.113.1", "198.51.100.7"),
        (-1, "6.6.6.6, 203.0.113.1", "198.51.100.7"),
    ],
)
def test_client_address(num_proxies, forwarded_for, expected):
    meta = {"REMOTE_ADDR": "198.51.100.7"}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = APIRequestFactory().get("/", **meta)
    with rest_framework(NUM_PROXIES=num_proxies):
        assert client_address(request) == expected


def test_deploy_check_warns_when_drf_would_trust_x_forwarded_for():
    with rest_framework(DEFAULT_THROTTLE_CLASSES=["rest_framework.throttling.AnonRateThrottle"]):
        (warning,) = check_num_proxies()
    assert warning.id == "commerce.W024"
    for num_proxies in (0, 2):
        with rest_framework(
            DEFAULT_THROTTLE_CLASSES=["rest_framework.throttling.AnonRateThrottle"],
            NUM_PROXIES=num_proxies,
        ):
            assert check_num_proxies() == []
    # Without DRF throttles of the host's, only commerce's (None read as 0) count.
    with rest_framework():
        assert check_num_proxies() == []


# --- every documented rate value, and a bad one ----------------------------------------


@pytest.mark.parametrize(
    "rate",
    ["2/minute", "2/min", "2/m", "2/minutes", " 2 / Minute ", "2/hour", "2/h", "2/day", "2/d"],
)
def test_documented_rates_throttle(rate):
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: rate}):
        assert get().status_code == 200
        assert get().status_code == 200
        assert_error(get(), 429, "throttled")
        assert check_throttle_rate_values() == []


def test_a_rate_per_second():
    with rest_framework(DEFAULT_THROTTLE_RATES={SCOPE: "1/second"}):
        assert get().status_code == 200
        response = get()
        assert_throttled(response)
        assert response["Retry-After"] == "1"


@pytest.mark.parametrize("rate", [None, "", "  ", "off", "OFF", "Off", "none", "None"])
def test_off_values_turn_a_scope_off(rate, caplog):
    rates = {SCOPE: rate, **dict.fromkeys(SCOPES, rate)}
    with rest_framework(DEFAULT_THROTTLE_RATES=rates):
        for _ in range(5):
            assert get().status_code == 200
        assert check_throttle_rate_values() == []
    assert not caplog.records


BAD_RATES = ["30 per minute", "30/month", "30/fortnight", "abc/minute", "0/minute", "-1/minute",
             "30", "/minute", "30/", 30, 1.5, ["30/minute"], "30/minute/extra"]  # fmt: skip


@pytest.mark.parametrize("rate", BAD_RATES)
def test_a_bad_rate_is_a_check_error_and_never_a_500(rate, caplog):
    rates = {SCOPE: rate, "commerce_checkout": rate}
    with rest_framework(DEFAULT_THROTTLE_RATES=rates):
        (error,) = check_throttle_rate_values()
        # Should the checks not have run: the request goes through, the mistake is logged.
        for _ in range(3):
            assert get().status_code == 200
    assert error.id == "commerce.E023"
    assert "commerce_checkout" in error.msg
    logged = [record for record in caplog.records if record.name == "commerce.throttling"]
    assert logged
    assert all(record.levelno == logging.ERROR and not record.exc_info for record in logged)


# --- caches every worker shares -------------------------------------------------------

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
DUMMY = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x:6379"}
FILE = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "/tmp/x"}
DATABASE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}
DUMMY_GATEWAY = {"dummy": {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"}}


def shared_cache_warnings(default, *, rates=None, gateways=None, catalog_cache="default"):
    commerce = {"PAYMENT_GATEWAYS": gateways or {}, "CATALOG_CACHE": catalog_cache}
    with (
        rest_framework(DEFAULT_THROTTLE_RATES=rates or {}),
        override_settings(CACHES={"default": default, "other": REDIS}, COMMERCE=commerce),
    ):
        return {warning.id for warning in check_shared_caches()}


def installed(app):
    if not apps.is_installed(app):
        pytest.skip(f"{app} is not installed in this host")


def test_throttling_in_a_per_process_cache_is_a_deploy_warning():
    installed("commerce.orders")
    rates = {"commerce_checkout": "30/minute"}
    for per_process in (LOCMEM, DUMMY):
        assert "commerce.W020" in shared_cache_warnings(per_process, rates=rates)
    for shared in (REDIS, FILE, DATABASE):
        assert "commerce.W020" not in shared_cache_warnings(shared, rates=rates)
    # No throttling at all: nothing counts anywhere.
    assert "commerce.W020" not in shared_cache_warnings(LOCMEM, rates={})


def test_default_throttle_classes_count_as_throttling():
    with rest_framework(DEFAULT_THROTTLE_CLASSES=["rest_framework.throttling.AnonRateThrottle"]):
        assert "commerce.W020" in {warning.id for warning in check_shared_caches()}


def test_the_dummy_gateways_state_in_a_per_process_cache_is_a_deploy_warning():
    installed("commerce.payments")
    for per_process in (LOCMEM, DUMMY):
        assert "commerce.W021" in shared_cache_warnings(per_process, gateways=DUMMY_GATEWAY)
    assert "commerce.W021" not in shared_cache_warnings(REDIS, gateways=DUMMY_GATEWAY)
    assert "commerce.W021" not in shared_cache_warnings(LOCMEM)


def test_the_dummy_gateway_keeps_its_state_in_the_default_cache():
    # What commerce.W021 assumes: if this moves, the check must follow.
    installed("commerce.payments")
    from types import SimpleNamespace

    from django.core.cache import caches
    from djmoney.money import Money

    from commerce.payments.gateways.dummy import DummyGateway

    gateway = DummyGateway(alias="dummy", options={})
    info = SimpleNamespace(
        reference="PAY-CACHE-1",
        amount=Money("1.00", "USD"),
        gateway_reference="",
        captured_amount=None,
        email="a@example.com",
        order_number="O-1",
    )
    reference = gateway.initiate(info, idempotency_key="k").gateway_reference
    assert gateway.provider_state(reference) is not None
    caches["default"].clear()
    assert gateway.provider_state(reference) is None


def test_a_per_process_catalog_cache_is_a_deploy_warning():
    installed("commerce.catalog")
    assert "commerce.W022" in shared_cache_warnings(LOCMEM)
    assert "commerce.W022" not in shared_cache_warnings(DUMMY)  # caches nothing: merely off
    assert "commerce.W022" not in shared_cache_warnings(LOCMEM, catalog_cache="other")
    assert "commerce.W022" not in shared_cache_warnings(LOCMEM, catalog_cache=None)


def test_shared_cache_checks_run_only_with_deploy():
    with override_settings(CACHES={"default": LOCMEM}):
        plain = registry.run_checks(tags=["caches"])
        deploy = registry.run_checks(tags=["caches"], include_deployment_checks=True)
    assert not {message.id for message in plain} & {"commerce.W020", "commerce.W022"}
    assert "commerce.W022" in {message.id for message in deploy}


def test_the_mixin_gives_a_hosts_drf_throttle_the_same_reading():
    from rest_framework.throttling import AnonRateThrottle

    from commerce.core.throttling import ClientAddressMixin

    class HostAnonThrottle(ClientAddressMixin, AnonRateThrottle):
        pass

    request = APIRequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    with rest_framework(NUM_PROXIES=None):
        assert AnonRateThrottle().get_ident(request) == "203.0.113.1"  # DRF: the header
        assert HostAnonThrottle().get_ident(request) == "198.51.100.7"
