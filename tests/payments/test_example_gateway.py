"""The how-to's worked example really works: through the registry, with a fake HTTP client."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace

import pytest
from django.conf import settings
from django.test import override_settings
from djmoney.money import Money

from commerce.payments.exceptions import (
    GatewayUnsupportedFeature,
    UnsupportedAmountError,
    WebhookVerificationError,
)
from commerce.payments.gateways.base import EventType, Outcome
from commerce.payments.gateways.registry import get_gateway
from commerce.testing.gateways import GatewayContract
from tests.payments.example_gateway import AcmePayGateway
from tests.payments.fakes import FakeAcmeClient, FakePayment


@pytest.fixture
def acme():
    def build(responses):
        client = FakeAcmeClient(responses)
        options = {"api_key": "ak_test", "webhook_secret": "ws_test", "client": client}
        config = {
            "acme": {"BACKEND": "tests.payments.example_gateway.AcmePayGateway", "OPTIONS": options}
        }
        with override_settings(COMMERCE={**settings.COMMERCE, "PAYMENT_GATEWAYS": config}):
            return get_gateway("acme"), client

    return build


def test_initiate_sends_minor_units_and_the_idempotency_key(acme, payment):
    gateway, client = acme(
        {"/payments": {"id": "ap_1", "checkout_url": "https://acme.example/c/ap_1"}}
    )
    result = gateway.initiate(payment, idempotency_key="k-1", return_url="https://shop/x")
    assert (result.outcome, result.gateway_reference) == (Outcome.PENDING, "ap_1")
    assert client.requests == [
        (
            "POST",
            "/payments",
            {
                "amount": 1250,
                "currency": "USD",
                "reference": "pay_ref_0001",
                "return_url": "https://shop/x",
            },
            "k-1",
        )
    ]


def test_a_timeout_is_unknown_not_failed(acme, payment):
    gateway, _ = acme({"/payments": TimeoutError()})
    assert gateway.initiate(payment, idempotency_key="k").outcome == Outcome.UNKNOWN


def test_unsupported_things_fail_before_any_call(acme, payment):
    gateway, client = acme({})
    with pytest.raises(UnsupportedAmountError):
        gateway.initiate(replace(payment, amount=Money("1000", "JPY")), idempotency_key="k")
    with pytest.raises(GatewayUnsupportedFeature):
        gateway.capture(payment, idempotency_key="k")
    assert client.requests == []


def test_refund_and_status(acme, payment):
    paid = replace(payment, gateway_reference="ap_1")
    gateway, _ = acme(
        {
            "/refunds": {"status": "done", "amount": 500, "currency": "USD"},
            "/payments/ap_1": {"status": "completed", "amount": 1250, "currency": "USD"},
        }
    )
    refund = gateway.refund(paid, Money("5.00", "USD"), idempotency_key="r")
    assert (refund.outcome, refund.amount) == (Outcome.SUCCEEDED, Money("5.00", "USD"))
    status = gateway.fetch_status(paid)
    assert (status.outcome, status.captured) == (Outcome.SUCCEEDED, True)


def test_webhooks_verify_the_raw_body_and_normalize_events(acme):
    gateway, _ = acme({})
    body = json.dumps(
        {
            "id": "evt_9",
            "type": "payment.completed",
            "data": {"payment": "ap_1", "amount": 1250, "currency": "USD"},
        }
    ).encode()
    signature = hmac.new(b"ws_test", body, hashlib.sha256).hexdigest()
    gateway.verify_webhook(body, {"X-Acme-Signature": signature})
    (event,) = gateway.parse_webhook(body, {})
    assert (event.event_id, event.type, event.amount) == (
        "evt_9",
        EventType.CAPTURED,
        Money("12.50", "USD"),
    )
    with pytest.raises(WebhookVerificationError):
        gateway.verify_webhook(body + b" ", {"X-Acme-Signature": signature})


class TestAcmePayContract(GatewayContract):
    """The documented example passes the conformance kit plugin authors run."""

    minor_units = [(Money("12.50", "USD"), 1250), (Money("3", "EUR"), 300)]
    unrepresentable = Money("1.005", "USD")

    def make_gateway(self):
        self.client = FakeAcmeClient({})
        options = {"api_key": "ak_test", "webhook_secret": "ws_test", "client": self.client}
        return AcmePayGateway(alias="acme", options=options)

    def make_payment(self):
        return FakePayment()

    def arrange_initiate(self, gateway, payment):
        self.client.responses["/payments"] = {
            "id": "ap_1",
            "checkout_url": "https://acme.example/c/ap_1",
        }

    def requests_sent(self, gateway):
        return len(self.client.requests)

    def captured_webhook(self, payment):
        event = {
            "id": "aev_1",
            "type": "payment.completed",
            "data": {"payment": "ap_1", "amount": 1250, "currency": "USD"},
        }
        return json.dumps(event).encode(), "ap_1"

    def sign(self, body, *, wrong_secret=False):
        secret = b"another" if wrong_secret else b"ws_test"
        return {"X-Acme-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest()}
