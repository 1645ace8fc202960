"""FlatRates: which rates apply, added and included tax, the three roundings,
zero- and three-decimal currencies, and a constant number of queries."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.pricing import tax
from commerce.pricing.tax import FlatRates, tax_on
from commerce.pricing.types import SHIPPING_KEY, Destination
from commerce.testing.factories import TaxClassFactory
from tests.pricing.helpers import (
    BERLIN,
    MUNICH,
    PARIS,
    amounts,
    item,
    rate,
    tax_request,
    zone,
)

pytestmark = pytest.mark.django_db


def calculate(*items, **kwargs):
    return FlatRates().calculate(tax_request(*items, **kwargs))


@pytest.fixture
def germany():
    return zone("Germany", ("DE",))


@pytest.fixture
def vat(germany):
    return rate(germany, "VAT", "19")


# --- which rates --------------------------------------------------------------------------


def test_added_tax_on_each_item_with_its_rate_and_name(vat):
    result = calculate(item("a", 1999), item("b", 1), item(SHIPPING_KEY, 490))
    assert amounts(result) == {("a", "VAT"): 380, ("b", "VAT"): 0, (SHIPPING_KEY, "VAT"): 93}
    line = result.lines[0]
    assert (line.key, line.rate, line.included) == ("a", Decimal("19"), False)


def test_the_items_class_picks_its_rates_and_falls_back_to_a_broader_zone(germany):
    eu = zone("EU", ("DE",), ("FR",), priority=-1)
    reduced = TaxClassFactory(name="Reduced")
    books = TaxClassFactory(name="Books")
    rate(germany, "VAT", "19")
    rate(germany, "VAT reduced", "7", tax_class=reduced)
    rate(eu, "EU VAT", "20")
    rate(eu, "EU books", "5.5", tax_class=books)
    result = calculate(
        item("shirt", 1000),
        item("bread", 1000, tax_class=reduced),
        item("novel", 1000, tax_class=books),
    )
    # Germany has rates for the default and reduced classes; for books only the EU zone has one.
    assert amounts(result) == {
        ("shirt", "VAT"): 190,
        ("bread", "VAT reduced"): 70,
        ("novel", "EU books"): 55,
    }
    assert amounts(calculate(item("shirt", 1000), destination=PARIS)) == {("shirt", "EU VAT"): 200}


def test_a_class_no_zone_taxes_is_not_taxed(vat):
    untaxed = TaxClassFactory(name="Exempt")
    assert calculate(item("gift-card", 5000, tax_class=untaxed)).lines == ()


def test_several_rates_add_up_each_on_the_items_amount():
    california = zone("Los Angeles", ("US", "CA"))
    rate(california, "State", "7.25")
    rate(california, "County", "2.25")
    result = calculate(item("a", 1000), destination=Destination(country="US", region="CA"))
    assert amounts(result) == {("a", "State"): 73, ("a", "County"): 23}  # 72.5 and 22.5, half up


def test_a_more_specific_zones_rates_replace_the_countrys(germany):
    rate(germany, "VAT", "19")
    heligoland = zone("Heligoland", ("DE", "", "27498"))
    rate(heligoland, "None", "0")
    assert amounts(calculate(item("a", 1000), destination=Destination("DE", "", "27498"))) == {
        ("a", "None"): 0
    }
    assert amounts(calculate(item("a", 1000), destination=MUNICH)) == {("a", "VAT"): 190}


@pytest.mark.parametrize(
    "destination", [None, Destination(country=""), PARIS], ids=["none", "no-country", "no-zone"]
)
def test_no_address_or_no_zone_means_no_tax(vat, destination, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert calculate(item("a", 1000), destination=destination).lines == ()


# --- included tax -------------------------------------------------------------------------


def test_included_tax_is_taken_out_of_the_price(vat):
    result = calculate(item("a", 1190), item("b", 1999), prices_include_tax=True)
    assert amounts(result) == {("a", "VAT"): 190, ("b", "VAT"): 319}  # 1999 x 19/119 = 319.17
    assert all(line.included for line in result.lines)


def test_several_included_rates_split_what_the_price_holds():
    quebec = zone("Quebec", ("CA", "QC"))
    rate(quebec, "GST", "5")
    rate(quebec, "QST", "9.975")
    result = calculate(
        item("a", 11498), destination=Destination("CA", "QC"), prices_include_tax=True
    )
    # 11498 / 1.14975 = 10000.43 net: 500.02 GST and 997.54 QST.
    assert amounts(result) == {("a", "GST"): 500, ("a", "QST"): 998}


def test_a_rate_may_say_for_itself_whether_prices_include_it(germany):
    rate(germany, "VAT", "19", included=True)
    rate(germany, "Eco fee", "5", included=False)
    result = calculate(item("a", 1190), prices_include_tax=False)
    assert {(line.name, line.amount, line.included) for line in result.lines} == {
        ("VAT", 190, True),
        ("Eco fee", 60, False),  # 59.5 on the item's amount, half up
    }


def test_rates_left_empty_follow_the_request(germany):
    rate(germany, "VAT", "19", included=None)
    assert calculate(item("a", 1190), prices_include_tax=True).lines[0].included is True
    assert calculate(item("a", 1190), prices_include_tax=False).lines[0].included is False


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounding", "included", "expected"),
    [
        # 1999 at 19 % is 379.81; its three units of 667, 666, 666 are 126.73, 126.54, 126.54.
        ("line", False, 380),
        ("unit", False, 381),
        ("document", False, 380),
        # Included: 319.17 for the line; 106.49, 106.34, 106.34 for the units.
        ("line", True, 319),
        ("unit", True, 318),
        ("document", True, 319),
    ],
)
def test_one_line_of_three_units(vat, rounding, included, expected):
    result = calculate(item("a", 1999, quantity=3), rounding=rounding, prices_include_tax=included)
    assert amounts(result) == {("a", "VAT"): expected}


def test_document_rounding_rounds_the_sum_once_and_gives_it_back_by_largest_remainder(germany):
    rate(germany, "Tax", "10")
    items = [item("c", 5), item("a", 5), item("b", 5)]  # 0.5 each
    assert amounts(calculate(*items, rounding="line")) == {
        ("c", "Tax"): 1,
        ("a", "Tax"): 1,
        ("b", "Tax"): 1,
    }
    # 1.5 rounds to 2 for the document; equal remainders go by key: a and b.
    assert amounts(calculate(*items, rounding="document")) == {
        ("c", "Tax"): 0,
        ("a", "Tax"): 1,
        ("b", "Tax"): 1,
    }


def test_document_rounding_is_per_rate(germany):
    reduced = TaxClassFactory()
    rate(germany, "VAT", "10")
    rate(germany, "Reduced", "10", tax_class=reduced)
    result = calculate(
        item("a", 5), item("b", 5), item("c", 5, tax_class=reduced), rounding="document"
    )
    # VAT: 0.5 + 0.5 = 1; Reduced: 0.5 rounds to 1.
    assert sum(line.amount for line in result.lines if line.name == "VAT") == 1
    assert amounts(result)[("c", "Reduced")] == 1


@settings(max_examples=60, deadline=None)
@given(
    item_amounts=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=8),
    percent=st.decimals(min_value=0, max_value=100, places=4),
    included=st.booleans(),
)
def test_document_rounding_adds_up_to_the_rounded_exact_total(item_amounts, percent, included):
    # No database: the rounding works on the exact amounts FlatRates computed.
    tax_rate = SimpleNamespace(pk=1, name="Tax", rate=percent, prices_include_tax=None)
    items = [item(f"k{index}", amount) for index, amount in enumerate(item_amounts)]
    taxed = [(i, FlatRates._exact(i, [tax_rate], prices_include_tax=included)) for i in items]
    shares = tax._round_per_document(taxed)
    exact = [tax_on(i.amount, percent, percent if included else None) for i in items]
    assert sum(shares.values()) == tax.round_fraction(sum(exact, Fraction(0)))
    for i, value in zip(items, exact, strict=True):
        assert abs(shares[(i.key, 1)] - value) < Fraction(3, 2)


# --- the anchors' table cases ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "amount", "percent", "included", "currency", "expected"),
    [
        # Tax on a discounted line is on the amount after discount the pipeline passes:
        # 19.99 less 25 % is 14.99 (1499 minor units), at 19 % 2.85 (not 3.80 on 19.99).
        ("discounted line, added", 1499, "19", False, "EUR", 285),
        ("discounted line, included", 1499, "19", True, "EUR", 239),  # 1499 x 19/119 = 239.33
        # KWD has three decimals: 12.345 KWD is 12345 fils; 5 % is 617.25 fils.
        ("KWD added", 12345, "5", False, "KWD", 617),
        ("KWD included", 12345, "5", True, "KWD", 588),  # 587.857
        # JPY has none: 1999 yen at 10 % is 199.9 yen.
        ("JPY added", 1999, "10", False, "JPY", 200),
        ("JPY included", 1100, "10", True, "JPY", 100),
        ("JPY half up", 5, "10", False, "JPY", 1),  # 0.5 yen rounds up, never to even
    ],
)
def test_table(germany, case, amount, percent, included, currency, expected):
    rate(germany, "Tax", percent)
    exponent = {"EUR": 2, "KWD": 3, "JPY": 0}[currency]
    result = calculate(
        item("a", amount), prices_include_tax=included, currency=currency, exponent=exponent
    )
    assert amounts(result) == {("a", "Tax"): expected}, case


# --- queries ------------------------------------------------------------------------------


def test_three_queries_whatever_the_number_of_items_zones_and_rates(django_assert_num_queries):
    classes = [TaxClassFactory() for _ in range(5)]
    for index in range(15):
        area = zone(f"Zone {index}", ("DE",), ("DE", "", f"{index:02d}*"), priority=index)
        for tax_class in [None, *classes]:
            rate(area, f"Rate {index}", "19", tax_class=tax_class)
    items = [item(f"line-{n}", 1000 + n, tax_class=classes[n % 5]) for n in range(40)]
    with django_assert_num_queries(3):
        result = calculate(*items, destination=BERLIN, rounding="document")
    assert len(result.lines) == 40
    assert {line.name for line in result.lines} == {"Rate 10"}
