"""Lanes in order, priority inside a lane, best per line against combinable stacks."""

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


def voucher(name, code, benefit, **fields):
    return promotion(name, benefit=benefit, requires_code=True, codes=[code], **fields)


def test_each_line_keeps_its_best_discount():
    hat, boot = variant("10.00"), variant("40.00")
    promotion("Ten", benefit=percent_off(10))
    promotion("Hat 30", benefit=percent_off(30, target={"products": [str(hat.product_id)]}))
    result = evaluate(context(line("a", hat), line("b", boot)))
    assert off(result) == {"a": 300, "b": 400}
    assert reasons(result) == {}
    assert {(a.line_key, a.discount.name) for a in result.line_adjustments} == {
        ("a", "Hat 30"),
        ("b", "Ten"),
    }


def test_a_promotion_beaten_everywhere_says_so():
    promotion("Ten", benefit=percent_off(10))
    promotion("Twenty", benefit=percent_off(20))
    result = evaluate(context(line("a", variant("10.00"))))
    assert off(result) == {"a": 200}
    assert reasons(result) == {"Ten": "better_discount_applied"}


def test_combinable_promotions_stack_on_the_running_price():
    promotion("Ten", benefit=percent_off(10), combinable=True, priority=2)
    promotion("Twenty", benefit=percent_off(20), combinable=True, priority=1)
    result = evaluate(context(line("a", variant("100.00"))))
    # 10% of 100 = 10, then 20% of 90 = 18: never 30% of the undiscounted price.
    assert [(a.discount.name, a.amount) for a in result.line_adjustments] == [
        ("Ten", 1000),
        ("Twenty", 1800),
    ]


def test_priority_orders_the_stack():
    promotion("Five off", currency="USD", benefit=amount_off("5.00"), combinable=True, priority=1)
    promotion("Half", benefit=percent_off(50), combinable=True, priority=5)
    result = evaluate(context(line("a", variant("20.00"))))
    # Half first (priority 5): 10.00, then 5.00 off the remaining 10.00.
    assert [(a.discount.name, a.amount) for a in result.line_adjustments] == [
        ("Half", 1000),
        ("Five off", 500),
    ]


def test_a_better_non_combinable_beats_the_stack():
    promotion("Ten", benefit=percent_off(10), combinable=True)
    promotion("Twenty", benefit=percent_off(20), combinable=True)
    promotion("Forty", benefit=percent_off(40))
    result = evaluate(context(line("a", variant("100.00"))))
    assert off(result) == {"a": 4000}
    assert reasons(result) == {"Ten": "not_combinable", "Twenty": "not_combinable"}


def test_the_stack_beats_a_worse_non_combinable():
    promotion("Ten", benefit=percent_off(10), combinable=True)
    promotion("Twenty", benefit=percent_off(20), combinable=True)
    promotion("Fifteen", benefit=percent_off(15))
    result = evaluate(context(line("a", variant("100.00"))))
    assert off(result) == {"a": 2800}
    assert reasons(result) == {"Fifteen": "better_discount_applied"}


def test_lanes_do_not_compete_catalog_then_order():
    promotion("Ten", benefit=percent_off(10))
    promotion("Order 10", lane="order", benefit=percent_off(10))
    result = evaluate(context(line("a", variant("100.00"))))
    assert off(result) == {"a": 1000}
    # The order lane's percentage is of the price after the catalog lane: 10% of 90.
    assert [(d.discount.name, d.amount) for d in result.order_discounts] == [("Order 10", 900)]


def test_order_lane_keeps_the_best_order_discount():
    promotion("Order 10", lane="order", benefit=percent_off(10))
    promotion(
        "Order 5 off", lane="order", currency="USD", benefit=amount_off("5.00", allocation="across")
    )
    result = evaluate(context(line("a", variant("100.00"))))
    assert [(d.discount.name, d.amount) for d in result.order_discounts] == [("Order 10", 1000)]
    assert reasons(result) == {"Order 5 off": "better_discount_applied"}


def test_a_percentage_voucher_after_a_fixed_promotion():
    promotion(
        "Ten off", lane="order", currency="USD", benefit=amount_off("10.00", allocation="across")
    )
    voucher("Save 20", "SAVE20", percent_off(20), lane="order")
    result = evaluate(
        context(line("a", variant("30.00")), line("b", variant("20.00")), codes=["save20"])
    )
    # 20% of what is left after the 10.00 promotion (40.00), not of the undiscounted 50.00.
    assert [(d.discount.name, d.discount.lane, d.amount) for d in result.order_discounts] == [
        ("Ten off", "order", 1000),
        ("Save 20", "voucher", 800),
    ]
    assert [(s.code, s.applied) for s in result.codes] == [("SAVE20", True)]


def test_a_line_percentage_voucher_after_an_order_promotion():
    promotion(
        "Ten off", lane="order", currency="USD", benefit=amount_off("10.00", allocation="across")
    )
    voucher("Half", "HALF", percent_off(50))
    result = evaluate(
        context(line("a", variant("30.00")), line("b", variant("20.00")), codes=["HALF"])
    )
    # The order discount is spread 6.00 / 4.00 as the pipeline spreads it; half of what is left.
    assert off(result) == {"a": 1200, "b": 800}
    assert [d.amount for d in result.order_discounts] == [1000]


def test_vouchers_come_after_automatic_promotions_of_any_priority():
    promotion("Ten off", currency="USD", benefit=amount_off("10.00"), priority=-5)
    voucher("Half", "HALF", percent_off(50), priority=100)
    result = evaluate(context(line("a", variant("30.00")), codes=["HALF"]))
    assert [(a.discount.name, a.amount) for a in result.line_adjustments] == [
        ("Ten off", 1000),
        ("Half", 1000),
    ]
    assert result.line_adjustments[1].discount.source == "voucher"
    assert result.line_adjustments[1].discount.code == "HALF"


def test_a_line_never_goes_below_zero_across_lanes():
    promotion("Nine off", currency="USD", benefit=amount_off("9.00"))
    promotion(
        "Order 5 off", lane="order", currency="USD", benefit=amount_off("5.00", allocation="across")
    )
    voucher("Ten off", "TEN", amount_off("10.00"), currency="USD")
    result = evaluate(context(line("a", variant("10.00")), codes=["TEN"]))
    line_off = sum(off(result).values())
    order_off = sum(d.amount for d in result.order_discounts)
    assert line_off + order_off == 1000
    assert order_off == 100


def test_discounts_of_earlier_sources_are_respected():
    promotion("Half", benefit=percent_off(50))
    item = line("a", variant("10.00"))
    result = evaluate(context(item, discounted={"a": 400}))
    assert off(result) == {"a": 300}


def test_the_answer_does_not_depend_on_the_order_of_the_lines():
    promotion("Five off", currency="USD", benefit=amount_off("5.00", allocation="across"))
    promotion("Order 10", lane="order", benefit=percent_off(10))
    items = [
        line(key, variant(price)) for key, price in (("a", "3.33"), ("b", "3.33"), ("c", "7.77"))
    ]
    forward = evaluate(context(*items))
    backward = evaluate(context(*reversed(items)))
    assert off(forward) == off(backward)
    assert forward.order_discounts == backward.order_discounts


def test_shipping_lane_free_beats_a_discount_that_does_not_combine():
    promotion(
        "Ship 2 off",
        lane="shipping",
        currency="USD",
        priority=9,
        benefit={"kind": "shipping_discount", "amount": Money("2.00", "USD")},
    )
    promotion("Free ship", lane="shipping", benefit={"kind": "free_shipping"})
    result = evaluate(context(line("a", variant())))
    assert [d.discount.name for d in result.shipping_discounts] == ["Free ship"]
    assert reasons(result) == {"Ship 2 off": "better_discount_applied"}


def test_shipping_lane_the_higher_priority_wins_when_not_combinable():
    promotion(
        "Ship 2 off",
        lane="shipping",
        currency="USD",
        priority=9,
        benefit={"kind": "shipping_discount", "amount": Money("2.00", "USD")},
    )
    promotion(
        "Ship 10%",
        lane="shipping",
        combinable=True,
        benefit={"kind": "shipping_discount", "percent": Decimal(10)},
    )
    result = evaluate(context(line("a", variant())))
    assert [d.discount.name for d in result.shipping_discounts] == ["Ship 2 off"]
    assert reasons(result) == {"Ship 10%": "not_combinable"}


def test_a_shipping_voucher_comes_after_the_automatic_shipping_promotions():
    promotion(
        "Ship 10%",
        lane="shipping",
        combinable=True,
        benefit={"kind": "shipping_discount", "percent": Decimal(10)},
    )
    voucher("Free ship", "SHIPFREE", {"kind": "free_shipping"}, lane="shipping")
    result = evaluate(context(line("a", variant()), codes=["shipfree"]))
    assert [(d.discount.name, d.discount.source) for d in result.shipping_discounts] == [
        ("Ship 10%", "promotion"),
        ("Free ship", "voucher"),
    ]
