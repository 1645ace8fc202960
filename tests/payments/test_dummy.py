"""The dummy gateway: an asynchronous provider with its state in the cache and signed webhooks."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.cache import cache
from djmoney.money import Money

from commerce.payments.exceptions import UnsupportedAmountError, WebhookVerificationError
from commerce.payments.gateways.base import Capability, EventType, Outcome
from commerce.payments.gateways.dummy import SIGNATURE_HEADER, DummyGateway


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def gateway():
    return DummyGateway(alias="dummy", options={"webhook_secret": "whsec_test"})


def started(gateway, payment):
    result = gateway.initiate(payment, idempotency_key="k1", return_url="https://shop.test/done")
    return result, replace(payment, gateway_reference=result.gateway_reference)


def test_it_declares_every_capability(gateway):
    assert all(gateway.supports(capability) for capability in Capability)


def test_initiate_returns_a_confirmation_url_and_is_idempotent(gateway, payment):
    result, _ = started(gateway, payment)
    assert result.outcome == Outcome.PENDING
    assert result.gateway_reference == "dummy_pay_ref_0001"
    assert result.redirect_url == (
        "/api/v1/payments/dummy/dummy_pay_ref_0001/confirm/"
        "?return_url=https%3A%2F%2Fshop.test%2Fdone"
    )
    again, _ = started(gateway, payment)
    assert again.gateway_reference == result.gateway_reference
    assert gateway.provider_state(result.gateway_reference)["amount"] == 1250


def test_confirming_success_captures_and_emits_a_signed_webhook(gateway, payment):
    _, payment = started(gateway, payment)
    (body,) = gateway.confirm(payment.gateway_reference, "succeed")
    headers = gateway.sign(body)
    gateway.verify_webhook(body, headers)
    (event,) = gateway.parse_webhook(body, headers)
    assert event.type == EventType.CAPTURED
    assert event.gateway_reference == payment.gateway_reference
    assert event.amount == Money(Decimal("12.50"), "USD")
    assert event.currency == "USD"
    status = gateway.fetch_status(payment)
    assert (status.outcome, status.captured) == (Outcome.SUCCEEDED, True)
    # A second confirmation changes nothing and sends nothing.
    assert gateway.confirm(payment.gateway_reference, "succeed") == []


def test_manual_capture_authorizes_then_captures_part(payment):
    gateway = DummyGateway(alias="dummy", options={"capture_method": "manual"})
    _, payment = started(gateway, payment)
    (body,) = gateway.confirm(payment.gateway_reference, "succeed")
    assert gateway.parse_webhook(body, {})[0].type == EventType.AUTHORIZED
    authorized = gateway.fetch_status(payment)
    assert (authorized.outcome, authorized.captured) == (Outcome.SUCCEEDED, False)
    too_much = gateway.capture(payment, Money("20.00", "USD"), idempotency_key="c")
    assert too_much.outcome == Outcome.FAILED
    result = gateway.capture(payment, Money("10.00", "USD"), idempotency_key="c")
    assert (result.outcome, result.amount) == (Outcome.SUCCEEDED, Money("10.00", "USD"))


def test_failure_and_requires_action(gateway, payment):
    _, payment = started(gateway, payment)
    assert gateway.confirm(payment.gateway_reference, "requires_action") == []
    assert gateway.fetch_status(payment).outcome == Outcome.PENDING
    (body,) = gateway.confirm(payment.gateway_reference, "fail")
    assert gateway.parse_webhook(body, {})[0].type == EventType.FAILED
    assert gateway.fetch_status(payment).outcome == Outcome.FAILED
    with pytest.raises(ValueError, match="choice"):
        gateway.confirm(payment.gateway_reference, "maybe")


def test_void_before_capture(payment):
    gateway = DummyGateway(alias="dummy", options={"capture_method": "manual"})
    _, payment = started(gateway, payment)
    gateway.confirm(payment.gateway_reference, "succeed")
    assert gateway.void(payment, idempotency_key="v").outcome == Outcome.SUCCEEDED
    assert gateway.fetch_status(payment).outcome == Outcome.FAILED
    assert gateway.capture(payment, idempotency_key="c").outcome == Outcome.FAILED


def test_refunds_are_partial_cumulative_and_idempotent_per_key(gateway, payment):
    _, payment = started(gateway, payment)
    gateway.confirm(payment.gateway_reference, "succeed")
    first = gateway.refund(payment, Money("5.00", "USD"), idempotency_key="r1")
    repeat = gateway.refund(payment, Money("5.00", "USD"), idempotency_key="r1")
    assert first.amount == repeat.amount == Money("5.00", "USD")
    assert gateway.provider_state(payment.gateway_reference)["refunded"] == 500
    over = gateway.refund(payment, Money("8.00", "USD"), idempotency_key="r2")
    assert over.outcome == Outcome.FAILED
    rest = gateway.refund(payment, idempotency_key="r3")
    assert rest.amount == Money("7.50", "USD")


def test_unknown_payment_status_is_unknown(gateway, payment):
    missing = replace(payment, gateway_reference="dummy_never")
    assert gateway.fetch_status(missing).outcome == Outcome.UNKNOWN


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body + b" ", headers),
        lambda body, headers: (body, {}),
        lambda body, headers: (body, {SIGNATURE_HEADER: "garbage"}),
        lambda body, headers: (
            body,
            DummyGateway(alias="dummy", options={"webhook_secret": "other"}).sign(body),
        ),
        lambda body, headers: (
            body,
            DummyGateway(alias="dummy", options={"webhook_secret": "whsec_test"}).sign(
                body, timestamp=int(time.time()) - 3600
            ),
        ),
    ],
    ids=["tampered body", "no header", "malformed header", "wrong secret", "stale timestamp"],
)
def test_bad_signatures_are_refused(gateway, payment, tamper):
    _, payment = started(gateway, payment)
    (body,) = gateway.confirm(payment.gateway_reference, "succeed")
    body, headers = tamper(body, gateway.sign(body))
    with pytest.raises(WebhookVerificationError):
        gateway.verify_webhook(body, headers)


def test_header_lookup_ignores_case(gateway, payment):
    _, payment = started(gateway, payment)
    (body,) = gateway.confirm(payment.gateway_reference, "succeed")
    headers = {key.lower(): value for key, value in gateway.sign(body).items()}
    gateway.verify_webhook(body, headers)


def test_unknown_event_types_and_bad_bodies(gateway):
    body = json.dumps(
        {
            "id": "evt_1",
            "type": "weird",
            "reference": "r",
            "amount": 1,
            "currency": "USD",
            "created": 0,
        }
    ).encode()
    assert gateway.parse_webhook(body, {})[0].type == EventType.UNKNOWN
    with pytest.raises(WebhookVerificationError):
        gateway.parse_webhook(b"not json", {})


def test_the_default_webhook_secret_is_derived_per_alias():
    one, two = DummyGateway(alias="one"), DummyGateway(alias="two")
    assert one.webhook_secret != two.webhook_secret
    assert one.webhook_secret == DummyGateway(alias="one").webhook_secret


# --- the requests it reports, and where its pages live ---------------------------------


def test_it_reports_every_request_it_sends_its_provider(gateway, payment):
    from commerce.payments.gateways.dummy import DummyRequest

    _, payment = started(gateway, payment)
    assert len(gateway.confirm(payment.gateway_reference, "succeed")) == 1  # the customer, not us
    gateway.refund(payment, Money(Decimal("2.50"), "USD"), idempotency_key="r1")
    gateway.fetch_status(payment)
    assert list(gateway.requests) == [
        DummyRequest(
            "initiate",
            payment.gateway_reference,
            {"amount": 1250, "currency": "USD", "idempotency_key": "k1"},
        ),
        DummyRequest("refund", payment.gateway_reference, {"amount": 250, "idempotency_key": "r1"}),
        DummyRequest("fetch_status", payment.gateway_reference, {}),
    ]


def test_an_amount_it_cannot_represent_sends_no_request(gateway, payment):
    with pytest.raises(UnsupportedAmountError):
        gateway.initiate(
            replace(payment, amount=Money(Decimal("1.005"), "USD")), idempotency_key="k"
        )
    assert list(gateway.requests) == []


def test_the_request_log_is_bounded(gateway, payment):
    from commerce.payments.gateways.dummy import REQUEST_LOG_SIZE

    for _ in range(REQUEST_LOG_SIZE + 5):
        gateway.fetch_status(payment)
    assert len(gateway.requests) == REQUEST_LOG_SIZE


def test_its_confirmation_page_lives_with_it_not_in_the_production_views():
    from django.urls import resolve, reverse

    import commerce.payments.api.views as production_views
    from commerce.payments.gateways.dummy.views import DummyConfirmView

    path = reverse("commerce_payments:dummy-confirm", kwargs={"gateway_reference": "dummy_x"})
    assert path == "/api/v1/payments/dummy/dummy_x/confirm/"
    assert resolve(path).func.view_class is DummyConfirmView
    # The production views only document the dummy's signature header (for the webhook).
    assert not hasattr(production_views, "DummyConfirmView")
    assert not hasattr(production_views, "DummyGateway")
