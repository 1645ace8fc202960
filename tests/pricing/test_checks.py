"""System checks for pricing configuration: E025 (setting), W026 and W027 (rows)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from commerce.checks import check_commerce_settings, check_pricing_rows
from commerce.pricing.models import ShippingRateBand
from tests.pricing.helpers import method, money, zone


def ids(messages) -> list[str]:
    return [message.id for message in messages]


# --- E025: SHIPPING_RATE_STRATEGIES ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("flat", "must be a dict"),
        ({"by_box": "no.such.module.Rate"}, "Could not import"),
        ({"by_box": "commerce.pricing.tax.tax_strategy"}, "not a class with a price"),
        ({"by_box": 3}, "neither a dotted path nor a class"),
        ({"": "commerce.pricing.shipping.FlatShippingRate"}, "non-empty strings"),
    ],
)
def test_bad_rate_strategies_are_errors(settings, value, said):
    settings.COMMERCE = {"SHIPPING_RATE_STRATEGIES": value}
    errors = [e for e in check_commerce_settings() if e.id == "commerce.E025"]
    assert len(errors) == 1
    assert said in errors[0].msg


def test_good_rate_strategies_pass(settings):
    settings.COMMERCE = {
        "SHIPPING_RATE_STRATEGIES": {"box": "commerce.pricing.shipping.WeightShippingRate"}
    }
    assert "commerce.E025" not in ids(check_commerce_settings())


# --- W026, W027: rows -----------------------------------------------------------------------


@pytest.mark.django_db
def test_database_checks_run_only_when_databases_are_checked():
    first, second = zone("A", ("DE",)), zone("B", ("DE",))
    assert first.priority == second.priority
    assert check_pricing_rows(databases=None) == []
    assert ids(check_pricing_rows(databases=["default"])) == ["commerce.W027"]


@pytest.mark.django_db
def test_overlapping_zones_of_the_same_priority():
    zone("Germany", ("DE",), ("AT",))
    zone("DACH", ("DE",), ("CH",))
    zone("Higher", ("DE",), priority=5)  # another priority: no tie
    zone("Off", ("AT",), is_active=False)  # inactive: never matches
    zone("Berlin", ("DE", "be"))  # another place
    zone("Berlin too", ("DE", " BE "))  # ... but this one is the same place
    zone("Excluding", ("PL",), ("DE", "", "", True))  # exclude members cannot tie
    warnings = check_pricing_rows(databases=["default"])
    assert ids(warnings) == ["commerce.W027", "commerce.W027"]
    messages = sorted(w.msg for w in warnings)
    assert "Berlin, Berlin too" in messages[0]
    assert "DACH, Germany" in messages[1]


@pytest.mark.django_db
def test_shipping_methods_a_setting_or_code_made_wrong(settings):
    germany = zone("Germany", ("DE",))
    method(germany, "fine")
    method(germany, "in-naira", price="500.00", currency="NGN")
    method(germany, "gone", strategy="by_box")
    method(germany, "no-price", price=None)
    odd = method(germany, "odd-band", price=None, strategy="weight", bands={0: "5.00"})
    ShippingRateBand.objects.create(method=odd, lower_bound=1000, price=money("4.00", "EUR"))
    mixed = method(germany, "mixed")
    mixed.free_over = money("50.00", "EUR")
    mixed.save()
    settings.COMMERCE = {"CURRENCIES": ["USD", "EUR"]}  # NGN no longer allowed

    warnings = check_pricing_rows(databases=["default"])
    assert set(ids(warnings)) == {"commerce.W026"}
    by_code = {w.obj.code: w.msg for w in warnings}
    assert set(by_code) == {"in-naira", "gone", "no-price", "odd-band", "mixed"}
    assert "NGN is not in COMMERCE['CURRENCIES']" in by_code["in-naira"]
    assert "'by_box' is not in COMMERCE['SHIPPING_RATE_STRATEGIES']" in by_code["gone"]
    assert "flat strategy charges this price" in by_code["no-price"]
    assert "bands: priced in EUR, not USD" in by_code["odd-band"]
    assert "free_over: Use the method's currency, USD" in by_code["mixed"]


@pytest.mark.django_db
def test_warnings_do_not_stop_check_but_fail_it_at_warning_level():
    zone("A", ("DE",))
    zone("B", ("DE",))
    call_command("check", "--database", "default")
    with pytest.raises(SystemCheckError, match=r"commerce\.W027"):
        call_command("check", "--database", "default", "--fail-level", "WARNING")
