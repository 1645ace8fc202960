"""Creating and changing promotions, benefits and codes: bad input is a typed error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from commerce.core.exceptions import CommerceValidationError
from commerce.promotions import services
from commerce.promotions.exceptions import (
    InvalidBenefitError,
    InvalidPromotionError,
    InvalidRuleError,
    InvalidVoucherCodeError,
    VoucherCodeTakenError,
)
from commerce.promotions.models import PromotionTarget, VoucherCode
from commerce.testing.factories import BrandFactory, CategoryFactory
from tests.promotions.helpers import NOW, amount_off, percent_off, promotion, variant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("percent", ["-5", "0", "100.01", "150", "12.345", "NaN"])
def test_percentages_outside_0_to_100_are_refused(percent):
    with pytest.raises(InvalidBenefitError) as raised:
        promotion(benefit={"kind": "percentage_off", "percent": Decimal(percent)})
    assert raised.value.status_code == 400
    assert "percent" in raised.value.details


def test_100_percent_is_allowed():
    promotion(benefit=percent_off(100))


def test_a_fixed_amount_needs_the_promotions_currency():
    with pytest.raises(InvalidBenefitError) as raised:
        promotion(benefit=amount_off("5.00"))
    assert "currency" in raised.value.details["amount"][0]


def test_a_fixed_amount_in_another_currency_is_refused():
    with pytest.raises(InvalidBenefitError):
        promotion(currency="EUR", benefit=amount_off("5.00", "USD"))


@pytest.mark.parametrize("amount", ["-1.00", "0", "1.001"])
def test_bad_amounts_are_refused(amount):
    with pytest.raises(CommerceValidationError):
        promotion(currency="USD", benefit=amount_off(amount))


@pytest.mark.parametrize(
    ("benefit", "field"),
    [
        ({"kind": "percentage_off"}, "percent"),
        ({"kind": "amount_off"}, "amount"),
        ({"kind": "fixed_price"}, "amount"),
        ({"kind": "buy_x_get_y", "buy_quantity": 2}, "get_quantity"),
        ({"kind": "buy_x_get_y", "buy_quantity": 0, "get_quantity": 1}, "buy_quantity"),
        ({"kind": "percentage_off", "percent": Decimal(5), "max_units": 0}, "max_units"),
        ({"kind": "free_shipping"}, "kind"),
        ({"kind": "mystery"}, "kind"),
        ({"kind": "percentage_off", "percent": Decimal(5), "allocation": "some"}, "allocation"),
    ],
)
def test_incomplete_or_misplaced_benefits_are_refused(benefit, field):
    with pytest.raises(InvalidBenefitError) as raised:
        promotion(benefit=benefit)
    assert field in raised.value.details


def test_shipping_benefits_only_in_the_shipping_lane():
    promotion(lane="shipping", benefit={"kind": "free_shipping"})
    with pytest.raises(InvalidBenefitError):
        promotion(lane="shipping", benefit=percent_off(10))
    with pytest.raises(InvalidBenefitError):
        promotion(lane="shipping", benefit={"kind": "shipping_discount"})


@pytest.mark.parametrize(
    "tree",
    [
        [],
        "products",
        {"products": []},
        {"products": ["not-a-uuid"]},
        {"all": []},
        {"any": {}},
        {"products": ["00000000-0000-0000-0000-000000000001"], "brands": []},
        {"colour": ["red"]},
        {"min_quantity": 0},
        {"min_quantity": True},
        {"min_quantity": 2**63},
        {"first_order": "yes"},
        {"customer_groups": ["x"]},
        {"\x00": 1},
        {"all": [{"all": [{"all": [{"all": [{"all": [{"all": [{"min_quantity": 1}]}]}]}]}]}]},
        {"any": [{"min_quantity": 1}] * 201},
    ],
)
def test_bad_rule_trees_are_refused(tree):
    with pytest.raises(InvalidRuleError) as raised:
        promotion(benefit=percent_off(10), condition=tree)
    assert raised.value.code == "invalid_rule"
    assert raised.value.details["condition"]


def test_a_target_takes_only_catalog_leaves():
    with pytest.raises(InvalidRuleError) as raised:
        promotion(benefit=percent_off(10, target={"min_quantity": 2}))
    assert "target" in raised.value.details


def test_unknown_ids_are_refused():
    with pytest.raises(InvalidRuleError) as raised:
        promotion(
            benefit=percent_off(10, target={"products": ["00000000-0000-0000-0000-000000000001"]})
        )
    assert "Unknown products" in raised.value.details["target"][0]


def test_a_target_no_line_can_match_is_refused():
    a, b = variant(), variant()
    both = {"all": [{"products": [str(a.product_id)]}, {"products": [str(b.product_id)]}]}
    with pytest.raises(InvalidRuleError) as raised:
        promotion(benefit=percent_off(10, target=both))
    assert raised.value.details == {"target": ["No line can match this target."]}


def test_a_target_in_two_unrelated_categories_is_refused_but_nested_ones_are_fine():
    shoes, hats = CategoryFactory(), CategoryFactory()
    boots = CategoryFactory(parent=shoes)
    unrelated = {"all": [{"categories": [str(shoes.pk)]}, {"categories": [str(hats.pk)]}]}
    with pytest.raises(InvalidRuleError):
        promotion(benefit=percent_off(10, target=unrelated))
    nested = {
        "all": [{"categories": [str(shoes.pk)]}, {"categories": [str(boots.pk), str(hats.pk)]}]
    }
    promotion(benefit=percent_off(10, target=nested))


def test_a_minimum_spend_needs_a_currency():
    with pytest.raises(InvalidRuleError) as raised:
        promotion(benefit=percent_off(10), condition={"min_subtotal": 100})
    assert "currency" in raised.value.details


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"budget": Money("10.00", "USD")}, "budget"),
        ({"currency": "XYZ"}, "currency"),
        ({"starts_at": NOW, "ends_at": NOW}, "ends_at"),
        ({"lane": "sideways"}, "lane"),
        ({"max_uses": 2**40}, "max_uses"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_promotions_are_refused(fields, field):
    with pytest.raises(InvalidPromotionError) as raised:
        services.create_promotion(name=fields.pop("name", "P"), benefit=percent_off(10), **fields)
    assert field in raised.value.details


def test_unknown_fields_are_refused():
    with pytest.raises(CommerceValidationError) as raised:
        promotion(benefit=percent_off(10), uses=5)
    assert raised.value.details == {"uses": ["Not a field that may be set."]}


def test_rules_are_stored_normalized():
    item = variant()
    p = promotion(
        benefit=percent_off(
            10, target={"products": [str(item.product_id).upper(), str(item.product_id)]}
        ),
        condition={},
        currency="usd",
    )
    assert p.currency == "USD"
    assert p.condition is None
    assert p.benefit.target == {"products": [str(item.product_id)]}


def test_targets_are_kept_in_step_with_the_benefit():
    brand, category = BrandFactory(), CategoryFactory()
    p = promotion(
        benefit=percent_off(
            10, target={"any": [{"brands": [str(brand.pk)]}, {"categories": [str(category.pk)]}]}
        )
    )
    assert set(PromotionTarget.objects.values_list("kind", "object_id")) == {
        ("brands", brand.pk),
        ("categories", category.pk),
    }
    services.set_benefit(p, **percent_off(20))
    assert not PromotionTarget.objects.exists()


@pytest.mark.parametrize("code", ["two words", "x" * 33, "", "-LEADING", "CAFÉ", "a\x00b", 42])
def test_malformed_codes_are_refused(code):
    p = promotion(benefit=percent_off(10), requires_code=True)
    with pytest.raises(InvalidVoucherCodeError) as raised:
        services.add_code(p, code=code)
    assert raised.value.details == {"code": ["1 to 32 letters, digits, '-' or '_'; no spaces."]}


def test_codes_are_stored_upper_cased_and_unique_whatever_the_case():
    p = promotion(benefit=percent_off(10), requires_code=True, codes=[" summer-24 "])
    assert VoucherCode.objects.get().code == "SUMMER-24"
    with pytest.raises(VoucherCodeTakenError) as raised:
        services.add_code(p, code="Summer-24")
    assert raised.value.status_code == 409


def test_codes_belong_to_promotions_that_require_one():
    p = promotion(benefit=percent_off(10))
    with pytest.raises(InvalidVoucherCodeError):
        services.add_code(p, code="AUTO")
    coded = promotion(benefit=percent_off(10), requires_code=True, codes=["CODE"])
    with pytest.raises(InvalidPromotionError):
        services.update_promotion(coded, requires_code=False)


@pytest.mark.parametrize(
    ("limits", "field"),
    [({"max_uses": 0}, "max_uses"), ({"per_customer_limit": -1}, "per_customer_limit")],
)
def test_bad_code_limits_are_refused(limits, field):
    p = promotion(benefit=percent_off(10), requires_code=True)
    with pytest.raises(InvalidVoucherCodeError) as raised:
        services.add_code(p, code="C", **limits)
    assert field in raised.value.details


def test_a_codes_limit_cannot_go_below_its_uses():
    p = promotion(benefit=percent_off(10), requires_code=True, codes=["C"])
    VoucherCode.objects.update(uses=3)
    with pytest.raises(InvalidVoucherCodeError):
        services.update_code(p.codes.get(), max_uses=2)
    assert services.update_code(p.codes.get(), max_uses=3).max_uses == 3


def test_update_promotion_checks_the_benefit_against_the_new_lane():
    p = promotion(benefit=percent_off(10))
    with pytest.raises(InvalidBenefitError):
        services.update_promotion(p, lane="shipping")
    assert services.update_promotion(p, lane="order", priority=3).priority == 3
