"""The promotions admin: pages load, forms validate as the services do, redemptions
are read-only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from djmoney.money import Money

from commerce.promotions.models import Promotion, PromotionTarget, Redemption, VoucherCode
from tests.promotions.helpers import percent_off, promotion, variant

pytestmark = pytest.mark.django_db


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:commerce_promotions_{model}_{view}", args=args)


def management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def add_form(**overrides) -> dict[str, str]:
    data = {
        "name": "Summer",
        "description": "",
        "lane": "catalog",
        "priority": "0",
        "is_active": "on",
        "condition": "null",
        "currency": "",
        "budget_0": "",
        "budget_1": "USD",
        "max_uses": "",
        **management("benefit", 1),
        "benefit-0-kind": "percentage_off",
        "benefit-0-percent": "10",
        "benefit-0-target": "null",
        "benefit-0-allocation": "each",
        **management("codes", 0),
    }
    data.update(overrides)
    return data


def change_form(p: Promotion, **overrides) -> dict[str, str]:
    """The change form of ``p`` (with its benefit inline) as :func:`add_form` fills it."""
    return add_form(
        **management("benefit", 1, 1),
        **{"benefit-0-id": str(p.benefit.pk), "benefit-0-promotion": str(p.pk)},
        **overrides,
    )


def test_changelists_and_forms_load(admin_client):
    p = promotion("Summer", benefit=percent_off(10), requires_code=True, codes=["SUN"])
    Redemption.objects.create(
        promotion=p, code=p.codes.get(), order_reference="O-1", amount=Money("1", "USD")
    )
    for target in (
        url("promotion", "changelist"),
        url("promotion", "changelist") + "?lane__exact=catalog&is_active__exact=1",
        url("promotion", "add"),
        url("promotion", "change", p.pk),
        url("redemption", "changelist"),
        url("redemption", "change", Redemption.objects.get().pk),
    ):
        assert admin_client.get(target).status_code == 200, target


def test_adding_a_promotion_with_a_target_and_a_code(admin_client):
    item = variant()
    data = add_form(
        requires_code="on",
        **{"benefit-0-target": json.dumps({"products": [str(item.product_id)]})},
        **management("codes", 1),
        **{"codes-0-code": " summer ", "codes-0-is_active": "on"},
    )
    response = admin_client.post(url("promotion", "add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    p = Promotion.objects.get()
    assert p.benefit.percent == 10
    assert list(p.codes.values_list("code", flat=True)) == ["SUMMER"]
    assert list(PromotionTarget.objects.values_list("object_id", flat=True)) == [item.product_id]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"benefit-0-percent": "150"}, "More than 0 and at most 100."),
        ({"condition": json.dumps({"colour": "red"})}, "Unknown rule"),
        (
            {
                "benefit-0-kind": "amount_off",
                "benefit-0-percent": "",
                "benefit-0-amount_0": "5",
                "benefit-0-amount_1": "USD",
            },
            "A fixed amount needs the promotion",
        ),
    ],
)  # fmt: skip
def test_the_forms_refuse_what_the_services_refuse(admin_client, overrides, message):
    response = admin_client.post(url("promotion", "add"), add_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Promotion.objects.exists()


def test_a_code_on_a_promotion_that_does_not_require_one_is_refused(admin_client):
    data = add_form(**management("codes", 1), **{"codes-0-code": "AUTO", "codes-0-is_active": "on"})
    response = admin_client.post(url("promotion", "add"), data)
    assert response.status_code == 200
    assert "require one" in response.content.decode()
    assert not VoucherCode.objects.exists()


def test_redemptions_cannot_be_added_changed_or_deleted(admin_client):
    p = promotion("Summer", benefit=percent_off(10))
    r = Redemption.objects.create(promotion=p, order_reference="O-1", amount=Money("1", "USD"))
    assert admin_client.get(url("redemption", "add")).status_code == 403
    assert admin_client.post(url("redemption", "delete", r.pk), {"post": "yes"}).status_code == 403
    assert Redemption.objects.filter(pk=r.pk).exists()


def test_a_budget_edited_in_the_admin_counts_what_was_already_given(admin_client):
    p = promotion("Summer", benefit=percent_off(10), currency="USD")
    Redemption.objects.create(promotion=p, order_reference="O-1", amount=Money("30", "USD"))

    def edit(budget: str):
        data = change_form(p, currency="USD", budget_0=budget)
        return admin_client.post(url("promotion", "change", p.pk), data, follow=True)

    refused = edit("20.00")
    assert "less than what this promotion has already given" in refused.content.decode()
    p.refresh_from_db()
    assert (p.budget, p.budget_spent) == (None, 0)
    assert edit("50.00").status_code == 200
    p.refresh_from_db()
    assert (p.budget, p.budget_spent) == (Money("50", "USD"), 30)


def test_maximum_uses_edited_in_the_admin_count_the_unreleased_redemptions(admin_client):
    p = promotion("Summer", benefit=percent_off(10), currency="USD")
    for n in range(2):
        Redemption.objects.create(promotion=p, order_reference=f"O-{n}", amount=Money("1", "USD"))

    def edit(max_uses: str):
        data = change_form(p, currency="USD", max_uses=max_uses)
        return admin_client.post(url("promotion", "change", p.pk), data, follow=True)

    assert "fewer than this promotion&#x27;s uses so far" in edit("1").content.decode()
    p.refresh_from_db()
    assert (p.max_uses, p.uses) == (None, 0)
    assert edit("5").status_code == 200
    p.refresh_from_db()
    assert (p.max_uses, p.uses) == (5, 2)


def test_an_admin_edit_never_writes_back_counters_read_before_a_checkout_spent(
    admin_client, monkeypatch
):
    from commerce.promotions.admin import PromotionAdmin

    p = promotion(
        "Summer",
        benefit=percent_off(10),
        currency="USD",
        requires_code=True,
        max_uses=5,
        codes=[{"code": "SUMMER", "max_uses": 5}],
    )
    code = p.codes.get()
    save_model = PromotionAdmin.save_model

    def checkout_commits_meanwhile(self, request, obj, form, change):
        # The form and its inline codes were read before this: a checkout spends now.
        Redemption.objects.create(
            promotion=p, code=code, order_reference="O-1", amount=Money("1", "USD")
        )
        Promotion.objects.filter(pk=p.pk).update(uses=1)
        VoucherCode.objects.filter(pk=code.pk).update(uses=1)
        save_model(self, request, obj, form, change)

    monkeypatch.setattr(PromotionAdmin, "save_model", checkout_commits_meanwhile)
    data = change_form(
        p,
        name="Summer sale",
        currency="USD",
        requires_code="on",
        max_uses="5",
        **management("codes", 1, 1),
        **{
            "codes-0-id": str(code.pk),
            "codes-0-promotion": str(p.pk),
            "codes-0-code": "SUMMER",
            "codes-0-is_active": "on",
            "codes-0-max_uses": "5",
        },
    )
    response = admin_client.post(url("promotion", "change", p.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    p.refresh_from_db()
    code.refresh_from_db()
    assert (p.name, p.uses, code.uses) == ("Summer sale", 1, 1)
