"""The Paystack gateway, with HTTP intercepted at httpx's transport.

Request and webhook bodies follow the shapes in Paystack's API reference and
webhook documentation; webhooks are signed as Paystack signs them (hex
HMAC-SHA512 of the raw body with the secret key).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import override_settings
from djmoney.money import Money

from commerce.core.exceptions import CommerceValidationError
from commerce.payments.exceptions import (
    GatewayConfigurationError,
    GatewayError,
    GatewayUnsupportedFeature,
    MissingDependencyError,
    UnsupportedAmountError,
    WebhookVerificationError,
)
from commerce.payments.gateways import paystack
from commerce.payments.gateways.base import Capability, EventType, Outcome
from commerce.payments.gateways.paystack import (
    PaystackAPIError,
    PaystackGateway,
    PaystackUnavailableError,
)
from commerce.payments.gateways.registry import gateways, get_gateway
from tests.payments.fakes import FakePayment
from tests.payments.paystack_fakes import (
    CHARGE_SUCCESS,
    DISPUTE_CREATE,
    REFERENCE,
    SECRET,
    FakePaystack,
    build,
    ok,
    refund_data,
    refund_event,
    refused,
    sign,
    signed,
    verify_data,
)


@pytest.fixture
def payment() -> FakePayment:
    return FakePayment(
        reference=REFERENCE,
        amount=Money(Decimal("1500.50"), "NGN"),
        email="ada@example.com",
        order_number="261122-ABCDEF",
    )


# --- configuration -------------------------------------------------------------------


def test_declares_only_what_paystack_does():
    assert PaystackGateway.name == "paystack"
    assert PaystackGateway.capabilities == {
        Capability.REFUND,
        Capability.PARTIAL_REFUND,
        Capability.WEBHOOKS,
    }
    assert {"NGN", "GHS", "ZAR", "KES", "USD"} <= PaystackGateway.currencies


def test_requests_carry_the_bearer_key_to_the_configured_base_url(payment):
    fake = FakePaystack(ok(verify_data()))
    gateway = build(fake, base_url="https://paystack.test/")
    gateway.fetch_status(payment)
    request = fake.only_request
    assert request.url.host == "paystack.test"
    assert request.headers["authorization"] == f"Bearer {SECRET}"


def test_default_base_url_and_timeout(payment):
    fake = FakePaystack(ok(verify_data()))
    gateway = build(fake)
    gateway.fetch_status(payment)
    assert str(fake.only_request.url).startswith("https://api.paystack.co/transaction/verify/")
    assert fake.only_request.extensions["timeout"] == httpx.Timeout(10.0).as_dict()


def test_timeout_option_reaches_every_request(payment):
    fake = FakePaystack(ok(verify_data()))
    build(fake, timeout=2.5).fetch_status(payment)
    assert fake.only_request.extensions["timeout"] == httpx.Timeout(2.5).as_dict()


@pytest.mark.parametrize("secret_key", [None, "", "   ", 42])
def test_a_secret_key_is_required(secret_key):
    with pytest.raises(GatewayConfigurationError, match="secret_key"):
        PaystackGateway(alias="paystack", options={"secret_key": secret_key})


@pytest.mark.parametrize("timeout", [0, -1, "10", True])
def test_timeout_must_be_a_positive_number(timeout):
    with pytest.raises(GatewayConfigurationError, match="timeout"):
        build(timeout=timeout)


def test_transport_must_be_an_httpx_transport():
    with pytest.raises(GatewayConfigurationError, match="transport"):
        build(transport=lambda request: None)


def test_public_config_shows_the_public_key_and_never_the_secret():
    assert build(public_key="pk_test_abc").public_config() == {"public_key": "pk_test_abc"}
    assert build().public_config() == {}
    assert SECRET not in json.dumps(build(public_key="pk_test_abc").public_config())


def test_missing_httpx_names_the_extra_to_install(monkeypatch):
    # Load a private copy of the module as if httpx were not installed: importing it
    # must work (the registry imports it by name), building the gateway must not.
    monkeypatch.setitem(sys.modules, "httpx", None)
    spec = importlib.util.spec_from_file_location("paystack_without_httpx", Path(paystack.__file__))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.httpx is None

    with pytest.raises(MissingDependencyError) as excinfo:
        module.PaystackGateway(alias="paystack", options={"secret_key": SECRET})
    assert isinstance(excinfo.value, ImproperlyConfigured)
    assert 'pip install "django-commerce-kit[paystack]"' in str(excinfo.value)
    assert "httpx" in str(excinfo.value)


def test_built_through_the_registry_from_settings(payment):
    fake = FakePaystack(
        ok({"authorization_url": "https://checkout.paystack.com/abc", "reference": REFERENCE})
    )
    config = {
        "PAYMENT_GATEWAYS": {
            "naira": {
                "BACKEND": "commerce.payments.gateways.paystack.PaystackGateway",
                "OPTIONS": {
                    "secret_key": SECRET,
                    "public_key": "pk_test_abc",
                    "transport": httpx.MockTransport(fake),
                },
            }
        }
    }
    try:
        with override_settings(COMMERCE=config):
            gateway = get_gateway("naira")
            assert isinstance(gateway, PaystackGateway)
            assert gateway.alias == "naira"
            assert get_gateway("naira") is gateway
            assert gateway.public_config() == {"public_key": "pk_test_abc"}
            result = gateway.initiate(payment, idempotency_key="k1")
        assert result.redirect_url == "https://checkout.paystack.com/abc"
        assert fake.only_request.url.path == "/transaction/initialize"
    finally:
        gateways.reset()


# --- the client ----------------------------------------------------------------------


def test_the_client_returns_paystack_data_from_one_request():
    fake = FakePaystack(ok(refund_data(status="processed")))
    client = paystack.PaystackClient(SECRET, transport=httpx.MockTransport(fake))
    data = client.create_refund(REFERENCE)
    assert data["status"] == "processed"
    assert json.loads(fake.only_request.content) == {"transaction": REFERENCE}
    client.close()


def test_the_client_quotes_the_reference_into_the_verify_path():
    fake = FakePaystack(ok(verify_data()))
    client = paystack.PaystackClient(SECRET, transport=httpx.MockTransport(fake))
    client.verify_transaction("a/b?c")
    assert fake.only_request.url.raw_path == b"/transaction/verify/a%2Fb%3Fc"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.ReadTimeout("timed out"), PaystackUnavailableError),
        (httpx.ConnectError("refused"), PaystackUnavailableError),
        (refused("Service unavailable", 503), PaystackUnavailableError),
        (httpx.Response(200, json={"status": True, "data": None}), PaystackUnavailableError),
        (refused("Invalid key", 401), PaystackAPIError),
        (
            httpx.Response(200, json={"status": False, "message": "No", "data": {}}),
            PaystackAPIError,
        ),
    ],
)
def test_the_client_raises_typed_errors_and_never_retries(response, error):
    fake = FakePaystack(response)
    client = paystack.PaystackClient(SECRET, transport=httpx.MockTransport(fake))
    with pytest.raises(error) as excinfo:
        client.verify_transaction(REFERENCE)
    assert len(fake.requests) == 1
    assert SECRET not in str(excinfo.value)


def test_the_default_transport_does_not_retry():
    client = paystack.PaystackClient(SECRET)
    transport = client._http._transport
    assert isinstance(transport, httpx.HTTPTransport)
    assert transport._pool._retries == 0
    client.close()


# --- amounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1500.50", "NGN", 150050),
        ("1500.5", "NGN", 150050),
        ("20", "GHS", 2000),
        ("99.99", "ZAR", 9999),
        ("150", "KES", 15000),
        ("12.50", "USD", 1250),
    ],
)
def test_amounts_go_to_paystack_in_subunits(amount, currency, minor):
    assert build().to_minor_units(Money(Decimal(amount), currency)) == minor


@pytest.mark.parametrize(
    "amount",
    [
        Money(Decimal("1000"), "JPY"),  # Paystack does not take it
        Money(Decimal("1000"), "EUR"),
        Money(Decimal("10.005"), "NGN"),  # a kobo cannot be split
        Money(Decimal("0"), "NGN"),
        Money(Decimal("-5"), "NGN"),
    ],
)
def test_amounts_paystack_cannot_take_are_refused_before_any_call(payment, amount):
    fake = FakePaystack()
    with pytest.raises(UnsupportedAmountError):
        build(fake).initiate(dataclasses.replace(payment, amount=amount), idempotency_key="k")
    assert fake.requests == []


# --- initiate ------------------------------------------------------------------------


def test_initiate_initializes_a_transaction_under_our_reference(payment):
    data = {
        "authorization_url": "https://checkout.paystack.com/0peioxfhpn",
        "access_code": "0peioxfhpn",
        "reference": REFERENCE,
    }
    fake = FakePaystack(ok(data, "Authorization URL created"))
    result = build(fake).initiate(
        payment, idempotency_key="initiate-key", return_url="https://shop.example/paid/"
    )

    request = fake.only_request
    assert request.method == "POST"
    assert request.url.path == "/transaction/initialize"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "email": "ada@example.com",
        "amount": 150050,
        "currency": "NGN",
        "reference": REFERENCE,
        "callback_url": "https://shop.example/paid/",
        "metadata": {"commerce_reference": REFERENCE, "order_number": "261122-ABCDEF"},
    }
    assert result.outcome == Outcome.PENDING
    assert result.gateway_reference == REFERENCE
    assert result.redirect_url == "https://checkout.paystack.com/0peioxfhpn"
    assert result.client_secret == ""
    assert result.raw == data


def test_initiate_without_return_url_leaves_the_dashboard_callback(payment):
    fake = FakePaystack(ok({"authorization_url": "https://checkout.paystack.com/x"}))
    build(fake).initiate(payment, idempotency_key="k")
    assert "callback_url" not in json.loads(fake.only_request.content)


def test_initiate_needs_an_email_before_any_call(payment):
    fake = FakePaystack()
    with pytest.raises(CommerceValidationError, match="email"):
        build(fake).initiate(dataclasses.replace(payment, email=""), idempotency_key="k")
    assert fake.requests == []


def test_a_retried_initiate_that_paystack_calls_a_duplicate_is_unknown_not_a_second_charge(
    payment,
):
    fake = FakePaystack(refused("Duplicate Transaction Reference"))
    result = build(fake).initiate(payment, idempotency_key="k")
    assert len(fake.requests) == 1
    assert result.outcome == Outcome.UNKNOWN
    assert result.gateway_reference == REFERENCE
    assert result.redirect_url == ""
    assert result.raw["error"]["details"]["paystack_message"] == "Duplicate Transaction Reference"


def test_initiate_refused_by_paystack_raises_with_its_message(payment):
    fake = FakePaystack(refused("Invalid Amount Sent"))
    with pytest.raises(PaystackAPIError) as excinfo:
        build(fake).initiate(payment, idempotency_key="k")
    error = excinfo.value
    assert isinstance(error, GatewayError)
    assert error.paystack_message == "Invalid Amount Sent"
    assert error.http_status == 400
    # The API envelope shows the documented gateway code.
    assert (error.code, error.status_code) == ("gateway_error", 502)
    assert "Invalid Amount Sent" in error.message
    assert len(fake.requests) == 1


def test_a_bad_key_error_never_contains_the_secret(payment):
    fake = FakePaystack(refused("Invalid key", status=401))
    with pytest.raises(PaystackAPIError) as excinfo:
        build(fake).initiate(payment, idempotency_key="k")
    error = excinfo.value
    assert error.http_status == 401
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert SECRET not in json.dumps(error.details)


def test_a_4xx_without_json_is_still_a_typed_error(payment):
    fake = FakePaystack(httpx.Response(404, text="<html>Not found</html>"))
    with pytest.raises(PaystackAPIError, match="HTTP 404"):
        build(fake).initiate(payment, idempotency_key="k")


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_initiate_without_an_answer_is_unknown_and_not_retried(payment, failure):
    fake = FakePaystack(failure)
    result = build(fake).initiate(payment, idempotency_key="k")
    assert len(fake.requests) == 1
    assert result.outcome == Outcome.UNKNOWN
    # No reference: the services start it again (same reference) instead of asking about it.
    assert result.gateway_reference == ""
    assert SECRET not in json.dumps(result.raw)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_initiate_on_a_paystack_5xx_is_unknown_and_not_retried(payment, status):
    fake = FakePaystack(refused("Something went wrong", status=status))
    result = build(fake).initiate(payment, idempotency_key="k")
    assert len(fake.requests) == 1
    assert result.outcome == Outcome.UNKNOWN


def test_initiate_with_an_unreadable_2xx_is_unknown(payment):
    fake = FakePaystack(httpx.Response(200, text="<html>maintenance</html>"))
    assert build(fake).initiate(payment, idempotency_key="k").outcome == Outcome.UNKNOWN


# --- fetch_status --------------------------------------------------------------------


def test_a_verified_success_for_the_payment_amount_is_captured(payment):
    fake = FakePaystack(ok(verify_data(), "Verification successful"))
    result = build(fake).fetch_status(payment)

    request = fake.only_request
    assert request.method == "GET"
    assert request.url.path == f"/transaction/verify/{REFERENCE}"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert result.outcome == Outcome.SUCCEEDED
    assert result.captured is True
    assert result.amount == Money(Decimal("1500.50"), "NGN")
    assert result.gateway_reference == REFERENCE
    assert result.raw["id"] == 690075529


def test_fetch_status_uses_the_gateway_reference_once_known(payment):
    fake = FakePaystack(ok(verify_data()))
    build(fake).fetch_status(dataclasses.replace(payment, gateway_reference="ps-ref-9"))
    assert fake.only_request.url.path == "/transaction/verify/ps-ref-9"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (100000, "NGN"),  # underpaid
        (150051, "NGN"),  # a kobo over is not the payment either
        (150050, "GHS"),  # same number, other currency
    ],
)
def test_a_success_for_another_amount_reports_what_was_charged(payment, amount, currency):
    # The money moved, so the answer says so; the services flag the payment and
    # never mark the order paid (tests/payments/test_flows_paystack.py).
    fake = FakePaystack(ok(verify_data(amount=amount, currency=currency)))
    result = build(fake).fetch_status(payment)
    assert result.outcome == Outcome.SUCCEEDED
    assert result.captured is True
    assert result.amount == Money(Decimal(amount) / 100, currency)
    assert result.amount != payment.amount
    assert "not treated as paid" in result.message
    assert "1500.50 NGN" in result.message


@pytest.mark.parametrize(("amount", "currency"), [(150050, "XOF"), ("150050", None)])
def test_a_success_for_an_unreadable_amount_is_unknown(payment, amount, currency):
    fake = FakePaystack(ok(verify_data(amount=amount, currency=currency)))
    result = build(fake).fetch_status(payment)
    assert result.outcome == Outcome.UNKNOWN
    assert result.captured is False
    assert "check it at Paystack" in result.message


def test_an_underpayment_reports_what_paystack_charged(payment):
    fake = FakePaystack(ok(verify_data(amount=100000)))
    result = build(fake).fetch_status(payment)
    assert result.amount == Money(Decimal("1000.00"), "NGN")
    assert "charge of 1000.00 NGN" in result.message


@pytest.mark.parametrize("status", ["failed", "reversed"])
def test_failed_and_reversed_transactions_fail(payment, status):
    fake = FakePaystack(ok(verify_data(status=status, gateway_response="Declined")))
    result = build(fake).fetch_status(payment)
    assert result.outcome == Outcome.FAILED
    assert result.captured is False
    assert result.message == "Declined"


@pytest.mark.parametrize("status", ["abandoned", "ongoing", "pending", "processing", "queued"])
def test_unfinished_transactions_are_pending(payment, status):
    # "abandoned" is how Paystack reports a checkout the customer has not completed
    # yet (a verify right after initialize returns it); the customer may still pay.
    fake = FakePaystack(ok(verify_data(status=status)))
    result = build(fake).fetch_status(payment)
    assert result.outcome == Outcome.PENDING
    assert result.captured is False


def test_an_unrecognised_status_is_unknown_not_guessed(payment):
    fake = FakePaystack(ok(verify_data(status="on-hold")))
    result = build(fake).fetch_status(payment)
    assert result.outcome == Outcome.UNKNOWN
    assert "on-hold" in result.message


@pytest.mark.parametrize(
    "response",
    [httpx.ReadTimeout("timed out"), httpx.ConnectError("refused"), refused("down", 502)],
    ids=["timeout", "connect", "502"],
)
def test_verify_without_an_answer_is_unknown_and_not_retried(payment, response):
    fake = FakePaystack(response)
    result = build(fake).fetch_status(payment)
    assert len(fake.requests) == 1
    assert result.outcome == Outcome.UNKNOWN
    assert result.gateway_reference == REFERENCE
    assert result.message


def test_verify_of_an_unknown_reference_raises_paystack_message(payment):
    fake = FakePaystack(refused("Transaction reference not found", status=400))
    with pytest.raises(PaystackAPIError, match="Transaction reference not found"):
        build(fake).fetch_status(payment)


# --- refund --------------------------------------------------------------------------


def test_a_full_refund_names_only_the_transaction(payment):
    fake = FakePaystack(ok(refund_data(), "Refund has been queued for processing"))
    result = build(fake).refund(payment, idempotency_key="refund-key-1")

    request = fake.only_request
    assert request.method == "POST"
    assert request.url.path == "/refund"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert json.loads(request.content) == {
        "transaction": REFERENCE,
        "merchant_note": "commerce refund refund-key-1",
    }
    assert result.outcome == Outcome.PENDING
    assert result.gateway_reference == "3018284"
    assert result.amount == Money(Decimal("1500.50"), "NGN")


def test_a_partial_refund_sends_the_amount_in_subunits(payment):
    fake = FakePaystack(ok(refund_data(amount=50025)))
    result = build(fake).refund(
        payment, Money(Decimal("500.25"), "NGN"), idempotency_key="refund-key-2"
    )
    body = json.loads(fake.only_request.content)
    assert body["transaction"] == REFERENCE
    assert body["amount"] == 50025
    assert result.amount == Money(Decimal("500.25"), "NGN")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("pending", Outcome.PENDING),
        ("processing", Outcome.PENDING),
        ("processed", Outcome.SUCCEEDED),
        ("failed", Outcome.FAILED),
        ("something-new", Outcome.UNKNOWN),
    ],
)
def test_refund_statuses(payment, status, outcome):
    fake = FakePaystack(ok(refund_data(status=status)))
    assert build(fake).refund(payment, idempotency_key="k").outcome == outcome


@pytest.mark.parametrize(
    "amount",
    [
        Money(Decimal("10"), "GHS"),  # not the payment's currency
        Money(Decimal("0"), "NGN"),
        Money(Decimal("1.001"), "NGN"),
    ],
)
def test_refund_amounts_that_cannot_be_sent_are_refused_before_any_call(payment, amount):
    fake = FakePaystack()
    with pytest.raises(UnsupportedAmountError):
        build(fake).refund(payment, amount, idempotency_key="k")
    assert fake.requests == []


@pytest.mark.parametrize(
    "response",
    [httpx.ReadTimeout("timed out"), refused("Internal error", 500)],
    ids=["timeout", "500"],
)
def test_a_refund_without_an_answer_is_unknown_and_never_resent(payment, response):
    fake = FakePaystack(response)
    result = build(fake).refund(payment, Money(Decimal("100"), "NGN"), idempotency_key="k")
    assert len(fake.requests) == 1
    assert result.outcome == Outcome.UNKNOWN
    assert result.amount == Money(Decimal("100"), "NGN")


def test_a_refused_refund_raises_paystack_message(payment):
    fake = FakePaystack(refused("Transaction has been fully reversed"))
    with pytest.raises(PaystackAPIError, match="Transaction has been fully reversed"):
        build(fake).refund(payment, idempotency_key="k")


# --- unsupported operations ----------------------------------------------------------


def test_capture_and_void_are_unsupported_and_send_nothing(payment):
    fake = FakePaystack()
    gateway = build(fake)
    with pytest.raises(GatewayUnsupportedFeature) as excinfo:
        gateway.capture(payment, idempotency_key="k")
    assert excinfo.value.details == {"gateway": "paystack", "capability": "capture"}
    with pytest.raises(GatewayUnsupportedFeature):
        gateway.capture(payment, Money(Decimal("1"), "NGN"), idempotency_key="k")
    with pytest.raises(GatewayUnsupportedFeature):
        gateway.void(payment, idempotency_key="k")
    assert fake.requests == []


# --- webhook signatures --------------------------------------------------------------


def test_a_correctly_signed_body_verifies():
    body, headers = signed(CHARGE_SUCCESS)
    build().verify_webhook(body, headers)


@pytest.mark.parametrize(
    "header", ["x-paystack-signature", "X-Paystack-Signature", "X-PAYSTACK-SIGNATURE"]
)
def test_the_signature_header_name_is_case_insensitive(header):
    body = json.dumps(CHARGE_SUCCESS).encode()
    build().verify_webhook(body, {header: sign(body)})


def test_a_tampered_body_is_rejected():
    body, headers = signed(CHARGE_SUCCESS)
    tampered = body.replace(b"150050", b"999999")
    with pytest.raises(WebhookVerificationError):
        build().verify_webhook(tampered, headers)


def test_a_body_signed_with_another_secret_is_rejected():
    body = json.dumps(CHARGE_SUCCESS).encode()
    with pytest.raises(WebhookVerificationError):
        build().verify_webhook(body, {"x-paystack-signature": sign(body, "sk_test_other")})


@pytest.mark.parametrize("headers", [{}, {"x-paystack-signature": ""}, {"x-other": "abc"}])
def test_a_missing_signature_is_rejected(headers):
    body = json.dumps(CHARGE_SUCCESS).encode()
    with pytest.raises(WebhookVerificationError, match="missing"):
        build().verify_webhook(body, headers)


def test_the_signature_covers_the_raw_bytes_not_re_serialised_json():
    raw = b'{"event":"charge.success",  "data": {"reference": "cmrc-pay-0001", "amount": 150050}}'
    headers = {"x-paystack-signature": sign(raw)}
    gateway = build()
    gateway.verify_webhook(raw, headers)
    reserialised = json.dumps(json.loads(raw)).encode()
    assert json.loads(reserialised) == json.loads(raw)
    with pytest.raises(WebhookVerificationError):
        gateway.verify_webhook(reserialised, headers)


def test_a_signed_body_that_is_not_json_is_rejected():
    body = b"event=charge.success"
    with pytest.raises(WebhookVerificationError, match="JSON"):
        build().verify_webhook(body, {"x-paystack-signature": sign(body)})


def test_signed_json_without_an_event_name_is_rejected():
    body = b'["charge.success"]'
    with pytest.raises(WebhookVerificationError):
        build().verify_webhook(body, {"x-paystack-signature": sign(body)})


def test_a_decoded_body_is_rejected():
    body = json.dumps(CHARGE_SUCCESS)
    with pytest.raises(WebhookVerificationError, match="raw"):
        build().verify_webhook(body, {"x-paystack-signature": sign(body.encode())})


def test_a_non_ascii_signature_is_a_mismatch_not_a_crash():
    body = json.dumps(CHARGE_SUCCESS).encode()
    with pytest.raises(WebhookVerificationError):
        build().verify_webhook(body, {"x-paystack-signature": "é" * 128})


def test_a_verification_failure_is_a_400_suspicious_operation():
    with pytest.raises(SuspiciousOperation) as excinfo:
        build().verify_webhook(b"{}", {})
    assert excinfo.value.status_code == 400


def test_parse_webhook_verifies_the_signature_too():
    body, _ = signed(CHARGE_SUCCESS)
    with pytest.raises(WebhookVerificationError):
        build().parse_webhook(body, {"x-paystack-signature": sign(body, "sk_test_other")})


# --- webhook events ------------------------------------------------------------------


def parse(payload):
    body, headers = signed(payload)
    events = build().parse_webhook(body, headers)
    assert len(events) == 1
    return events[0]


def test_charge_success_is_a_capture_of_the_charged_amount():
    event = parse(CHARGE_SUCCESS)
    assert event.type == EventType.CAPTURED
    assert event.gateway_reference == REFERENCE
    assert event.amount == Money(Decimal("1500.50"), "NGN")
    assert event.currency == "NGN"
    assert event.occurred_at == datetime(2026, 11, 22, 21, 10, 19, tzinfo=UTC)
    assert event.raw == CHARGE_SUCCESS


@pytest.mark.parametrize("event_name", ["refund.pending", "refund.processing"])
def test_refund_pending_and_processing(event_name):
    event = parse(refund_event(event_name, event_name.split(".")[1], "10000"))
    assert event.type == EventType.REFUND_PENDING
    assert event.gateway_reference == REFERENCE
    assert event.amount == Money(Decimal("100.00"), "NGN")
    assert event.occurred_at is None


def test_refund_processed_reads_its_string_amount():
    event = parse(refund_event("refund.processed", "processed", "5000", "132013318360"))
    assert event.type == EventType.REFUNDED
    assert event.gateway_reference == REFERENCE
    assert event.amount == Money(Decimal("50.00"), "NGN")


def test_refund_failed():
    event = parse(refund_event("refund.failed", "failed", 20000, "TRF_9vgfawjnoz58uxy"))
    assert event.type == EventType.REFUND_FAILED
    assert event.amount == Money(Decimal("200.00"), "NGN")


def test_a_dispute_names_the_disputed_transaction():
    event = parse(DISPUTE_CREATE)
    assert event.type == EventType.DISPUTE_OPENED
    assert event.gateway_reference == REFERENCE
    assert event.amount == Money(Decimal("1500.50"), "NGN")
    assert event.occurred_at == datetime(2026, 11, 24, 13, 46, 57, tzinfo=UTC)


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "transfer.success", "data": {"reference": "trf-1", "amount": 30000}},
        {"event": "charge.dispute.resolve", "data": {**DISPUTE_CREATE["data"], "id": 1}},
        {"event": "subscription.create", "data": {"subscription_code": "SUB_x"}},
        {"event": "paymentrequest.success"},
    ],
)
def test_other_events_are_unknown(payload):
    event = parse(payload)
    assert event.type == EventType.UNKNOWN
    assert event.raw == payload
    assert len(event.event_id) == 64


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(150050, "XOF"), (150050, "ZZZ"), ("15.5", "NGN"), (None, "NGN"), (True, "NGN")],
)
def test_an_event_amount_that_cannot_be_read_is_none_so_it_never_matches(amount, currency):
    payload = json.loads(json.dumps(CHARGE_SUCCESS))
    payload["data"].update(amount=amount, currency=currency)
    assert parse(payload).amount is None


# --- derived event ids ---------------------------------------------------------------


def test_a_redelivered_event_keeps_its_id():
    first = parse(CHARGE_SUCCESS)
    again = parse(CHARGE_SUCCESS)
    # A redelivery whose JSON is laid out differently still names the same event.
    relaid = json.dumps(CHARGE_SUCCESS, indent=2, sort_keys=True).encode()
    third = build().parse_webhook(relaid, {"x-paystack-signature": sign(relaid)})[0]
    assert first.event_id == again.event_id == third.event_id


def test_different_events_of_one_transaction_have_different_ids():
    ids = [
        parse(CHARGE_SUCCESS).event_id,
        parse(refund_event("refund.pending", "pending", "10000")).event_id,
        parse(refund_event("refund.processing", "processing", "10000")).event_id,
        parse(refund_event("refund.processed", "processed", "10000", "1320")).event_id,
        parse(refund_event("refund.failed", "failed", 10000, "TRF_1")).event_id,
        parse(DISPUTE_CREATE).event_id,
    ]
    assert len(set(ids)) == len(ids)


def test_two_partial_refunds_of_one_transaction_have_different_ids():
    first = parse(refund_event("refund.processed", "processed", "5000", "1320"))
    second = parse(refund_event("refund.processed", "processed", "5000", "1321"))
    other_amount = parse(refund_event("refund.pending", "pending", "7000"))
    same_amount = parse(refund_event("refund.pending", "pending", "5000"))
    assert first.event_id != second.event_id
    assert other_amount.event_id != same_amount.event_id


def test_a_refund_amount_sent_as_a_number_or_a_string_is_the_same_event():
    as_string = parse(refund_event("refund.processed", "processed", "5000", "1320"))
    as_number = parse(refund_event("refund.processed", "processed", 5000, "1320"))
    assert as_string.event_id == as_number.event_id


def test_charges_of_different_transactions_have_different_ids():
    other = json.loads(json.dumps(CHARGE_SUCCESS))
    other["data"].update(id=302962, reference="cmrc-pay-0002")
    assert parse(CHARGE_SUCCESS).event_id != parse(other).event_id
