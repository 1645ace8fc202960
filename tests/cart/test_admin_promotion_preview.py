"""The promotion preview in the cart admin: one promotion on one cart, priced now,
reached from the promotion's page; it reads and never writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.cart import services
from commerce.cart.models import Cart
from commerce.promotions import services as promotions
from commerce.testing.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PREVIEW = "admin:commerce_cart_cart_promotion_preview"


def preview(client, promotion, cart=None, **params):
    query = {"promotion": str(promotion.pk), **params}
    if cart is not None:
        query["cart"] = str(cart.pk)
    return client.get(reverse(PREVIEW), query)


def result(response) -> str:
    content = response.content.decode()
    start = content.index('<div id="promotion-preview">')
    return content[start : content.index("</div>", start)]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def cart(customer, shirt):
    cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    return Cart.objects.get(pk=cart.pk)


@pytest.fixture
def ten_percent(db):
    return promotions.create_promotion(
        name="Ten percent",
        lane="order",
        benefit={"kind": "percentage_off", "percent": Decimal(10)},
    )


@pytest.fixture
def big_spenders(db):
    return promotions.create_promotion(
        name="Big spenders",
        lane="order",
        currency="USD",
        condition={"min_subtotal": 100000},
        benefit={"kind": "percentage_off", "percent": Decimal(20)},
    )


def test_a_promotion_that_applies_shows_its_line_adjustments(admin_client, cart, ten_percent):
    response = preview(admin_client, ten_percent, cart)
    assert response.status_code == 200
    shown = result(response)
    # Two shirts at 12.50: 10 % off is 2.50, on the one line.
    assert "Ten percent applies: it takes off $2.50." in shown
    assert "Ten percent: -$2.50 (SHIRT-M x 2)" in shown


def test_a_promotion_that_does_not_apply_says_why_and_shows_no_other(
    admin_client, cart, ten_percent, big_spenders
):
    shown = result(preview(admin_client, big_spenders, cart))
    assert "It does not apply to this cart." in shown
    assert "Big spenders (below_minimum_spend)" in shown
    # Only this promotion: the one that applies is not listed (the totals include it).
    assert "Ten percent" not in shown


def test_a_promotion_that_needs_a_code_is_previewed_with_one(admin_client, cart):
    summer = promotions.create_promotion(
        name="Summer",
        lane="order",
        requires_code=True,
        benefit={"kind": "percentage_off", "percent": Decimal(20)},
        codes=["SUMMER"],
    )
    assert "It was not considered for this cart" in result(preview(admin_client, summer, cart))
    shown = result(preview(admin_client, summer, cart, code="summer"))
    assert "Summer applies: it takes off $5.00." in shown
    # The code was for the preview only: the cart keeps its own.
    assert Cart.objects.get(pk=cart.pk).codes == []


def test_the_preview_writes_nothing(admin_client, cart, ten_percent):
    revision = cart.revision
    with CaptureQueriesContext(connection) as queries:
        assert preview(admin_client, ten_percent, cart).status_code == 200
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        and "django_session" not in q["sql"]
    ]
    assert writes == []
    assert Cart.objects.get(pk=cart.pk).revision == revision


@pytest.mark.parametrize("cart_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_an_unknown_cart_is_a_message_not_a_500(admin_client, ten_percent, cart_id):
    response = admin_client.get(
        reverse(PREVIEW), {"promotion": str(ten_percent.pk), "cart": cart_id}
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert response.context["result"] is None


@pytest.mark.parametrize("code", ["BAD\x00CODE", "X" * 65, "-LEADING"])
def test_a_malformed_code_is_a_form_error_not_a_500(admin_client, cart, ten_percent, code):
    response = preview(admin_client, ten_percent, cart, code=code)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert "code" in response.context["form"].errors
    assert response.context["result"] is None


def test_without_a_cart_the_page_offers_recent_carts(admin_client, cart, ten_percent):
    response = preview(admin_client, ten_percent)
    assert response.status_code == 200
    content = response.content.decode()
    assert f"?promotion={ten_percent.pk}&amp;cart={cart.pk}" in content
    assert response.context["result"] is None


def test_the_promotion_page_links_to_the_preview(admin_client, ten_percent):
    summer = promotions.create_promotion(
        name="Summer",
        lane="order",
        requires_code=True,
        benefit={"kind": "percentage_off", "percent": Decimal(20)},
        codes=["SUMMER"],
    )
    for promotion, query in [
        (ten_percent, f"promotion={ten_percent.pk}"),
        (summer, f"promotion={summer.pk}&amp;code=SUMMER"),
    ]:
        page = admin_client.get(
            reverse("admin:commerce_promotions_promotion_change", args=[promotion.pk])
        )
        assert f'href="{reverse(PREVIEW)}?{query}"' in page.content.decode()


def test_staff_who_may_not_view_carts_are_refused(ten_percent, cart):
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_promotion"))
    client = Client()
    client.force_login(staff)
    assert preview(client, ten_percent, cart).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_cart"))
    assert preview(client, ten_percent, cart).status_code == 200


def test_non_staff_are_sent_to_the_login_page(customer, ten_percent, cart):
    client = Client()
    client.force_login(customer)
    response = preview(client, ten_percent, cart)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
