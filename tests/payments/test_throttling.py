"""Checkout, payment starts and webhooks are throttled under their own scopes.

How the throttle itself behaves (no rate, the host's throttles) is in
``tests/core/test_throttling.py``; these tests pin the three endpoints to their scopes.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from commerce.orders.api.views import CheckoutView
from tests.helpers import assert_error, client_for

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
