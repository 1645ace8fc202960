"""Every reason code, for promotions and for entered codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from djmoney.money import Money

from commerce.pricing.types import Customer
from commerce.promotions.engine import MESSAGES
from commerce.promotions.models import Promotion, Redemption, VoucherCode
from commerce.testing.factories import UserFactory
from tests.promotions.helpers import (
    NOW,
    amount_off,
    context,
    evaluate,
    line,
    percent_off,
    promotion,
    reasons,
    variant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hat():
    return variant("10.00")


def targeted(item, name="Hat", **fields):
    """A promotion on ``item``'s product, so it is explained even when not running."""
    return promotion(
        name, benefit=percent_off(10, target={"products": [str(item.product_id)]}), **fields
    )


def code_status(result, code):
    status = next(s for s in result.codes if s.code == code)
    return status.reason.code if status.reason else "applied"


def test_every_reason_has_a_message():
    assert set(MESSAGES) == {
        "not_started", "expired", "inactive", "wrong_currency", "below_minimum_spend",
        "not_in_range", "conditions_not_met", "budget_spent", "used_up", "already_used",
        "sign_in_required", "not_eligible", "better_discount_applied", "not_combinable",
        "unknown_code", "duplicate_code",
    }  # fmt: skip


def test_not_started(hat):
    targeted(hat, starts_at=NOW + timedelta(days=1))
    assert reasons(evaluate(context(line("a", hat)))) == {"Hat": "not_started"}


def test_expired(hat):
    targeted(hat, starts_at=NOW - timedelta(days=2), ends_at=NOW)
    assert reasons(evaluate(context(line("a", hat)))) == {"Hat": "expired"}


def test_inactive(hat):
    targeted(hat, is_active=False)
    assert reasons(evaluate(context(line("a", hat)))) == {"Hat": "inactive"}


def test_wrong_currency(hat):
    targeted(hat, currency="EUR")
    assert reasons(evaluate(context(line("a", hat)))) == {"Hat": "wrong_currency"}


def test_below_minimum_spend(hat):
    promotion("Spend", benefit=percent_off(10), currency="USD", condition={"min_subtotal": 5000})
    assert reasons(evaluate(context(line("a", hat)))) == {"Spend": "below_minimum_spend"}


def test_not_in_range(hat):
    other = variant("5.00")
    target = {
        "all": [{"products": [str(hat.product_id)]}, {"vendors": [str(other.product.vendor_id)]}]
    }
    promotion("Narrow", benefit=percent_off(10, target=target))
    assert reasons(evaluate(context(line("a", hat)))) == {"Narrow": "not_in_range"}


def test_conditions_not_met(hat):
    promotion("Bulk", benefit=percent_off(10), condition={"min_quantity": 10})
    assert reasons(evaluate(context(line("a", hat)))) == {"Bulk": "conditions_not_met"}


def test_budget_spent(hat):
    p = targeted(hat, currency="USD", budget=Money("5.00", "USD"))
    Promotion.objects.filter(pk=p.pk).update(budget_spent="5.00")
    assert reasons(evaluate(context(line("a", hat)))) == {"Hat": "budget_spent"}


def test_a_budget_caps_the_discount(hat):
    p = promotion("Half", currency="USD", budget=Money("5.00", "USD"), benefit=percent_off(50))
    Promotion.objects.filter(pk=p.pk).update(budget_spent="4.00")
    result = evaluate(context(line("a", hat), line("b", variant("10.00"))))
    assert sum(a.amount for a in result.line_adjustments) == 100


def test_used_up(hat):
    p = targeted(hat, max_uses=3)
    Promotion.objects.filter(pk=p.pk).update(uses=3)
    assert reasons(evaluate(context(line("a", hat)))) == {"Hat": "used_up"}


def test_not_eligible(hat):
    promotion("Members", benefit=percent_off(10), condition={"first_order": False})
    assert reasons(evaluate(context(line("a", hat)))) == {"Members": "not_eligible"}


def test_better_discount_applied_and_not_combinable(hat):
    promotion("Small", benefit=percent_off(5))
    promotion("Stacking", benefit=percent_off(3), combinable=True)
    promotion("Big", benefit=percent_off(50))
    result = reasons(evaluate(context(line("a", hat))))
    assert result == {"Small": "better_discount_applied", "Stacking": "not_combinable"}


# --- codes ---------------------------------------------------------------------------


def voucher(code="SAVE", *, limits=None, **fields):
    return promotion(
        "Save",
        benefit=percent_off(10),
        requires_code=True,
        codes=[{"code": code, **(limits or {})}],
        **fields,
    )


def test_unknown_code(hat):
    result = evaluate(context(line("a", hat), codes=["nope"]))
    assert code_status(result, "NOPE") == "unknown_code"
    assert result.codes[0].reason.discount is None


def test_a_code_only_promotion_needs_its_code(hat):
    voucher()
    result = evaluate(context(line("a", hat)))
    assert result.line_adjustments == ()
    assert result.not_applied == ()


def test_codes_are_matched_whatever_their_case(hat):
    voucher("Save")
    result = evaluate(context(line("a", hat), codes=[" save "]))
    assert code_status(result, "SAVE") == "applied"


def test_an_applied_code_is_explained_when_it_loses(hat):
    promotion("Big", benefit=percent_off(50))
    voucher()
    result = evaluate(context(line("a", hat), codes=["SAVE"]))
    # Vouchers run in their own lane after the promotions: both apply.
    assert code_status(result, "SAVE") == "applied"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"is_active": False}, "inactive"),
        ({"starts_at": NOW + timedelta(hours=1)}, "not_started"),
        ({"ends_at": NOW}, "expired"),
    ],
)
def test_a_codes_own_window_and_activity(hat, change, expected):
    voucher()
    VoucherCode.objects.filter(code="SAVE").update(**change)
    result = evaluate(context(line("a", hat), codes=["SAVE"]))
    assert code_status(result, "SAVE") == expected
    assert reasons(result) == {"SAVE": expected}


def test_a_codes_promotion_window(hat):
    voucher(ends_at=NOW - timedelta(days=1), starts_at=NOW - timedelta(days=9))
    assert code_status(evaluate(context(line("a", hat), codes=["SAVE"])), "SAVE") == "expired"


def test_a_code_in_the_wrong_currency(hat):
    promotion(
        "Euro",
        currency="EUR",
        requires_code=True,
        codes=["EURO"],
        benefit=amount_off("1.00", "EUR"),
    )
    assert (
        code_status(evaluate(context(line("a", hat), codes=["EURO"])), "EURO") == "wrong_currency"
    )


def test_a_used_up_code(hat):
    voucher(limits={"max_uses": 2})
    VoucherCode.objects.filter(code="SAVE").update(uses=2)
    assert code_status(evaluate(context(line("a", hat), codes=["SAVE"])), "SAVE") == "used_up"


def test_a_code_below_minimum_spend(hat):
    voucher(currency="USD", condition={"min_subtotal": 2000})
    result = evaluate(context(line("a", hat), codes=["SAVE"]))
    assert code_status(result, "SAVE") == "below_minimum_spend"


def test_a_code_not_in_range(hat):
    other = variant("1.00")
    promotion(
        "Other",
        benefit=percent_off(10, target={"products": [str(other.product_id)]}),
        requires_code=True,
        codes=["OTHER"],
    )
    assert (
        code_status(evaluate(context(line("a", hat), codes=["OTHER"])), "OTHER") == "not_in_range"
    )


def test_already_used_by_this_customer(hat):
    p = voucher(limits={"per_customer_limit": 1})
    user = UserFactory(email="buyer@example.com")
    Redemption.objects.create(
        promotion=p,
        code=p.codes.get(),
        order_reference="A1",
        user=user,
        email="buyer@example.com",
        amount=Money("1", "USD"),
    )
    result = evaluate(context(line("a", hat), codes=["SAVE"], customer=Customer(user=user)))
    assert code_status(result, "SAVE") == "already_used"
    # A guest with the same email has used it too.
    result = evaluate(
        context(line("a", hat), codes=["SAVE"], customer=Customer(email="buyer@example.com"))
    )
    assert code_status(result, "SAVE") == "already_used"


def test_a_released_redemption_does_not_count(hat):
    p = voucher(limits={"per_customer_limit": 1})
    user = UserFactory()
    Redemption.objects.create(
        promotion=p, code=p.codes.get(), order_reference="A1", user=user,
        amount=Money("1", "USD"), released_at=NOW,
    )  # fmt: skip
    result = evaluate(context(line("a", hat), codes=["SAVE"], customer=Customer(user=user)))
    assert code_status(result, "SAVE") == "applied"


def test_sign_in_required_for_a_per_customer_limit(hat):
    voucher(limits={"per_customer_limit": 1})
    assert (
        code_status(evaluate(context(line("a", hat), codes=["SAVE"])), "SAVE") == "sign_in_required"
    )


def test_duplicate_code_of_one_promotion(hat):
    p = voucher()
    from commerce.promotions import services

    services.add_code(p, code="SAVE2")
    result = evaluate(context(line("a", hat), codes=["SAVE", "SAVE2"]))
    assert [(s.code, s.applied) for s in result.codes] == [("SAVE", True), ("SAVE2", False)]
    assert code_status(result, "SAVE2") == "duplicate_code"
    assert sum(a.amount for a in result.line_adjustments) == 100


def test_two_codes_that_do_not_combine(hat):
    promotion("Five", benefit=percent_off(5), requires_code=True, codes=["FIVE"])
    promotion("Ten", benefit=percent_off(10), requires_code=True, codes=["TEN"])
    result = evaluate(context(line("a", hat), codes=["FIVE", "TEN"]))
    assert code_status(result, "TEN") == "applied"
    assert code_status(result, "FIVE") == "better_discount_applied"
