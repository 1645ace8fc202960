"""Properties of the engine over random carts and promotions (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.pricing.pipeline import allocate_order_discounts
from commerce.pricing.types import Customer, PricingContext, PricingLine
from commerce.promotions.engine import PromotionRule, evaluate
from commerce.promotions.rules import LineFacts
from tests.promotions.helpers import NOW

PRODUCTS = ["00000000-0000-0000-0000-00000000000" + str(n) for n in range(4)]


@st.composite
def rules(draw, index):
    kind = draw(st.sampled_from(["percentage_off", "amount_off", "fixed_price", "buy_x_get_y"]))
    target = draw(st.none() | st.lists(st.sampled_from(PRODUCTS), min_size=1, unique=True))
    return PromotionRule(
        id=f"p{index}",
        name=f"P{index}",
        lane=draw(st.sampled_from(["catalog", "order"])),
        priority=draw(st.integers(-2, 2)),
        combinable=draw(st.booleans()),
        requires_code=False,
        is_active=True,
        starts_at=None,
        ends_at=None,
        currency="",
        condition=None,
        kind=kind,
        target={"products": target} if target else None,
        percent=draw(st.decimals(Decimal("0.01"), Decimal(100), places=2))
        if kind in ("percentage_off", "buy_x_get_y")
        else None,
        amount=draw(st.integers(0, 5000)) if kind in ("amount_off", "fixed_price") else None,
        allocation=draw(st.sampled_from(["each", "across"])),
        max_units=draw(st.none() | st.integers(1, 6)),
        buy_quantity=draw(st.integers(1, 3)),
        get_quantity=draw(st.integers(1, 2)),
        budget=draw(st.none() | st.integers(0, 3000)),
    )


@st.composite
def carts(draw):
    count = draw(st.integers(1, 5))
    lines = tuple(
        PricingLine(
            key=f"line-{n}",
            variant=None,
            quantity=draw(st.integers(1, 5)),
            unit_price=draw(st.integers(0, 5000)),
        )
        for n in range(count)
    )
    facts = {
        line.key: LineFacts(draw(st.sampled_from(PRODUCTS)), frozenset(), None, "v")
        for line in lines
    }
    promotions = [draw(rules(n)) for n in range(draw(st.integers(0, 6)))]
    return lines, facts, promotions


def run(lines, facts, promotions):
    context = PricingContext(
        currency="USD", exponent=2, lines=lines, customer=Customer(), codes=(), now=NOW
    )
    return context, evaluate(context, promotions, {}, facts)


@settings(max_examples=300, deadline=None)
@given(carts())
def test_no_line_below_zero_and_the_order_never_below_zero(cart):
    lines, facts, promotions = cart
    _context, result = run(lines, facts, promotions)
    taken = {line.key: 0 for line in lines}
    for adjustment in result.line_adjustments:
        assert isinstance(adjustment.amount, int)
        assert adjustment.amount > 0
        taken[adjustment.line_key] += adjustment.amount
    assert all(taken[line.key] <= line.base_total for line in lines)
    left = {line.key: line.base_total - taken[line.key] for line in lines}
    assert sum(d.amount for d in result.order_discounts) <= sum(left.values())
    # Allocated as the pipeline allocates them, the order discounts leave no line below zero.
    for adjustment in allocate_order_discounts(
        result.order_discounts, lines, lambda line: left[line.key]
    ):
        left[adjustment.line_key] -= adjustment.amount
    assert min(left.values()) >= 0


@settings(max_examples=200, deadline=None)
@given(carts())
def test_the_answer_does_not_depend_on_the_order_of_the_lines(cart):
    lines, facts, promotions = cart
    _, forward = run(lines, facts, promotions)
    _, backward = run(tuple(reversed(lines)), facts, list(reversed(promotions)))
    key = lambda a: (a.line_key, a.discount.promotion, a.amount)  # noqa: E731
    assert sorted(forward.line_adjustments, key=key) == sorted(backward.line_adjustments, key=key)
    assert sorted(forward.order_discounts, key=lambda d: d.discount.promotion) == sorted(
        backward.order_discounts, key=lambda d: d.discount.promotion
    )
    assert {r.discount.promotion: r.code for r in forward.not_applied} == {
        r.discount.promotion: r.code for r in backward.not_applied
    }


@settings(max_examples=200, deadline=None)
@given(carts())
def test_a_budget_is_never_exceeded(cart):
    lines, facts, promotions = cart
    _, result = run(lines, facts, promotions)
    spent: dict[str, int] = {}
    for adjustment in result.line_adjustments:
        spent[adjustment.discount.promotion] = (
            spent.get(adjustment.discount.promotion, 0) + adjustment.amount
        )
    for order in result.order_discounts:
        spent[order.discount.promotion] = spent.get(order.discount.promotion, 0) + order.amount
    for rule in promotions:
        if rule.budget is not None:
            assert spent.get(rule.id, 0) <= rule.budget
