"""Hypothesis strategies and settings shared by the property tests over random carts
(``tests/pricing/test_properties.py``) and random orders (``tests/payments``)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from commerce.core.money import currency_exponent, from_minor_units
from tests.promotions.helpers import promotion

#: The settings of the property tests that write to the database: few examples, no deadline.
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Currencies with 2, 0 and 3 decimals.
CURRENCIES = ["USD", "JPY", "KWD"]
#: Tax rates, in percent.
RATES = ["0.5", "5", "7", "10", "19", "20", "21.5", "25"]


def price_text(minor: int, currency: str) -> str:
    return str(from_minor_units(minor, currency).amount)


@st.composite
def promotion_specs(draw, currency: str, products: int, index: int):
    """Keyword arguments of one promotion: catalog or order lane, percent or amount off
    (and, on lines, a fixed price or buy X get Y), on every line or some products, a
    voucher or automatic, combinable or not, sometimes with a budget.

    A target names products by index (``0 <= index < products``):
    :func:`create_promotions` resolves them."""
    lane = draw(st.sampled_from(["catalog", "order"]))
    scale = 10 ** currency_exponent(currency)
    kinds = ["percentage_off", "amount_off"]
    if lane == "catalog":
        kinds += ["fixed_price", "buy_x_get_y"]
    kind = draw(st.sampled_from(kinds))
    benefit = {"kind": kind, "max_units": draw(st.none() | st.integers(1, 6))}
    fields = {}
    if kind in ("percentage_off", "buy_x_get_y"):
        benefit["percent"] = draw(st.decimals(Decimal("0.01"), Decimal(100), places=2))
    else:
        low = 0 if kind == "fixed_price" else 1
        benefit["amount"] = from_minor_units(draw(st.integers(low, 60 * scale)), currency)
        benefit["allocation"] = draw(st.sampled_from(["each", "across"]))
        fields["currency"] = currency
    if kind == "buy_x_get_y":
        benefit["buy_quantity"] = draw(st.integers(1, 3))
        benefit["get_quantity"] = draw(st.integers(1, 2))
    if lane == "catalog" and draw(st.booleans()):
        targets = draw(st.sets(st.integers(0, products - 1), min_size=1))
        benefit["target"] = {"products": sorted(targets)}  # indexes, resolved below
    fields.update(
        lane=lane,
        priority=draw(st.integers(-1, 1)),
        combinable=draw(st.booleans()),
    )
    if draw(st.integers(0, 3)) == 0:
        budget = draw(st.integers(1, 100 * scale))
        fields.update(currency=currency, budget=from_minor_units(budget, currency))
    if draw(st.booleans()):
        fields.update(requires_code=True, codes=[f"CODE{index}"])
    return {"benefit": benefit, **fields}


def create_promotions(specs, variants) -> None:
    """Create ``specs`` (from :func:`promotion_specs`) as "Promotion 0", "Promotion 1"...,
    their targets' product indexes resolved to the products of ``variants``."""
    for n, spec in enumerate(specs):
        benefit = dict(spec["benefit"])
        if "target" in benefit:
            ids = [str(variants[i].product_id) for i in benefit["target"]["products"]]
            benefit["target"] = {"products": ids}
        promotion(f"Promotion {n}", **{**spec, "benefit": benefit})
