"""The Stripe gateway, driven through the real ``stripe`` SDK with its HTTP layer faked.

Requests are intercepted with the SDK's own hook (a ``stripe.HTTPClient`` subclass),
so these tests see exactly what the SDK would send: method, path, form-encoded
parameters and headers. Responses and webhook events are shaped like the objects
in Stripe's API reference, and webhooks are signed the way Stripe signs them.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from djmoney.money import Money

from commerce.core.exceptions import CurrencyMismatchError
from commerce.payments.exceptions import (
    GatewayError,
    MissingDependencyError,
    UnsupportedAmountError,
    WebhookVerificationError,
)
from commerce.payments.gateways.base import Capability, EventType, Outcome
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.gateways.stripe import StripeGateway
from tests.payments.stripe_fakes import (
    CHARGE_ID,
    IDEMPOTENCY_KEY,
    PI_ID,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeHTTPClient,
    charge_object,
    dispute_object,
    event_body,
    make_gateway,
    payment_intent,
    refund_object,
    sign,
    stripe_error,
    timeout_error,
    usd,
)

# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def http() -> FakeHTTPClient:
    return FakeHTTPClient()


@pytest.fixture
def gateway(http: FakeHTTPClient) -> StripeGateway:
    return make_gateway(http)


@pytest.fixture
def placed(payment):
    """The payment once initiate gave it a PaymentIntent."""
    return dataclasses.replace(payment, gateway_reference=PI_ID)


# --- building the gateway --------------------------------------------------------------


def test_declares_every_capability(gateway):
    assert gateway.name == "stripe"
    assert gateway.capabilities == frozenset(Capability)


def test_public_config_has_the_publishable_key_and_never_a_secret(gateway):
    config = gateway.public_config()
    assert config == {"publishable_key": PUBLISHABLE_KEY, "capture_method": "automatic"}
    assert SECRET_KEY not in json.dumps(config)
    assert WEBHOOK_SECRET not in json.dumps(config)


def test_missing_sdk_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "stripe", None)  # makes ``import stripe`` fail
    with pytest.raises(MissingDependencyError) as caught:
        StripeGateway(alias="stripe", options={"secret_key": SECRET_KEY})
    assert 'pip install "django-commerce-kit[stripe]"' in str(caught.value)
    assert isinstance(caught.value, ImproperlyConfigured)


def test_the_module_imports_without_the_sdk(monkeypatch):
    """Only building the gateway needs the SDK: the registry and checks can import it."""
    import commerce.payments.gateways as package

    monkeypatch.setitem(sys.modules, "stripe", None)
    monkeypatch.delitem(sys.modules, "commerce.payments.gateways.stripe")
    monkeypatch.setattr(package, "stripe", package.stripe)  # restored afterwards
    fresh = importlib.import_module("commerce.payments.gateways.stripe")
    with pytest.raises(MissingDependencyError):
        fresh.StripeGateway(alias="stripe", options={"secret_key": SECRET_KEY})


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, "secret_key"),
        ({"secret_key": ""}, "secret_key"),
        ({"secret_key": SECRET_KEY, "capture_method": "later"}, "capture_method"),
        ({"secret_key": SECRET_KEY, "webhook_tolerance": 0}, "webhook_tolerance"),
        ({"secret_key": SECRET_KEY, "timeout": -1}, "timeout"),
        ({"secret_key": SECRET_KEY, "max_network_retries": -1}, "max_network_retries"),
        ({"secret_key": SECRET_KEY, "http_client": object()}, "http_client"),
        ({"secret_key": SECRET_KEY, "currencies": "USD"}, "currencies"),
        ({"secret_key": SECRET_KEY, "currencies": ["USD", "XYZ"]}, "currencies"),
    ],
)
def test_bad_options_are_configuration_errors(options, problem):
    with pytest.raises(ImproperlyConfigured, match=problem) as caught:
        StripeGateway(alias="stripe", options=options)
    assert SECRET_KEY not in str(caught.value)


def test_built_by_the_registry_from_settings(http, payment):
    http.respond(200, payment_intent())
    gateways = {
        "card": {
            "BACKEND": "commerce.payments.gateways.stripe.StripeGateway",
            "OPTIONS": {
                "secret_key": SECRET_KEY,
                "publishable_key": PUBLISHABLE_KEY,
                "capture_method": "manual",
                "http_client": http,
                "max_network_retries": 0,
            },
        }
    }
    with override_settings(COMMERCE={"PAYMENT_GATEWAYS": gateways}):
        gateway = get_gateway("card")
        assert isinstance(gateway, StripeGateway)
        assert gateway.alias == "card"
        assert gateway.public_config()["publishable_key"] == PUBLISHABLE_KEY
        gateway.initiate(payment, idempotency_key=IDEMPOTENCY_KEY)
    assert http.requests[0].params["capture_method"] == "manual"
    assert http.requests[0].header("Authorization") == f"Bearer {SECRET_KEY}"


def test_api_base_points_the_client_at_an_emulator(http, payment):
    gateway = make_gateway(http, api_base="http://127.0.0.1:12111")
    http.respond(200, payment_intent())
    gateway.initiate(payment, idempotency_key=IDEMPOTENCY_KEY)
    assert http.requests[0].url == "http://127.0.0.1:12111/v1/payment_intents"


def test_without_an_http_client_the_sdks_requests_client_gets_the_timeout(monkeypatch, placed):
    built: list[FakeHTTPClient] = []

    class RecordingRequestsClient(FakeHTTPClient):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            built.append(self)

    monkeypatch.setattr(stripe, "RequestsClient", RecordingRequestsClient)
    gateway = StripeGateway(alias="stripe", options={"secret_key": SECRET_KEY, "timeout": 12})
    [http] = built
    assert http.init_kwargs == {"timeout": 12}
    http.respond(200, payment_intent())
    gateway.fetch_status(placed)
    assert len(http.requests) == 1  # the gateway's client really is this one


# --- amounts -----------------------------------------------------------------------------

# From https://docs.stripe.com/currencies: zero-decimal, three-decimal (last digit 0),
# and the special cases (ISK and UGX as two decimals, always 00; HUF and TWD two-decimal
# for charges).
AMOUNTS = [
    ("1000", "JPY", 1000),
    ("12.50", "USD", 1250),
    ("0.01", "EUR", 1),
    ("1.230", "KWD", 1230),
    ("0.5", "BHD", 500),
    ("5", "ISK", 500),
    ("5000", "UGX", 500000),
    ("10.45", "HUF", 1045),
    ("800.45", "TWD", 80045),
    ("990", "CLP", 990),
    ("100", "MGA", 100),
]


@pytest.mark.parametrize(("amount", "currency", "minor"), AMOUNTS)
def test_minor_units_follow_stripes_table(gateway, amount, currency, minor):
    money = Money(Decimal(amount), currency)
    assert gateway.to_minor_units(money) == minor
    assert gateway.from_minor_units(minor, currency) == money


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1.234", "KWD"),  # three-decimal: the last digit must be 0
        ("0.005", "OMR"),
        ("1.005", "USD"),
        ("1.5", "JPY"),
        ("5.5", "ISK"),  # ISK is whole units, sent as two decimals
        ("10.50", "MGA"),  # two decimals in ISO 4217, zero at Stripe
    ],
)
def test_amounts_stripe_cannot_represent_are_refused(gateway, amount, currency):
    with pytest.raises(UnsupportedAmountError) as caught:
        gateway.to_minor_units(Money(Decimal(amount), currency))
    assert caught.value.details["currency"] == currency


def test_an_unrepresentable_amount_is_refused_before_any_call(gateway, http, payment):
    with pytest.raises(UnsupportedAmountError):
        gateway.initiate(
            dataclasses.replace(payment, amount=Money(Decimal("1.234"), "KWD")),
            idempotency_key=IDEMPOTENCY_KEY,
        )
    assert http.requests == []


def test_currencies_option_refuses_others_before_any_call(http, payment):
    gateway = make_gateway(http, currencies=["usd", "EUR"])
    assert gateway.to_minor_units(usd("1.00")) == 100
    with pytest.raises(UnsupportedAmountError, match="GBP"):
        gateway.initiate(
            dataclasses.replace(payment, amount=Money(Decimal("5.00"), "GBP")),
            idempotency_key=IDEMPOTENCY_KEY,
        )
    assert http.requests == []
    # Another instance keeps the class default (any currency).
    assert make_gateway(FakeHTTPClient()).to_minor_units(Money(Decimal("5.00"), "GBP")) == 500


# --- initiate ------------------------------------------------------------------------


def test_initiate_creates_a_payment_intent(gateway, http, payment):
    http.respond(200, payment_intent())
    result = gateway.initiate(
        payment, idempotency_key=IDEMPOTENCY_KEY, return_url="https://shop.test/done"
    )

    [request] = http.requests
    assert (request.method, request.path) == ("post", "/v1/payment_intents")
    assert request.header("Idempotency-Key") == IDEMPOTENCY_KEY
    assert request.params == {
        "amount": "1250",
        "currency": "usd",
        "capture_method": "automatic",
        "automatic_payment_methods[enabled]": "true",
        "metadata[commerce_reference]": "pay_ref_0001",
        "metadata[order_number]": "261122-ABCDEF",
        "receipt_email": "ada@example.com",
    }
    assert result.outcome == Outcome.PENDING
    assert result.gateway_reference == PI_ID
    assert result.client_secret == f"{PI_ID}_secret_YrKJUKribcBjcG8HVhfZluoGH"
    assert result.raw["id"] == PI_ID
    # Stripe: never store or log the client secret; it goes to the customer only.
    assert "client_secret" not in result.raw
    json.dumps(result.raw)


def test_initiate_in_a_zero_decimal_currency_without_email(gateway, http, payment):
    http.respond(200, payment_intent(amount=1000, currency="jpy", receipt_email=None))
    payment = dataclasses.replace(payment, amount=Money(1000, "JPY"), email="")
    gateway.initiate(payment, idempotency_key=IDEMPOTENCY_KEY)
    params = http.requests[0].params
    assert (params["amount"], params["currency"]) == ("1000", "jpy")
    assert "receipt_email" not in params


def test_manual_capture_creates_an_authorization(http, payment):
    gateway = make_gateway(http, capture_method="manual")
    http.respond(200, payment_intent(capture_method="manual"))
    gateway.initiate(payment, idempotency_key=IDEMPOTENCY_KEY)
    assert http.requests[0].params["capture_method"] == "manual"


def test_initiate_declined_card_is_failed_with_the_intent(gateway, http, payment):
    http.respond(
        402,
        stripe_error(
            "card_error",
            "Your card has insufficient funds.",
            code="card_declined",
            decline_code="insufficient_funds",
            payment_intent=payment_intent(
                status="requires_payment_method",
                last_payment_error={"code": "card_declined", "type": "card_error"},
            ),
        ),
    )
    result = gateway.initiate(payment, idempotency_key=IDEMPOTENCY_KEY)
    assert result.outcome == Outcome.FAILED
    assert result.gateway_reference == PI_ID
    assert result.client_secret == ""
    assert "client_secret" not in json.dumps(result.raw)
    assert result.raw["error"]["decline_code"] == "insufficient_funds"


@pytest.mark.parametrize(
    "answer",
    [
        (500, stripe_error("api_error", "Something went wrong on Stripe's end.")),
        (503, stripe_error("api_error", "Service unavailable.")),
        (429, stripe_error("invalid_request_error", "Too many requests.", code="rate_limit")),
        (409, stripe_error("idempotency_error", "A request with this key is in progress.")),
        timeout_error(),
    ],
    ids=["500", "503", "429", "409", "timeout"],
)
def test_initiate_without_an_answer_is_unknown(gateway, http, payment, answer):
    if isinstance(answer, Exception):
        http.fail(answer)
    else:
        http.respond(*answer)
    result = gateway.initiate(payment, idempotency_key=IDEMPOTENCY_KEY)
    assert result.outcome == Outcome.UNKNOWN
    assert result.gateway_reference == ""
    json.dumps(result.raw)


def test_bad_api_key_is_a_gateway_error_without_the_secret(gateway, http, payment):
    # Stripe masks the key in this message; the gateway must not rely on it.
    http.respond(
        401,
        stripe_error("invalid_request_error", f"Invalid API Key provided: {SECRET_KEY}"),
    )
    with pytest.raises(GatewayError) as caught:
        gateway.initiate(payment, idempotency_key=IDEMPOTENCY_KEY)
    error = caught.value
    assert error.status_code == 502
    assert error.details["stripe_error"] == "AuthenticationError"
    assert error.details["request_id"] == "req_test_123"
    for text in (str(error), error.message, json.dumps(error.details)):
        assert SECRET_KEY not in text
        assert "sk_test_" not in text


def test_invalid_request_is_a_gateway_error_with_stripes_reason(gateway, http, payment):
    http.respond(
        400,
        stripe_error(
            "invalid_request_error",
            "Amount must be at least $0.50 usd",
            code="amount_too_small",
            param="amount",
        ),
    )
    with pytest.raises(GatewayError, match=r"at least \$0.50") as caught:
        gateway.initiate(
            dataclasses.replace(payment, amount=usd("0.10")), idempotency_key=IDEMPOTENCY_KEY
        )
    assert caught.value.details["stripe_code"] == "amount_too_small"


# --- capture, void, refund ------------------------------------------------------------


def test_capture_in_full(gateway, http, placed):
    http.respond(200, payment_intent(status="succeeded", amount_received=1250))
    result = gateway.capture(placed, idempotency_key="capture-1")
    [request] = http.requests
    assert (request.method, request.path) == ("post", f"/v1/payment_intents/{PI_ID}/capture")
    assert request.params == {}
    assert request.header("Idempotency-Key") == "capture-1"
    assert result.outcome == Outcome.SUCCEEDED
    assert result.captured is True
    assert result.amount == usd("12.50")
    assert result.gateway_reference == PI_ID
    assert "client_secret" not in result.raw


def test_partial_capture_sends_amount_to_capture(gateway, http, placed):
    http.respond(200, payment_intent(status="succeeded", amount_received=1000))
    result = gateway.capture(placed, usd("10.00"), idempotency_key="capture-1")
    assert http.requests[0].params == {"amount_to_capture": "1000"}
    assert result.amount == usd("10.00")


def test_capture_in_another_currency_is_refused_before_any_call(gateway, http, placed):
    with pytest.raises(CurrencyMismatchError):
        gateway.capture(placed, Money(Decimal("10.00"), "EUR"), idempotency_key="capture-1")
    assert http.requests == []


def test_capture_without_a_payment_intent_is_refused(gateway, http, payment):
    with pytest.raises(GatewayError):
        gateway.capture(payment, idempotency_key="capture-1")
    assert http.requests == []


def test_capture_declined_is_failed_with_the_message(gateway, http, placed):
    http.respond(402, stripe_error("card_error", "Your card was declined.", code="card_declined"))
    result = gateway.capture(placed, idempotency_key="capture-1")
    assert result.outcome == Outcome.FAILED
    assert result.message == "Your card was declined."
    assert result.gateway_reference == PI_ID


def test_capture_timeout_is_unknown(gateway, http, placed):
    http.fail(timeout_error())
    result = gateway.capture(placed, idempotency_key="capture-1")
    assert result.outcome == Outcome.UNKNOWN
    assert result.gateway_reference == PI_ID


def test_sdk_retries_reuse_the_idempotency_key(http, placed, monkeypatch):
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0)
    gateway = make_gateway(http, max_network_retries=1)
    http.respond(500, stripe_error("api_error", "Something went wrong on Stripe's end."))
    http.respond(200, payment_intent(status="succeeded", amount_received=1250))
    result = gateway.capture(placed, idempotency_key="capture-1")
    assert result.outcome == Outcome.SUCCEEDED
    assert [r.header("Idempotency-Key") for r in http.requests] == ["capture-1", "capture-1"]


def test_void_cancels_the_payment_intent(gateway, http, placed):
    http.respond(
        200,
        payment_intent(
            status="canceled",
            capture_method="manual",
            canceled_at=1680801000,
            cancellation_reason="requested_by_customer",
        ),
    )
    result = gateway.void(placed, idempotency_key="void-1")
    [request] = http.requests
    assert (request.method, request.path) == ("post", f"/v1/payment_intents/{PI_ID}/cancel")
    assert request.header("Idempotency-Key") == "void-1"
    assert result.outcome == Outcome.SUCCEEDED
    assert result.captured is False
    assert result.amount == usd("12.50")


def test_void_of_a_captured_payment_is_a_gateway_error(gateway, http, placed):
    http.respond(
        400,
        stripe_error(
            "invalid_request_error",
            "You cannot cancel this PaymentIntent because it has a status of succeeded.",
            code="payment_intent_unexpected_state",
        ),
    )
    with pytest.raises(GatewayError, match="status of succeeded"):
        gateway.void(placed, idempotency_key="void-1")


def test_refund_in_full(gateway, http, placed):
    http.respond(200, refund_object())
    result = gateway.refund(placed, idempotency_key="refund-1")
    [request] = http.requests
    assert (request.method, request.path) == ("post", "/v1/refunds")
    assert request.params == {"payment_intent": PI_ID}
    assert request.header("Idempotency-Key") == "refund-1"
    assert result.outcome == Outcome.SUCCEEDED
    assert result.amount == usd("12.50")
    assert result.gateway_reference == PI_ID
    assert result.raw["id"] == "re_3MtwBwLkdIwHu7ix0fVIPlQN"


def test_partial_refund_sends_the_amount(gateway, http, placed):
    http.respond(200, refund_object(amount=250))
    result = gateway.refund(placed, usd("2.50"), idempotency_key="refund-1")
    assert http.requests[0].params == {"payment_intent": PI_ID, "amount": "250"}
    assert result.amount == usd("2.50")


@pytest.mark.parametrize(
    ("status", "outcome", "message"),
    [
        ("pending", Outcome.PENDING, ""),
        ("requires_action", Outcome.PENDING, ""),
        ("failed", Outcome.FAILED, "expired_or_canceled_card"),
        ("canceled", Outcome.FAILED, ""),
    ],
)
def test_refund_statuses(gateway, http, placed, status, outcome, message):
    fields = {"status": status}
    if status == "failed":
        fields["failure_reason"] = "expired_or_canceled_card"
    http.respond(200, refund_object(**fields))
    result = gateway.refund(placed, idempotency_key="refund-1")
    assert (result.outcome, result.message) == (outcome, message)


def test_refund_over_5xx_is_unknown(gateway, http, placed):
    http.respond(502, stripe_error("api_error", "Bad gateway."))
    result = gateway.refund(placed, usd("2.50"), idempotency_key="refund-1")
    assert result.outcome == Outcome.UNKNOWN
    assert result.gateway_reference == PI_ID


def test_every_post_carries_the_callers_idempotency_key(gateway, http, payment, placed):
    http.respond(200, payment_intent())
    http.respond(200, payment_intent(status="succeeded", amount_received=1250))
    http.respond(200, refund_object())
    http.respond(200, payment_intent(status="canceled"))
    gateway.initiate(payment, idempotency_key="key-initiate")
    gateway.capture(placed, idempotency_key="key-capture")
    gateway.refund(placed, idempotency_key="key-refund")
    gateway.void(placed, idempotency_key="key-void")
    assert [(r.method, r.header("Idempotency-Key")) for r in http.requests] == [
        ("post", "key-initiate"),
        ("post", "key-capture"),
        ("post", "key-refund"),
        ("post", "key-void"),
    ]


# --- fetch_status ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "outcome", "captured", "amount"),
    [
        ({"status": "succeeded", "amount_received": 1250}, Outcome.SUCCEEDED, True, "12.50"),
        (
            {"status": "requires_capture", "amount_capturable": 1250},
            Outcome.SUCCEEDED,
            False,
            "12.50",
        ),
        ({"status": "processing"}, Outcome.PENDING, False, None),
        ({"status": "requires_action"}, Outcome.PENDING, False, None),
        ({"status": "requires_payment_method"}, Outcome.PENDING, False, None),
        ({"status": "requires_confirmation"}, Outcome.PENDING, False, None),
        ({"status": "canceled"}, Outcome.FAILED, False, None),
    ],
)
def test_fetch_status_maps_payment_intent_statuses(
    gateway, http, placed, fields, outcome, captured, amount
):
    http.respond(200, payment_intent(**fields))
    result = gateway.fetch_status(placed)
    [request] = http.requests
    assert (request.method, request.path) == ("get", f"/v1/payment_intents/{PI_ID}")
    assert (result.outcome, result.captured) == (outcome, captured)
    assert result.amount == (usd(amount) if amount else None)
    assert "client_secret" not in result.raw


def test_fetch_status_reports_the_last_decline(gateway, http, placed):
    http.respond(
        200,
        payment_intent(
            last_payment_error={
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "type": "card_error",
            }
        ),
    )
    result = gateway.fetch_status(placed)
    assert result.outcome == Outcome.PENDING  # the customer may try another card
    assert result.message == "Your card was declined."


def test_fetch_status_timeout_is_unknown(gateway, http, placed):
    http.fail(timeout_error())
    assert gateway.fetch_status(placed).outcome == Outcome.UNKNOWN


def test_fetch_status_without_a_payment_intent_is_unknown(gateway, http, payment):
    result = gateway.fetch_status(payment)
    assert result.outcome == Outcome.UNKNOWN
    assert http.requests == []


# --- webhook signatures ----------------------------------------------------------------


@pytest.fixture
def signed():
    body, _ = event_body("payment_intent.succeeded", payment_intent(status="succeeded"))
    return body


def test_a_stripe_signed_webhook_verifies(gateway, signed):
    gateway.verify_webhook(signed, {"Stripe-Signature": sign(signed)})
    # Header names are case-insensitive.
    gateway.verify_webhook(signed, {"stripe-signature": sign(signed)})


def test_a_rolled_secret_still_verifies_with_either_signature(gateway, signed):
    timestamp = int(time.time())
    old = sign(signed, secret="whsec_the_previous_secret", timestamp=timestamp)
    new = sign(signed, timestamp=timestamp).split(",")[1]
    gateway.verify_webhook(signed, {"Stripe-Signature": f"{old},{new}"})


def test_tolerance_is_configurable(http, signed):
    old = sign(signed, timestamp=int(time.time()) - 500)
    make_gateway(http, webhook_tolerance=600).verify_webhook(signed, {"Stripe-Signature": old})
    with pytest.raises(WebhookVerificationError):
        make_gateway(http).verify_webhook(signed, {"Stripe-Signature": old})


@pytest.mark.parametrize(
    "case",
    ["tampered", "wrong_secret", "stale", "missing", "empty", "malformed", "no_v1"],
)
def test_bad_signatures_are_rejected(gateway, signed, case):
    body = signed
    headers = {"Stripe-Signature": sign(signed)}
    if case == "tampered":
        body = signed.replace(b'"amount": 1250', b'"amount": 1')
        assert body != signed
    elif case == "wrong_secret":
        headers = {"Stripe-Signature": sign(signed, secret="whsec_someone_else")}
    elif case == "stale":  # older than the default 300 s tolerance
        headers = {"Stripe-Signature": sign(signed, timestamp=int(time.time()) - 301)}
    elif case == "missing":
        headers = {}
    elif case == "empty":
        headers = {"Stripe-Signature": ""}
    elif case == "malformed":
        headers = {"Stripe-Signature": "garbage"}
    elif case == "no_v1":
        headers = {"Stripe-Signature": sign(signed).replace("v1=", "v0=")}
    with pytest.raises(WebhookVerificationError) as caught:
        gateway.verify_webhook(body, headers)
    assert caught.value.status_code == 400
    assert WEBHOOK_SECRET not in str(caught.value)


def test_without_a_webhook_secret_nothing_verifies(http, signed):
    gateway = make_gateway(http, webhook_secret="")
    with pytest.raises(WebhookVerificationError, match="webhook_secret"):
        gateway.verify_webhook(signed, {"Stripe-Signature": sign(signed)})


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[]"])
def test_a_signed_body_that_is_not_an_event_is_rejected(gateway, body):
    with pytest.raises(WebhookVerificationError):
        gateway.verify_webhook(body, {"Stripe-Signature": sign(body)})


# --- webhook events --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "obj", "event_type", "amount"),
    [
        (
            "payment_intent.succeeded",
            payment_intent(status="succeeded", amount_received=1250, latest_charge=CHARGE_ID),
            EventType.CAPTURED,
            usd("12.50"),
        ),
        (
            "payment_intent.amount_capturable_updated",
            payment_intent(
                status="requires_capture", capture_method="manual", amount_capturable=1250
            ),
            EventType.AUTHORIZED,
            usd("12.50"),
        ),
        (
            # A declined attempt: the intent is back to requires_payment_method and
            # the customer may still pay with another card, so nothing has failed.
            "payment_intent.payment_failed",
            payment_intent(
                last_payment_error={
                    "code": "card_declined",
                    "message": "Your card was declined.",
                    "type": "card_error",
                }
            ),
            EventType.UNKNOWN,
            usd("12.50"),
        ),
        (
            "payment_intent.payment_failed",
            payment_intent(status="canceled", cancellation_reason="failed_invoice"),
            EventType.FAILED,
            usd("12.50"),
        ),
        (
            "payment_intent.canceled",
            payment_intent(status="canceled", cancellation_reason="abandoned"),
            EventType.CANCELLED,
            usd("12.50"),
        ),
        (
            "charge.refunded",
            # Two partial refunds so far: the event carries the cumulative total.
            charge_object(amount_refunded=750),
            EventType.REFUNDED,
            usd("7.50"),
        ),
        (
            "charge.dispute.created",
            dispute_object(),
            EventType.DISPUTE_OPENED,
            usd("12.50"),
        ),
    ],
)
def test_events_are_normalized(gateway, kind, obj, event_type, amount):
    body, event = event_body(kind, obj)
    gateway.verify_webhook(body, {"Stripe-Signature": sign(body)})
    [parsed] = gateway.parse_webhook(body, {"Stripe-Signature": sign(body)})
    assert parsed.event_id == "evt_1NG8Du2eZvKYlo2CUI79vXWy"
    assert parsed.type == event_type
    assert parsed.gateway_reference == PI_ID
    assert parsed.amount == amount
    assert parsed.currency == "USD"
    assert parsed.occurred_at == datetime.fromtimestamp(1680800610, tz=UTC)
    assert parsed.raw == event


def test_refund_event_in_a_zero_decimal_currency(gateway):
    body, _ = event_body(
        "charge.refunded",
        charge_object(amount=1000, amount_captured=1000, amount_refunded=1000, currency="jpy"),
    )
    [parsed] = gateway.parse_webhook(body, {})
    assert parsed.amount == Money(1000, "JPY")


def test_other_events_are_unknown(gateway):
    body, _ = event_body(
        "customer.created", {"id": "cus_NffrFeUfNV2Hib", "object": "customer", "email": None}
    )
    [parsed] = gateway.parse_webhook(body, {})
    assert parsed.type == EventType.UNKNOWN
    assert parsed.gateway_reference == ""
    assert parsed.amount is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "evt_1", "type": "charge.refunded", "created": 1}',
        json.dumps(
            {
                "id": "evt_1",
                "type": "charge.refunded",
                "created": 1,
                "data": {"object": {"object": "charge", "payment_intent": PI_ID}},
            }
        ).encode(),
    ],
    ids=["not-json", "not-an-object", "no-data", "no-amount"],
)
def test_malformed_events_are_rejected(gateway, body):
    with pytest.raises(WebhookVerificationError):
        gateway.parse_webhook(body, {})
