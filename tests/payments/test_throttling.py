"""Checkout, payment starts and webhooks are throttled under their own scopes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.checks import registry
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from commerce.checks import check_throttle_rates
from commerce.core.throttling import SCOPES
from commerce.orders.api.views import CheckoutView
from tests.catalog.conftest import assert_error
from tests.conftest import client_for

CHECKOUT = "/api/v1/checkout/"
PAYMENTS = "/api/v1/orders/NO-SUCH-ORDER/payments/"
WEBHOOK = "/api/v1/payments/webhooks/dummy/"
BASE = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "commerce.core.api.errors.exception_handler",
}


def rest_framework(**options):
    return override_settings(REST_FRAMEWORK={**BASE, **options})


@pytest.fixture
def host_throttles(monkeypatch):
    """Give the checkout view a host's ``DEFAULT_THROTTLE_CLASSES``.

    DRF copies that setting into ``APIView.throttle_classes`` when it is
    imported, so a test sets the class attribute, as the host's settings would.
    """

    def use(*classes):
        monkeypatch.setattr(CheckoutView, "throttle_classes", list(classes))

    return use


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttle histories live in the default cache.
    cache.clear()
    yield
    cache.clear()


def post_checkout(client):
    # No cart: a 400 (empty_cart) when the request gets through the throttle.
    return client.post(CHECKOUT, {}, format="json")


def assert_throttled(response):
    error = assert_error(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert error["details"] == {"retry_after": retry_after}


@pytest.mark.django_db
def test_checkout_over_its_rate_is_a_429_in_the_envelope_with_retry_after():
    client = APIClient()
    with rest_framework(DEFAULT_THROTTLE_RATES={"commerce_checkout": "2/minute"}):
        assert post_checkout(client).status_code == 400
        assert post_checkout(client).status_code == 400
        assert_throttled(post_checkout(client))


@pytest.mark.django_db
def test_a_scope_without_a_rate_is_not_throttled_even_with_drfs_scoped_throttle(host_throttles):
    # DRF's ScopedRateThrottle raises ImproperlyConfigured for a scope without a
    # rate; commerce's views must not turn that into a 500.
    host_throttles(ScopedRateThrottle)
    client = APIClient()
    with rest_framework(DEFAULT_THROTTLE_RATES={"auth": "1/minute"}):
        for _ in range(5):
            assert post_checkout(client).status_code == 400


@pytest.mark.django_db
def test_the_hosts_scoped_throttle_does_not_count_a_request_twice(host_throttles):
    host_throttles(ScopedRateThrottle)
    client = APIClient()
    with rest_framework(DEFAULT_THROTTLE_RATES={"commerce_checkout": "2/minute"}):
        assert post_checkout(client).status_code == 400
        assert post_checkout(client).status_code == 400
        assert_throttled(post_checkout(client))


class OneAnonymousRequestPerMinute(AnonRateThrottle):
    """A host's throttle (DRF's AnonRateThrottle reads its rate at import)."""

    def get_rate(self):
        return "1/minute"


@pytest.mark.django_db
def test_the_hosts_other_throttles_still_apply(host_throttles):
    host_throttles(OneAnonymousRequestPerMinute)
    client = APIClient()
    with rest_framework():
        assert post_checkout(client).status_code == 400
        assert_throttled(post_checkout(client))


def test_payment_starts_are_throttled_per_user(customer, staff_user):
    with rest_framework(DEFAULT_THROTTLE_RATES={"commerce_payment": "1/minute"}):
        customer_client = client_for(customer)
        assert customer_client.post(PAYMENTS, {}, format="json").status_code == 404
        assert_throttled(customer_client.post(PAYMENTS, {}, format="json"))
        # Another user from the same address has a budget of their own.
        assert client_for(staff_user).post(PAYMENTS, {}, format="json").status_code == 404


@pytest.mark.django_db
def test_webhooks_are_throttled_per_sending_address():
    def deliver(address):
        return APIClient().post(
            WEBHOOK, b"{}", content_type="application/json", REMOTE_ADDR=address
        )

    with rest_framework(DEFAULT_THROTTLE_RATES={"commerce_webhook": "2/minute"}):
        assert deliver("203.0.113.1").status_code == 400  # no signature
        assert deliver("203.0.113.1").status_code == 400
        assert_throttled(deliver("203.0.113.1"))
        assert deliver("203.0.113.2").status_code == 400


@pytest.mark.django_db
def test_scopes_are_independent():
    client = APIClient()
    with rest_framework(
        DEFAULT_THROTTLE_RATES={"commerce_checkout": "1/minute", "commerce_payment": "1/minute"}
    ):
        assert post_checkout(client).status_code == 400
        assert client.post(PAYMENTS, {}, format="json").status_code == 404
        assert_throttled(post_checkout(client))


def test_deploy_check_names_every_scope_without_a_rate():
    with rest_framework(DEFAULT_THROTTLE_RATES={"commerce_checkout": "30/minute"}):
        (warning,) = check_throttle_rates()
    assert warning.id == "commerce.W012"
    assert "commerce_checkout" not in warning.msg
    assert "commerce_payment" in warning.msg
    assert "commerce_webhook" in warning.msg

    with rest_framework(DEFAULT_THROTTLE_RATES=dict.fromkeys(SCOPES, "30/minute")):
        assert check_throttle_rates() == []


def test_deploy_check_runs_only_with_deploy():
    with rest_framework(DEFAULT_THROTTLE_RATES={}):
        plain = registry.run_checks(tags=["security"])
        deploy = registry.run_checks(tags=["security"], include_deployment_checks=True)
    assert "commerce.W012" not in {message.id for message in plain}
    assert "commerce.W012" in {message.id for message in deploy}


@override_settings(INSTALLED_APPS=["commerce.core", "commerce.catalog"])
def test_deploy_check_ignores_apps_that_are_not_installed():
    with rest_framework(DEFAULT_THROTTLE_RATES={}):
        assert check_throttle_rates() == []
