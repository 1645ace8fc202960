"""Tax classes through the catalog API, and the fields pricing reads: a product's
tax class and a variant's weight."""

from __future__ import annotations

import pytest

from commerce.catalog.models import Product, TaxClass, Variant
from commerce.testing.factories import TaxClassFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

TAX_CLASSES = "/api/v1/catalog/tax-classes/"
PRODUCTS = "/api/v1/catalog/products/"


@pytest.fixture
def reduced(db):
    return TaxClassFactory(name="Reduced", slug="reduced")


# --- tax classes ---------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["anonymous", "customer", "vendor_member", "staff_user"])
def test_anyone_reads_tax_classes(client_as, reduced, viewer):
    listed = client_as(viewer).get(TAX_CLASSES)
    assert listed.status_code == 200, listed.content
    assert [(c["name"], c["slug"]) for c in listed.json()["results"]] == [("Reduced", "reduced")]
    detail = client_as(viewer).get(f"{TAX_CLASSES}reduced/")
    assert detail.json() == {"id": str(reduced.pk), "name": "Reduced", "slug": "reduced"}


@pytest.mark.parametrize(
    ("viewer", "status"), [("anonymous", 401), ("customer", 403), ("vendor_member", 403)]
)
def test_only_staff_write_tax_classes(client_as, reduced, viewer, status):
    client = client_as(viewer)
    assert_error(client.post(TAX_CLASSES, {"name": "Books"}, format="json"), status)
    assert_error(client.patch(f"{TAX_CLASSES}reduced/", {"name": "X"}, format="json"), status)
    assert_error(client.delete(f"{TAX_CLASSES}reduced/"), status)
    assert list(TaxClass.objects.values_list("name", flat=True)) == ["Reduced"]


def test_staff_create_change_and_delete(client_as):
    staff = client_as("staff_user")
    created = staff.post(TAX_CLASSES, {"name": "Books"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["slug"] == "books"
    changed = staff.patch(f"{TAX_CLASSES}books/", {"slug": "printed-books"}, format="json")
    assert changed.json()["slug"] == "printed-books"
    assert staff.delete(f"{TAX_CLASSES}printed-books/").status_code == 204
    assert not TaxClass.objects.exists()


def test_a_taken_slug_is_a_conflict(client_as, reduced):
    response = client_as("staff_user").post(
        TAX_CLASSES, {"name": "Other", "slug": "reduced"}, format="json"
    )
    assert_error(response, 409, "duplicate")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 121},
        {"name": "A", "slug": "not a slug"},
        {"name": "A", "rate": 7},
    ],
)
def test_bad_tax_class_input_is_a_400(client_as, body):
    assert_error(client_as("staff_user").post(TAX_CLASSES, body, format="json"), 400)
    assert not TaxClass.objects.exists()


def test_a_class_in_use_cannot_be_deleted(client_as, product, reduced):
    Product.objects.filter(pk=product.pk).update(tax_class=reduced)
    error = assert_error(
        client_as("staff_user").delete(f"{TAX_CLASSES}reduced/"), 409, "tax_class_in_use"
    )
    assert error["details"] == {"in_use_by": ["products"]}
    assert TaxClass.objects.exists()


# --- a product's tax class -----------------------------------------------------------------


def test_a_products_tax_class_is_written_and_read_by_slug(client_as, product, reduced):
    client = client_as("vendor_member")
    assert client.get(f"{PRODUCTS}{product.slug}/").json()["tax_class"] is None
    response = client.patch(f"{PRODUCTS}{product.slug}/", {"tax_class": "reduced"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["tax_class"] == "reduced"
    product.refresh_from_db()
    assert product.tax_class == reduced
    # Null puts it back in the default class.
    response = client.patch(f"{PRODUCTS}{product.slug}/", {"tax_class": None}, format="json")
    assert response.json()["tax_class"] is None


def test_a_product_is_created_with_a_tax_class(client_as, vendor, category_tree, reduced):
    response = client_as("vendor_member").post(
        PRODUCTS,
        {"vendor": "acme", "category": "shirts", "name": "Novel", "tax_class": "reduced"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Product.objects.get(slug=response.json()["slug"]).tax_class == reduced


@pytest.mark.parametrize("value", ["nope", "x" * 141, 7, ["reduced"]])
def test_an_unknown_tax_class_is_a_400(client_as, product, reduced, value):
    response = client_as("vendor_member").patch(
        f"{PRODUCTS}{product.slug}/", {"tax_class": value}, format="json"
    )
    error = assert_error(response, 400)
    assert "tax_class" in error["details"]
    product.refresh_from_db()
    assert product.tax_class is None


# --- a variant's weight --------------------------------------------------------------------


def test_weight_is_written_and_read(client_as, product):
    client = client_as("vendor_member")
    response = client.patch(
        f"{PRODUCTS}{product.slug}/variants/SHIRT-M/", {"weight": 250}, format="json"
    )
    assert response.status_code == 200, response.content
    (variant,) = response.json()["variants"]
    assert variant["weight"] == 250
    # The public sees it too: shipping by weight is no secret.
    public = client_as("anonymous").get(f"{PRODUCTS}{product.slug}/").json()
    assert public["variants"][0]["weight"] == 250
    created = client.post(
        f"{PRODUCTS}{product.slug}/variants/",
        {"sku": "SHIRT-XL", "price": {"amount": "14.00", "currency": "USD"}, "weight": 400},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert Variant.objects.get(sku="SHIRT-XL").weight == 400
    assert Variant.objects.get(sku="SHIRT-M").weight == 250


def test_weight_defaults_to_zero(client_as, product):
    assert Variant.objects.get(sku="SHIRT-M").weight == 0


@pytest.mark.parametrize("value", [-1, 2**31, 1.5, "heavy", None])
def test_weight_is_whole_grams_the_column_holds(client_as, product, value):
    response = client_as("vendor_member").patch(
        f"{PRODUCTS}{product.slug}/variants/SHIRT-M/", {"weight": value}, format="json"
    )
    error = assert_error(response, 400)
    assert "weight" in error["details"]
    assert Variant.objects.get(sku="SHIRT-M").weight == 0


def test_the_services_refuse_a_weight_the_column_cannot_hold(product):
    from commerce.catalog import services
    from commerce.core.exceptions import CommerceValidationError

    variant = Variant.objects.get(sku="SHIRT-M")
    for value in (-5, 2**31, True, 2.0):
        with pytest.raises(CommerceValidationError):
            services.update_variant(variant, weight=value)
