"""Amounts in the admin at their currency's exponent (``commerce.core.admin``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from commerce.core.admin import money_at_exponent, money_display, money_text


@pytest.mark.parametrize(
    ("amount", "currency", "places"),
    [("59.000", "USD", 2), ("1000.000", "JPY", 0), ("1.234", "KWD", 3), ("0.000", "EUR", 2)],
)
def test_an_amount_gets_its_currencys_places(amount, currency, places):
    shown = money_at_exponent(Money(Decimal(amount), currency))
    assert shown.amount == Decimal(amount)
    assert -shown.amount.as_tuple().exponent == places
    assert str(shown.currency) == currency


def test_no_digit_is_hidden_by_rounding():
    # More places than the currency has (the services refuse it): shown as stored.
    shown = money_at_exponent(Money(Decimal("1.005"), "USD"))
    assert shown.amount.as_tuple() == Decimal("1.005").as_tuple()


def test_text_for_people():
    assert money_text(Money(Decimal("59.000"), "USD")) == "$59.00"
    assert money_text(Money(Decimal("1000.000"), "JPY")) == "¥1,000"
    assert money_text(None) == "-"
    assert money_text(None, "—") == "—"


def test_the_admin_display_reads_the_field_and_sorts_by_it():
    class Admin:
        total_display = money_display("total", "total")

        def get_empty_value_display(self):
            return "(none)"

    class Row:
        total = Money(Decimal("12.500"), "USD")

    display = Admin.total_display
    assert display.short_description == "total"
    assert display.admin_order_field == "total"
    assert Admin().total_display(Row()) == "$12.50"
    Row.total = None
    assert Admin().total_display(Row()) == "(none)"
