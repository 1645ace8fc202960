"""Shipping options: which zone's methods, each rate strategy, free_over, limits,
currencies, order, and a constant number of queries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from commerce.pricing.shipping import ShippingRateStrategy, rate_strategies, shipping_options
from commerce.pricing.types import Destination
from commerce.testing.factories import TaxClassFactory
from tests.pricing.helpers import (
    BERLIN,
    MUNICH,
    NOWHERE,
    PARIS,
    method,
    money,
    shipping_request,
    zone,
)

pytestmark = pytest.mark.django_db


def offered(request) -> dict[str, int]:
    return {option.code: option.price for option in shipping_options(request)}


@pytest.fixture
def germany():
    return zone("Germany", ("DE",))


# --- rate strategies --------------------------------------------------------------------


def test_flat(germany):
    method(germany, "standard", price="4.90")
    assert offered(shipping_request()) == {"standard": 490}


@pytest.mark.parametrize(
    ("subtotal", "expected"),
    [(0, 900), (4999, 900), (5000, 500), (9999, 500), (10000, 0), (10**9, 0)],
)
def test_order_value_bands(germany, subtotal, expected):
    method(
        germany,
        "by-value",
        price=None,
        strategy="order_value",
        bands={0: "9.00", 5000: "5.00", 10000: "0.00"},
    )
    assert offered(shipping_request(subtotal=subtotal)) == {"by-value": expected}


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(0, None), (499, None), (500, 400), (1999, 400), (2000, 700), (30000, 1500)],
)
def test_weight_bands(germany, weight, expected):
    # No band from 0: a parcel lighter than 500 g cannot go this way.
    method(
        germany,
        "by-weight",
        price=None,
        strategy="weight",
        bands={500: "4.00", 2000: "7.00", 10000: "15.00"},
    )
    got = offered(shipping_request(weight=weight))
    assert got == ({} if expected is None else {"by-weight": expected})


def test_free_over_applies_to_every_strategy_on_the_total_after_discounts(germany):
    method(germany, "flat", price="4.90", free_over="50.00")
    method(
        germany, "value", price=None, strategy="order_value", bands={0: "6.00"}, free_over="50.00"
    )
    method(germany, "weight", price=None, strategy="weight", bands={0: "8.00"}, free_over="50.00")
    assert offered(shipping_request(subtotal=4999)) == {"flat": 490, "value": 600, "weight": 800}
    assert offered(shipping_request(subtotal=5000)) == {"flat": 0, "value": 0, "weight": 0}


def test_free_over_does_not_make_a_cart_the_strategy_refuses_shippable(germany):
    method(germany, "heavy", price=None, strategy="weight", bands={1000: "9.00"}, free_over="1.00")
    assert offered(shipping_request(weight=10, subtotal=5000)) == {}


# --- limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subtotal", "weight", "shown"),
    [
        (1999, 1000, False),  # below the minimum order value
        (2000, 1000, True),  # ends included
        (20000, 1000, True),
        (20001, 1000, False),  # above the maximum order value
        (5000, 99, False),  # below the minimum weight
        (5000, 100, True),
        (5000, 5000, True),
        (5000, 5001, False),  # above the maximum weight
    ],
)
def test_limits(germany, subtotal, weight, shown):
    method(
        germany,
        "limited",
        min_order_value="20.00",
        max_order_value="200.00",
        min_weight=100,
        max_weight=5000,
    )
    assert ("limited" in offered(shipping_request(subtotal=subtotal, weight=weight))) is shown


def test_inactive_methods_are_not_offered(germany):
    method(germany, "off", is_active=False)
    assert offered(shipping_request()) == {}


# --- currencies -------------------------------------------------------------------------


def test_only_methods_in_the_carts_currency(germany):
    method(germany, "usd", price="5.00", currency="USD")
    method(germany, "eur", price="4.00", currency="EUR")
    assert offered(shipping_request(currency="USD")) == {"usd": 500}
    assert offered(shipping_request(currency="EUR")) == {"eur": 400}
    assert offered(shipping_request(currency="GBP")) == {}


def test_zero_and_three_decimal_currencies(settings):
    settings.COMMERCE = {"CURRENCIES": ["USD", "JPY", "KWD"]}
    japan = zone("Japan", ("JP",))
    kuwait = zone("Kuwait", ("KW",))
    method(japan, "jp", price="800", currency="JPY", free_over="10000")
    method(kuwait, "kw", price="1.250", currency="KWD")

    tokyo = Destination(country="JP", postal_code="100-0001")
    assert offered(shipping_request(tokyo, currency="JPY", exponent=0, subtotal=9999)) == {
        "jp": 800
    }
    assert offered(shipping_request(tokyo, currency="JPY", exponent=0, subtotal=10000)) == {"jp": 0}
    kuwait_city = Destination(country="KW")
    assert offered(shipping_request(kuwait_city, currency="KWD", exponent=3)) == {"kw": 1250}


def test_a_method_with_an_amount_in_another_currency_is_left_out(germany):
    bad = method(germany, "mixed", price="5.00")
    bad.free_over = money("50.00", "EUR")
    bad.save()
    assert offered(shipping_request()) == {}


# --- which zone -------------------------------------------------------------------------


def test_only_the_best_matching_zone_with_methods_is_used():
    germany = zone("Germany", ("DE",))
    berlin = zone("Berlin", ("DE", "", "10*"))
    method(germany, "standard", price="4.90")
    method(berlin, "courier", price="9.90")
    assert offered(shipping_request(BERLIN)) == {"courier": 990}
    assert offered(shipping_request(MUNICH)) == {"standard": 490}


def test_a_zone_without_methods_in_the_currency_does_not_hide_the_next_one():
    germany = zone("Germany", ("DE",))
    zone("Berlin VAT only", ("DE", "", "10*"))  # tax rates only, no methods
    berlin_eur = zone("Berlin EUR", ("DE", "BE"))
    method(berlin_eur, "eur-courier", price="9.00", currency="EUR")
    method(germany, "standard", price="4.90")
    assert offered(shipping_request(BERLIN, currency="USD")) == {"standard": 490}
    assert offered(shipping_request(BERLIN, currency="EUR")) == {"eur-courier": 900}


def test_the_best_zones_limits_are_not_a_reason_to_fall_back():
    germany = zone("Germany", ("DE",))
    berlin = zone("Berlin", ("DE", "", "10*"))
    method(germany, "standard", price="4.90")
    method(berlin, "bike", price="3.00", max_weight=5000)
    # Too heavy for Berlin's only method: Berlin decides, so nothing is offered.
    assert offered(shipping_request(BERLIN, weight=6000)) == {}


def test_no_destination_country_or_zone_offers_nothing(germany):
    method(germany, "standard")
    assert offered(shipping_request(NOWHERE)) == {}
    assert offered(shipping_request(PARIS)) == {}


# --- the options ------------------------------------------------------------------------


def test_sorted_by_price_then_position_and_carrying_the_tax_class(germany):
    reduced = TaxClassFactory()
    method(germany, "express", price="9.90", position=0)
    method(germany, "b-standard", price="4.90", position=2)
    method(germany, "a-standard", price="4.90", position=1, tax_class=reduced)
    options = shipping_options(shipping_request())
    assert [option.code for option in options] == ["a-standard", "b-standard", "express"]
    assert options[0].tax_class_id == reduced.pk
    assert options[0].name == "A Standard"
    assert options[1].tax_class_id is None


def test_a_constant_number_of_queries(django_assert_num_queries):
    for index in range(20):
        area = zone(f"Zone {index}", ("DE",), ("DE", "", f"{index:02d}*"), priority=index)
        for n in range(5):
            method(
                area,
                f"m-{index}-{n}",
                price=None,
                strategy="weight" if n % 2 else "order_value",
                bands={0: "5.00", 1000: "4.00", 5000: "3.00"},
            )
    # zones, their members, the methods, their bands
    with django_assert_num_queries(4):
        options = shipping_options(shipping_request(BERLIN))
    assert len(options) == 5
    assert {option.code.split("-")[1] for option in options} == {"10"}


# --- configured strategies --------------------------------------------------------------


class PerItemRate(ShippingRateStrategy):
    """1.00 per line; none for an empty cart."""

    def price(self, method, request):
        return 100 * len(request.lines) or None


class NegativeRate(ShippingRateStrategy):
    def price(self, method, request):
        return -1


def test_a_configured_strategy_is_added_to_the_built_ins(settings, germany):
    # A class works as well as its dotted path.
    settings.COMMERCE = {"SHIPPING_RATE_STRATEGIES": {"per_item": PerItemRate}}
    assert set(rate_strategies()) == {"flat", "order_value", "weight", "per_item"}
    method(germany, "per-item", price=None, strategy="per_item")
    method(germany, "flat")
    assert offered(shipping_request()) == {"flat": 500}  # no lines: per_item answers None


def test_a_strategy_that_answers_a_negative_price_is_a_configuration_error(settings, germany):
    settings.COMMERCE = {"SHIPPING_RATE_STRATEGIES": {"negative": NegativeRate}}
    method(germany, "weird", strategy="negative")
    with pytest.raises(ImproperlyConfigured, match="priced 'weird' at -1"):
        shipping_options(shipping_request())


def test_a_method_whose_strategy_is_gone_is_left_out(germany):
    method(germany, "orphan", strategy="removed")
    method(germany, "flat")
    assert offered(shipping_request()) == {"flat": 500}


def test_a_broken_entry_no_method_uses_does_not_break_shipping(settings, germany):
    settings.COMMERCE = {"SHIPPING_RATE_STRATEGIES": {"broken": "no.such.module.Rate"}}
    method(germany, "flat")
    assert offered(shipping_request()) == {"flat": 500}
    # A method that uses it is a configuration error, named.
    method(germany, "uses-broken", strategy="broken")
    with pytest.raises(ImproperlyConfigured, match="SHIPPING_RATE_STRATEGIES"):
        shipping_options(shipping_request())
