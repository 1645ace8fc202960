"""Money helpers: ISO 4217 minor units, currency codes and the one amount validation."""

from decimal import Decimal

import pytest
from djmoney.money import Money
from hypothesis import given
from hypothesis import strategies as st
from moneyed import CURRENCIES

from commerce.core.exceptions import (
    CommerceValidationError,
    InvalidAmountError,
    UnknownCurrencyError,
)
from commerce.core.money import (
    at_exponent,
    currency_exponent,
    from_minor_units,
    is_allowed_currency,
    is_known_currency,
    normalize_currency,
    to_minor_units,
    validate_money,
)

KNOWN_CURRENCIES = sorted(code for code in CURRENCIES if is_known_currency(code))


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "USD", 1250),
        ("12.500", "USD", 1250),  # trailing zeros are not extra precision
        ("0", "USD", 0),
        ("0.01", "EUR", 1),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
        ("0.001", "BHD", 1),
        ("99999999999.99", "USD", 9999999999999),
    ],
)
def test_to_minor_units_uses_the_iso_exponent(amount, currency, minor):
    assert to_minor_units(Money(Decimal(amount), currency)) == minor
    assert type(to_minor_units(Money(Decimal(amount), currency))) is int


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.005", "USD"), ("12.501", "EUR"), ("1.5", "JPY"), ("0.1", "KRW"), ("1.2345", "KWD")],
)
def test_to_minor_units_refuses_more_decimals_than_the_currency_has(amount, currency):
    with pytest.raises(InvalidAmountError) as excinfo:
        to_minor_units(Money(Decimal(amount), currency))
    assert excinfo.value.code == "invalid_amount"
    assert currency in excinfo.value.message


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (1250, "USD", "12.50"),
        (1, "USD", "0.01"),
        (0, "USD", "0"),
        (1000, "JPY", "1000"),
        (1234, "KWD", "1.234"),
        (-250, "EUR", "-2.50"),
        (1250, "usd", "12.50"),
    ],
)
def test_from_minor_units(minor, currency, amount):
    money = from_minor_units(minor, currency)
    assert money == Money(Decimal(amount), currency.upper())
    assert str(money.currency) == currency.upper()
    assert to_minor_units(money) == minor


@pytest.mark.parametrize("minor", [True, False, 12.5, 1250.0, "1250", Decimal("1250"), None])
def test_from_minor_units_refuses_anything_but_int(minor):
    with pytest.raises(InvalidAmountError):
        from_minor_units(minor, "USD")


def test_from_minor_units_refuses_an_unknown_currency():
    with pytest.raises(UnknownCurrencyError):
        from_minor_units(100, "XXX")


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("USD", 2),
        ("usd", 2),
        ("EUR", 2),
        ("NGN", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
    ],
)
def test_currency_exponent(currency, exponent):
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize("code", ["XXX", "ZZZ", "US", "", "dollar"])
def test_currency_exponent_refuses_unknown_codes(code):
    with pytest.raises(UnknownCurrencyError):
        currency_exponent(code)


@pytest.mark.parametrize(("code", "normalized"), [("USD", "USD"), ("usd", "USD"), (" eur ", "EUR")])
def test_normalize_currency(code, normalized):
    assert normalize_currency(code) == normalized


@pytest.mark.parametrize("code", ["XXX", "xxx", "ZZZ", "", "EURO", None, 840])
def test_normalize_currency_refuses_unknown_codes(code):
    with pytest.raises(UnknownCurrencyError) as excinfo:
        normalize_currency(code)
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert error.code == "unknown_currency"
    assert error.details == {"currency": str(code)}


def test_is_known_currency_is_case_sensitive_and_refuses_non_strings():
    assert is_known_currency("USD")
    assert not is_known_currency("usd")
    assert not is_known_currency("XXX")
    assert not is_known_currency(None)


@given(
    currency=st.sampled_from(KNOWN_CURRENCIES),
    minor=st.integers(min_value=-(10**15), max_value=10**15),
)
def test_minor_units_round_trip(currency, minor):
    money = from_minor_units(minor, currency)
    assert str(money.currency) == currency
    assert money.amount.scaleb(currency_exponent(currency)) == minor
    assert to_minor_units(money) == minor


@given(
    currency=st.sampled_from(KNOWN_CURRENCIES),
    amount=st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False),
)
def test_to_minor_units_is_exact_or_refuses(currency, amount):
    exponent = currency_exponent(currency)
    money = Money(amount, currency)
    if amount == round(amount, exponent):
        minor = to_minor_units(money)
        assert from_minor_units(minor, currency) == money
    else:
        with pytest.raises(InvalidAmountError):
            to_minor_units(money)


@pytest.fixture
def only_usd_and_jpy(settings):
    settings.COMMERCE = {**settings.COMMERCE, "CURRENCIES": ["USD", "JPY"]}


def test_allowed_currencies_are_the_known_codes_the_setting_lists(only_usd_and_jpy, settings):
    assert is_allowed_currency("USD")
    assert not is_allowed_currency("EUR")  # ISO 4217, but not listed
    assert not is_allowed_currency("usd")
    assert not is_allowed_currency(None)
    settings.COMMERCE = {**settings.COMMERCE, "CURRENCIES": []}
    assert is_allowed_currency("EUR")  # an empty list allows every known code
    assert not is_allowed_currency("XXX")


@pytest.mark.parametrize(("amount", "currency"), [("12.50", "USD"), ("0", "USD"), ("500", "JPY")])
def test_validate_money_accepts_what_a_price_may_be(only_usd_and_jpy, amount, currency):
    assert validate_money(Money(amount, currency), "price") is None


@pytest.mark.parametrize(
    ("value", "error", "problem"),
    [
        (Money("-0.01", "USD"), InvalidAmountError, "Must be zero or more."),
        (Money("1.005", "USD"), InvalidAmountError, "At most 2 decimal places for USD."),
        (Money("1.5", "JPY"), InvalidAmountError, "At most 0 decimal places for JPY."),
        (Decimal("1.00"), InvalidAmountError, "1.00"),
        (None, CommerceValidationError, "Required."),
    ],
    ids=["negative", "too-many-places", "places-by-exponent", "not-money", "missing"],
)
def test_validate_money_names_the_field_and_the_problem(only_usd_and_jpy, value, error, problem):
    with pytest.raises(error) as raised:
        validate_money(value, "price")
    assert raised.value.details == {"price": [problem]}


def test_validate_money_refuses_a_currency_the_setting_does_not_list(only_usd_and_jpy):
    with pytest.raises(UnknownCurrencyError) as raised:
        validate_money(Money("1.00", "EUR"), "price")
    assert raised.value.details == {"currency": "EUR"}


def test_validate_money_lets_none_through_only_when_asked(only_usd_and_jpy):
    assert validate_money(None, "compare_at_price", allow_none=True) is None


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("59", "USD", "59.00"),
        ("59.000", "USD", "59.00"),
        ("1000.000", "JPY", "1000"),
        ("1.2", "KWD", "1.200"),
        # More places than the currency has, or no ISO 4217 currency: never rounded.
        ("1.005", "USD", "1.005"),
        ("0.5", "JPY", "0.5"),
        ("1.005", "XYZ", "1.005"),
        ("1.005", None, "1.005"),
    ],
)
def test_at_exponent_shows_the_currencys_places_and_never_rounds(amount, currency, shown):
    assert f"{at_exponent(Decimal(amount), currency):f}" == shown
