"""Paystack: transaction initialize / verify / refund over ``httpx``, and its webhooks.

::

    COMMERCE = {
        "PAYMENT_GATEWAYS": {
            "paystack": {
                "BACKEND": "commerce.payments.gateways.paystack.PaystackGateway",
                "OPTIONS": {"secret_key": "sk_live_...", "public_key": "pk_live_..."},
            },
        },
    }

Options: ``secret_key`` (required; it also signs webhooks), ``public_key`` (shown
to clients), ``base_url`` (default ``https://api.paystack.co``), ``timeout``
(seconds, default 10) and ``transport`` (an ``httpx.BaseTransport``, for tests).

Commerce talks to Paystack through :class:`PaystackClient`, a thin client of its
own: the ``paystack-python`` package is Python 2 only and resends requests, and
the other clients on PyPI share one global key or hide the transport and the
timeout. The client never retries: a request that may have reached Paystack is
reported as :attr:`~commerce.payments.gateways.base.Outcome.UNKNOWN` and settled
later by :meth:`PaystackGateway.fetch_status`, never resent blindly.

Paystack captures a charge when it succeeds: there is no separate authorization,
capture or void, so :meth:`~PaystackGateway.capture` and
:meth:`~PaystackGateway.void` raise
:class:`~commerce.payments.exceptions.GatewayUnsupportedFeature`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.utils.dateparse import parse_datetime
from djmoney.money import Money

import commerce
from commerce.core.exceptions import CommerceError, CommerceValidationError
from commerce.payments.exceptions import (
    GatewayError,
    MissingDependencyError,
    UnsupportedAmountError,
    WebhookVerificationError,
)
from commerce.payments.gateways.base import (
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
    header_value,
    instance_of,
)

try:
    import httpx
except ImportError:  # the "paystack" extra is not installed: the gateway says so when built
    httpx = None

if TYPE_CHECKING:
    import httpx as httpx_types

__all__ = [
    "PaystackAPIError",
    "PaystackClient",
    "PaystackError",
    "PaystackGateway",
    "PaystackUnavailableError",
    "derive_event_id",
]

DEFAULT_BASE_URL = "https://api.paystack.co"
DEFAULT_TIMEOUT = 10.0
SIGNATURE_HEADER = "x-paystack-signature"


# --- the client ------------------------------------------------------------------------


class PaystackError(GatewayError):
    """Base of the errors :class:`PaystackClient` raises.

    They keep :class:`~commerce.payments.exceptions.GatewayError`'s code and
    status (``gateway_error``, 502), so the API answers with a documented code.
    """


class PaystackAPIError(PaystackError):
    """Paystack answered the request with an error (4xx): it refused it, nothing was done.

    ``paystack_message`` is Paystack's own ``message``; ``http_status`` the HTTP
    status; ``paystack_code`` Paystack's machine-readable ``code`` when it sent one.
    """

    def __init__(self, paystack_message: str, *, http_status: int, paystack_code: str = "") -> None:
        self.paystack_message = paystack_message
        self.http_status = http_status
        self.paystack_code = paystack_code
        super().__init__(
            f"Paystack refused the request: {paystack_message}",
            details={
                "http_status": http_status,
                "paystack_message": paystack_message,
                "paystack_code": paystack_code,
            },
        )


class PaystackUnavailableError(PaystackError):
    """No usable answer (timeout, connection error, 5xx, unreadable body).

    The request may or may not have taken effect at Paystack: callers report
    the outcome as unknown and ask again later; they never resend blindly.
    """


class PaystackClient:
    """The three Paystack endpoints commerce needs, over one ``httpx.Client``.

    Every method sends exactly one request (no retries, no redirects followed)
    and returns Paystack's ``data`` object. A 4xx raises :class:`PaystackAPIError`
    carrying Paystack's message; anything that leaves the outcome open raises
    :class:`PaystackUnavailableError`. Neither ever contains the secret key.
    """

    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx_types.BaseTransport | None = None,
    ) -> None:
        if httpx is None:
            raise MissingDependencyError("paystack", "httpx", "paystack")
        self._http = httpx.Client(
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {secret_key}",
                "Accept": "application/json",
                "User-Agent": f"django-commerce-kit/{commerce.__version__}",
            },
            timeout=timeout,
            # httpx's default transport does not retry either; say so explicitly,
            # because a resent POST /refund can refund twice.
            transport=transport if transport is not None else httpx.HTTPTransport(retries=0),
            follow_redirects=False,
        )

    def initialize_transaction(
        self,
        *,
        email: str,
        amount: int,
        currency: str,
        reference: str,
        callback_url: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``POST /transaction/initialize``; ``amount`` in the currency's subunit."""
        body: dict[str, Any] = {
            "email": email,
            "amount": amount,
            "currency": currency,
            "reference": reference,
        }
        if callback_url:
            body["callback_url"] = callback_url
        if metadata:
            body["metadata"] = dict(metadata)
        return self._request("POST", "/transaction/initialize", body)

    def verify_transaction(self, reference: str) -> dict[str, Any]:
        """``GET /transaction/verify/{reference}``: where the transaction stands."""
        return self._request("GET", f"/transaction/verify/{quote(reference, safe='')}")

    def create_refund(
        self, transaction: str, amount: int | None = None, *, merchant_note: str = ""
    ) -> dict[str, Any]:
        """``POST /refund`` for ``transaction`` (a reference); all of it unless ``amount``."""
        body: dict[str, Any] = {"transaction": transaction}
        if amount is not None:
            body["amount"] = amount
        if merchant_note:
            body["merchant_note"] = merchant_note
        return self._request("POST", "/refund", body)

    def close(self) -> None:
        self._http.close()

    def _request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            raise PaystackUnavailableError(
                f"Paystack did not answer {method} {path} in time ({type(exc).__name__})."
            ) from exc
        except httpx.RequestError as exc:
            raise PaystackUnavailableError(
                f"Could not reach Paystack for {method} {path} ({type(exc).__name__})."
            ) from exc

        try:
            payload = response.json()
        except ValueError:
            payload = None
        status = response.status_code
        if 400 <= status < 500:
            message, code = _error_fields(payload)
            raise PaystackAPIError(
                message or f"HTTP {status} from {method} {path}",
                http_status=status,
                paystack_code=code,
            )
        if not 200 <= status < 300:
            raise PaystackUnavailableError(
                f"Paystack answered {method} {path} with HTTP {status}.",
                details={"http_status": status},
            )
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise PaystackUnavailableError(
                f"Paystack's answer to {method} {path} could not be read.",
                details={"http_status": status},
            )
        if payload.get("status") is False:
            message, code = _error_fields(payload)
            raise PaystackAPIError(
                message or "Paystack reported a failure.", http_status=status, paystack_code=code
            )
        return payload["data"]


def _error_fields(payload: Any) -> tuple[str, str]:
    if not isinstance(payload, dict):
        return "", ""
    message = payload.get("message")
    code = payload.get("code")
    return (
        message if isinstance(message, str) else "",
        code if isinstance(code, str) else "",
    )


# --- the gateway -----------------------------------------------------------------------

# Transaction statuses documented for GET /transaction/verify. "abandoned" is what
# a transaction reads until the customer completes the checkout (a verify just after
# initialize returns it), and the customer may still pay: it is pending, not failed.
_PENDING_TRANSACTION = frozenset({"abandoned", "ongoing", "pending", "processing", "queued"})
_FAILED_TRANSACTION = frozenset({"failed", "reversed"})

# Refund statuses (POST /refund and the refund.* events).
_REFUND_OUTCOMES = {
    "pending": Outcome.PENDING,
    "processing": Outcome.PENDING,
    # Paystack needs the merchant to act before the refund can go on.
    "needs-attention": Outcome.PENDING,
    "processed": Outcome.SUCCEEDED,
    "failed": Outcome.FAILED,
}

_EVENT_TYPES = {
    "charge.success": EventType.CAPTURED,
    "refund.pending": EventType.REFUND_PENDING,
    "refund.processing": EventType.REFUND_PENDING,
    "refund.processed": EventType.REFUNDED,
    "refund.failed": EventType.REFUND_FAILED,
    "charge.dispute.create": EventType.DISPUTE_OPENED,
}


class PaystackGateway(PaymentGateway):
    """Paystack's redirect checkout: ``initiate`` returns the ``authorization_url``.

    Commerce's own ``payment.reference`` is sent as Paystack's transaction
    reference, so it is also the gateway reference, the key for verify and
    refund, and what webhooks name.
    """

    name = "paystack"
    display_name = "Paystack"
    # Paystack takes amounts in the currency's subunit (kobo, pesewas, cents,
    # piastres), which for these is the ISO 4217 minor unit. XOF and RWF are left
    # out: ISO gives them no minor unit, and Paystack's rule for them could not be
    # confirmed, so a guess could charge a hundred times too much or too little.
    currencies = frozenset({"NGN", "GHS", "ZAR", "KES", "USD", "EGP"})
    # Captured on success: no authorize, capture or void.
    capabilities = frozenset({Capability.REFUND, Capability.PARTIAL_REFUND, Capability.WEBHOOKS})
    # A charge.success is applied only once GET /transaction/verify confirms it.
    confirm_webhook_captures = True
    # Paystack signs webhooks with the account's secret key (HMAC-SHA512), which the
    # gateway cannot be built without: a configured Paystack gateway can always verify.
    webhook_secret_options = ("secret_key",)

    def __init__(self, *, alias: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(alias=alias, options=options)
        if httpx is None:
            raise MissingDependencyError("paystack", "httpx", "paystack")
        secret_key = self.option("secret_key", TEXT)
        timeout = self.option("timeout", POSITIVE_NUMBER, DEFAULT_TIMEOUT)
        transport = self.option(
            "transport", instance_of(httpx.BaseTransport, "an httpx.BaseTransport"), None
        )
        self.public_key = self.option("public_key", TEXT, "")
        self._secret = secret_key.encode()
        self.client = PaystackClient(
            secret_key,
            base_url=self.option("base_url", TEXT, DEFAULT_BASE_URL),
            timeout=float(timeout),
            transport=transport,
        )

    def public_config(self) -> dict[str, Any]:
        return {"public_key": self.public_key} if self.public_key else {}

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # --- operations --------------------------------------------------------------------

    def initiate(
        self, payment: PaymentInfo, *, idempotency_key: str, return_url: str = ""
    ) -> InitiateResult:
        """Initialize a transaction whose reference is ``payment.reference``.

        Paystack has no idempotency-key header. The stable reference plays that
        part: Paystack keeps one transaction per reference and refuses a second
        initialize with it, so a retried ``initiate`` can never create a second
        charge. That refusal ("Duplicate Transaction Reference") means the
        transaction already exists, but not where it stands nor its checkout URL:
        it is reported as ``UNKNOWN`` for :meth:`fetch_status` to settle. A
        timeout is ``UNKNOWN`` with no gateway reference, so the services retry
        ``initiate`` itself.
        """
        amount = self._positive_minor_units(payment.amount)
        if not payment.email:
            raise CommerceValidationError(
                "Paystack needs the customer's email address to start a payment.",
                details={"gateway": self.alias},
            )
        reference = payment.reference
        try:
            data = self.client.initialize_transaction(
                email=payment.email,
                amount=amount,
                currency=str(payment.amount.currency),
                reference=reference,
                callback_url=return_url,
                metadata={
                    "commerce_reference": reference,
                    "order_number": payment.order_number,
                },
            )
        except PaystackUnavailableError as exc:
            # No gateway reference: Paystack may or may not have the transaction, so the
            # services start it again (same reference) rather than ask about it: either
            # it is created now, or Paystack answers "duplicate" and it is known to exist.
            return InitiateResult(
                outcome=Outcome.UNKNOWN, gateway_reference="", raw=_error_raw(exc)
            )
        except PaystackAPIError as exc:
            if not _is_duplicate_reference(exc):
                raise
            return InitiateResult(
                outcome=Outcome.UNKNOWN, gateway_reference=reference, raw=_error_raw(exc)
            )
        return InitiateResult(
            outcome=Outcome.PENDING,
            gateway_reference=reference,
            redirect_url=str(data.get("authorization_url") or ""),
            raw=data,
        )

    def fetch_status(self, payment: PaymentInfo) -> OperationResult:
        """Verify the transaction with Paystack.

        A ``success`` is reported as captured with the amount and currency
        *Paystack* charged, whatever the payment expected: the money moved.
        The payment services compare it with the payment and, when it differs
        (an underpayment, another currency), flag the payment and never mark
        the order paid. A success whose amount cannot be read is ``UNKNOWN``.
        """
        reference = payment.gateway_reference or payment.reference
        try:
            data = self.client.verify_transaction(reference)
        except PaystackUnavailableError as exc:
            return OperationResult(
                outcome=Outcome.UNKNOWN,
                gateway_reference=reference,
                raw=_error_raw(exc),
                message=exc.message,
            )
        status = data.get("status")
        reported = self._money_or_none(data.get("amount"), data.get("currency"))
        gateway_message = _first_text(data.get("gateway_response"), data.get("message"))
        if status == "success":
            if reported is None:
                return OperationResult(
                    outcome=Outcome.UNKNOWN,
                    gateway_reference=reference,
                    raw=data,
                    message=(
                        f"Paystack reports a successful charge of {_describe(reported, data)}, "
                        "an amount commerce cannot read: check it at Paystack."
                    ),
                )
            mismatch = reported != payment.amount
            return OperationResult(
                outcome=Outcome.SUCCEEDED,
                gateway_reference=reference,
                amount=reported,
                captured=True,
                raw=data,
                message=(
                    f"Paystack reports a successful charge of {_describe(reported, data)}, "
                    f"but the payment is for {payment.amount.amount} "
                    f"{payment.amount.currency}: not treated as paid."
                )
                if mismatch
                else "",
            )
        if status in _FAILED_TRANSACTION:
            return OperationResult(
                outcome=Outcome.FAILED,
                gateway_reference=reference,
                amount=reported,
                raw=data,
                message=gateway_message or f"Paystack reports the transaction {status}.",
            )
        if status in _PENDING_TRANSACTION:
            return OperationResult(
                outcome=Outcome.PENDING,
                gateway_reference=reference,
                amount=reported,
                raw=data,
                message=gateway_message,
            )
        return OperationResult(
            outcome=Outcome.UNKNOWN,
            gateway_reference=reference,
            amount=reported,
            raw=data,
            message=f"Paystack reports an unrecognised transaction status {status!r}.",
        )

    def refund(
        self, payment: PaymentInfo, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        """Refund all of the transaction, or ``amount`` of it.

        ``gateway_reference`` of the result is Paystack's refund id. Paystack
        has no idempotency key for refunds either, and a resent ``POST /refund``
        can refund twice: an ``UNKNOWN`` result must be settled by looking the
        refund up (``idempotency_key`` is sent as the refund's merchant note so
        it can be found), never by calling this again.
        """
        self.require(Capability.REFUND)
        minor: int | None = None
        if amount is not None:
            if str(amount.currency) != str(payment.amount.currency):
                raise UnsupportedAmountError(
                    f"A refund of a {payment.amount.currency} payment cannot be in "
                    f"{amount.currency}.",
                    details={
                        "currency": str(amount.currency),
                        "payment_currency": str(payment.amount.currency),
                    },
                )
            minor = self._positive_minor_units(amount)
        else:
            self.check_currency(str(payment.amount.currency))
        reference = payment.gateway_reference or payment.reference
        try:
            data = self.client.create_refund(
                reference, minor, merchant_note=f"commerce refund {idempotency_key}"
            )
        except PaystackUnavailableError as exc:
            return OperationResult(
                outcome=Outcome.UNKNOWN,
                gateway_reference="",
                amount=amount,
                raw=_error_raw(exc),
                message=exc.message,
            )
        status = data.get("status")
        outcome = _REFUND_OUTCOMES.get(status) if isinstance(status, str) else None
        refund_id = data.get("id")
        return OperationResult(
            outcome=outcome or Outcome.UNKNOWN,
            gateway_reference="" if refund_id is None else str(refund_id),
            amount=self._money_or_none(data.get("amount"), data.get("currency")) or amount,
            raw=data,
            message=""
            if outcome
            else f"Paystack reports an unrecognised refund status {status!r}.",
        )

    # --- webhooks ----------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Check ``x-paystack-signature``: hex HMAC-SHA512 of the raw body with the secret key."""
        self._verified_payload(body, headers)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        """Verify, then normalize the one event a Paystack webhook carries.

        Paystack sends no event id: :func:`derive_event_id` builds one from what
        identifies the event, identical across redeliveries of the same event.
        """
        payload = self._verified_payload(body, headers)
        name = payload["event"]
        data = payload.get("data")
        data = data if isinstance(data, dict) else {}
        event_type = _EVENT_TYPES.get(name, EventType.UNKNOWN)

        if name.startswith("refund."):
            reference = _first_text(data.get("transaction_reference"))
            amount = self._money_or_none(data.get("amount"), data.get("currency"))
        elif name.startswith("charge.dispute."):
            transaction = data.get("transaction")
            transaction = transaction if isinstance(transaction, dict) else {}
            reference = _first_text(transaction.get("reference"), data.get("transaction_reference"))
            disputed = data.get("refund_amount")
            amount = self._money_or_none(
                transaction.get("amount") if disputed is None else disputed,
                data.get("currency") or transaction.get("currency"),
            )
        else:
            reference = _first_text(data.get("reference"))
            amount = self._money_or_none(data.get("amount"), data.get("currency"))

        problems: tuple[str, ...] = ()
        if amount is None and event_type is not EventType.UNKNOWN:
            # Every event commerce acts on carries its amount (refunds are even matched
            # by it): one without a readable amount must never be applied as if it were
            # for the whole payment.
            problems = (f"amount: {_describe(None, data)[:200]} cannot be read",)
            event_type = EventType.UNKNOWN

        return [
            GatewayEvent(
                event_id=derive_event_id(name, data),
                type=event_type,
                gateway_reference=reference,
                amount=amount,
                problems=problems,
                occurred_at=_timestamp(
                    data.get("paid_at"),
                    data.get("paidAt"),
                    data.get("created_at"),
                    data.get("createdAt"),
                ),
                raw=payload,
            )
        ]

    # --- helpers -----------------------------------------------------------------------

    def _positive_minor_units(self, money: Money) -> int:
        minor = self.to_minor_units(money)
        if minor <= 0:
            raise UnsupportedAmountError(
                f"Paystack cannot charge or refund {money.amount} {money.currency}.",
                details={"amount": str(money.amount), "currency": str(money.currency)},
            )
        return minor

    def _money_or_none(self, amount: Any, currency: Any) -> Money | None:
        """Paystack's subunit ``amount`` (an int, or a digit string in refund events) as
        Money; ``None`` when it cannot be read or is in a currency this gateway does not
        take, so that it can never match a payment by accident."""
        if isinstance(amount, bool) or not isinstance(currency, str):
            return None
        if isinstance(amount, str):
            amount = amount.strip()
            if not (amount.isascii() and amount.isdigit()):
                return None
            amount = int(amount)
        if not isinstance(amount, int):
            return None
        try:
            return self.from_minor_units(amount, currency)
        except CommerceError:
            return None

    def _verified_payload(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        if not isinstance(body, bytes | bytearray | memoryview):
            raise WebhookVerificationError("The webhook body must be the raw request bytes.")
        body = bytes(body)
        signature = header_value(headers, SIGNATURE_HEADER)
        if not signature:
            raise WebhookVerificationError(f"The {SIGNATURE_HEADER} header is missing.")
        expected = hmac.new(self._secret, body, hashlib.sha512).hexdigest().encode()
        # Bytes, so that a header with non-ASCII characters is a mismatch, not a TypeError.
        provided = signature.strip().lower().encode("utf-8", "replace")
        if not hmac.compare_digest(expected, provided):
            raise WebhookVerificationError("The Paystack webhook signature does not match.")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise WebhookVerificationError("The Paystack webhook body is not valid JSON.") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            raise WebhookVerificationError("The Paystack webhook body has no event name.")
        return payload


def derive_event_id(event: str, data: Mapping[str, Any]) -> str:
    """A stable id for a Paystack event, which carries none of its own.

    The sha256 of the event name and the fields that tell one event from
    another: for a charge its reference, status and transaction id; for a refund
    the transaction reference, status, refund reference and amount (refund
    events carry no refund id); for a dispute the transaction reference, status
    and dispute id. A redelivery gives the same id; ``charge.success`` and
    ``refund.processed`` of one transaction give different ones. Other events
    hash their whole ``data``.
    """
    if event.startswith("refund."):
        parts = [
            data.get("transaction_reference"),
            data.get("status"),
            data.get("refund_reference"),
            _normalized_amount(data.get("amount")),
        ]
    elif event.startswith("charge.dispute."):
        transaction = data.get("transaction")
        transaction = transaction if isinstance(transaction, Mapping) else {}
        parts = [
            transaction.get("reference") or data.get("transaction_reference"),
            data.get("status"),
            data.get("id"),
        ]
    elif event.startswith("charge."):
        parts = [data.get("reference"), data.get("status"), data.get("id")]
    else:
        parts = [json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)]
    key = "\x1f".join(["paystack", event, *("" if part is None else str(part) for part in parts)])
    # surrogatepass: a signed payload may hold a lone surrogate (such as U+D800), which
    # strict UTF-8 cannot encode; the id must still be derived, not a 500.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _normalized_amount(amount: Any) -> str:
    # refund.processed sends "5000" where refund.failed sends 5000: same amount, same id.
    try:
        return str(Decimal(str(amount)).normalize())
    except (InvalidOperation, ValueError):
        return str(amount)


def _is_duplicate_reference(exc: PaystackAPIError) -> bool:
    text = f"{exc.paystack_code} {exc.paystack_message}".lower().replace("_", " ")
    return "duplicate" in text and "reference" in text


def _error_raw(exc: CommerceError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}


def _first_text(*values: Any) -> str:
    for value in values:
        if isinstance(value, str) and value:
            return value
    return ""


def _describe(money: Money | None, data: Mapping[str, Any]) -> str:
    if money is not None:
        return f"{money.amount} {money.currency}"
    return f"{data.get('amount')!r} subunits of {data.get('currency')!r}"


def _timestamp(*values: Any) -> datetime | None:
    for value in values:
        if not isinstance(value, str) or not value:
            continue
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None
