"""The catalog's OpenAPI schema says what its endpoints answer and accept.

Each test pins a mismatch the schema fuzzing (``tests/fuzz``) found.
"""

from __future__ import annotations

import pytest

from commerce.testing.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.conftest import client_for
from tests.openapi import body_schema, openapi_schema

PRODUCTS = "/api/v1/catalog/products/"


def components():
    return openapi_schema()["components"]["schemas"]


@pytest.mark.django_db
def test_a_product_without_variants_has_a_null_price_and_the_schema_allows_it(
    vendor_member, vendor
):
    category = CategoryFactory(slug="mugs")
    client = client_for(vendor_member)
    body = {"vendor": vendor.slug, "category": category.slug, "name": "Bare"}
    created = client.post(PRODUCTS, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["price"] is None
    assert client.get(f"{PRODUCTS}{created.json()['slug']}/").json()["price"] is None
    for name in ("ProductList", "ProductDetail"):
        assert components()[name]["properties"]["price"]["nullable"] is True


@pytest.mark.django_db
def test_the_public_sees_variants_without_internals_and_the_schema_makes_them_optional(
    api_client, vendor
):
    VariantFactory(product=ProductFactory(vendor=vendor, slug="mug"), sku="MUG-1")
    variant = api_client.get(f"{PRODUCTS}mug/").json()["variants"][0]
    internals = {"cost_price", "stock", "is_active", "position"}
    assert not internals & set(variant)
    managed = components()["ManagedVariant"]
    assert internals <= set(managed["properties"])
    assert not internals & set(managed["required"])
    assert set(variant) >= set(managed["required"])


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (f"{PRODUCTS}{{slug}}/", {"vendor"}),
        (f"{PRODUCTS}{{product_slug}}/variants/{{sku}}/", {"quantity", "low_stock_threshold"}),
        (f"{PRODUCTS}{{product_slug}}/images/{{id}}/", {"image"}),
    ],
)
def test_patch_bodies_leave_out_the_fields_a_patch_refuses(path, refused):
    body = body_schema(openapi_schema(), path, "patch")
    assert body["additionalProperties"] is False
    assert not refused & set(body["properties"])


@pytest.mark.django_db
def test_a_patch_with_a_field_the_schema_leaves_out_is_refused(vendor_member, vendor):
    ProductFactory(vendor=vendor, slug="shirt")
    response = client_for(vendor_member).patch(
        f"{PRODUCTS}shirt/", {"vendor": vendor.slug}, format="json"
    )
    assert response.status_code == 400
    assert "vendor" in response.json()["error"]["details"]


def test_the_image_upload_body_is_a_file_and_the_image_read_back_a_uri():
    schema = components()
    assert schema["ImageWrite"]["properties"]["image"] == {"type": "string", "format": "binary"}
    assert schema["Image"]["properties"]["url"]["format"] == "uri"
