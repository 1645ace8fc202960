"""Stripe as the tests see it: its API objects, its HTTP layer faked at the SDK's own hook
(a ``stripe.HTTPClient`` subclass), and webhooks signed the way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from djmoney.money import Money
from requests.structures import CaseInsensitiveDict

from commerce.payments.gateways.stripe import StripeGateway

SECRET_KEY = "sk_test_51Hcommerce0tests0only0not0a0real0key0000000000"
PUBLISHABLE_KEY = "pk_test_51Hcommerce0tests0only0publishable00000000000"
WEBHOOK_SECRET = "whsec_commerce_tests_0123456789abcdef"
IDEMPOTENCY_KEY = "payment:pay_ref_0001:initiate:1"
PI_ID = "pi_3MtwBwLkdIwHu7ix28a3tqPa"
CHARGE_ID = "ch_3MtwBwLkdIwHu7ix0pOe0zWR"


# --- the HTTP layer --------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict[str, str]
    post_data: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def params(self) -> dict[str, str]:
        """The form-encoded body of a POST (the SDK's ``a[b]=c`` encoding, flattened)."""
        return dict(parse_qsl(self.post_data or "", keep_blank_values=True))

    def header(self, name: str) -> str | None:
        return CaseInsensitiveDict(self.headers).get(name)


class FakeHTTPClient(stripe.HTTPClient):
    """Answers the SDK's requests from a queue and records every one of them."""

    name = "fake"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.init_kwargs = kwargs
        self.requests: list[Recorded] = []
        self._answers: list[tuple[int, dict[str, Any]] | Exception] = []

    def respond(self, status: int, body: dict[str, Any]) -> None:
        self._answers.append((status, body))

    def fail(self, exc: Exception) -> None:
        self._answers.append(exc)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append(Recorded(method, url, dict(headers or {}), post_data))
        if not self._answers:
            raise AssertionError(f"unexpected request {method.upper()} {url}")
        answer = self._answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        # requests hands the SDK a case-insensitive dict too.
        return json.dumps(body), status, CaseInsensitiveDict({"Request-Id": "req_test_123"})

    def close(self) -> None:
        pass


def timeout_error() -> stripe.APIConnectionError:
    """What the SDK's requests client raises on a read timeout."""
    return stripe.APIConnectionError(
        "Unexpected error communicating with Stripe. (Network error: ReadTimeout)",
        should_retry=True,
    )


# --- Stripe objects, shaped like the API reference's examples --------------------------


def payment_intent(**fields: Any) -> dict[str, Any]:
    intent = {
        "id": PI_ID,
        "object": "payment_intent",
        "amount": 1250,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{PI_ID}_secret_YrKJUKribcBjcG8HVhfZluoGH",
        "confirmation_method": "automatic",
        "created": 1680800504,
        "currency": "usd",
        "customer": None,
        "description": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {"commerce_reference": "pay_ref_0001", "order_number": "261122-ABCDEF"},
        "next_action": None,
        "payment_method": None,
        "payment_method_types": ["card", "link"],
        "receipt_email": "ada@example.com",
        "status": "requires_payment_method",
    }
    intent.update(fields)
    return intent


def refund_object(**fields: Any) -> dict[str, Any]:
    refund = {
        "id": "re_3MtwBwLkdIwHu7ix0fVIPlQN",
        "object": "refund",
        "amount": 1250,
        "balance_transaction": "txn_3MtwBwLkdIwHu7ix0bWA7O4b",
        "charge": CHARGE_ID,
        "created": 1680800700,
        "currency": "usd",
        "metadata": {},
        "payment_intent": PI_ID,
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    refund.update(fields)
    return refund


def charge_object(**fields: Any) -> dict[str, Any]:
    charge = {
        "id": CHARGE_ID,
        "object": "charge",
        "amount": 1250,
        "amount_captured": 1250,
        "amount_refunded": 0,
        "balance_transaction": "txn_3MtwBwLkdIwHu7ix0bWA7O4b",
        "captured": True,
        "created": 1680800505,
        "currency": "usd",
        "disputed": False,
        "livemode": False,
        "metadata": {"commerce_reference": "pay_ref_0001", "order_number": "261122-ABCDEF"},
        "paid": True,
        "payment_intent": PI_ID,
        "payment_method": "pm_1MtwBwLkdIwHu7ixy4ARQbZq",
        "refunded": False,
        "status": "succeeded",
    }
    charge.update(fields)
    return charge


def dispute_object(**fields: Any) -> dict[str, Any]:
    dispute = {
        "id": "dp_1MtwBwLkdIwHu7ix4hFxK0Xt",
        "object": "dispute",
        "amount": 1250,
        "balance_transactions": [],
        "charge": CHARGE_ID,
        "created": 1680900000,
        "currency": "usd",
        "evidence_details": {"due_by": 1681699199, "has_evidence": False},
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": PI_ID,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    dispute.update(fields)
    return dispute


def stripe_error(kind: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **fields}}


def event_body(kind: str, obj: dict[str, Any], *, event_id: str = "evt_1NG8Du2eZvKYlo2CUI79vXWy"):
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1680800610,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": "req_s5x0mO2C4JWQde", "idempotency_key": IDEMPOTENCY_KEY},
        "type": kind,
    }
    return json.dumps(event).encode(), event


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` value as Stripe computes it: HMAC-SHA256 of ``"{t}.{body}"``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def make_gateway(http: FakeHTTPClient, **options: Any) -> StripeGateway:
    return StripeGateway(
        alias="stripe",
        options={
            "secret_key": SECRET_KEY,
            "publishable_key": PUBLISHABLE_KEY,
            "webhook_secret": WEBHOOK_SECRET,
            "http_client": http,
            "max_network_retries": 0,
            **options,
        },
    )


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")
