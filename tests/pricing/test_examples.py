"""The how-to guides' examples work as the guides say."""

from __future__ import annotations

import pytest

from commerce.pricing.pipeline import price_lines
from commerce.pricing.shipping import shipping_options
from commerce.pricing.types import Customer, Destination, PricingLine, TaxableItem
from commerce.testing.factories import VariantFactory
from tests.pricing.examples import StateSalesTax
from tests.pricing.helpers import method, money, shipping_request, tax_request, zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def per_parcel(settings):
    settings.COMMERCE = {
        "SHIPPING_RATE_STRATEGIES": {"per_parcel": "tests.pricing.examples.PerParcelRate"},
        "TAX_STRATEGY": "tests.pricing.examples.StateSalesTax",
    }
    usa = zone("USA", ("US",))
    return method(usa, "freight", price="12.00", strategy="per_parcel")


@pytest.mark.parametrize(
    ("grams", "price"), [(0, None), (1, 1200), (10_000, 1200), (10_001, 2400), (25_000, 3600)]
)
def test_per_parcel_rate(per_parcel, grams, price):
    options = shipping_options(shipping_request(Destination("US", "CA"), weight=grams))
    assert [option.price for option in options] == ([] if price is None else [price])


def test_state_sales_tax():
    request = tax_request(
        TaxableItem("a", None, 1, 1999),
        TaxableItem("shipping", None, 1, 1200),
        destination=Destination("US", "ca"),
        currency="USD",
    )
    result = StateSalesTax().calculate(request)
    assert [(line.key, line.name, line.amount) for line in result.lines] == [
        ("a", "CA sales tax", 145),  # 144.93
        ("shipping", "CA sales tax", 87),  # 87.0
    ]
    assert StateSalesTax().calculate(tax_request(destination=Destination("US", "OR"))).lines == ()
    assert StateSalesTax().calculate(tax_request(destination=Destination("DE"))).lines == ()


def test_both_in_the_pipeline(per_parcel):
    variant = VariantFactory(price=money("19.99"), weight=12_000)
    priced = price_lines(
        [PricingLine("a", variant, 1, 1999)],
        currency="USD",
        customer=Customer(),
        shipping_address={"country": "US", "region": "NY"},
        shipping_method="freight",
    )
    assert priced.shipping.option.price == 2400  # two parcels
    assert priced.tax_total == 80 + 96  # 4 % of 19.99 and of 24.00
    assert priced.total == 1999 + 2400 + 80 + 96
