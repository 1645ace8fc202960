from decimal import Decimal

import pytest
from djmoney.money import Money

from commerce.testing.factories import VariantFactory


@pytest.mark.django_db
def test_product_list_shows_a_published_product(api_client):
    variant = VariantFactory(price=Money(Decimal("9.99"), "USD"))
    response = api_client.get("/api/v1/catalog/products/")
    assert response.status_code == 200, response.content
    (item,) = response.json()["results"]
    assert item["slug"] == variant.product.slug
    assert item["price"] == {"amount": "9.99", "currency": "USD"}
    assert item["in_stock"] is True

    detail = api_client.get(f"/api/v1/catalog/products/{variant.product.slug}/")
    assert detail.status_code == 200, detail.content
    assert detail.json()["variants"][0]["availability"] == "in_stock"
