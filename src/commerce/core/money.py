"""Money helpers: ISO 4217 minor units and validated currency codes.

Gateways take integer amounts in a currency's minor unit. The exponent comes
from ISO 4217 (JPY 0, USD 2, KWD 3), never from a blanket ``* 100``.
"""

from __future__ import annotations

from decimal import Decimal

from djmoney.money import Money
from moneyed import CURRENCIES, get_currency

from commerce.core.exceptions import InvalidAmountError, UnknownCurrencyError

__all__ = [
    "MONEY_FIELD_OPTIONS",
    "Money",
    "currency_choices",
    "currency_exponent",
    "from_minor_units",
    "is_known_currency",
    "normalize_currency",
    "to_minor_units",
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
