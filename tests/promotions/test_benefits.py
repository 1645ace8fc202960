"""Each benefit kind, in minor units, rounded half up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from tests.promotions.helpers import (
    amount_off,
    context,
    evaluate,
    line,
    off,
    percent_off,
    promotion,
    reasons,
    variant,
)

pytestmark = pytest.mark.django_db


def test_25_percent_off_19_99_is_5_00_off():
    promotion("Quarter", benefit=percent_off(25))
    assert off(evaluate(context(line("a", variant("19.99"))))) == {"a": 500}


def test_a_percentage_is_rounded_half_up_per_line():
    promotion("Quarter", benefit=percent_off(25))
    # 25% of 29.97 is 7.4925: 7.49 (down), of 0.02 is 0.005: 0.01 (half up).
    result = evaluate(context(line("a", variant("9.99"), 3), line("b", variant("0.02"))))
    assert off(result) == {"a": 749, "b": 1}


def test_a_fractional_percentage():
    promotion("Odd", benefit=percent_off("12.5"))
    assert off(evaluate(context(line("a", variant("10.00"))))) == {"a": 125}


def test_amount_off_each_unit():
    promotion("Two off", currency="USD", benefit=amount_off("2.00"))
    assert off(evaluate(context(line("a", variant("10.00"), 3)))) == {"a": 600}


def test_amount_off_never_takes_a_unit_below_zero():
    promotion("Fifteen off", currency="USD", benefit=amount_off("15.00"))
    assert off(evaluate(context(line("a", variant("10.00"), 2)))) == {"a": 2000}


def test_amount_off_across_is_spread_by_largest_remainder():
    promotion("Five off", currency="USD", benefit=amount_off("5.00", allocation="across"))
    lines = [line(key, variant("3.33")) for key in "abc"]
    taken = off(evaluate(context(*lines)))
    assert taken == {"a": 167, "b": 167, "c": 166}
    assert sum(taken.values()) == 500


def test_amount_off_across_never_exceeds_the_lines():
    promotion("Ten off", currency="USD", benefit=amount_off("10.00", allocation="across"))
    lines = [line(key, variant("3.33")) for key in "abc"]
    assert off(evaluate(context(*lines))) == {"a": 333, "b": 333, "c": 333}


def test_fixed_unit_price():
    promotion(
        "Fixed",
        currency="USD",
        benefit={"kind": "fixed_price", "amount": Money("7.50", "USD")},
    )
    assert off(evaluate(context(line("a", variant("10.00"), 2)))) == {"a": 500}


def test_a_fixed_price_above_the_price_gives_nothing():
    promotion(
        "Fixed", currency="USD", benefit={"kind": "fixed_price", "amount": Money("12", "USD")}
    )
    result = evaluate(context(line("a", variant("10.00"))))
    assert off(result) == {}
    assert reasons(result) == {"Fixed": "conditions_not_met"}


def test_max_units_takes_the_cheapest_units_first():
    promotion("Half one", benefit=percent_off(50, max_units=1))
    result = evaluate(context(line("a", variant("10.00"), 2), line("b", variant("4.00"))))
    assert off(result) == {"b": 200}


def test_max_units_spans_lines():
    promotion("Two off", currency="USD", benefit=amount_off("1.00", max_units=3))
    result = evaluate(context(line("a", variant("10.00"), 2), line("b", variant("4.00"), 2)))
    assert off(result) == {"a": 100, "b": 200}


def test_buy_two_get_one_free_gives_the_cheapest_units():
    promotion("3 for 2", benefit={"kind": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1})
    result = evaluate(context(line("a", variant("10.00"), 2), line("b", variant("4.00"))))
    assert off(result) == {"b": 400}


def test_buy_two_get_one_counts_every_group():
    promotion("3 for 2", benefit={"kind": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1})
    result = evaluate(context(line("a", variant("10.00"), 4), line("b", variant("4.00"), 3)))
    # 7 units: two groups of three, so the two cheapest units are free.
    assert off(result) == {"b": 800}


def test_buy_one_get_one_half_price_with_max_units():
    promotion(
        "BOGOHP",
        benefit={
            "kind": "buy_x_get_y",
            "buy_quantity": 1,
            "get_quantity": 1,
            "percent": Decimal(50),
            "max_units": 1,
        },
    )
    result = evaluate(context(line("a", variant("10.00"), 4)))
    assert off(result) == {"a": 500}


def test_buy_x_get_y_without_enough_units():
    promotion("3 for 2", benefit={"kind": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1})
    result = evaluate(context(line("a", variant("10.00"), 2)))
    assert off(result) == {}
    assert reasons(result) == {"3 for 2": "conditions_not_met"}


def test_free_shipping():
    promotion("Free ship", lane="shipping", benefit={"kind": "free_shipping"})
    result = evaluate(context(line("a", variant())))
    assert [(d.percent, d.amount) for d in result.shipping_discounts] == [(Decimal(100), None)]
    assert result.shipping_discounts[0].discount.lane == "shipping"


def test_shipping_discount_by_amount_and_by_percent():
    promotion(
        "Ship 2 off",
        lane="shipping",
        currency="USD",
        combinable=True,
        benefit={"kind": "shipping_discount", "amount": Money("2.00", "USD")},
    )
    promotion(
        "Ship 10%",
        lane="shipping",
        combinable=True,
        priority=-1,
        benefit={"kind": "shipping_discount", "percent": Decimal(10)},
    )
    result = evaluate(context(line("a", variant())))
    assert [(d.percent, d.amount) for d in result.shipping_discounts] == [
        (None, 200),
        (Decimal(10), None),
    ]


def test_order_lane_percentage_is_one_order_discount_rounded_once():
    promotion("Order 25", lane="order", benefit=percent_off(25))
    result = evaluate(context(line("a", variant("0.02")), line("b", variant("0.02"))))
    # 25% of 0.04 is 0.01; per line it would have been 0.01 + 0.01.
    assert [d.amount for d in result.order_discounts] == [1]
    assert result.line_adjustments == ()


def test_order_lane_amount_never_exceeds_the_order():
    promotion("Big", lane="order", currency="USD", benefit=amount_off("50.00", allocation="across"))
    result = evaluate(context(line("a", variant("10.00")), line("b", variant("5.00"))))
    assert [d.amount for d in result.order_discounts] == [1500]


@pytest.mark.parametrize(
    ("currency", "price", "amount", "expected"),
    [("JPY", "1999", "500", 500), ("KWD", "19.999", "0.500", 500), ("USD", "19.99", "0.50", 50)],
)
def test_amounts_in_the_currencys_minor_units(currency, price, amount, expected):
    promotion("Off", currency=currency, benefit=amount_off(amount, currency))
    result = evaluate(context(line("a", variant(price, currency)), currency=currency))
    assert off(result) == {"a": expected}


@pytest.mark.parametrize(
    ("currency", "price", "expected"), [("JPY", "1999", 500), ("KWD", "19.999", 5000)]
)
def test_25_percent_in_zero_and_three_decimal_currencies(currency, price, expected):
    promotion("Quarter", benefit=percent_off(25))
    result = evaluate(context(line("a", variant(price, currency)), currency=currency))
    assert off(result) == {"a": expected}
