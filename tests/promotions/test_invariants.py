"""The promotions' invariants: counters agree with unreleased redemptions, within limits.

Each test spends discounts through the source (as checkout does), corrupts a counter
with a raw ``QuerySet.update()`` that bypasses the services, and asserts the checker
reports exactly that violation for that object. Where a check constraint refuses the
corruption, the test proves it, then switches the constraint off inside its
transaction (see :func:`~tests.invariant_helpers.constraint_dropped`).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from djmoney.money import Money

from commerce.core.invariants import check_invariants, codes
from commerce.pricing.types import Claim, Customer, Discount, Lane
from commerce.promotions import services
from commerce.promotions.exceptions import InvalidPromotionError
from commerce.promotions.invariants import PROMOTION_CODES, VOUCHER_CODE_CODES
from commerce.promotions.models import Promotion, VoucherCode
from tests.invariant_helpers import constraint_dropped, documented_codes, found
from tests.promotions.helpers import SOURCE, amount_off, percent_off, promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def spent():
    """A promotion with a 50.00 budget and 3 uses at most, spent twice (once by code),
    and a release of a third order: 2 uses, 15.00 spent, the code used once."""
    promo = promotion(
        "Spring",
        lane="order",
        currency="USD",
        budget=Money(Decimal("50.00"), "USD"),
        max_uses=3,
        requires_code=True,
        codes=[{"code": "SPRING", "max_uses": 2}, "BLOOM"],
        benefit=amount_off("10.00"),
    )
    for reference, code, amount in [("A-1", "SPRING", 1000), ("A-2", "BLOOM", 500)]:
        claim(promo, code, amount, reference)
    claim(promo, "SPRING", 700, "A-3")
    assert SOURCE.release("A-3") == 1
    return promo


def claim(promo, code: str, amount: int, reference: str) -> None:
    discount = Discount("voucher", str(promo.pk), code, promo.name, Lane.VOUCHER)
    with transaction.atomic():
        SOURCE.spend(
            [Claim(discount, amount, "USD")], order_reference=reference, customer=Customer()
        )


def promo_row(promo):
    return Promotion.objects.filter(pk=promo.pk)


def name(promo) -> str:
    return f"{promo.name} ({promo.pk})"


def test_spending_and_releasing_keep_the_counters_consistent(spent):
    row = promo_row(spent).get()
    assert (row.uses, row.budget_spent) == (2, Decimal("15.00"))
    assert dict(VoucherCode.objects.values_list("code", "uses")) == {"BLOOM": 1, "SPRING": 1}
    assert check_invariants() == []


def test_a_promotion_without_a_budget_is_consistent_too():
    promo = promotion("Any", benefit=percent_off(10), requires_code=True, codes=["ANY"])
    claim(promo, "ANY", 250, "B-1")
    assert check_invariants() == []


def test_uses_counted_without_maximum_uses_are_reported():
    promo = promotion("Any", benefit=percent_off(10), requires_code=True, codes=["ANY"])
    claim(promo, "ANY", 250, "B-1")
    assert promo_row(promo).get().uses == 0
    promo_row(promo).update(uses=1)
    assert found() == [("promotion.uses_mismatch", name(promo))]


def test_a_promotion_use_without_a_redemption_is_reported(spent):
    promo_row(spent).update(uses=F("uses") + 1)
    assert found() == [("promotion.uses_mismatch", name(spent))]


def test_a_release_that_gave_nothing_back_is_reported(spent):
    # The redemption is marked released but the counters were not given back.
    spent.redemptions.filter(order_reference="A-2").update(released_at=spent.created_at)
    assert found() == [
        ("promotion.uses_mismatch", name(spent)),
        ("promotion.budget_mismatch", name(spent)),
        ("voucher.uses_mismatch", "BLOOM"),
    ]


def test_budget_spent_that_differs_from_the_redemptions_is_reported(spent):
    promo_row(spent).update(budget_spent=Decimal("14.99"))
    assert found() == [("promotion.budget_mismatch", name(spent))]


def test_budget_spent_without_a_budget_is_reported():
    promo = promotion("Any", benefit=percent_off(10))
    promo_row(promo).update(budget_spent=Decimal("1.00"))
    assert found() == [("promotion.budget_mismatch", name(promo))]


def test_more_uses_than_allowed_is_refused_and_reported(spent):
    with pytest.raises(IntegrityError), transaction.atomic():
        promo_row(spent).update(max_uses=1)
    with constraint_dropped(Promotion, "commerce_promotion_uses_lte_max"):
        promo_row(spent).update(max_uses=1)
    assert found() == [("promotion.uses_exceed_max", name(spent))]


def test_more_spent_than_the_budget_is_refused_and_reported(spent):
    with pytest.raises(IntegrityError), transaction.atomic():
        promo_row(spent).update(budget=Decimal("10.00"))
    with constraint_dropped(Promotion, "commerce_promotion_spent_lte_budget"):
        promo_row(spent).update(budget=Decimal("10.00"))
    assert found() == [("promotion.budget_exceeded", name(spent))]


def test_a_code_use_without_a_redemption_is_reported(spent):
    VoucherCode.objects.filter(code="BLOOM").update(uses=2)
    assert found() == [("voucher.uses_mismatch", "BLOOM")]


def test_a_code_used_more_than_allowed_is_refused_and_reported(spent):
    spring = VoucherCode.objects.filter(code="SPRING")
    with pytest.raises(IntegrityError), transaction.atomic():
        spring.update(max_uses=0)
    with constraint_dropped(VoucherCode, "commerce_vouchercode_uses_lte_max"):
        spring.update(max_uses=0)
    assert found() == [("voucher.uses_exceed_max", "SPRING")]


def test_every_code_is_registered_and_documented():
    mine = {**PROMOTION_CODES, **VOUCHER_CODE_CODES}
    assert set(mine) <= set(codes())
    assert set(mine) <= set(documented_codes())


def test_a_budget_set_after_redemptions_counts_them(spent):
    # Without a budget nothing is counted; a budget set later starts from what was given.
    services.update_promotion(spent, budget=None)
    assert promo_row(spent).get().budget_spent == 0
    assert check_invariants() == []
    services.update_promotion(spent, budget=Money(Decimal("20.00"), "USD"))
    assert promo_row(spent).get().budget_spent == Decimal("15.00")
    assert check_invariants() == []
    # A budget below what was given is refused (a 400), not a constraint's 500.
    with pytest.raises(InvalidPromotionError):
        services.update_promotion(spent, budget=Money(Decimal("10.00"), "USD"))
    assert promo_row(spent).get().budget == Money(Decimal("20.00"), "USD")
