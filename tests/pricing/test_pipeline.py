"""The pipeline end to end with FlatRates: shipping options and tax lines from real rows."""

from __future__ import annotations

import pytest

from commerce.core.money import to_minor_units
from commerce.pricing import pipeline
from commerce.pricing.pipeline import price_lines
from commerce.pricing.types import (
    SHIPPING_KEY,
    Customer,
    Discount,
    DiscountResult,
    LineAdjustment,
    PricingLine,
)
from commerce.testing.factories import ProductFactory, TaxClassFactory, VariantFactory
from tests.pricing.helpers import method, money, rate, zone

pytestmark = pytest.mark.django_db

ADDRESS = {"country": "de", "region": "BE", "postal_code": "10115"}


@pytest.fixture
def shop(settings):
    """Germany: 19 % VAT, 7 % on books; standard (free over 50.00) and express shipping,
    shipping taxed at the standard rate."""
    settings.COMMERCE = {
        "CURRENCIES": ["EUR", "USD"],
        "DEFAULT_CURRENCY": "EUR",
        "TAX_STRATEGY": "commerce.pricing.tax.FlatRates",
    }
    germany = zone("Germany", ("DE",))
    books = TaxClassFactory(name="Books", slug="books")
    rate(germany, "VAT", "19")
    rate(germany, "VAT", "7", tax_class=books)
    method(germany, "standard", price="4.90", currency="EUR", free_over="50.00")
    method(
        germany,
        "express",
        price=None,
        currency="EUR",
        strategy="weight",
        bands={0: "9.90", 5000: "19.90"},
    )
    shirt = VariantFactory(
        product=ProductFactory(), price=money("19.99", "EUR"), weight=300, sku="SHIRT"
    )
    novel = VariantFactory(
        product=ProductFactory(tax_class=books),
        price=money("12.00", "EUR"),
        weight=500,
        sku="NOVEL",
    )
    return {"shirt": shirt, "novel": novel}


def line(key: str, variant, quantity: int) -> PricingLine:
    return PricingLine(
        key=key, variant=variant, quantity=quantity, unit_price=to_minor_units(variant.price)
    )


def test_shipping_options_and_tax_lines(shop, django_assert_max_num_queries):
    lines = [line("a", shop["shirt"], 2), line("b", shop["novel"], 1)]
    # Promotions: category ancestors, candidates; the zones and their members, once;
    # shipping: methods, bands; tax: rates.
    with django_assert_max_num_queries(7):
        priced = price_lines(
            lines,
            currency="EUR",
            customer=Customer(),
            shipping_address=ADDRESS,
            shipping_method="express",
        )
    # 51.98 of lines: standard ships free.
    assert [(o.code, o.price) for o in priced.shipping_methods] == [
        ("standard", 0),
        ("express", 990),
    ]
    assert priced.shipping.option.code == "express"
    taxes = {(t.key, t.name, t.rate): t.amount for pl in priced.lines for t in pl.tax_lines}
    # 2 x 19.99 at 19 % = 7.5962; 12.00 at 7 % = 0.84; shipping 9.90 at 19 % = 1.881.
    assert taxes == {("a", "VAT", 19): 760, ("b", "VAT", 7): 84}
    assert [(t.name, t.amount) for t in priced.shipping.tax_lines] == [("VAT", 188)]
    assert priced.subtotal == 5198
    assert priced.shipping_total == 990
    assert priced.tax_total == 760 + 84 + 188
    assert priced.total == 5198 + 990 + 760 + 84 + 188


def test_free_shipping_over_the_threshold_after_discounts(shop, monkeypatch):
    class TenOff:
        """10.00 off the shirts' line: the lines then total 41.98, below 50.00."""

        def evaluate(self, context):
            discount = Discount("promotion", "p1", "", "Ten off", "catalog")
            return DiscountResult(line_adjustments=(LineAdjustment("a", discount, 1000),))

    lines = [line("a", shop["shirt"], 2), line("b", shop["novel"], 1)]
    priced = price_lines(lines, currency="EUR", customer=Customer(), shipping_address=ADDRESS)
    assert {o.code: o.price for o in priced.shipping_methods}["standard"] == 0  # 51.98

    monkeypatch.setattr(pipeline, "discount_sources", lambda: [TenOff()])
    priced = price_lines(
        lines,
        currency="EUR",
        customer=Customer(),
        shipping_address=ADDRESS,
        shipping_method="standard",
    )
    assert priced.shipping.option.price == 490
    # Tax on the discounted line: 29.98 at 19 % is 5.6962, not 7.60 on 39.98.
    assert [t.amount for t in priced.lines[0].tax_lines] == [570]
    assert [t.amount for t in priced.shipping.tax_lines] == [93]  # 4.90 at 19 % = 0.931


def test_prices_that_include_tax(shop, settings):
    settings.COMMERCE = {**settings.COMMERCE, "PRICES_INCLUDE_TAX": True}
    lines = [line("a", shop["shirt"], 1)]
    priced = price_lines(
        lines,
        currency="EUR",
        customer=Customer(),
        shipping_address=ADDRESS,
        shipping_method="standard",
    )
    (vat,) = priced.lines[0].tax_lines
    assert (vat.amount, vat.included) == (319, True)  # 19.99 x 19/119
    assert priced.shipping.tax_lines[0].amount == 78  # 4.90 x 19/119 = 0.782
    # Included tax is inside the prices: the total is what the shopper was shown.
    assert priced.total == 1999 + 490
    assert priced.tax_total == 319 + 78


def test_no_address_no_shipping_methods_and_no_tax(shop):
    priced = price_lines([line("a", shop["shirt"], 1)], currency="EUR", customer=Customer())
    assert priced.shipping_methods == ()
    assert priced.tax_total == 0


def test_the_shipping_key_is_taxed_by_the_methods_tax_class(shop):
    from commerce.pricing.models import ShippingMethod

    books = shop["novel"].product.tax_class
    ShippingMethod.objects.filter(code="standard").update(tax_class=books)
    priced = price_lines(
        [line("a", shop["shirt"], 1)],
        currency="EUR",
        customer=Customer(),
        shipping_address=ADDRESS,
        shipping_method="standard",
    )
    assert [(t.key, t.rate, t.amount) for t in priced.shipping.tax_lines] == [
        (SHIPPING_KEY, 7, 34)  # 4.90 at 7 % = 0.343
    ]


class RecordingRates:
    """A tax strategy that charges nothing and keeps the zones it was given."""

    seen: list = []

    def calculate(self, request):
        from commerce.pricing.types import TaxResult

        RecordingRates.seen.append(request.zones)
        return TaxResult()


def test_shipping_and_tax_share_the_zones_matched_once(shop, settings, monkeypatch):
    from commerce.pricing import shipping
    from commerce.pricing.zones import match_zones

    settings.COMMERCE = {**settings.COMMERCE, "TAX_STRATEGY": f"{__name__}.RecordingRates"}
    RecordingRates.seen = []
    shipped = []
    original = shipping.shipping_options
    monkeypatch.setattr(
        shipping,
        "shipping_options",
        lambda request: shipped.append(request.zones) or original(request),
    )
    price_lines(
        [line("a", shop["shirt"], 1)],
        currency="EUR",
        customer=Customer(),
        shipping_address=ADDRESS,
    )
    expected = tuple(match_zones(pipeline.Destination.of(ADDRESS)))
    assert [z.name for z in expected] == ["Germany"]
    assert shipped == [expected]
    assert RecordingRates.seen == [expected]
