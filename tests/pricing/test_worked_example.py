"""The pricing topic's worked example, figure by figure, so the docs cannot drift."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce.catalog.models import Variant
from commerce.core.money import to_minor_units
from commerce.pricing.pipeline import LINE_RELATIONS, price_lines
from commerce.pricing.types import Customer, PricingLine
from commerce.promotions import services as promotion_services
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.pricing.helpers import method, money, rate, zone

pytestmark = pytest.mark.django_db


def test_the_worked_example(settings):
    settings.COMMERCE = {**settings.COMMERCE, "TAX_STRATEGY": "commerce.pricing.tax.FlatRates"}
    usa = zone("USA", ("US",))
    method(usa, "standard", price="4.00")
    rate(usa, "Sales tax", "7.5")
    shirt_product = ProductFactory()
    shirt = VariantFactory(product=shirt_product, price=money("19.99"), sku="SHIRT")
    mug = VariantFactory(product=ProductFactory(), price=money("8.00"), sku="MUG")
    promotion_services.create_promotion(
        name="25% off shirts",
        lane="catalog",
        benefit={
            "kind": "percentage_off",
            "percent": Decimal(25),
            "target": {"products": [str(shirt_product.pk)]},
        },
    )
    promotion_services.create_promotion(
        name="SAVE10",
        lane="order",
        requires_code=True,
        benefit={"kind": "percentage_off", "percent": Decimal(10)},
        codes=["SAVE10"],
    )
    relations = [name.removeprefix("variant__") for name in LINE_RELATIONS]
    variants = {v.sku: v for v in Variant.objects.select_related(*relations)}
    lines = [
        PricingLine("a-shirt", variants["SHIRT"], 2, to_minor_units(shirt.price)),
        PricingLine("b-mug", variants["MUG"], 1, to_minor_units(mug.price)),
    ]

    priced = price_lines(
        lines,
        currency="USD",
        customer=Customer(),
        shipping_address={"country": "US"},
        shipping_method="standard",
        codes=["save10"],
    )

    shirt_line, mug_line = priced.lines
    assert [(a.discount.name, a.amount) for a in shirt_line.adjustments] == [
        ("25% off shirts", 1000),
        ("SAVE10", 300),
    ]
    assert [(a.discount.code, a.amount) for a in mug_line.adjustments] == [("SAVE10", 80)]
    assert [o.amount for o in priced.order_discounts] == [380]
    assert (shirt_line.net_total, shirt_line.tax, shirt_line.total) == (2698, 202, 2900)
    assert (mug_line.net_total, mug_line.tax, mug_line.total) == (720, 54, 774)
    assert priced.shipping.tax == 30
    assert (
        priced.subtotal,
        priced.discount_total,
        priced.shipping_total,
        priced.tax_total,
        priced.total,
    ) == (4798, 1380, 400, 286, 4104)
