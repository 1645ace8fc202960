"""The payment gateway interface: the one class a plugin author implements.

A gateway turns commerce's payment operations into calls to one provider and
turns the provider's webhooks into normalized :class:`GatewayEvent` objects.
It never touches the database: services record what they intend, call the
gateway outside any transaction, and apply the :class:`OperationResult` it
returns in a short transaction of their own.

Amounts cross this boundary as :class:`~djmoney.money.Money`; a gateway turns
them into the provider's integer minor units with :meth:`PaymentGateway.to_minor_units`
(ISO 4217 exponent by default; override it for a provider's special cases)
and raises :class:`~commerce.payments.exceptions.UnsupportedAmountError`
before any call when the provider cannot represent an amount.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from djmoney.money import Money

from commerce.core.exceptions import InvalidAmountError
from commerce.core.money import from_minor_units, normalize_currency, to_minor_units
from commerce.payments.exceptions import GatewayUnsupportedFeature, UnsupportedAmountError

__all__ = [
    "Capability",
    "EventType",
    "GatewayEvent",
    "InitiateResult",
    "OperationResult",
    "Outcome",
    "PaymentGateway",
    "PaymentInfo",
    "header_value",
]


class Capability(enum.StrEnum):
    """What a gateway can do; declared in :attr:`PaymentGateway.capabilities`."""

    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    PARTIAL_CAPTURE = "partial_capture"
    VOID = "void"
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    WEBHOOKS = "webhooks"


class Outcome(enum.StrEnum):
    """How an operation ended, as far as the gateway knows.

    ``UNKNOWN`` is a real answer (a timeout, a 5xx): the money may or may not
    have moved, and reconciliation settles it later with
    :meth:`PaymentGateway.fetch_status`. Never guess.
    """

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"
    UNKNOWN = "unknown"


class EventType(enum.StrEnum):
    """The fixed set of webhook event types every gateway maps its events onto."""

    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    DISPUTE_OPENED = "dispute_opened"
    UNKNOWN = "unknown"


class PaymentInfo(Protocol):
    """What a gateway may read from a payment (the ``Payment`` model provides it).

    ``reference`` is commerce's own stable id for the payment (sent to the
    provider as metadata or as the provider's reference); ``gateway_reference``
    is the provider's id once :meth:`PaymentGateway.initiate` returned one.
    """

    reference: str
    amount: Money
    gateway_reference: str
    captured_amount: Money | None
    email: str
    order_number: str


@dataclass(frozen=True)
class InitiateResult:
    """What :meth:`PaymentGateway.initiate` returns: what the client needs next."""

    outcome: Outcome
    gateway_reference: str
    #: For client-side confirmation (Stripe's PaymentIntent client secret).
    client_secret: str = ""
    #: Where to send the customer (Paystack's checkout, the dummy's confirm page).
    redirect_url: str = ""
    #: JSON-safe provider response, for the payment's event history.
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OperationResult:
    """The result of capture, void, refund or fetch_status."""

    outcome: Outcome
    gateway_reference: str
    #: The amount the operation concerns (captured, refunded), when known.
    amount: Money | None = None
    #: For fetch_status: whether the money is captured or only authorized.
    captured: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: A human-readable reason for a failure, when the provider gave one.
    message: str = ""


@dataclass(frozen=True)
class GatewayEvent:
    """A webhook event, normalized.

    ``event_id`` is unique per gateway and stable across redeliveries (derive
    one when the provider sends none). ``amount`` is cumulative where the
    provider's is (a refund event carries the total refunded so far).
    """

    event_id: str
    type: EventType
    gateway_reference: str
    amount: Money | None
    occurred_at: datetime | None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def currency(self) -> str | None:
        return str(self.amount.currency) if self.amount is not None else None


class PaymentGateway(ABC):
    """Base class of every gateway. Subclass it, declare what it supports, fill in the methods.

    Instances are built by the registry from ``COMMERCE["PAYMENT_GATEWAYS"]``
    as ``Gateway(alias=..., options={...})`` and cached per alias, so keep
    them free of per-request state.
    """

    #: Short machine name, e.g. ``"stripe"``.
    name: ClassVar[str] = ""
    #: Name shown to people.
    display_name: ClassVar[str] = ""
    #: ISO 4217 codes the provider accepts; ``None`` means any.
    currencies: ClassVar[frozenset[str] | None] = None
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: Whether a ``REFUNDED`` event's amount is the running total refunded on the
    #: payment (Stripe's ``amount_refunded``) rather than one refund's amount.
    refund_amounts_are_cumulative: ClassVar[bool] = False
    #: Whether a ``CAPTURED`` webhook must be confirmed with :meth:`fetch_status`
    #: before it is applied (Paystack's advice: verify every charge with its API).
    confirm_webhook_captures: ClassVar[bool] = False
    #: Seconds during which :meth:`refund` may be sent again with the same
    #: idempotency key and refund at most once (the provider's idempotency window).
    #: 0: never resend; a refund whose answer was lost waits for a webhook.
    refund_retry_window: ClassVar[int] = 0

    def __init__(self, *, alias: str, options: Mapping[str, Any] | None = None) -> None:
        self.alias = alias
        self.options = dict(options or {})

    # --- declared behaviour ------------------------------------------------------------

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def require(self, capability: Capability) -> None:
        """Raise :class:`GatewayUnsupportedFeature` unless the gateway has ``capability``."""
        if not self.supports(capability):
            raise GatewayUnsupportedFeature(self.alias, str(capability))

    def public_config(self) -> dict[str, Any]:
        """What a client may see (publishable keys, never secrets). Override to add."""
        return {}

    # --- amounts -----------------------------------------------------------------------

    def check_currency(self, currency: str) -> str:
        code = normalize_currency(currency)
        if self.currencies is not None and code not in self.currencies:
            raise UnsupportedAmountError(
                f"The {self.alias} gateway does not accept {code}.",
                details={"currency": code, "gateway": self.alias},
            )
        return code

    def to_minor_units(self, money: Money) -> int:
        """``money`` as the provider's integer amount (ISO 4217 exponent by default)."""
        self.check_currency(str(money.currency))
        try:
            return to_minor_units(money)
        except InvalidAmountError as exc:
            raise UnsupportedAmountError(exc.message, details=exc.details) from exc

    def from_minor_units(self, amount: int, currency: str) -> Money:
        """The inverse of :meth:`to_minor_units`."""
        return from_minor_units(amount, self.check_currency(currency))

    # --- operations (no database access) ---------------------------------------------

    @abstractmethod
    def initiate(
        self, payment: PaymentInfo, *, idempotency_key: str, return_url: str = ""
    ) -> InitiateResult:
        """Start a payment of ``payment.amount`` with the provider."""

    def capture(
        self, payment: PaymentInfo, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        """Capture an authorized payment, in full or (``amount``) in part."""
        self.require(Capability.CAPTURE)
        raise NotImplementedError

    def void(self, payment: PaymentInfo, *, idempotency_key: str) -> OperationResult:
        """Cancel an authorized, uncaptured payment."""
        self.require(Capability.VOID)
        raise NotImplementedError

    def refund(
        self, payment: PaymentInfo, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        """Refund a captured payment, in full or (``amount``) in part."""
        self.require(Capability.REFUND)
        raise NotImplementedError

    @abstractmethod
    def fetch_status(self, payment: PaymentInfo) -> OperationResult:
        """Ask the provider where the payment stands (reconciliation)."""

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise :class:`~commerce.payments.exceptions.WebhookVerificationError` unless
        ``body`` (the raw bytes, never re-serialized JSON) is signed by the provider."""
        self.require(Capability.WEBHOOKS)
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        """Turn a verified webhook body into normalized events (unknown kinds: ``UNKNOWN``)."""
        self.require(Capability.WEBHOOKS)
        raise NotImplementedError


def header_value(headers: Mapping[str, str], name: str) -> str:
    """``headers[name]`` ignoring case, or ``""`` (webhook views pass ``request.headers``,
    which is case-insensitive already; tests and other callers may pass a plain dict)."""
    lowered = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value if isinstance(value, str) else ""
    return ""
