"""evaluate() reads the rules in a constant number of queries, and loads only the
promotions that can match the cart."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from commerce.pricing.types import Customer
from commerce.promotions.discounts import _candidates, line_facts
from commerce.promotions.models import Benefit, Promotion, PromotionTarget
from commerce.testing.factories import CategoryFactory, UserFactory
from tests.promotions.helpers import NOW, context, evaluate, line, percent_off, promotion, variant

pytestmark = pytest.mark.django_db


def many_promotions(count: int) -> None:
    """``count`` promotions that cannot apply: most target other products; some run
    for nobody (inactive, expired, another currency) without a target."""
    promotions = []
    for n in range(count):
        kind = n % 10
        promotions.append(
            Promotion(
                name=f"Noise {n}",
                priority=n % 7,
                is_active=kind != 1,
                ends_at=NOW - timedelta(days=1) if kind == 2 else None,
                starts_at=NOW - timedelta(days=30) if kind == 2 else None,
                currency="EUR" if kind == 3 else "",
            )
        )
    Promotion.objects.bulk_create(promotions, batch_size=500)
    Benefit.objects.bulk_create(
        [Benefit(promotion=p, kind="percentage_off", percent=10) for p in promotions],
        batch_size=500,
    )
    PromotionTarget.objects.bulk_create(
        [
            PromotionTarget(promotion=p, kind="products", object_id=uuid.uuid4())
            for n, p in enumerate(promotions)
            if n % 10 not in (1, 2, 3)
        ],
        batch_size=500,
    )


@pytest.fixture
def cart():
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    items = [variant("10.00", category=child) for _ in range(3)]
    promotion("Ten", benefit=percent_off(10, target={"categories": [str(parent.pk)]}))
    promotion(
        "Code", benefit=percent_off(5), requires_code=True,
        codes=[{"code": "LIMITED", "per_customer_limit": 2}],
    )  # fmt: skip
    vip = Group.objects.create(name="VIP")
    promotion(
        "Group", benefit=percent_off(5), condition={"customer_groups": [vip.pk]}, combinable=True
    )
    return [line(str(n), item, 2) for n, item in enumerate(items)]


@pytest.mark.parametrize("noise", [0, 100, 1000])
def test_evaluate_costs_the_same_queries_whatever_the_number_of_promotions(
    cart, noise, django_assert_num_queries
):
    many_promotions(noise)
    user = UserFactory()
    ctx = context(*cart, codes=["LIMITED", "UNKNOWN"], customer=Customer(user=user))
    # Category ancestors, promotions, codes, this customer's redemptions of the
    # limited code, and the user's groups (a loaded rule asks for them).
    with django_assert_num_queries(5):
        result = evaluate(ctx)
    assert {a.discount.name for a in result.line_adjustments} == {"Ten", "Code"}


@pytest.mark.parametrize("noise", [0, 1000])
def test_an_anonymous_cart_without_codes_costs_two_queries(cart, noise, django_assert_num_queries):
    Promotion.objects.filter(name="Group").delete()
    many_promotions(noise)
    with django_assert_num_queries(2):
        evaluate(context(*cart))


def test_an_empty_cart_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        evaluate(context())


def test_promotions_that_cannot_match_are_not_loaded(cart):
    many_promotions(1000)
    ctx = context(*cart)
    loaded = {p.name for p in _candidates(ctx, line_facts(ctx))}
    # The targeted one and the untargeted one running now; the 1,000 others are left out.
    assert loaded == {"Ten", "Group"}
