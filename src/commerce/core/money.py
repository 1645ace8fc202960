"""Money helpers: ISO 4217 minor units, validated currency codes and amounts.

Gateways take integer amounts in a currency's minor unit. The exponent comes
from ISO 4217 (JPY 0, USD 2, KWD 3), never from a blanket ``* 100``. Every
layer that accepts an amount (services, serializers, admin forms) checks it
with :func:`validate_money`, so they refuse the same things with the same words.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from djmoney.money import Money
from moneyed import CURRENCIES, get_currency

from commerce.conf import commerce_settings
from commerce.core.exceptions import (
    CommerceValidationError,
    InvalidAmountError,
    UnknownCurrencyError,
)

__all__ = [
    "MONEY_FIELD_OPTIONS",
    "Money",
    "allocate",
    "at_exponent",
    "currency_choices",
    "currency_exponent",
    "from_minor_units",
    "is_allowed_currency",
    "is_known_currency",
    "normalize_currency",
    "percentage_of",
    "round_half_up",
    "to_minor_units",
    "validate_money",
]


def currency_choices() -> list[tuple[str, str]]:
    """Choices for a money field's currency column: every ISO 4217 code, by code.

    Money fields take this function, not a list: a migration then records a reference
    to it and never the currency *names*, which change between Babel releases (and with
    the active language) and would make ``makemigrations`` see changes that are not
    there. Which codes a price may use is ``COMMERCE["CURRENCIES"]``, checked by the
    services and serializers.
    """
    return [(code, code) for code in sorted(CURRENCIES) if code != "XXX"]


#: Keyword arguments of every money column: up to 3 decimal places (KWD, BHD; the
#: services refuse more places than the currency's exponent), no default currency,
#: and label-free currency choices (see :func:`currency_choices`).
MONEY_FIELD_OPTIONS = {
    "max_digits": 14,
    "decimal_places": 3,
    "default_currency": None,
    "currency_choices": currency_choices,
}


def is_known_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 alphabetic code (case-sensitive, e.g. ``"USD"``)."""
    return isinstance(code, str) and code in CURRENCIES and code != "XXX"


def is_allowed_currency(code: str) -> bool:
    """Whether ``code`` is a known ISO 4217 code that ``COMMERCE["CURRENCIES"]`` allows
    (any known code when that list is empty)."""
    allowed = commerce_settings.CURRENCIES
    return is_known_currency(code) and (not allowed or code in allowed)


def validate_money(value: Money | None, field: str, *, allow_none: bool = False) -> None:
    """Refuse what no price or amount may be; return ``None`` when ``value`` is fine.

    Raises :class:`UnknownCurrencyError` for a currency that
    :func:`is_allowed_currency` refuses, and :class:`InvalidAmountError` for a
    negative amount or more decimal places than the currency's exponent
    (``12.345 USD``). ``None`` passes only with ``allow_none`` (otherwise a
    :class:`CommerceValidationError`). The errors' ``details`` map ``field`` to
    the problems, as a form or serializer shows them next to the field.
    """
    if value is None:
        if allow_none:
            return
        raise CommerceValidationError(f"{field} is required.", details={field: ["Required."]})
    if not isinstance(value, Money):
        raise InvalidAmountError(f"{field} must be a Money value.", details={field: [str(value)]})
    currency = str(value.currency)
    if not is_allowed_currency(currency):
        raise UnknownCurrencyError(currency)
    amount = Decimal(value.amount)
    if amount < 0:
        raise InvalidAmountError(
            f"{field} cannot be negative.", details={field: ["Must be zero or more."]}
        )
    exponent = currency_exponent(currency)
    if amount != round(amount, exponent):
        raise InvalidAmountError(
            f"{field} has more decimal places than {currency} allows ({exponent}).",
            details={field: [f"At most {exponent} decimal places for {currency}."]},
        )


def normalize_currency(code: str) -> str:
    """Return ``code`` upper-cased, or raise :class:`UnknownCurrencyError`."""
    normalized = code.strip().upper() if isinstance(code, str) else code
    if not is_known_currency(normalized):
        raise UnknownCurrencyError(code)
    return normalized


def currency_exponent(code: str) -> int:
    """The number of decimal places of ``code``'s minor unit (USD 2, JPY 0, KWD 3)."""
    sub_unit = get_currency(normalize_currency(code)).sub_unit
    return len(str(sub_unit)) - 1


def at_exponent(amount: Decimal, currency: str | None) -> Decimal:
    """``amount`` with as many decimal places as ``currency`` has (USD 2, JPY 0, KWD 3).

    The one formatter of amounts (the API, the admin and the invariant checker
    show money through it). It never rounds: an amount with more places than
    its currency's, which the services refuse to store, or in a currency that is
    not ISO 4217, is returned unchanged, so no digit is ever hidden.
    """
    amount = Decimal(amount)
    if not is_known_currency(currency):
        return amount
    shown = amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)))
    return shown if shown == amount else amount


def to_minor_units(money: Money) -> int:
    """Convert ``money`` to an integer count of minor units.

    Raises :class:`InvalidAmountError` when the amount has more decimal places
    than the currency allows (``Money("1.005", "USD")``): rounding money
    silently is how cents go missing.
    """
    exponent = currency_exponent(str(money.currency))
    scaled = Decimal(money.amount).scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidAmountError(
            f"{money.amount} {money.currency} has more than {exponent} decimal places."
        )
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Money:
    """The inverse of :func:`to_minor_units`: ``from_minor_units(1250, "USD")`` is 12.50 USD."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmountError(f"Minor units must be an integer, not {amount!r}.")
    exponent = currency_exponent(currency)
    return Money(Decimal(amount).scaleb(-exponent), normalize_currency(currency))


# --- splitting and rounding amounts in minor units -------------------------------------


def round_half_up(value: Decimal | int) -> int:
    """Round a number of minor units to a whole one, halves away from zero (2.5 -> 3).

    The pricing pipeline's one rounding mode, as the anchors (Saleor, Solidus,
    django-oscar's tax) use: never ``Money.round``, which rounds half to even.
    """
    return int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP))


def percentage_of(amount: int, percent: Decimal | int | str) -> int:
    """``percent`` % of ``amount`` minor units, rounded half up: 25 % of 1999 is 500."""
    return round_half_up(Decimal(amount) * Decimal(percent) / 100)


def allocate(
    total: int, weights: Sequence[int], *, keys: Sequence[Hashable] | None = None
) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights`` (largest remainder).

    The shares add up to ``total`` exactly. Each share first gets the floor of its
    exact part; the units left over go one each to the largest remainders, ties
    going to the larger weight, then to the smaller key (``keys``, default the
    position), so the result does not depend on the order of equal weights when
    keys are given. When ``0 <= total <= sum(weights)`` no share exceeds its
    weight: a discount spread this way never takes a line below zero.

    Raises :class:`InvalidAmountError` for negative weights, or a non-zero total
    over weights that add up to zero.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise InvalidAmountError(f"An amount to allocate must be an integer, not {total!r}.")
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights):
        raise InvalidAmountError("Allocation weights must be non-negative integers.")
    keys = list(range(len(weights))) if keys is None else list(keys)
    if len(keys) != len(weights):
        raise ValueError("allocate() needs one key per weight.")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise InvalidAmountError(f"Cannot allocate {total} over weights that are all zero.")
        return [0] * len(weights)
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    shares = [magnitude * w // weight_sum for w in weights]
    left = magnitude - sum(shares)
    # Remainders as integers (magnitude * w mod weight_sum): exact, no Decimal needed.
    order = sorted(
        range(len(weights)),
        key=lambda i: (-(magnitude * weights[i] % weight_sum), -weights[i], keys[i]),
    )
    for i in order[:left]:
        shares[i] += 1
    return [sign * share for share in shares]
