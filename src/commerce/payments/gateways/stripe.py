"""The Stripe gateway: PaymentIntents through the official ``stripe`` SDK's ``StripeClient``.

::

    COMMERCE = {
        "PAYMENT_GATEWAYS": {
            "stripe": {
                "BACKEND": "commerce.payments.gateways.stripe.StripeGateway",
                "OPTIONS": {
                    "secret_key": "sk_live_...",
                    "publishable_key": "pk_live_...",
                    "webhook_secret": "whsec_...",
                },
            },
        },
    }

``initiate`` creates a PaymentIntent and hands its client secret to the client,
which confirms it with Stripe.js (and passes its own ``return_url`` there: Stripe
takes one only when a PaymentIntent is confirmed). Captures, cancellations and
refunds carry the caller's stable idempotency key on every POST, so a retry
never moves money twice. A timeout, a connection error, a 5xx or a rate limit is
an ``UNKNOWN`` outcome, settled later by :meth:`StripeGateway.fetch_status`.

Amounts follow Stripe's own minor units (https://docs.stripe.com/currencies),
which differ from ISO 4217 for some currencies; see :meth:`StripeGateway.to_minor_units`.

The SDK is an optional extra: ``pip install "django-commerce-kit[stripe]"``.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from djmoney.money import Money

from commerce.core.exceptions import CurrencyMismatchError
from commerce.payments.exceptions import (
    GatewayError,
    MissingDependencyError,
    UnsupportedAmountError,
    WebhookVerificationError,
)
from commerce.payments.gateways.base import (
    NON_NEGATIVE_INTEGER,
    POSITIVE_INTEGER,
    POSITIVE_NUMBER,
    TEXT,
    Capability,
    EventType,
    GatewayEvent,
    InitiateResult,
    OperationResult,
    Outcome,
    PaymentGateway,
    PaymentInfo,
    currency_codes,
    header_value,
    instance_of,
    one_of,
)

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "STRIPE_THREE_DECIMAL_CURRENCIES",
    "STRIPE_WHOLE_UNITS_AS_TWO_DECIMAL_CURRENCIES",
    "STRIPE_ZERO_DECIMAL_CURRENCIES",
    "StripeGateway",
]

logger = logging.getLogger("commerce.payments.stripe")

SIGNATURE_HEADER = "Stripe-Signature"
DEFAULT_WEBHOOK_TOLERANCE = 300
DEFAULT_TIMEOUT = 30
# One SDK retry smooths a blip; every POST carries our idempotency key, so a
# retry cannot move money twice. Longer waits belong to reconciliation.
DEFAULT_MAX_NETWORK_RETRIES = 1
CAPTURE_METHODS = ("automatic", "manual")

# Stripe's minor units, from https://docs.stripe.com/currencies ("Currencies are
# two-decimal currencies unless otherwise specified"):
#: "Zero-decimal currencies": the amount is in whole units (MGA is two-decimal in ISO 4217).
#: UGX is also in Stripe's list but its special case below is the rule Stripe spells out.
STRIPE_ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF"}
)
#: "Three-decimal currencies": thousandths, and "the least-significant (last) digit
#: [must] be 0" (5.124 KWD cannot be sent; 5.120 KWD is 5120).
STRIPE_THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
#: "Special cases": zero-decimal in ISO 4217, but "backward compatibility requires you
#: to represent it as a two-decimal value, where the decimal amount is always 00"
#: (5 ISK is 500; no fractions). HUF and TWD are special only for payouts: charges
#: are ordinary two-decimal amounts.
STRIPE_WHOLE_UNITS_AS_TWO_DECIMAL_CURRENCIES = frozenset({"ISK", "UGX"})

#: PaymentIntent status -> (outcome, captured).
INTENT_OUTCOMES: dict[str, tuple[Outcome, bool]] = {
    "succeeded": (Outcome.SUCCEEDED, True),
    "requires_capture": (Outcome.SUCCEEDED, False),
    "processing": (Outcome.PENDING, False),
    "requires_action": (Outcome.PENDING, False),
    "requires_payment_method": (Outcome.PENDING, False),
    "requires_confirmation": (Outcome.PENDING, False),
    "canceled": (Outcome.FAILED, False),
}
#: Refund status -> outcome.
REFUND_OUTCOMES: dict[str, Outcome] = {
    "succeeded": Outcome.SUCCEEDED,
    "pending": Outcome.PENDING,
    "requires_action": Outcome.PENDING,
    "failed": Outcome.FAILED,
    "canceled": Outcome.FAILED,
}
#: Webhook event type -> (normalized type, field holding the amount).
EVENT_TYPES: dict[str, tuple[EventType, str]] = {
    "payment_intent.succeeded": (EventType.CAPTURED, "amount_received"),
    "payment_intent.amount_capturable_updated": (EventType.AUTHORIZED, "amount_capturable"),
    # FAILED only when the intent is canceled too; a declined attempt is UNKNOWN.
    "payment_intent.payment_failed": (EventType.FAILED, "amount"),
    "payment_intent.canceled": (EventType.CANCELLED, "amount"),
    # Cumulative: the charge's total refunded so far, whatever this refund was.
    "charge.refunded": (EventType.REFUNDED, "amount_refunded"),
    "charge.dispute.created": (EventType.DISPUTE_OPENED, "amount"),
}

# Anything shaped like a Stripe key or webhook secret, scrubbed from messages we pass on.
_KEY_PATTERN = re.compile(r"\b(?:sk|rk|pk|whsec)_[A-Za-z0-9_*]+")


class StripeGateway(PaymentGateway):
    """Stripe PaymentIntents, with automatic or manual capture.

    Options:

    - ``secret_key`` (required): the account's secret or restricted key.
    - ``publishable_key``: shown to clients by :meth:`public_config`.
    - ``webhook_secret``: the endpoint's signing secret (``whsec_...``), needed for webhooks.
    - ``capture_method``: ``"automatic"`` (default) or ``"manual"`` (authorize, capture later).
    - ``webhook_tolerance``: how old a signed webhook may be, in seconds (default 300).
    - ``api_base``: another API address, e.g. a local stripe-mock (``http://127.0.0.1:12111``).
    - ``timeout``: seconds per HTTP request (default 30).
    - ``max_network_retries``: SDK retries on connection errors, 409 and 5xx (default 1).
    - ``currencies``: ISO codes to accept (default: any; Stripe's list depends on the account).
    - ``http_client``: a ``stripe.HTTPClient`` instance (tests intercept HTTP with it).
    """

    name = "stripe"
    display_name = "Stripe"
    capabilities = frozenset(Capability)
    refund_amounts_are_cumulative = True
    # Stripe keeps idempotency keys for at least 24 hours; stay inside that.
    refund_retry_window = 23 * 3600
    # Stripe signs each webhook endpoint's events with that endpoint's own secret.
    webhook_secret_options = ("webhook_secret",)

    def __init__(self, *, alias: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(alias=alias, options=options)
        try:
            # Imported here, not at module level: commerce imports without the extra,
            # and a missing SDK is reported when the gateway is built.
            self._stripe: ModuleType = importlib.import_module("stripe")
        except ImportError as exc:
            raise MissingDependencyError("stripe", "stripe", "stripe") from exc

        secret_key = self.option("secret_key", TEXT)
        self._secret_key = secret_key
        self.capture_method = self.option("capture_method", one_of(*CAPTURE_METHODS), "automatic")
        self.webhook_tolerance = self.option(
            "webhook_tolerance", POSITIVE_INTEGER, DEFAULT_WEBHOOK_TOLERANCE
        )
        self.webhook_secret = self.option("webhook_secret", TEXT, "")
        self.publishable_key = self.option("publishable_key", TEXT, "")
        timeout = self.option("timeout", POSITIVE_NUMBER, DEFAULT_TIMEOUT)
        retries = self.option(
            "max_network_retries", NON_NEGATIVE_INTEGER, DEFAULT_MAX_NETWORK_RETRIES
        )
        currencies = self.option("currencies", currency_codes, None)
        if currencies is not None:
            # Shadows the class attribute for this instance only.
            self.currencies = currencies
        http_client = self.option(
            "http_client",
            instance_of(self._stripe.HTTPClient, "a stripe.HTTPClient instance"),
            None,
        )
        if http_client is None:
            http_client = self._stripe.RequestsClient(timeout=timeout)
        api_base = self.option("api_base", TEXT, "")
        self._client = self._stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=retries,
            http_client=http_client,
        )

    def public_config(self) -> dict[str, Any]:
        """The publishable key and capture method: what Stripe.js needs, never a secret."""
        config: dict[str, Any] = {"capture_method": self.capture_method}
        if self.publishable_key:
            config["publishable_key"] = self.publishable_key
        return config

    # --- amounts -----------------------------------------------------------------------

    @staticmethod
    def stripe_exponent(currency: str) -> int:
        """How many decimal places Stripe's integer amounts carry for ``currency``."""
        if currency in STRIPE_ZERO_DECIMAL_CURRENCIES:
            return 0
        if currency in STRIPE_THREE_DECIMAL_CURRENCIES:
            return 3
        return 2

    @staticmethod
    def stripe_step(currency: str) -> int:
        """The integer amount must be a multiple of this (10 for three-decimal, 100 for ISK)."""
        if currency in STRIPE_THREE_DECIMAL_CURRENCIES:
            return 10
        if currency in STRIPE_WHOLE_UNITS_AS_TWO_DECIMAL_CURRENCIES:
            return 100
        return 1

    def to_minor_units(self, money: Money) -> int:
        """``money`` in Stripe's integer units, or :class:`UnsupportedAmountError`.

        JPY 1000 -> 1000, USD 12.50 -> 1250, KWD 1.230 -> 1230 (KWD 1.234 is refused:
        Stripe needs the last digit to be 0), ISK 5 -> 500 (two decimals, always 00),
        MGA 10.50 refused (zero-decimal at Stripe). Never rounds: a rounded amount
        would charge something other than the payment records.
        """
        code = self.check_currency(str(money.currency))
        scaled = Decimal(money.amount).scaleb(self.stripe_exponent(code))
        step = self.stripe_step(code)
        if scaled != scaled.to_integral_value() or int(scaled) % step:
            raise UnsupportedAmountError(
                f"Stripe cannot charge {money.amount} {code}: "
                + _granularity(code, self.stripe_exponent(code), step),
                details={"amount": str(money.amount), "currency": code, "gateway": self.alias},
            )
        return int(scaled)

    def from_minor_units(self, amount: int, currency: str) -> Money:
        """The inverse of :meth:`to_minor_units` (``500`` ISK is 5 ISK); ``currency``
        in Stripe's lower case or ISO's upper case."""
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise UnsupportedAmountError(f"Stripe amounts are integers, not {amount!r}.")
        code = self.check_currency(currency)
        return Money(Decimal(amount).scaleb(-self.stripe_exponent(code)), code)

    # --- operations --------------------------------------------------------------------

    def initiate(
        self, payment: PaymentInfo, *, idempotency_key: str, return_url: str = ""
    ) -> InitiateResult:
        """Create a PaymentIntent; the client confirms it with the returned client secret."""
        currency = self.check_currency(str(payment.amount.currency))
        params: dict[str, Any] = {
            "amount": self.to_minor_units(payment.amount),
            "currency": currency.lower(),
            "capture_method": self.capture_method,
            "automatic_payment_methods": {"enabled": True},
            "metadata": {
                "commerce_reference": payment.reference,
                "order_number": payment.order_number,
            },
        }
        if payment.email:
            params["receipt_email"] = payment.email
        try:
            intent = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except self._stripe.StripeError as exc:
            result = self._error_result(exc, "", "create the payment")
            declined = _declined_intent(exc)
            return InitiateResult(
                outcome=result.outcome,
                gateway_reference=declined.get("id", ""),
                raw=result.raw,
            )
        data = intent.to_dict(for_json=True)
        client_secret = data.pop("client_secret", None) or ""
        return InitiateResult(
            outcome=Outcome.PENDING,
            gateway_reference=data["id"],
            client_secret=client_secret,
            raw=data,
        )

    def capture(
        self, payment: PaymentInfo, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        """Capture an authorized PaymentIntent, all of it or ``amount`` (the rest is released)."""
        reference = self._reference(payment, "capture")
        params = {}
        if amount is not None:
            params["amount_to_capture"] = self._amount_for(payment, amount)
        return self._post(
            lambda: self._client.v1.payment_intents.capture(
                reference, params=params, options={"idempotency_key": idempotency_key}
            ),
            reference,
            "capture the payment",
            self._intent_result,
        )

    def void(self, payment: PaymentInfo, *, idempotency_key: str) -> OperationResult:
        """Cancel the PaymentIntent; an authorization is released."""
        reference = self._reference(payment, "cancel")

        def cancelled(intent: Any) -> OperationResult:
            data = self._raw(intent)
            if data.get("status") == "canceled":
                return OperationResult(
                    Outcome.SUCCEEDED,
                    data["id"],
                    amount=self.from_minor_units(data["amount"], data["currency"].upper()),
                    raw=data,
                )
            return self._intent_result(intent)

        return self._post(
            lambda: self._client.v1.payment_intents.cancel(
                reference, options={"idempotency_key": idempotency_key}
            ),
            reference,
            "cancel the payment",
            cancelled,
        )

    def refund(
        self, payment: PaymentInfo, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        """Refund the PaymentIntent's charge, all that is left or ``amount``.

        ``gateway_reference`` stays the PaymentIntent's id; the Refund's own id
        (``re_...``) is ``raw["id"]``.
        """
        reference = self._reference(payment, "refund")
        params: dict[str, Any] = {"payment_intent": reference}
        if amount is not None:
            params["amount"] = self._amount_for(payment, amount)

        def refunded(refund: Any) -> OperationResult:
            data = self._raw(refund)
            outcome = REFUND_OUTCOMES.get(data.get("status"), Outcome.UNKNOWN)
            return OperationResult(
                outcome,
                reference,
                amount=self.from_minor_units(data["amount"], data["currency"].upper()),
                raw=data,
                message=(data.get("failure_reason") or "") if outcome == Outcome.FAILED else "",
            )

        return self._post(
            lambda: self._client.v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            ),
            reference,
            "refund the payment",
            refunded,
        )

    def fetch_status(self, payment: PaymentInfo) -> OperationResult:
        """Where the PaymentIntent stands: captured, authorized, waiting, or cancelled."""
        if not payment.gateway_reference:
            # initiate's outcome was unknown: no intent id to ask about. Retrying initiate
            # with the same idempotency key returns the intent Stripe created, if any.
            return OperationResult(
                Outcome.UNKNOWN, "", message="No Stripe PaymentIntent id for this payment yet."
            )
        reference = payment.gateway_reference
        return self._post(
            lambda: self._client.v1.payment_intents.retrieve(reference),
            reference,
            "read the payment",
            self._intent_result,
        )

    # --- webhooks ----------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Check the ``Stripe-Signature`` header with the SDK (signature and timestamp)."""
        secret = self.webhook_secret
        if not secret:
            raise WebhookVerificationError(
                f"The {self.alias} gateway has no webhook_secret configured."
            )
        header = header_value(headers, SIGNATURE_HEADER)
        if not header:
            raise WebhookVerificationError(f"Missing {SIGNATURE_HEADER} header.")
        try:
            # stripe.Webhook.construct_event with this client's requestor (no global state).
            self._client.construct_event(body, header, secret, tolerance=self.webhook_tolerance)
        except self._stripe.SignatureVerificationError as exc:
            raise WebhookVerificationError(
                f"Stripe webhook signature rejected: {exc.user_message}"
            ) from exc
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            # Not UTF-8, not JSON (or nested past Python's recursion limit), not an event.
            raise WebhookVerificationError("The webhook body is not a Stripe event.") from exc

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        """One normalized event per (verified) Stripe event; unmapped kinds are ``UNKNOWN``.

        A body that is not a Stripe event (no id, type, object or timestamp) is
        refused. An amount that is not an integer, or in a currency commerce
        does not know, makes the event ``UNKNOWN`` with the reason in its
        ``problems``: it is recorded, never applied.
        """
        try:
            event = json.loads(body)
            event_id = event["id"]
            kind = event["type"]
            obj = event["data"]["object"]
            created = event["created"]
            if not (isinstance(event_id, str) and isinstance(kind, str)):
                raise TypeError("id and type must be strings")
            if not isinstance(obj, dict) or isinstance(created, bool):
                raise TypeError("data.object must be an object, created a timestamp")
            occurred_at = datetime.fromtimestamp(int(created), tz=UTC)
            event_type, amount_field = EVENT_TYPES.get(kind, (EventType.UNKNOWN, ""))
            raw_amount = obj[amount_field] if amount_field else None
            currency = obj["currency"] if amount_field else None
        except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError) as exc:
            raise WebhookVerificationError(
                f"Malformed or unsupported Stripe event: {type(exc).__name__}"
            ) from exc
        if event_type == EventType.FAILED and obj.get("status") != "canceled":
            # One declined attempt: the PaymentIntent goes back to
            # requires_payment_method and the customer may pay with another card.
            # Only an intent that can no longer be paid has failed.
            event_type = EventType.UNKNOWN
        if obj.get("object") == "payment_intent":
            reference = obj.get("id") or ""
        else:  # a charge, refund or dispute names its PaymentIntent
            reference = obj.get("payment_intent") or ""
        amount, problem = None, ""
        if amount_field:
            amount, problem = self.read_minor_units(raw_amount, currency)
            if problem:
                event_type = EventType.UNKNOWN
        return [
            GatewayEvent(
                event_id=event_id,
                type=event_type,
                gateway_reference=reference,  # GatewayEvent drops one no payment could have
                amount=amount,
                occurred_at=occurred_at,
                raw=event,
                problems=(problem,) if problem else (),
            )
        ]

    # --- helpers -----------------------------------------------------------------------

    def _reference(self, payment: PaymentInfo, operation: str) -> str:
        if not payment.gateway_reference:
            raise GatewayError(
                f"Cannot {operation} a payment Stripe has no PaymentIntent for.",
                details={"gateway": self.alias, "reference": payment.reference},
            )
        return payment.gateway_reference

    def _amount_for(self, payment: PaymentInfo, amount: Money) -> int:
        if str(amount.currency) != str(payment.amount.currency):
            raise CurrencyMismatchError(
                f"The payment is in {payment.amount.currency}, not {amount.currency}."
            )
        return self.to_minor_units(amount)

    def _post(
        self,
        call: Callable[[], Any],
        reference: str,
        operation: str,
        on_success: Callable[[Any], OperationResult],
    ) -> OperationResult:
        try:
            response = call()
        except self._stripe.StripeError as exc:
            return self._error_result(exc, reference, operation)
        return on_success(response)

    def _intent_result(self, intent: Any) -> OperationResult:
        # Read from the plain dict: SDK objects are not dicts (no .get) since stripe 15.
        data = self._raw(intent)
        status = data.get("status")
        outcome, captured = INTENT_OUTCOMES.get(status, (Outcome.UNKNOWN, False))
        currency = data["currency"].upper()
        amount = None
        if status == "succeeded":
            amount = self.from_minor_units(data["amount_received"], currency)
        elif status == "requires_capture":
            amount = self.from_minor_units(data["amount_capturable"], currency)
        error = data.get("last_payment_error") or {}
        return OperationResult(
            outcome,
            data["id"],
            amount=amount,
            captured=captured,
            raw=data,
            message=self._scrub(error.get("message") or ""),
        )

    def _error_result(self, exc: Exception, reference: str, operation: str) -> OperationResult:
        """The outcome an SDK error stands for, or raise :class:`GatewayError`."""
        stripe = self._stripe
        raw = {"error": self._scrub_error(exc)}
        if isinstance(exc, stripe.APIConnectionError | stripe.APIError | stripe.RateLimitError):
            # A timeout, a dropped connection, a 5xx, a 409 or a rate limit: the money
            # may or may not have moved. Reconciliation asks Stripe later.
            logger.warning(
                "Stripe could not %s (%s), outcome unknown: %s",
                operation,
                type(exc).__name__,
                self._scrub(exc.user_message or ""),
            )
            return OperationResult(
                Outcome.UNKNOWN,
                reference,
                raw=raw,
                message=f"Stripe did not answer ({type(exc).__name__}); outcome unknown.",
            )
        if isinstance(exc, stripe.CardError):
            return OperationResult(
                Outcome.FAILED,
                _declined_intent(exc).get("id") or reference,
                raw=raw,
                message=self._scrub(exc.user_message or "The card was declined."),
            )
        raise self._gateway_error(exc, operation) from exc

    def _gateway_error(self, exc: Any, operation: str) -> GatewayError:
        stripe = self._stripe
        details = {
            "gateway": self.alias,
            "stripe_error": type(exc).__name__,
            "stripe_code": exc.code or "",
            "request_id": exc.request_id or "",
        }
        if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
            # Stripe's own message echoes part of the key: never pass it on.
            message = f"Stripe refused the {self.alias} gateway's API key; could not {operation}."
        else:
            message = f"Stripe could not {operation}: {self._scrub(exc.user_message or '')}"
        logger.error("%s (%s)", message, details)
        return GatewayError(message, details=details)

    def _scrub(self, text: str) -> str:
        for secret in (self._secret_key, self.webhook_secret):
            if secret:
                text = text.replace(secret, "[redacted]")
        return _KEY_PATTERN.sub("[redacted]", text)

    def _scrub_error(self, exc: Any) -> dict[str, Any]:
        """Stripe's error object, JSON-safe, keys removed, for the payment's history."""
        error = exc.json_body.get("error") if isinstance(exc.json_body, dict) else None
        if not isinstance(error, dict):
            return {"type": type(exc).__name__, "message": self._scrub(exc.user_message or "")}
        try:
            text = json.dumps(error, default=str)
        except (TypeError, ValueError):
            return {"type": type(exc).__name__}
        scrubbed = json.loads(self._scrub(text))
        _drop_client_secret(scrubbed.get("payment_intent"))
        return scrubbed

    def _raw(self, obj: Any) -> dict[str, Any]:
        raw = obj.to_dict(for_json=True)
        _drop_client_secret(raw)
        return raw


def _drop_client_secret(obj: Any) -> None:
    # Stripe: the client secret must not be stored or logged; only the customer's
    # browser gets it (InitiateResult.client_secret), never the payment's history.
    if isinstance(obj, dict):
        obj.pop("client_secret", None)


def _declined_intent(exc: Any) -> dict[str, Any]:
    """The PaymentIntent a card error refers to, when Stripe's error body carries it."""
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    intent = (body.get("error") or {}).get("payment_intent")
    return intent if isinstance(intent, dict) else {}


def _granularity(code: str, exponent: int, step: int) -> str:
    if step == 10:
        return f"{code} amounts must be whole hundredths (three decimals, the last one 0)."
    if step == 100:
        return f"{code} amounts must be whole units."
    if exponent == 0:
        return f"{code} has no decimals at Stripe."
    return f"{code} has at most {exponent} decimal places at Stripe."
