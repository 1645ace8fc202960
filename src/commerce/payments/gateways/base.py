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
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from djmoney.money import Money

from commerce.core.columns import is_storable_text, storable_text
from commerce.core.exceptions import InvalidAmountError
from commerce.core.money import (
    MONEY_FIELD_OPTIONS,
    from_minor_units,
    is_known_currency,
    normalize_currency,
    to_minor_units,
)
from commerce.payments.exceptions import (
    GatewayConfigurationError,
    GatewayUnsupportedFeature,
    UnsupportedAmountError,
    WebhookVerificationError,
)

__all__ = [
    "NON_NEGATIVE_INTEGER",
    "POSITIVE_INTEGER",
    "POSITIVE_NUMBER",
    "PROBLEMS_KEY",
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
    """What :meth:`PaymentGateway.initiate` returns: what the client needs next.

    Checked when built, like :class:`GatewayEvent`: a provider's answer whose
    reference, client secret or redirect URL the payment's columns cannot hold
    (too long, a NUL) is ``UNKNOWN`` without them, and ``raw`` is made storable
    (what changed is listed under ``"_commerce_problems"``).
    """

    outcome: Outcome
    gateway_reference: str
    #: For client-side confirmation (Stripe's PaymentIntent client secret).
    client_secret: str = ""
    #: Where to send the customer (Paystack's checkout, the dummy's confirm page).
    redirect_url: str = ""
    #: JSON-safe provider response, for the payment's event history.
    raw: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[str] = []
        outcome = self.outcome
        values = {}
        for name, limit in (
            ("gateway_reference", MAX_REFERENCE_LENGTH),
            ("client_secret", MAX_CLIENT_SECRET_LENGTH),
            ("redirect_url", MAX_URL_LENGTH),
        ):
            value = getattr(self, name)
            if not _storable_text(value, limit):
                problems.append(f"{name}: not a string of at most {limit} characters without NUL")
                value, outcome = "", Outcome.UNKNOWN
            values[name] = value
        _freeze(self, outcome=outcome, raw=_storable_raw(self.raw, problems), **values)


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

    def __post_init__(self) -> None:
        # Checked when built, like GatewayEvent: the services store all of it.
        problems: list[str] = []
        outcome, reference, amount = self.outcome, self.gateway_reference, self.amount
        if not _storable_text(reference, MAX_REFERENCE_LENGTH):
            problems.append(
                f"gateway_reference: not a string of at most {MAX_REFERENCE_LENGTH} "
                "characters without NUL"
            )
            reference = ""
        if amount is not None and not _storable_money(amount):
            problems.append(f"amount: {_describe_amount(amount)} does not fit a money column")
            amount = None
            if outcome == Outcome.SUCCEEDED:
                # A success whose amount cannot be recorded cannot be applied as one.
                outcome = Outcome.UNKNOWN
        message = _printable(self.message) if isinstance(self.message, str) else ""
        if problems and not message:
            message = "The provider's answer held values commerce cannot store: " + "; ".join(
                problems
            )
        _freeze(
            self,
            outcome=outcome,
            gateway_reference=reference,
            amount=amount,
            message=message,
            raw=_storable_raw(self.raw, problems),
        )


#: What the webhook event columns hold (``WebhookEvent.event_id``, the
#: ``gateway_reference`` columns of ``WebhookEvent``, ``Payment`` and ``Refund``).
MAX_EVENT_ID_LENGTH = 255
MAX_REFERENCE_LENGTH = 255
#: ``Payment.client_secret`` and ``Payment.redirect_url``.
MAX_CLIENT_SECRET_LENGTH = 255
MAX_URL_LENGTH = 2000
#: The money columns' ``DecimalField`` digits and places, from the one place they are set.
MONEY_MAX_DIGITS = MONEY_FIELD_OPTIONS["max_digits"]
MONEY_DECIMAL_PLACES = MONEY_FIELD_OPTIONS["decimal_places"]
#: Where :class:`GatewayEvent` notes, in the stored payload, what it could not keep.
PROBLEMS_KEY = "_commerce_problems"


@dataclass(frozen=True)
class GatewayEvent:
    """A webhook event, normalized.

    ``event_id`` is unique per gateway and stable across redeliveries (derive
    one when the provider sends none). ``amount`` is cumulative where the
    provider's is (a refund event carries the total refunded so far).

    Every event is checked against what the database can store when it is
    built, whichever gateway builds it, so a provider's payload (even
    correctly signed) never costs a 500 or puts into a column what it cannot
    hold:

    - an ``event_id`` that is not a non-empty string of at most 255 characters
      without NUL cannot be recorded or deduplicated: building the event raises
      :class:`~commerce.payments.exceptions.WebhookVerificationError` (a 400,
      nothing stored, as for a bad signature);
    - a ``gateway_reference`` no payment could have (longer than 255
      characters, a NUL, not a string) becomes ``""``: the event is recorded
      as naming no known payment;
    - an ``amount`` the money columns cannot hold (negative, more than 11
      whole digits or 3 decimal places, a currency that is not an ISO 4217
      code) makes the event ``UNKNOWN`` with no amount: it is recorded and
      never applied (above all never as a capture of the payment's own
      amount), and reconciliation asks the provider's API where the payment
      stands;
    - ``raw`` is kept as JSON whose keys and strings hold no NUL and no lone
      surrogate (PostgreSQL's ``jsonb`` refuses both): they are replaced with
      U+FFFD.

    What was changed is listed in ``problems`` and, for staff, in the stored
    payload under ``"_commerce_problems"``.
    """

    event_id: str
    type: EventType
    gateway_reference: str
    amount: Money | None
    occurred_at: datetime | None
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: What normalization refused or replaced (empty for a clean event).
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _storable_text(self.event_id, MAX_EVENT_ID_LENGTH) or not self.event_id:
            raise WebhookVerificationError(
                "The webhook event has no id commerce can store (a non-empty string of at "
                f"most {MAX_EVENT_ID_LENGTH} characters without NUL)."
            )
        problems = list(self.problems)
        event_type = self.type
        if not isinstance(event_type, EventType):
            try:
                event_type = EventType(event_type)
            except ValueError:
                event_type = EventType.UNKNOWN
        reference = self.gateway_reference
        if not _storable_text(reference, MAX_REFERENCE_LENGTH):
            problems.append(
                "gateway_reference: not a string of at most "
                f"{MAX_REFERENCE_LENGTH} characters without NUL; dropped"
            )
            reference = ""
        amount = self.amount
        if amount is not None and not _storable_money(amount):
            problems.append(
                f"amount: {_describe_amount(amount)} does not fit a money column "
                f"({MONEY_MAX_DIGITS} digits, {MONEY_DECIMAL_PLACES} places, ISO 4217 "
                f"currency); the {event_type} event is recorded as unknown, never applied"
            )
            amount = None
            event_type = EventType.UNKNOWN
        occurred_at = self.occurred_at
        if occurred_at is not None and not (
            isinstance(occurred_at, datetime) and occurred_at.tzinfo is not None
        ):
            problems.append("occurred_at: not an aware datetime; dropped")
            occurred_at = None
        raw = _storable_raw(self.raw, problems)
        _freeze(
            self,
            type=event_type,
            gateway_reference=reference,
            amount=amount,
            occurred_at=occurred_at,
            raw=raw,
            problems=tuple(problems),
        )

    @property
    def currency(self) -> str | None:
        return str(self.amount.currency) if self.amount is not None else None


def _freeze(instance: Any, **values: Any) -> None:
    """Set normalized values on a frozen dataclass from its ``__post_init__``."""
    for name, value in values.items():
        object.__setattr__(instance, name, value)


def _storable_raw(data: Any, problems: list[str]) -> dict[str, Any]:
    """``data`` as storable JSON, with ``problems`` (appended to) under :data:`PROBLEMS_KEY`."""
    raw, replaced = _storable_json(data)
    if replaced:
        problems.append(
            "payload: NUL characters and lone surrogates replaced with U+FFFD, "
            "NaN and Infinity with strings"
        )
    return {**raw, PROBLEMS_KEY: list(problems)} if problems else raw


def _storable_text(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and len(value) <= max_length and is_storable_text(value)


def _storable_money(amount: Any) -> bool:
    if not isinstance(amount, Money) or not is_known_currency(str(amount.currency)):
        return False
    value = amount.amount
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        return False
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MONEY_DECIMAL_PLACES:
        return False
    return value < Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)


def _describe_amount(amount: Any) -> str:
    text = f"{amount.amount} {amount.currency}" if isinstance(amount, Money) else repr(amount)
    return _printable(text if len(text) <= 60 else f"{text[:57]}...")


def _printable(text: str) -> str:
    return _clean_text(text)[0]


def _clean_text(text: str) -> tuple[str, bool]:
    """``text`` without NUL or lone surrogates (as U+FFFD), and whether any was there."""
    cleaned = storable_text(text)
    return cleaned, cleaned != text


def _storable_json(data: Any) -> tuple[dict[str, Any], bool]:
    """``data`` as a JSON object PostgreSQL's jsonb accepts, and whether anything changed.

    Iterative (a provider's payload may be deeply nested): no RecursionError.
    Values that are not JSON types become strings, as the services' encoder would.
    """
    replaced = False

    def clean(value: Any) -> Any:
        nonlocal replaced
        if isinstance(value, str):
            text, changed = _clean_text(value)
            replaced = replaced or changed
            return text
        return value

    root: dict[str, Any] = {}
    source = dict(data) if isinstance(data, Mapping) else {}
    stack: list[tuple[Any, Any]] = [(source, root)]
    while stack:
        original, copy = stack.pop()
        items = original.items() if isinstance(original, Mapping) else enumerate(original)
        for key, value in items:
            if isinstance(value, Mapping):
                child: Any = {}
                stack.append((value, child))
            elif isinstance(value, list | tuple):
                child = [None] * len(value)
                stack.append((value, child))
            elif isinstance(value, float) and not math.isfinite(value):
                child = str(value)  # NaN and Infinity are not JSON: jsonb refuses them
                replaced = True
            elif value is None or isinstance(value, bool | int | float | str):
                child = clean(value)
            else:
                child = clean(str(value))
            if isinstance(copy, dict):
                copy[clean(str(key))] = child
            else:
                copy[key] = child
    return root, replaced


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

    def read_minor_units(self, amount: Any, currency: Any) -> tuple[Money | None, str]:
        """A webhook's integer ``amount`` in ``currency`` as ``(Money, "")``, or
        ``(None, why)`` when it is not an integer or the currency is not one this
        gateway takes. Pass ``why`` as the event's ``problems`` and make the event
        ``UNKNOWN``: an event without its amount must never be applied as if it
        were for the payment's whole amount."""
        if isinstance(amount, bool) or not isinstance(amount, int):
            return None, f"amount: {_describe_amount(amount)} is not a whole number of minor units"
        code = currency.strip().upper() if isinstance(currency, str) else currency
        try:
            return self.from_minor_units(amount, code), ""
        except (ValueError, TypeError, OverflowError) as exc:
            return None, _printable(f"amount: {_describe_amount(amount)} {code!r}: {exc}"[:240])

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
