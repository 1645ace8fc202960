"""Spending and releasing budgets and code uses at checkout."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from djmoney.money import Money

from commerce.pricing import discounts as registry
from commerce.pricing.exceptions import DiscountUnavailableError
from commerce.pricing.types import Claim, Customer, Discount
from commerce.promotions import services
from commerce.promotions.exceptions import InvalidPromotionError
from commerce.promotions.models import Promotion, Redemption, VoucherCode
from commerce.testing.factories import UserFactory
from tests.promotions.helpers import (
    SOURCE,
    context,
    evaluate,
    line,
    percent_off,
    promotion,
    spend_automatic,
    variant,
)

pytestmark = pytest.mark.django_db


def claims_of(result, currency="USD"):
    """The claims checkout would spend for a source's result (as PricedCart.claims)."""
    amounts: dict[Discount, int] = {}
    for adjustment in result.line_adjustments:
        amounts[adjustment.discount] = amounts.get(adjustment.discount, 0) + adjustment.amount
    for order in result.order_discounts:
        amounts[order.discount] = amounts.get(order.discount, 0) + order.amount
    return [Claim(discount, amount, currency) for discount, amount in amounts.items()]


@pytest.fixture
def coded():
    p = promotion(
        "Save",
        benefit=percent_off(10),
        requires_code=True,
        currency="USD",
        budget=Money("100.00", "USD"),
        max_uses=5,
        codes=[{"code": "SAVE", "max_uses": 2}],
    )
    return p


def spend_code(order, customer=None, price="10.00"):
    result = evaluate(context(line("a", variant(price)), codes=["SAVE"], customer=customer))
    SOURCE.spend(claims_of(result), order_reference=order, customer=customer or Customer())
    return result


def test_spend_counts_uses_and_budget_and_records_a_redemption(coded):
    user = UserFactory(email="Buyer@Example.com")
    spend_code("ORDER-1", Customer(user=user))
    coded.refresh_from_db()
    code = VoucherCode.objects.get(code="SAVE")
    assert (coded.uses, coded.budget_spent, code.uses) == (1, Decimal("1.000"), 1)
    redemption = Redemption.objects.get()
    assert (redemption.order_reference, redemption.code, redemption.user) == ("ORDER-1", code, user)
    assert redemption.email == "buyer@example.com"
    assert redemption.amount == Money("1.00", "USD")
    assert redemption.released_at is None


def test_an_automatic_promotion_is_spent_without_a_code():
    p = promotion("Ten", benefit=percent_off(10), max_uses=3)
    result = evaluate(context(line("a", variant("10.00"))))
    SOURCE.spend(claims_of(result), order_reference="O-1", customer=Customer())
    p.refresh_from_db()
    assert p.uses == 1
    assert p.budget_spent == 0
    assert Redemption.objects.get().code is None


def test_a_used_up_code_refuses_with_rowcount_zero(coded):
    spend_code("O-1")
    spend_code("O-2")
    result = evaluate(context(line("a", variant()), codes=["SAVE"]))
    assert result.codes[0].reason.code == "used_up"
    # A checkout that priced before the last use was spent still holds a claim.
    stale = Claim(Discount("voucher", str(coded.pk), "SAVE", "Save", "voucher"), 100, "USD")
    with pytest.raises(DiscountUnavailableError) as raised, transaction.atomic():
        SOURCE.spend([stale], order_reference="O-3", customer=Customer())
    assert raised.value.details["code"] == "SAVE"
    assert raised.value.details["reason"] == "used_up"
    assert raised.value.status_code == 409
    assert VoucherCode.objects.get().uses == 2
    assert Redemption.objects.count() == 2


def test_a_promotion_out_of_uses_refuses(coded):
    Promotion.objects.filter(pk=coded.pk).update(uses=5)
    stale = Claim(Discount("voucher", str(coded.pk), "SAVE", "Save", "voucher"), 100, "USD")
    with pytest.raises(DiscountUnavailableError) as raised, transaction.atomic():
        SOURCE.spend([stale], order_reference="O-1", customer=Customer())
    assert raised.value.details["promotion"] == str(coded.pk)
    assert VoucherCode.objects.get().uses == 0


def test_a_claim_over_the_budget_refuses(coded):
    Promotion.objects.filter(pk=coded.pk).update(budget_spent=Decimal("99.50"))
    big = Claim(Discount("voucher", str(coded.pk), "SAVE", "Save", "voucher"), 51, "USD")
    with pytest.raises(DiscountUnavailableError), transaction.atomic():
        SOURCE.spend([big], order_reference="O-1", customer=Customer())
    exact = Claim(big.discount, 50, "USD")
    SOURCE.spend([exact], order_reference="O-1", customer=Customer())
    coded.refresh_from_db()
    assert coded.budget_spent == Decimal("100.000")


def test_the_per_customer_limit_is_checked_after_the_codes_row_is_locked():
    promotion("Once", benefit=percent_off(10), requires_code=True,
              codes=[{"code": "SAVE", "per_customer_limit": 1}])  # fmt: skip
    user = UserFactory()
    first = evaluate(context(line("a", variant()), codes=["SAVE"], customer=Customer(user=user)))
    second = evaluate(context(line("a", variant()), codes=["SAVE"], customer=Customer(user=user)))
    SOURCE.spend(claims_of(first), order_reference="O-1", customer=Customer(user=user))
    with pytest.raises(DiscountUnavailableError) as raised, transaction.atomic():
        SOURCE.spend(claims_of(second), order_reference="O-2", customer=Customer(user=user))
    assert raised.value.details["reason"] == "already_used"
    # Another customer may still use it; a guest by email, too.
    SOURCE.spend(claims_of(second), order_reference="O-3", customer=Customer(email="x@example.com"))
    with pytest.raises(DiscountUnavailableError), transaction.atomic():
        SOURCE.spend(
            claims_of(second), order_reference="O-4", customer=Customer(email="X@example.com")
        )
    with pytest.raises(DiscountUnavailableError) as raised, transaction.atomic():
        SOURCE.spend(claims_of(second), order_reference="O-5", customer=Customer())
    assert raised.value.details["reason"] == "sign_in_required"


def test_spending_one_order_twice_is_refused(coded):
    result = spend_code("O-1")
    with pytest.raises(DiscountUnavailableError) as raised, transaction.atomic():
        SOURCE.spend(claims_of(result), order_reference="O-1", customer=Customer())
    assert raised.value.details["reason"] == "already_redeemed"


def test_claims_of_other_sources_are_ignored():
    other = Claim(Discount("gift_card", "x", "", "Gift", "order"), 100, "USD")
    SOURCE.spend([other], order_reference="O-1", customer=Customer())
    assert Redemption.objects.count() == 0


def test_release_gives_back_exactly_once(coded):
    spend_code("O-1")
    spend_code("O-2")
    assert SOURCE.release("O-1") == 1
    assert SOURCE.release("O-1") == 0
    coded.refresh_from_db()
    assert (coded.uses, coded.budget_spent) == (1, Decimal("1.000"))
    assert VoucherCode.objects.get().uses == 1
    released = Redemption.objects.get(order_reference="O-1")
    assert released.released_at is not None
    # The use given back can be spent again.
    result = evaluate(context(line("a", variant()), codes=["SAVE"]))
    assert result.codes[0].applied


def test_release_of_an_unknown_order_releases_nothing():
    assert SOURCE.release("NOPE") == 0


def test_the_registry_spends_and_releases_through_this_source(coded):
    assert SOURCE in registry.discount_sources()
    result = evaluate(context(line("a", variant()), codes=["SAVE"]))
    registry.spend(claims_of(result), order_reference="R-1", customer=Customer())
    assert registry.release("R-1") == 1
    assert VoucherCode.objects.get().uses == 0


def test_a_claim_without_a_currency_uses_the_promotions(coded):
    claim = Claim(Discount("voucher", str(coded.pk), "SAVE", "Save", "voucher"), 150)
    SOURCE.spend([claim], order_reference="O-1", customer=Customer())
    assert Redemption.objects.get().amount == Money("1.50", "USD")


def test_an_unlimited_promotion_is_spent_without_counting_uses():
    p = promotion("Broad", benefit=percent_off(10), currency="USD")
    with transaction.atomic():
        assert spend_automatic(p, "ORDER-1") == "spent"
    p.refresh_from_db()
    assert (p.uses, p.budget_spent) == (0, 0)
    assert Redemption.objects.filter(promotion=p, order_reference="ORDER-1").exists()
    assert SOURCE.release("ORDER-1") == 1
    p.refresh_from_db()
    assert p.uses == 0


def test_a_limit_below_the_uses_so_far_is_refused():
    p = promotion("Broad", benefit=percent_off(10), currency="USD")
    for n in range(3):
        with transaction.atomic():
            spend_automatic(p, f"ORDER-{n}")

    with pytest.raises(InvalidPromotionError) as raised:
        services.update_promotion(p, max_uses=2)
    assert raised.value.details == {"max_uses": ["At least 3."]}

    services.update_promotion(p, max_uses=3)
    p.refresh_from_db()
    assert p.uses == 3
    with transaction.atomic():
        assert spend_automatic(p, "ORDER-4") == "used_up"
    # Without a maximum again, uses are no longer counted, and spending goes on.
    services.update_promotion(p, max_uses=None, budget=Money("100.00", "USD"))
    p.refresh_from_db()
    assert (p.uses, p.budget_spent) == (0, 3)
    with transaction.atomic():
        assert spend_automatic(p, "ORDER-5") == "spent"
    p.refresh_from_db()
    assert (p.uses, p.budget_spent) == (0, 4)
