"""commerce.core.throttling: scoped rates read per request, a missing rate never a 500.

A small view of the tests' own stands in for commerce's throttled endpoints
(``tests/payments/test_throttling.py`` pins those to their scopes), so these
tests also run in the catalog-only host.
"""

from __future__ import annotations

import json

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

from commerce.checks import check_throttle_rates
from commerce.core.throttling import SCOPES, ScopedThrottleMixin
from tests.catalog.conftest import assert_error

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


def get(address="198.51.100.7"):
    request = APIRequestFactory().get("/throttled/", REMOTE_ADDR=address)
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
