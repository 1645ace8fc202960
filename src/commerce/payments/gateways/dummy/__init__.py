"""The dummy gateway: behaves like a real asynchronous provider, with no account and no keys.

``initiate`` returns a confirmation URL on the host. Confirming there (success,
failure or "requires action") makes the dummy "provider" change the payment's
state and emit a signed webhook, exactly as Stripe or Paystack would; the
host's real webhook endpoint verifies and applies it. The provider's state
lives in Django's cache (never the database: gateways do not touch it), so
``fetch_status`` answers like a real provider's API would.

For the demo shop and for tests. Never configure it in production.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.utils.crypto import salted_hmac
from djmoney.money import Money

from commerce.payments.exceptions import WebhookVerificationError
from commerce.payments.gateways.base import (
    POSITIVE_INTEGER,
    TEXT,
    Capability,
    EventType,
    GatewayEvent,
    InitiateResult,
    OperationResult,
    Outcome,
    PaymentGateway,
    PaymentInfo,
    header_value,
    one_of,
)

SIGNATURE_HEADER = "X-Dummy-Signature"
DEFAULT_TOLERANCE = 300
DEFAULT_CONFIRM_URL = "/api/v1/payments/dummy/{reference}/confirm/"
CAPTURE_METHODS = ("automatic", "manual")
#: How many requests :attr:`DummyGateway.requests` keeps (the instance lives as long
#: as the process: an unbounded list would grow in a long-running demo).
REQUEST_LOG_SIZE = 200

#: What the customer can choose on the dummy's confirmation page.
CONFIRM_CHOICES = ("succeed", "fail", "requires_action")


@dataclass(frozen=True)
class DummyRequest:
    """One request the dummy gateway sent its "provider" (what an HTTP fake would see)."""

    operation: str
    gateway_reference: str
    params: Mapping[str, Any] = field(default_factory=dict)


class DummyGateway(PaymentGateway):
    """A complete gateway for demos and tests.

    Options: ``webhook_secret`` (default: derived from ``SECRET_KEY``),
    ``confirm_url`` (a template with ``{reference}``; default
    ``/api/v1/payments/dummy/{reference}/confirm/``), ``capture_method``
    (``"automatic"`` or ``"manual"``), ``webhook_tolerance`` (seconds, 300).

    :attr:`requests` lists the requests the gateway sent its provider, newest
    last (the last :data:`REQUEST_LOG_SIZE`), so tests assert on them as they
    do on a real gateway's faked HTTP.
    """

    name = "dummy"
    display_name = "Dummy (test) gateway"
    capabilities = frozenset(Capability)
    # The dummy provider remembers refund keys as long as the payment's state.
    refund_retry_window = 6 * 24 * 3600
    # It signs with the webhook_secret option or, without one, a secret derived from
    # SECRET_KEY: it can always verify its own webhooks, so no option is required.
    webhook_secret_options = ()

    def __init__(self, *, alias: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(alias=alias, options=options)
        self._webhook_secret = self.option("webhook_secret", TEXT, "")
        self.confirm_url = self.option("confirm_url", TEXT, DEFAULT_CONFIRM_URL)
        if "{reference}" not in self.confirm_url:
            raise self.option_error(
                "confirm_url", 'a URL template containing "{reference}"', value=self.confirm_url
            )
        self.capture_method = self.option("capture_method", one_of(*CAPTURE_METHODS), "automatic")
        self.webhook_tolerance = self.option(
            "webhook_tolerance", POSITIVE_INTEGER, DEFAULT_TOLERANCE
        )
        self.requests: deque[DummyRequest] = deque(maxlen=REQUEST_LOG_SIZE)

    def _send(self, operation: str, gateway_reference: str, **params: Any) -> None:
        """Record one request to the dummy provider (its operations call this first)."""
        self.requests.append(DummyRequest(operation, gateway_reference, params))

    # --- the "provider": state in the cache ---------------------------------------------

    def _key(self, gateway_reference: str) -> str:
        return f"commerce:dummy-gateway:{self.alias}:{gateway_reference}"

    def provider_state(self, gateway_reference: str) -> dict[str, Any] | None:
        """What the dummy provider knows about a payment (``None`` if nothing)."""
        return cache.get(self._key(gateway_reference))

    def _save_state(self, gateway_reference: str, state: dict[str, Any]) -> None:
        cache.set(self._key(gateway_reference), state, timeout=7 * 24 * 3600)

    @property
    def manual_capture(self) -> bool:
        return self.capture_method == "manual"

    @property
    def webhook_secret(self) -> str:
        if self._webhook_secret:
            return self._webhook_secret
        # Read when used, not when built: override_settings(SECRET_KEY=...) reaches it.
        return salted_hmac("commerce.payments.dummy", self.alias, algorithm="sha256").hexdigest()

    # --- operations ---------------------------------------------------------------------

    def initiate(
        self, payment: PaymentInfo, *, idempotency_key: str, return_url: str = ""
    ) -> InitiateResult:
        gateway_reference = f"dummy_{payment.reference}"
        amount = self.to_minor_units(payment.amount)  # refused before any request
        currency = str(payment.amount.currency)
        self._send(
            "initiate",
            gateway_reference,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
        )
        state = self.provider_state(gateway_reference)
        if state is None:  # a retried initiate finds what the first one created
            state = {
                "status": "requires_confirmation",
                "amount": amount,
                "currency": currency,
                "captured": 0,
                "refunded": 0,
            }
            self._save_state(gateway_reference, state)
        url = self.confirm_url.replace("{reference}", gateway_reference)
        if return_url:
            url = f"{url}?{urlencode({'return_url': return_url})}"
        return InitiateResult(
            outcome=Outcome.PENDING,
            gateway_reference=gateway_reference,
            redirect_url=url,
            raw={"id": gateway_reference, **state},
        )

    def confirm(self, gateway_reference: str, choice: str) -> list[bytes]:
        """The customer's choice on the confirmation page; returns the webhook bodies to send.

        ``succeed`` authorizes (manual capture) or captures; ``fail`` fails;
        ``requires_action`` leaves the payment waiting (no webhook).
        """
        if choice not in CONFIRM_CHOICES:
            raise ValueError(f"choice must be one of {CONFIRM_CHOICES}")
        state = self.provider_state(gateway_reference)
        if state is None or state["status"] != "requires_confirmation":
            return []
        if choice == "requires_action":
            return []
        if choice == "fail":
            state["status"] = "failed"
            event_type = EventType.FAILED
            amount = state["amount"]
        elif self.manual_capture:
            state["status"] = "authorized"
            event_type = EventType.AUTHORIZED
            amount = state["amount"]
        else:
            state["status"] = "captured"
            state["captured"] = state["amount"]
            event_type = EventType.CAPTURED
            amount = state["amount"]
        self._save_state(gateway_reference, state)
        return [self.event_body(event_type, gateway_reference, amount, state["currency"])]

    def capture(
        self, payment: PaymentInfo, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        minor_requested = self.to_minor_units(amount) if amount is not None else None
        self._send(
            "capture",
            payment.gateway_reference,
            amount=minor_requested,
            idempotency_key=idempotency_key,
        )
        state = self.provider_state(payment.gateway_reference)
        if state is None or state["status"] not in ("authorized", "captured"):
            return OperationResult(
                Outcome.FAILED, payment.gateway_reference, message="Nothing to capture."
            )
        if state["status"] == "authorized":
            minor = minor_requested if minor_requested is not None else state["amount"]
            if minor > state["amount"]:
                return OperationResult(
                    Outcome.FAILED, payment.gateway_reference, message="More than authorized."
                )
            state.update(status="captured", captured=minor)
            self._save_state(payment.gateway_reference, state)
        return OperationResult(
            Outcome.SUCCEEDED,
            payment.gateway_reference,
            amount=self.from_minor_units(state["captured"], state["currency"]),
            captured=True,
            raw=dict(state),
        )

    def void(self, payment: PaymentInfo, *, idempotency_key: str) -> OperationResult:
        self._send("void", payment.gateway_reference, idempotency_key=idempotency_key)
        state = self.provider_state(payment.gateway_reference)
        if state is None or state["status"] not in ("requires_confirmation", "authorized"):
            return OperationResult(
                Outcome.FAILED, payment.gateway_reference, message="Cannot be voided."
            )
        state["status"] = "cancelled"
        self._save_state(payment.gateway_reference, state)
        return OperationResult(Outcome.SUCCEEDED, payment.gateway_reference, raw=dict(state))

    def refund(
        self, payment: PaymentInfo, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        minor_requested = self.to_minor_units(amount) if amount is not None else None
        self._send(
            "refund",
            payment.gateway_reference,
            amount=minor_requested,
            idempotency_key=idempotency_key,
        )
        state = self.provider_state(payment.gateway_reference)
        if state is None or state["status"] != "captured":
            return OperationResult(
                Outcome.FAILED, payment.gateway_reference, message="Nothing captured."
            )
        refundable = state["captured"] - state["refunded"]
        minor = minor_requested if minor_requested is not None else refundable
        if minor <= 0 or minor > refundable:
            return OperationResult(
                Outcome.FAILED, payment.gateway_reference, message="More than refundable."
            )
        # The same idempotency key refunds once, as a real provider guarantees.
        done = state.setdefault("refund_keys", {})
        if idempotency_key not in done:
            done[idempotency_key] = minor
            state["refunded"] += minor
            self._save_state(payment.gateway_reference, state)
        return OperationResult(
            Outcome.SUCCEEDED,
            payment.gateway_reference,
            amount=self.from_minor_units(done[idempotency_key], state["currency"]),
            raw={key: value for key, value in state.items() if key != "refund_keys"},
        )

    def fetch_status(self, payment: PaymentInfo) -> OperationResult:
        self._send("fetch_status", payment.gateway_reference)
        state = self.provider_state(payment.gateway_reference)
        if state is None:
            return OperationResult(Outcome.UNKNOWN, payment.gateway_reference)
        outcome = {
            "requires_confirmation": Outcome.PENDING,
            "authorized": Outcome.SUCCEEDED,
            "captured": Outcome.SUCCEEDED,
            "failed": Outcome.FAILED,
            "cancelled": Outcome.FAILED,
        }[state["status"]]
        captured = state["status"] == "captured"
        minor = state["captured"] if captured else state["amount"]
        return OperationResult(
            outcome,
            payment.gateway_reference,
            amount=self.from_minor_units(minor, state["currency"]),
            captured=captured,
            raw={key: value for key, value in state.items() if key != "refund_keys"},
        )

    # --- webhooks -----------------------------------------------------------------------

    def event_body(
        self, event_type: EventType, gateway_reference: str, amount: int, currency: str
    ) -> bytes:
        """A webhook body as the dummy provider sends it."""
        return json.dumps(
            {
                "id": f"evt_{secrets.token_hex(12)}",
                "type": str(event_type),
                "reference": gateway_reference,
                "amount": amount,
                "currency": currency,
                "created": int(time.time()),
            },
            separators=(",", ":"),
        ).encode()

    def sign(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        """Headers that sign ``body`` (``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``)."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(
            self.webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        return {SIGNATURE_HEADER: f"t={timestamp},v1={digest}"}

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        header = header_value(headers, SIGNATURE_HEADER)
        if not header:
            raise WebhookVerificationError("Missing signature header.")
        try:
            parts = dict(item.split("=", 1) for item in header.split(","))
            timestamp = int(parts["t"])
            signature = parts["v1"]
        except (KeyError, ValueError) as exc:
            raise WebhookVerificationError("Malformed signature header.") from exc
        if abs(time.time() - timestamp) > self.webhook_tolerance:
            raise WebhookVerificationError("Signature timestamp outside the tolerance.")
        expected = self.sign(body, timestamp=timestamp)[SIGNATURE_HEADER].split("v1=", 1)[1]
        if not hmac.compare_digest(expected, signature):
            raise WebhookVerificationError("Signature does not match.")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        """The one event a dummy webhook carries. A body without an id, type,
        reference, amount, currency or timestamp is refused; an amount that is not
        an integer (or a currency commerce does not know) makes the event
        ``UNKNOWN`` with the reason in its ``problems``."""
        try:
            data = json.loads(body)
            event_id, kind, reference = data["id"], data["type"], data["reference"]
            raw_amount, currency = data["amount"], data["currency"]
            created = data["created"]
            if not all(isinstance(value, str) for value in (event_id, kind, reference)):
                raise TypeError("id, type and reference must be strings")
            if isinstance(created, bool) or not isinstance(created, int):
                raise TypeError("created must be a unix timestamp")
            occurred_at = datetime.fromtimestamp(created, tz=UTC)
        except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError) as exc:
            raise WebhookVerificationError("Malformed webhook body.") from exc
        try:
            event_type = EventType(kind)
        except ValueError:
            event_type = EventType.UNKNOWN
        amount, problem = self.read_minor_units(raw_amount, currency)
        if problem:
            event_type = EventType.UNKNOWN
        return [
            GatewayEvent(
                event_id=event_id,
                type=event_type,
                gateway_reference=reference,
                amount=amount,
                occurred_at=occurred_at,
                raw=data,
                problems=(problem,) if problem else (),
            )
        ]
