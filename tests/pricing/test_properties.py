"""Properties of the whole pipeline over random carts, promotions and tax settings.

Each example creates its promotions, zone, rates and shipping method inside a
transaction that it rolls back, prices random lines with :func:`price_lines` (the
promotions source and :class:`~commerce.pricing.tax.FlatRates`), and checks what
must hold whatever the figures: discounts add up, nothing goes below zero, totals
are their parts' sums, the order of the lines changes nothing, and document
rounding rounds each rate's sum once. The last property places random orders with
codes and asks the invariant checker; it needs the orders app (``requires_orders``),
which the cart-and-promotions host does not install.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from commerce.cart.exceptions import CodeNotAppliedError
from commerce.core.invariants import check_invariants
from commerce.core.money import currency_exponent, from_minor_units, to_minor_units
from commerce.pricing.exceptions import DiscountUnavailableError
from commerce.pricing.pipeline import price_lines
from commerce.pricing.tax import round_fraction, tax_on
from commerce.pricing.types import SHIPPING_KEY, Customer, PricingLine
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.pricing.helpers import method, rate, zone
from tests.pricing.strategies import (
    CURRENCIES,
    HYPOTHESIS,
    RATES,
    create_promotions,
    price_text,
    promotion_specs,
)
from tests.promotions.helpers import NOW, line, promotion, variant

pytestmark = pytest.mark.django_db

GERMANY = {"country": "DE", "region": "BE", "postal_code": "10115"}


@st.composite
def scenarios(draw, products: int):
    currency = draw(st.sampled_from(CURRENCIES))
    scale = 10 ** currency_exponent(currency)
    lines = [
        (
            draw(st.integers(0, products - 1)),
            draw(st.integers(0, 80 * scale)),
            draw(st.integers(1, 5)),
        )
        for _ in range(draw(st.integers(1, 8)))
    ]
    specs = [draw(promotion_specs(currency, products, n)) for n in range(draw(st.integers(0, 4)))]
    rates = draw(
        st.lists(
            st.tuples(st.sampled_from(RATES), st.sampled_from([None, None, True, False])),
            min_size=1,
            max_size=2,
        )
    )
    shipping = draw(st.none() | st.integers(0, 20 * scale))
    free_shipping = shipping is not None and draw(st.booleans())
    return {
        "currency": currency,
        "lines": lines,
        "promotions": specs,
        "rates": rates,
        "shipping": shipping,
        "free_shipping": free_shipping,
        "include": draw(st.booleans()),
        "rounding": draw(st.sampled_from(["unit", "line", "document"])),
        "shuffle": draw(st.randoms(use_true_random=False)),
    }


# --- the pipeline ----------------------------------------------------------------------------


@pytest.fixture
def products(db):
    """Four products with a variant each, made once per test (examples reuse them)."""
    return [variant("1.00") for _ in range(4)]


def set_up(scenario, products, django_settings):
    django_settings.COMMERCE = {
        **django_settings.COMMERCE,
        "TAX_STRATEGY": "commerce.pricing.tax.FlatRates",
        "PRICES_INCLUDE_TAX": scenario["include"],
        "TAX_ROUNDING": scenario["rounding"],
    }
    currency = scenario["currency"]
    germany = zone("Germany", ("DE",))
    rates = [
        rate(germany, f"Rate {n}", percent, included=included)
        for n, (percent, included) in enumerate(scenario["rates"])
    ]
    if scenario["shipping"] is not None:
        method(
            germany,
            "standard",
            price=price_text(scenario["shipping"], currency),
            currency=currency,
        )
    if scenario["free_shipping"]:
        promotion(
            "Free shipping", lane="shipping", benefit={"kind": "free_shipping"}, combinable=True
        )
    create_promotions(scenario["promotions"], products)
    lines = [
        PricingLine(
            key=f"line-{n}",
            variant=line(f"line-{n}", products[index]).variant,
            quantity=quantity,
            unit_price=unit_price,
        )
        for n, (index, unit_price, quantity) in enumerate(scenario["lines"])
    ]
    codes = [code for spec in scenario["promotions"] for code in spec.get("codes", ())]
    return lines, [*codes, "NO-SUCH-CODE"], rates


def run(scenario, lines, codes):
    return price_lines(
        lines,
        currency=scenario["currency"],
        customer=Customer(),
        shipping_address=GERMANY,
        shipping_method="standard" if scenario["shipping"] is not None else None,
        codes=codes,
        now=NOW,
    )


def by_line(priced) -> dict:
    """Everything about each line, by key, in an order that does not depend on the cart's."""
    return {
        pl.key: (
            sorted((a.discount.promotion, a.discount.code, a.amount) for a in pl.adjustments),
            sorted((t.name, t.amount, t.included) for t in pl.tax_lines),
        )
        for pl in priced.lines
    }


@HYPOTHESIS
@given(data=st.data())
def test_the_pipeline_adds_up_whatever_the_cart(data, products, settings):
    scenario = data.draw(scenarios(len(products)))
    with transaction.atomic():
        lines, codes, rates = set_up(scenario, products, settings)
        priced = run(scenario, lines, codes)
        shuffled = list(lines)
        scenario["shuffle"].shuffle(shuffled)
        again = run(scenario, shuffled, codes)
        transaction.set_rollback(True)

    adjustments = [a for pl in priced.lines for a in pl.adjustments]
    assert all(isinstance(a.amount, int) and a.amount > 0 for a in adjustments)

    # (a) Each order discount's allocation adds up to it exactly; discount_total is the
    # sum of the line adjustments.
    ordered = Counter()
    for order_discount in priced.order_discounts:
        ordered[order_discount.discount] += order_discount.amount
    allocated = Counter()
    for adjustment in adjustments:
        if adjustment.discount in ordered:
            allocated[adjustment.discount] += adjustment.amount
    assert allocated == ordered
    assert priced.discount_total == sum(a.amount for a in adjustments)

    # (b) Nothing below zero.
    assert all(pl.net_total >= 0 for pl in priced.lines)
    if priced.shipping is not None:
        assert 0 <= priced.shipping.net <= priced.shipping.option.price
        if scenario["free_shipping"]:
            assert priced.shipping.net == 0
    assert priced.total >= 0

    # (c) The totals are the sums of their parts, recomputed from the input lines.
    subtotal = sum(unit * quantity for _index, unit, quantity in scenario["lines"])
    assert priced.subtotal == subtotal
    tax_lines = [t for pl in priced.lines for t in pl.tax_lines] + list(
        priced.shipping.tax_lines if priced.shipping else ()
    )
    assert priced.tax_total == sum(t.amount for t in tax_lines)
    added = sum(t.amount for t in tax_lines if not t.included)
    shipping = priced.shipping.net if priced.shipping else 0
    assert priced.total == subtotal - priced.discount_total + shipping + added
    assert sum(c.amount for c in priced.claims) == priced.discount_total + (
        priced.shipping.discount if priced.shipping else 0
    )
    assert {s.code: s.applied for s in priced.codes}["NO-SUCH-CODE"] is False
    # No promotion gives more than its budget.
    for n, spec in enumerate(scenario["promotions"]):
        if "budget" in spec:
            given_away = sum(c.amount for c in priced.claims if c.discount.name == f"Promotion {n}")
            assert given_away <= to_minor_units(spec["budget"])

    # Tax is on what each item costs after discounts, at every rate, rounded as set.
    items = {pl.key: (pl.net_total, pl.quantity) for pl in priced.lines}
    if priced.shipping is not None:
        items[SHIPPING_KEY] = (priced.shipping.net, 1)
    included_rates = sum((Fraction(r.rate) for r in rates if _included(r, scenario)), Fraction(0))
    exact: dict[str, Fraction] = {r.name: Fraction(0) for r in rates}
    for key, (amount, quantity) in items.items():
        for r in rates:
            included = _included(r, scenario)
            value = tax_on(amount, r.rate, included_rates if included else None)
            exact[r.name] += value
            [found] = [t for t in tax_lines_of(priced, key) if t.name == r.name]
            assert found.included == included
            if scenario["rounding"] == "line":
                assert found.amount == round_fraction(value)
            elif scenario["rounding"] == "unit":
                # Each unit rounds by at most half a minor unit.
                assert abs(found.amount - value) <= Fraction(quantity, 2)
    # (e) Document rounding: each rate's tax is its exact sum, rounded once.
    if scenario["rounding"] == "document":
        for r in rates:
            assert sum(t.amount for t in tax_lines if t.name == r.name) == round_fraction(
                exact[r.name]
            )

    # (d) The order of the lines changes nothing.
    assert by_line(again) == by_line(priced)
    assert sorted(again.order_discounts, key=repr) == sorted(priced.order_discounts, key=repr)
    assert (again.subtotal, again.discount_total, again.tax_total, again.total) == (
        priced.subtotal,
        priced.discount_total,
        priced.tax_total,
        priced.total,
    )
    assert again.shipping == priced.shipping
    assert again.codes == priced.codes


def _included(tax_rate, scenario) -> bool:
    own = tax_rate.prices_include_tax
    return scenario["include"] if own is None else own


def tax_lines_of(priced, key: str):
    if key == SHIPPING_KEY:
        return priced.shipping.tax_lines
    return next(pl.tax_lines for pl in priced.lines if pl.key == key)


# --- checkout ----------------------------------------------------------------------------------


@pytest.fixture
def stocked(db):
    """Two products per currency, stocked deep enough for every example."""
    return {
        currency: [
            VariantFactory(
                product=ProductFactory(),
                price=from_minor_units(price, currency),
                quantity=1000,
            )
            for price in (1999, 333)
        ]
        for currency in CURRENCIES
    }


@st.composite
def orders(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    specs = [draw(promotion_specs(currency, 2, n)) for n in range(draw(st.integers(1, 3)))]
    for spec in specs:
        if spec.get("codes"):
            spec["codes"] = [{"code": spec["codes"][0], "max_uses": draw(st.integers(1, 2))}]
        if draw(st.booleans()):
            spec["max_uses"] = draw(st.integers(1, 3))
    carts = draw(
        st.lists(
            st.tuples(
                st.dictionaries(st.integers(0, 1), st.integers(1, 5), min_size=1),
                st.lists(st.integers(0, len(specs) - 1), max_size=2),
                st.booleans(),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return {
        "currency": currency,
        "promotions": specs,
        "carts": carts,
        "rates": draw(st.lists(st.sampled_from(RATES), min_size=0, max_size=2)),
        "include": draw(st.booleans()),
        "rounding": draw(st.sampled_from(["unit", "line", "document"])),
    }


@pytest.mark.requires_orders
@HYPOTHESIS
@given(data=st.data())
def test_random_checkouts_leave_the_shop_consistent(data, stocked, settings):
    # Imported here: the rest of this module runs on hosts without the orders app.
    from commerce.orders import services as order_services
    from tests.orders.helpers import ADDRESS, place

    scenario = data.draw(orders())
    settings.COMMERCE = {
        **settings.COMMERCE,
        "TAX_STRATEGY": "commerce.pricing.tax.FlatRates",
        "PRICES_INCLUDE_TAX": scenario["include"],
        "TAX_ROUNDING": scenario["rounding"],
    }
    variants = stocked[scenario["currency"]]
    with transaction.atomic():
        nigeria = zone("Nigeria", (ADDRESS["country"],))
        for n, percent in enumerate(scenario["rates"]):
            rate(nigeria, f"VAT {n}", percent)
        create_promotions(scenario["promotions"], variants)
        placed = []
        for quantities, picked, cancel in scenario["carts"]:
            codes = [
                spec["codes"][0]["code"]
                for i, spec in enumerate(scenario["promotions"])
                if i in picked and spec.get("codes")
            ]
            try:
                with transaction.atomic():
                    order = place(
                        None, {variants[i]: q for i, q in quantities.items()}, codes=codes
                    ).order
            except (CodeNotAppliedError, DiscountUnavailableError):
                continue  # a code that does not apply, or ran out: refused, nothing written
            placed.append(order)
            if cancel:
                order_services.cancel_order(order)
            assert check_invariants() == []
        violations = check_invariants()
        transaction.set_rollback(True)
    assert violations == []
