"""The staff API of promotions, their benefits and voucher codes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from commerce.promotions import services
from commerce.promotions.models import Benefit, Promotion, Redemption, VoucherCode
from commerce.testing.factories import CategoryFactory
from tests.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

PROMOTIONS = "/api/v1/promotions/"


@pytest.fixture
def staff(staff_user):
    return client_for(staff_user)


@pytest.fixture
def welcome(db):
    return services.create_promotion(
        name="Welcome",
        requires_code=True,
        currency="USD",
        benefit={"kind": "percentage_off", "percent": Decimal("10")},
        codes=["WELCOME"],
    )


def codes_url(promotion) -> str:
    return f"{PROMOTIONS}{promotion.pk}/codes/"


@pytest.mark.parametrize(
    ("viewer", "status"), [("anonymous", 401), ("customer", 403), ("vendor_member", 403)]
)
def test_only_staff_call_the_promotions_api(request, welcome, viewer, status):
    client = client_for(None if viewer == "anonymous" else request.getfixturevalue(viewer))
    detail = f"{PROMOTIONS}{welcome.pk}/"
    assert_error(client.get(PROMOTIONS), status)
    assert_error(client.get(detail), status)
    assert_error(client.post(PROMOTIONS, {"name": "X"}, format="json"), status)
    assert_error(client.patch(detail, {"name": "X"}, format="json"), status)
    assert_error(client.delete(detail), status)
    assert_error(client.get(codes_url(welcome)), status)
    assert_error(client.post(codes_url(welcome), {"code": "X"}, format="json"), status)
    assert_error(
        client.patch(f"{codes_url(welcome)}WELCOME/", {"max_uses": 1}, format="json"), status
    )
    assert list(Promotion.objects.values_list("name", flat=True)) == ["Welcome"]
    assert list(VoucherCode.objects.values_list("code", "max_uses")) == [("WELCOME", None)]


def test_staff_create_read_change_and_delete_a_promotion(staff):
    shirts = CategoryFactory(slug="shirts")
    body = {
        "name": "Shirts sale",
        "lane": "catalog",
        "currency": "usd",
        "priority": 5,
        "max_uses": 100,
        "budget": {"amount": "500.00", "currency": "USD"},
        "condition": {"min_subtotal": 2000},
        "benefit": {
            "kind": "amount_off",
            "amount": {"amount": "2.00", "currency": "USD"},
            "target": {"categories": [str(shirts.pk)]},
        },
    }
    created = staff.post(PROMOTIONS, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["currency"] == "USD"
    assert data["uses"] == 0
    assert data["budget"] == {"amount": "500.00", "currency": "USD"}
    assert data["benefit"]["kind"] == "amount_off"
    assert data["benefit"]["amount"] == {"amount": "2.00", "currency": "USD"}
    assert data["benefit"]["allocation"] == "each"
    promotion = Promotion.objects.get()
    assert list(promotion.targets.values_list("kind", "object_id")) == [("categories", shirts.pk)]

    detail = f"{PROMOTIONS}{data['id']}/"
    assert staff.get(detail).json() == data
    paused = staff.patch(detail, {"is_active": False}, format="json")
    assert paused.status_code == 200, paused.content
    assert paused.json()["is_active"] is False
    assert paused.json()["benefit"] == data["benefit"]
    # A benefit sent replaces the benefit whole (its target too).
    replaced = staff.patch(
        detail, {"benefit": {"kind": "percentage_off", "percent": "15"}}, format="json"
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["benefit"]["percent"] == "15.00"
    assert replaced.json()["benefit"]["target"] is None
    assert not promotion.targets.exists()

    assert staff.delete(detail).status_code == 204
    assert not Promotion.objects.exists()
    assert not Benefit.objects.exists()


def test_a_lane_and_its_benefit_change_together(staff, welcome):
    detail = f"{PROMOTIONS}{welcome.pk}/"
    # Alone, the new lane does not fit the benefit: refused, nothing changed.
    error = assert_error(staff.patch(detail, {"lane": "shipping"}, format="json"), 400)
    assert error["code"] == "invalid_benefit"
    welcome.refresh_from_db()
    assert welcome.lane == "catalog"
    both = {"lane": "shipping", "benefit": {"kind": "free_shipping"}}
    response = staff.patch(detail, both, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["benefit"]["kind"] == "free_shipping"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "name", "invalid"),
        ({"name": "A"}, "benefit", "invalid"),
        ({"name": "", "benefit": {"kind": "free_shipping"}}, "name", "invalid"),
        ({"name": "x" * 121, "benefit": {"kind": "free_shipping"}}, "name", "invalid"),
        ({"name": "A", "benefit": {}}, "benefit", "invalid"),
        ({"name": "A", "benefit": {"kind": "nope"}}, "benefit", "invalid"),
        ({"name": "A", "benefit": {"kind": "percentage_off", "colour": 1}}, "benefit", "invalid"),
        ({"name": "A", "benefit": {"kind": "percentage_off"}}, "percent", "invalid_benefit"),
        (
            {"name": "A", "benefit": {"kind": "percentage_off", "percent": "101"}},
            "percent",
            "invalid_benefit",
        ),
        (
            {"name": "A", "benefit": {"kind": "percentage_off", "percent": "1.234"}},
            "benefit",
            "invalid",
        ),
        (
            {"name": "A", "benefit": {"kind": "amount_off", "amount": {"amount": "1.00"}}},
            "amount",
            "invalid_benefit",
        ),
        (
            {"name": "A", "benefit": {"kind": "free_shipping"}},
            "kind",
            "invalid_benefit",
        ),
        (
            {
                "name": "A",
                "benefit": {"kind": "buy_x_get_y", "buy_quantity": 0, "get_quantity": 1},
            },
            "benefit",
            "invalid",
        ),
        (
            {"name": "A", "benefit": {"kind": "buy_x_get_y", "buy_quantity": 2}},
            "get_quantity",
            "invalid_benefit",
        ),
        (
            {"name": "A", "lane": "nope", "benefit": {"kind": "percentage_off", "percent": "5"}},
            "lane",
            "invalid",
        ),
        (
            {"name": "A", "currency": "XYZ", "benefit": {"kind": "percentage_off", "percent": "5"}},
            "currency",
            "invalid_promotion",
        ),
        (
            {
                "name": "A",
                "starts_at": "2026-02-01T00:00:00Z",
                "ends_at": "2026-01-01T00:00:00Z",
                "benefit": {"kind": "percentage_off", "percent": "5"},
            },
            "ends_at",
            "invalid_promotion",
        ),
        (
            {"name": "A", "max_uses": 2**31, "benefit": {"kind": "percentage_off", "percent": "5"}},
            "max_uses",
            "invalid",
        ),
        (
            {"name": "A", "priority": -(2**31) - 1, "benefit": {"kind": "free_shipping"}},
            "priority",
            "invalid",
        ),
        (
            {
                "name": "A",
                "budget": {"amount": "10.00", "currency": "USD"},
                "benefit": {"kind": "percentage_off", "percent": "5"},
            },
            "budget",
            "invalid_promotion",
        ),
        (
            {
                "name": "A",
                "condition": {"frobnicate": 1},
                "benefit": {"kind": "percentage_off", "percent": "5"},
            },
            None,
            "invalid_rule",
        ),
        (
            {
                "name": "A",
                "benefit": {
                    "kind": "percentage_off",
                    "percent": "5",
                    "target": {"products": ["00000000-0000-0000-0000-000000000000"]},
                },
            },
            "target",
            "invalid_rule",
        ),
    ],
)
def test_bad_promotion_input_is_a_400(staff, body, field, code):
    error = assert_error(staff.post(PROMOTIONS, body, format="json"), 400, code)
    if field:
        assert field in error["details"], error
    assert not Promotion.objects.exists()


def test_a_redeemed_promotion_cannot_be_deleted(staff, welcome):
    Redemption.objects.create(
        promotion=welcome,
        code=welcome.codes.get(),
        order_reference="ORD-1",
        amount=Money("1.00", "USD"),
    )
    error = assert_error(staff.delete(f"{PROMOTIONS}{welcome.pk}/"), 409, "promotion_redeemed")
    assert "is_active" in error["details"]
    assert Promotion.objects.filter(pk=welcome.pk).exists()
    assert VoucherCode.objects.exists()


@pytest.mark.parametrize("pk", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_promotion_is_a_404(staff, pk):
    assert_error(staff.get(f"{PROMOTIONS}{pk}/"), 404)
    assert_error(staff.get(f"{PROMOTIONS}{pk}/codes/"), 404)


def test_the_promotion_list_is_paginated_in_one_query(staff, django_assert_num_queries):
    for n in range(3):
        services.create_promotion(
            name=f"P{n}", benefit={"kind": "percentage_off", "percent": Decimal("5")}
        )
    with django_assert_num_queries(1):
        response = staff.get(PROMOTIONS)
    results = response.json()["results"]
    assert sorted(p["name"] for p in results) == ["P0", "P1", "P2"]
    assert all(p["benefit"]["kind"] == "percentage_off" for p in results)


# --- codes ---------------------------------------------------------------------------------


def test_staff_add_list_and_change_codes(staff, welcome):
    created = staff.post(codes_url(welcome), {"code": " summer-10 ", "max_uses": 5}, format="json")
    assert created.status_code == 201, created.content
    assert created.json() == {
        "code": "SUMMER-10",
        "max_uses": 5,
        "uses": 0,
        "per_customer_limit": None,
        "starts_at": None,
        "ends_at": None,
        "is_active": True,
    }
    listed = staff.get(codes_url(welcome)).json()["results"]
    assert [c["code"] for c in listed] == ["SUMMER-10", "WELCOME"]
    changed = staff.patch(
        f"{codes_url(welcome)}summer-10/",
        {"is_active": False, "per_customer_limit": 1},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["is_active"] is False
    assert changed.json()["per_customer_limit"] == 1


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "code", "invalid"),
        ({"code": "has space"}, "code", "invalid_voucher_code"),
        ({"code": "x" * 33}, "code", "invalid"),
        ({"code": "OK", "max_uses": 0}, "max_uses", "invalid"),
        ({"code": "OK", "per_customer_limit": 2**31}, "per_customer_limit", "invalid"),
        (
            {"code": "OK", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00Z"},
            "ends_at",
            "invalid_voucher_code",
        ),
        ({"code": "OK", "uses": 3}, "uses", "invalid"),
    ],
)
def test_bad_code_input_is_a_400(staff, welcome, body, field, code):
    error = assert_error(staff.post(codes_url(welcome), body, format="json"), 400, code)
    assert field in error["details"], error
    assert list(VoucherCode.objects.values_list("code", flat=True)) == ["WELCOME"]


def test_a_taken_code_is_a_conflict(staff, welcome):
    assert_error(
        staff.post(codes_url(welcome), {"code": "welcome"}, format="json"),
        409,
        "voucher_code_taken",
    )


def test_codes_belong_to_promotions_that_require_one(staff):
    automatic = services.create_promotion(
        name="Auto", benefit={"kind": "percentage_off", "percent": Decimal("5")}
    )
    error = assert_error(
        staff.post(codes_url(automatic), {"code": "AUTO"}, format="json"),
        400,
        "invalid_voucher_code",
    )
    assert "code" in error["details"]


def test_a_code_of_another_promotion_is_a_404(staff, welcome):
    other = services.create_promotion(
        name="Other",
        requires_code=True,
        benefit={"kind": "percentage_off", "percent": Decimal("5")},
    )
    assert_error(staff.patch(f"{codes_url(other)}WELCOME/", {"max_uses": 1}, format="json"), 404)


def test_a_code_cannot_be_renamed_or_limited_below_its_uses(staff, welcome):
    VoucherCode.objects.update(uses=3)
    url = f"{codes_url(welcome)}WELCOME/"
    assert "code" in assert_error(staff.patch(url, {"code": "NEW"}, format="json"), 400)["details"]
    error = assert_error(staff.patch(url, {"max_uses": 2}, format="json"), 400)
    assert "max_uses" in error["details"]
    assert VoucherCode.objects.get().max_uses is None


def test_the_code_list_is_paginated_in_a_fixed_number_of_queries(
    staff, welcome, django_assert_num_queries
):
    for n in range(3):
        services.add_code(welcome, code=f"EXTRA{n}")
    # The promotion, then the page.
    with django_assert_num_queries(2):
        response = staff.get(codes_url(welcome))
    assert len(response.json()["results"]) == 4
