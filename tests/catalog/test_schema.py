"""The catalog's OpenAPI schema says what its endpoints answer and accept.

Each test pins a mismatch the schema fuzzing (``tests/fuzz``) found.
"""

from __future__ import annotations

import pytest

from commerce.testing.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.helpers import client_for
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


def product_parameters() -> dict[str, dict]:
    operation = openapi_schema()["paths"][PRODUCTS]["get"]
    return {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}


@pytest.mark.parametrize("name", ["in_stock", "featured"])
def test_query_booleans_are_the_strings_the_server_accepts(api_client, db, name):
    schema = product_parameters()[name]
    assert schema["type"] == "string"
    assert sorted(schema["enum"]) == ["0", "1", "false", "true"]
    for value in schema["enum"]:
        assert api_client.get(PRODUCTS, {name: value}).status_code == 200, value
    assert api_client.get(PRODUCTS, {name: "yes"}).status_code == 400


@pytest.mark.parametrize(
    ("name", "longest"), [("search", 200), ("category", 140), ("brand", 140), ("currency", 3)]
)
def test_query_strings_declare_the_length_the_server_accepts(api_client, db, name, longest):
    assert product_parameters()[name]["maxLength"] == longest
    response = api_client.get(PRODUCTS, {name: "x" * (longest + 1)})
    assert response.status_code == 400
    assert name in response.json()["error"]["details"]
    if name == "search":
        assert api_client.get(PRODUCTS, {name: "x" * longest}).status_code == 200


@pytest.mark.parametrize("name", ["min_price", "max_price"])
def test_price_filters_declare_the_range_the_price_column_holds(api_client, db, name):
    schema = product_parameters()[name]
    assert (schema["minimum"], schema["maximum"]) == (-(10**11), 10**11)
    assert schema["exclusiveMinimum"] is schema["exclusiveMaximum"] is True
    assert api_client.get(PRODUCTS, {name: "99999999999.999"}).status_code == 200
    assert api_client.get(PRODUCTS, {name: "100000000000"}).status_code == 400


def test_write_strings_that_may_not_be_blank_say_so_and_blank_ones_do_not():
    product = components()["ProductWrite"]["properties"]
    assert product["name"]["minLength"] == 1
    assert product["vendor"]["minLength"] == 1
    assert "minLength" not in product["description"]
    variant = components()["PatchedVariantWrite"]["properties"]
    assert variant["sku"]["minLength"] == 1
    assert "minLength" not in variant["name"]


@pytest.mark.django_db
def test_a_blank_name_the_schema_refuses_is_refused(vendor_member, vendor):
    CategoryFactory(slug="mugs")
    body = {"vendor": vendor.slug, "category": "mugs", "name": "  "}
    response = client_for(vendor_member).post(PRODUCTS, body, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("VariantWrite", {"position", "quantity", "low_stock_threshold"}),
        ("StockAdjustment", {"change", "quantity"}),
        ("PatchedImageWrite", {"position"}),
    ],
)
def test_write_integers_declare_their_column_s_range(component, fields):
    properties = components()[component]["properties"]
    for name in fields:
        assert properties[name]["maximum"] == 2**31 - 1, name
        assert properties[name]["minimum"] in (0, -(2**31 - 1)), name


def test_variant_options_declare_their_bounds():
    options = components()["VariantWrite"]["properties"]["options"]
    assert options["maxProperties"] == 50
    assert options["additionalProperties"]["maxLength"] == 100
    assert "1 to 100 characters" in options["description"]
