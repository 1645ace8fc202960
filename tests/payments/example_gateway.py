"""The worked example of docs/howto/write-a-gateway.rst, tested by test_example_gateway.py.

A gateway for an imaginary provider, "Acme Pay", whose API takes JSON over
HTTPS and signs webhooks with HMAC-SHA256 of the raw body.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from commerce.payments.exceptions import WebhookVerificationError
from commerce.payments.gateways.base import (
    TEXT,
    Capability,
    EventType,
    GatewayEvent,
    InitiateResult,
    OperationResult,
    Outcome,
    PaymentGateway,
)

# Acme Pay's event names, mapped onto commerce's fixed set.
EVENT_TYPES = {
    "payment.completed": EventType.CAPTURED,
    "payment.declined": EventType.FAILED,
    "refund.completed": EventType.REFUNDED,
}


class AcmePayGateway(PaymentGateway):
    name = "acmepay"
    display_name = "Acme Pay"
    currencies = frozenset({"USD", "EUR"})
    capabilities = frozenset({Capability.REFUND, Capability.PARTIAL_REFUND, Capability.WEBHOOKS})
    # manage.py check reports an Acme gateway configured without it (commerce.E014).
    webhook_secret_options = ("webhook_secret",)

    def __init__(self, *, alias, options=None):
        super().__init__(alias=alias, options=options)
        # Credentials come from settings (OPTIONS), read and checked with self.option:
        # a missing or bad one is a configuration error naming the alias and option.
        self.api_key = self.option("api_key", TEXT)
        self.webhook_secret = self.option("webhook_secret", TEXT, "").encode()
        # The HTTP client is injectable, so tests intercept at the transport.
        self.client = self.options.get("client") or AcmeClient(self.api_key)

    def public_config(self):
        return {"publishable_key": self.option("publishable_key", TEXT, "")}

    def initiate(self, payment, *, idempotency_key, return_url=""):
        try:
            response = self.client.post(
                "/payments",
                {
                    "amount": self.to_minor_units(payment.amount),  # refuses e.g. 1.005 USD
                    "currency": str(payment.amount.currency),
                    "reference": payment.reference,
                    "return_url": return_url,
                },
                idempotency_key=idempotency_key,
            )
        except TimeoutError:
            # We do not know whether Acme created the payment: say so, never guess.
            return InitiateResult(Outcome.UNKNOWN, gateway_reference="")
        return InitiateResult(
            Outcome.PENDING,
            gateway_reference=response["id"],
            redirect_url=response["checkout_url"],
            raw=response,
        )

    def refund(self, payment, amount=None, *, idempotency_key):
        self.require(Capability.REFUND)
        body = {"payment": payment.gateway_reference}
        if amount is not None:
            body["amount"] = self.to_minor_units(amount)
        try:
            response = self.client.post("/refunds", body, idempotency_key=idempotency_key)
        except TimeoutError:
            return OperationResult(Outcome.UNKNOWN, payment.gateway_reference)
        outcome = Outcome.SUCCEEDED if response["status"] == "done" else Outcome.PENDING
        refunded = self.from_minor_units(response["amount"], response["currency"])
        return OperationResult(outcome, payment.gateway_reference, amount=refunded, raw=response)

    def fetch_status(self, payment):
        try:
            response = self.client.get(f"/payments/{payment.gateway_reference}")
        except TimeoutError:
            return OperationResult(Outcome.UNKNOWN, payment.gateway_reference)
        outcome = {
            "completed": Outcome.SUCCEEDED,
            "declined": Outcome.FAILED,
        }.get(response["status"], Outcome.PENDING)
        return OperationResult(
            outcome,
            payment.gateway_reference,
            amount=self.from_minor_units(response["amount"], response["currency"]),
            captured=outcome == Outcome.SUCCEEDED,
            raw=response,
        )

    def verify_webhook(self, body, headers):
        if not self.webhook_secret:  # an empty key would verify anyone's signature
            raise WebhookVerificationError("No webhook_secret is configured.")
        expected = hmac.new(self.webhook_secret, body, hashlib.sha256).hexdigest()
        received = headers.get("X-Acme-Signature", "")
        # Constant time, over the raw bytes: re-serialized JSON would not match.
        if not hmac.compare_digest(expected, received):
            raise WebhookVerificationError("Bad Acme Pay signature.")

    def parse_webhook(self, body, headers):
        try:
            event = json.loads(body)
            data = event["data"]
            return [
                GatewayEvent(
                    event_id=event["id"],
                    type=EVENT_TYPES.get(event["type"], EventType.UNKNOWN),
                    gateway_reference=data["payment"],
                    amount=self.from_minor_units(data["amount"], data["currency"]),
                    occurred_at=None,
                    raw=event,
                )
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookVerificationError("Malformed Acme Pay event.") from exc


class AcmeClient:
    """Acme Pay's HTTP API (a real gateway would use httpx or the provider's SDK)."""

    def __init__(self, api_key):  # pragma: no cover - the tests inject a fake
        self.api_key = api_key

    def post(self, path, body, *, idempotency_key):  # pragma: no cover
        raise NotImplementedError("talks to api.acmepay.example")

    def get(self, path):  # pragma: no cover
        raise NotImplementedError("talks to api.acmepay.example")
