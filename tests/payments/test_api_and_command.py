"""``GET /api/v1/payments/gateways/`` and ``manage.py commerce_gateways``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.helpers import client_for

GATEWAYS = {
    "dummy": {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"},
    "stripe": {
        "BACKEND": "commerce.payments.gateways.stripe.StripeGateway",
        "OPTIONS": {
            "secret_key": "sk_test_never_shown_to_clients_0000000000",
            "publishable_key": "pk_test_shown_to_clients",
            "webhook_secret": "whsec_never_shown",
            "currencies": ["USD", "EUR"],
        },
    },
}


@pytest.fixture
def configured():
    with override_settings(COMMERCE={**settings.COMMERCE, "PAYMENT_GATEWAYS": GATEWAYS}):
        yield


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "customer", "staff_user"])
def test_anyone_lists_the_enabled_gateways_without_secrets(configured, request, who):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = client_for(user).get("/api/v1/payments/gateways/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [gateway["alias"] for gateway in body] == ["dummy", "stripe"]
    stripe = body[1]
    assert stripe["name"] == "stripe"
    assert stripe["currencies"] == ["EUR", "USD"]
    assert stripe["config"] == {
        "publishable_key": "pk_test_shown_to_clients",
        "capture_method": "automatic",
    }
    assert "refund" in stripe["capabilities"]
    assert body[0]["currencies"] is None
    assert "sk_test" not in response.content.decode()
    assert "whsec" not in response.content.decode()


@pytest.mark.django_db
def test_no_gateways_is_an_empty_list():
    with override_settings(COMMERCE={**settings.COMMERCE, "PAYMENT_GATEWAYS": {}}):
        assert client_for(None).get("/api/v1/payments/gateways/").json() == []


@pytest.mark.django_db
def test_the_endpoint_is_read_only(configured):
    response = client_for(None).post("/api/v1/payments/gateways/", {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_commerce_gateways_prints_configured_and_installed(configured, monkeypatch):
    monkeypatch.setattr(
        "commerce.payments.management.commands.commerce_gateways.installed_gateway_classes",
        lambda: {"acmepay": "acme_pay.gateway:AcmePayGateway"},
    )
    out = StringIO()
    call_command("commerce_gateways", stdout=out)
    text = out.getvalue()
    assert "Configured gateways (2):" in text
    assert "dummy: commerce.payments.gateways.dummy.DummyGateway" in text
    assert "stripe: commerce.payments.gateways.stripe.StripeGateway" in text
    assert "currencies: EUR, USD" in text
    assert "Installed gateway plugins (1):" in text
    assert "acmepay: acme_pay.gateway:AcmePayGateway" in text
    assert "sk_test" not in text
