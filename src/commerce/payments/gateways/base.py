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

Options (``COMMERCE["PAYMENT_GATEWAYS"][alias]["OPTIONS"]``) are read and
validated in one way for every gateway, :meth:`PaymentGateway.option` with an
:class:`OptionType`, so a bad value is always the same
:class:`~commerce.payments.exceptions.GatewayConfigurationError` naming the
alias and the option.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from djmoney.money import Money

from commerce.core.exceptions import InvalidAmountError
from commerce.core.money import from_minor_units, normalize_currency, to_minor_units
from commerce.payments.exceptions import (
    GatewayConfigurationError,
    GatewayUnsupportedFeature,
    UnsupportedAmountError,
)

__all__ = [
    "NON_NEGATIVE_INTEGER",
    "POSITIVE_INTEGER",
    "POSITIVE_NUMBER",
    "REQUIRED",
    "TEXT",
    "Capability",
    "EventType",
    "GatewayEvent",
    "InitiateResult",
    "OperationResult",
    "OptionType",
    "Outcome",
    "PaymentGateway",
    "PaymentInfo",
    "currency_codes",
    "header_value",
    "instance_of",
    "one_of",
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


# --- options -----------------------------------------------------------------------------


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The ``default`` of :meth:`PaymentGateway.option` for an option that must be set.
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class OptionType:
    """What a gateway option must be: ``convert`` returns the value to use or raises
    ``ValueError``/``TypeError``; ``description`` completes "must be ..." in the error."""

    description: str
    convert: Callable[[Any], Any]


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(value)
    return value


def _number(*, integer: bool, minimum: float, inclusive: bool) -> Callable[[Any], Any]:
    kinds: tuple[type, ...] = (int,) if integer else (int, float)

    def convert(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise TypeError(value)
        if value < minimum or (value == minimum and not inclusive):
            raise ValueError(value)
        return value

    return convert


#: A non-empty string (keys, secrets, addresses).
TEXT = OptionType("a non-empty string", _text)
#: A whole number > 0 (seconds, counts).
POSITIVE_INTEGER = OptionType(
    "a positive whole number", _number(integer=True, minimum=0, inclusive=False)
)
#: A whole number >= 0.
NON_NEGATIVE_INTEGER = OptionType(
    "a whole number >= 0", _number(integer=True, minimum=0, inclusive=True)
)
#: A number > 0, whole or not (timeouts in seconds).
POSITIVE_NUMBER = OptionType(
    "a positive number", _number(integer=False, minimum=0, inclusive=False)
)


def one_of(*choices: Any) -> OptionType:
    """One of ``choices`` exactly."""

    def convert(value: Any) -> Any:
        if value not in choices:
            raise ValueError(value)
        return value

    return OptionType("one of " + ", ".join(repr(choice) for choice in choices), convert)


def instance_of(kind: type | tuple[type, ...], description: str) -> OptionType:
    """An instance of ``kind`` (an HTTP client or transport a test injects)."""

    def convert(value: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError(value)
        return value

    return OptionType(description, convert)


def _currency_codes(value: Iterable[Any]) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(value)
    return frozenset(normalize_currency(code) for code in value)


#: A list of ISO 4217 codes, as a frozenset of upper-case codes.
currency_codes = OptionType("a list of ISO 4217 currency codes", _currency_codes)


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
    #: The options a webhook's signature is checked with. A gateway that declares
    #: :attr:`Capability.WEBHOOKS` and is configured without one of them can never
    #: verify a webhook: ``manage.py check`` reports it (``commerce.E014``).
    webhook_secret_options: ClassVar[tuple[str, ...]] = ()
    #: Option names whose values are secrets: never echoed in an error message.
    secret_options: ClassVar[frozenset[str]] = frozenset(
        {"secret_key", "webhook_secret", "api_key"}
    )

    def __init__(self, *, alias: str, options: Mapping[str, Any] | None = None) -> None:
        self.alias = alias
        self.options = dict(options or {})

    # --- configuration -----------------------------------------------------------------

    def option(self, name: str, kind: OptionType, default: Any = REQUIRED) -> Any:
        """The option ``name`` checked against ``kind`` (and converted by it).

        An option left out, set to ``None`` or to ``""`` (an unset environment
        variable) is ``default``; without a default it is required. A missing
        required option or a value ``kind`` refuses raises
        :class:`~commerce.payments.exceptions.GatewayConfigurationError`, in one
        message format naming the alias and the option for every gateway::

            COMMERCE["PAYMENT_GATEWAYS"]["stripe"]["OPTIONS"]["timeout"] must be
            a positive number (got -1).
        """
        value = self.options.get(name)
        if value is None or value == "":
            if default is REQUIRED:
                raise self.option_error(name, kind.description, got="nothing: it is required")
            return default
        try:
            return kind.convert(value)
        except (TypeError, ValueError) as exc:
            raise self.option_error(name, kind.description, value=value) from exc

    def option_error(
        self, name: str, description: str, *, value: Any = None, got: str = ""
    ) -> GatewayConfigurationError:
        """The configuration error for option ``name`` ("must be ``description``")."""
        if not got:
            if name in self.secret_options:
                got = f"a {type(value).__name__}"  # never echo a secret
            else:
                shown = repr(value)
                got = shown if len(shown) <= 60 else f"{shown[:57]}..."
        return GatewayConfigurationError(
            f'COMMERCE["PAYMENT_GATEWAYS"][{self.alias!r}]["OPTIONS"][{name!r}] '
            f"must be {description} (got {got})."
        )

    def missing_webhook_secrets(self) -> list[str]:
        """The :attr:`webhook_secret_options` this gateway is configured without.

        Empty when the gateway takes no webhooks. The system check
        ``commerce.E014`` calls it; override it when what verification needs
        is not a plain option (then name what is missing).
        """
        if not self.supports(Capability.WEBHOOKS):
            return []
        return [name for name in self.webhook_secret_options if not self.options.get(name)]

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
