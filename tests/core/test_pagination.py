"""Pagination classes: sizes from ``COMMERCE`` at request time, bad sizes are a 400."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from djmoney.money import Money
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from commerce.core.pagination import CommerceCursorPagination, CommercePageNumberPagination
from commerce.testing.factories import BrandFactory, ProductFactory, VariantFactory

ITEMS = list(range(250))


def request_for(query=""):
    return Request(APIRequestFactory().get(f"/items/{query}"))


def commerce(**overrides):
    return override_settings(COMMERCE={**settings.COMMERCE, **overrides})


@pytest.mark.parametrize(
    "pagination_class", [CommerceCursorPagination, CommercePageNumberPagination]
)
class TestPageSize:
    def test_default_is_commerce_page_size(self, pagination_class):
        assert pagination_class().get_page_size(request_for()) == 20
        assert pagination_class().get_page_size(request_for("?page_size=")) == 20
        with commerce(PAGE_SIZE=7):
            assert pagination_class().get_page_size(request_for()) == 7

    def test_client_may_choose_up_to_the_cap(self, pagination_class):
        assert pagination_class().get_page_size(request_for("?page_size=1")) == 1
        assert pagination_class().get_page_size(request_for("?page_size=100")) == 100
        assert pagination_class().get_page_size(request_for("?page_size=5000")) == 100
        with commerce(MAX_PAGE_SIZE=30):
            assert pagination_class().get_page_size(request_for("?page_size=50")) == 30

    @pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5", "1e3", "ten"])
    def test_bad_page_size_is_a_validation_error(self, pagination_class, value):
        with pytest.raises(ValidationError) as excinfo:
            pagination_class().get_page_size(request_for(f"?page_size={value}"))
        assert excinfo.value.detail == {"page_size": ["A positive whole number is required."]}


def test_page_number_pagination_pages_a_list():
    paginator = CommercePageNumberPagination()
    page = paginator.paginate_queryset(ITEMS, request_for("?page=2&page_size=30"))
    assert page == ITEMS[30:60]
    with commerce(PAGE_SIZE=7, MAX_PAGE_SIZE=9):
        assert len(paginator.paginate_queryset(ITEMS, request_for())) == 7
        assert len(paginator.paginate_queryset(ITEMS, request_for("?page_size=50"))) == 9


@pytest.mark.urls("tests.core.urls")
@pytest.mark.django_db
class TestThroughAView:
    def test_cursor_list_follows_pages_to_the_end(self, api_client):
        for n in range(5):
            BrandFactory(slug=f"brand-{n}")
        seen, url = [], "/pages/brands/cursor/?page_size=2"
        while url:
            response = api_client.get(url)
            assert response.status_code == 200
            body = response.json()
            assert len(body["results"]) <= 2
            seen += [item["slug"] for item in body["results"]]
            url = body["next"]
        # Newest first (-created_at); every brand once.
        assert sorted(seen) == [f"brand-{n}" for n in range(5)]
        assert len(seen) == 5

    def test_page_number_list_counts(self, api_client):
        for n in range(3):
            BrandFactory(slug=f"brand-{n}")
        with commerce(PAGE_SIZE=2):
            body = api_client.get("/pages/brands/numbers/").json()
        assert body["count"] == 3
        assert [item["slug"] for item in body["results"]] == ["brand-0", "brand-1"]

    @pytest.mark.parametrize("url", ["/pages/brands/cursor/", "/pages/brands/numbers/"])
    @pytest.mark.parametrize("value", ["0", "-1", "lots"])
    def test_bad_page_size_is_a_400_envelope(self, api_client, url, value):
        response = api_client.get(f"{url}?page_size={value}")
        assert response.status_code == 400
        assert response.json() == {
            "error": {
                "code": "invalid",
                "message": "Invalid input.",
                "details": {"page_size": ["A positive whole number is required."]},
            }
        }

    @pytest.mark.parametrize("cursor", ["garbage", "cD0yMDI0LTAx"])
    def test_bad_cursor_is_a_400_envelope(self, api_client, cursor):
        # "garbage" does not decode; the second decodes to a position that is no timestamp.
        BrandFactory()
        response = api_client.get(f"/pages/brands/cursor/?cursor={cursor}")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert list(error["details"]) == ["cursor"]

    def test_cursor_over_a_money_field_pages_by_amount(self, api_client):
        product = ProductFactory()
        prices = ["9.99", "12.50", "100.00", "2.00", "12.50", "0.50"]
        for n, price in enumerate(prices):
            VariantFactory(product=product, sku=f"P-{n}", price=Money(Decimal(price), "USD"))
        seen, url = [], "/pages/variants/?page_size=2"
        while url:
            response = api_client.get(url)
            assert response.status_code == 200, response.content
            seen += [item["sku"] for item in response.json()["results"]]
            url = response.json()["next"]
        # Every variant exactly once, cheapest first, across pages.
        assert sorted(seen) == sorted(f"P-{n}" for n in range(len(prices)))
        assert [Decimal(prices[int(sku[2:])]) for sku in seen] == sorted(map(Decimal, prices))
