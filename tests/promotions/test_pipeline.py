"""End to end: the pricing pipeline with the promotions source registered by the app."""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from commerce.pricing.discounts import discount_sources
from commerce.pricing.pipeline import price_lines
from commerce.pricing.types import Customer
from commerce.promotions.discounts import PromotionDiscountSource
from tests.promotions.helpers import NOW, amount_off, line, percent_off, promotion, variant

pytestmark = pytest.mark.django_db


def price(*lines, codes=(), currency="USD"):
    return price_lines(lines, currency=currency, customer=Customer(), codes=codes, now=NOW)


def test_the_app_registers_its_source_once():
    assert discount_sources().count(PromotionDiscountSource()) == 1


def test_adjustments_reasons_and_totals():
    hat, boot = variant("19.99"), variant("40.00")
    promotion("Hats 25", benefit=percent_off(25, target={"products": [str(hat.product_id)]}))
    promotion(
        "Order 10 off",
        lane="order",
        currency="USD",
        benefit=amount_off("10.00", allocation="across"),
    )
    promotion(
        "Save 10", benefit=percent_off(10), lane="order", requires_code=True, codes=["SAVE10"]
    )
    promotion(
        "Big spenders", benefit=percent_off(5), currency="USD", condition={"min_subtotal": 100000}
    )
    priced = price(line("a", hat), line("b", boot, 2), codes=["save10", "NOPE"])

    # 25% of 19.99 = 5.00; then 10.00 off the order; then 10% of what is left.
    assert priced.subtotal == 1999 + 8000
    assert [(d.discount.name, d.amount) for d in priced.order_discounts] == [
        ("Order 10 off", 1000),
        ("Save 10", 850),
    ]
    assert priced.discount_total == 500 + 1000 + 850
    assert priced.total == priced.subtotal - priced.discount_total
    by_line = {pl.key: pl for pl in priced.lines}
    assert (by_line["a"].adjustments[0].discount.name, by_line["a"].adjustments[0].amount) == (
        "Hats 25",
        500,
    )
    assert sum(a.amount for a in priced.adjustments if a.discount.name == "Order 10 off") == 1000
    assert sum(a.amount for a in priced.adjustments if a.discount.name == "Save 10") == 850
    assert all(pl.net_total >= 0 for pl in priced.lines)
    assert [(s.code, s.applied) for s in priced.codes] == [("SAVE10", True), ("NOPE", False)]
    assert priced.codes[1].reason.code == "unknown_code"
    assert [(r.discount.name, r.code) for r in priced.not_applied] == [
        ("Big spenders", "below_minimum_spend")
    ]
    claims = {c.discount.name: (c.amount, c.currency) for c in priced.claims}
    assert claims == {
        "Hats 25": (500, "USD"),
        "Order 10 off": (1000, "USD"),
        "Save 10": (850, "USD"),
    }


def test_a_10_00_order_discount_over_three_lines_of_3_33():
    promotion(
        "Ten off", lane="order", currency="USD", benefit=amount_off("10.00", allocation="across")
    )
    priced = price(*(line(key, variant("3.33")) for key in "abc"))
    # The order costs 9.99: the discount is capped there, every line is free, none below zero.
    assert priced.discount_total == 999
    assert [pl.net_total for pl in priced.lines] == [0, 0, 0]


def test_an_order_discount_is_allocated_by_largest_remainder():
    promotion(
        "Five off", lane="order", currency="USD", benefit=amount_off("5.00", allocation="across")
    )
    priced = price(*(line(key, variant("3.33")) for key in "abc"))
    assert sorted(pl.discount for pl in priced.lines) == [166, 167, 167]
    assert priced.discount_total == 500


@pytest.mark.parametrize(
    ("currency", "unit", "expected"), [("JPY", "1999", 500), ("KWD", "19.999", 5000)]
)
def test_zero_and_three_decimal_currencies(currency, unit, expected):
    promotion("Quarter", benefit=percent_off(25))
    priced = price(line("a", variant(unit, currency)), currency=currency)
    assert priced.discount_total == expected
    assert priced.money(priced.discount_total) == Money(
        Decimal(expected).scaleb(-priced.exponent), currency
    )
