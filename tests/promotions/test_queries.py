"""evaluate() reads the rules in a constant number of queries, and loads only the
promotions that can match the cart."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from djmoney.money import Money

from commerce.pricing.types import Customer
from commerce.promotions.discounts import (
    RULE_COLUMNS,
    _candidates,
    _rule,
    line_facts,
    promotion_rule,
)
from commerce.promotions.models import Promotion
from commerce.testing.factories import CategoryFactory, UserFactory
from tests.promotions.helpers import (
    amount_off,
    context,
    evaluate,
    line,
    noise_promotions,
    percent_off,
    promotion,
    variant,
)

pytestmark = pytest.mark.django_db


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
    noise_promotions(noise)
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
    noise_promotions(noise)
    with django_assert_num_queries(2):
        evaluate(context(*cart))


def test_an_empty_cart_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        evaluate(context())


def test_promotions_that_cannot_match_are_not_loaded(cart):
    noise_promotions(1000)
    ctx = context(*cart)
    loaded = {row["name"] for row in _candidates(ctx, line_facts(ctx))}
    # The targeted one and the untargeted one running now; the 1,000 others are left out.
    assert loaded == {"Ten", "Group"}


@pytest.mark.parametrize("cart_currency", ["USD", "EUR", "JPY"])
def test_a_candidate_read_as_values_is_the_rule_its_model_gives(db, cart_currency):
    promotion("Percent", benefit=percent_off(15), max_uses=10)
    promotion(
        "Amount",
        lane="order",
        currency="USD",
        budget=Money("50.00", "USD"),
        benefit=amount_off("5.00"),
        condition={"min_subtotal": 2000},
    )
    promotion("Euros", lane="order", currency="EUR", benefit=amount_off("3.00", "EUR"))
    rows = {row["pk"]: row for row in Promotion.objects.values(*RULE_COLUMNS)}
    promotions = Promotion.objects.select_related("benefit")
    assert len(promotions) == len(rows) == 3
    for model in promotions:
        assert _rule(rows[model.pk], cart_currency) == promotion_rule(model, cart_currency)
