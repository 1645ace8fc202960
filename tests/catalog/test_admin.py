"""The catalog admin: every page loads, and every write goes through the services."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money
from PIL import Image

from commerce.catalog import services
from commerce.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    StockMovement,
    StockRecord,
    Variant,
    Vendor,
    VendorMembership,
)
from commerce.testing.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    TaxClassFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
    VendorMembershipFactory,
)
from tests.catalog.helpers import admin_url, inline_management, stock_form

CATALOG_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "commerce_catalog"
]


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def png_upload(name: str = "shirt.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def product_form(product, **overrides) -> dict[str, str]:
    """The product change form as the browser would post it, unchanged."""
    data = {
        "category": str(product.category_id),
        "brand": str(product.brand_id or ""),
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "status": product.status,
        "is_featured": "on" if product.is_featured else "",
        "_save": "Save",
    }
    variants = list(product.variants.order_by("position", "created_at"))
    data.update(inline_management("variants", len(variants), len(variants)))
    for n, variant in enumerate(variants):
        data.update(
            {
                f"variants-{n}-id": str(variant.pk),
                f"variants-{n}-product": str(product.pk),
                f"variants-{n}-sku": variant.sku,
                f"variants-{n}-name": variant.name,
                f"variants-{n}-options": "{}",
                f"variants-{n}-price_0": str(variant.price.amount),
                f"variants-{n}-price_1": str(variant.price.currency),
                f"variants-{n}-compare_at_price_0": "",
                f"variants-{n}-compare_at_price_1": "USD",
                f"variants-{n}-cost_price_0": "",
                f"variants-{n}-cost_price_1": "USD",
                f"variants-{n}-is_active": "on" if variant.is_active else "",
                f"variants-{n}-position": str(variant.position),
            }
        )
    data.update(inline_management("images", 0, 0))
    data.update({k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        data.pop(key, None)
    return data


def new_variant_row(n: int, sku: str, amount: str, currency: str = "USD") -> dict[str, str]:
    return {
        f"variants-{n}-sku": sku,
        f"variants-{n}-name": "",
        f"variants-{n}-options": "{}",
        f"variants-{n}-price_0": amount,
        f"variants-{n}-price_1": currency,
        f"variants-{n}-compare_at_price_0": "",
        f"variants-{n}-compare_at_price_1": "USD",
        f"variants-{n}-cost_price_0": "",
        f"variants-{n}-cost_price_1": "USD",
        f"variants-{n}-is_active": "on",
        f"variants-{n}-position": str(n),
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def catalog(vendor):
    """A small catalog: a tree, a brand, a product with two variants and stock."""
    root = CategoryFactory(name="Clothing", slug="clothing")
    shirts = CategoryFactory(name="Shirts", slug="shirts", parent=root)
    brand = BrandFactory(name="Zeta", slug="zeta")
    reduced = TaxClassFactory(name="Reduced", slug="reduced")
    product = ProductFactory(
        vendor=vendor,
        category=shirts,
        brand=brand,
        tax_class=reduced,
        name="Plain shirt",
        slug="plain-shirt",
    )
    small = VariantFactory(product=product, sku="SHIRT-S", price=usd("12.50"), quantity=10)
    large = VariantFactory(product=product, sku="SHIRT-L", price=usd("14.00"), quantity=2)
    services.add_product_image(product, image="commerce/products/shirt.png", alt_text="Front")
    VendorMembershipFactory(vendor=vendor, user__email="member@acme.example")
    services.reserve({small: 3}, reference="order-1")
    product.refresh_from_db()
    return {
        "root": root,
        "shirts": shirts,
        "brand": brand,
        "reduced": reduced,
        "product": product,
        "small": small,
        "large": large,
    }


# --- every page loads ----------------------------------------------------------


def test_every_catalog_model_is_registered():
    names = {model.__name__ for model in CATALOG_MODELS}
    assert names == {
        "Category",
        "Brand",
        "TaxClass",
        "Vendor",
        "VendorMembership",
        "Product",
        "Variant",
        "ProductImage",
        "StockRecord",
        "StockMovement",
    }


def test_catalog_app_index_lists_every_model(admin_client, catalog):
    response = admin_client.get(reverse("admin:app_list", args=["commerce_catalog"]))
    assert response.status_code == 200
    (app,) = response.context["app_list"]
    assert {entry["object_name"] for entry in app["models"]} == {
        model.__name__ for model in CATALOG_MODELS
    }


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=lambda model: model.__name__)
def test_changelist_and_change_page_load(admin_client, catalog, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200, response.content[:500]
    obj = model._default_manager.first()
    assert obj is not None
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=lambda model: model.__name__)
def test_add_page_loads_unless_rows_are_made_elsewhere(admin_client, catalog, model):
    response = admin_client.get(admin_url(model, "add"))
    # Stock records come with their variant; movements only from stock operations.
    expected = 403 if model in (StockRecord, StockMovement) else 200
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (Product, "SHIRT-L", "Plain shirt"),  # by a variant's SKU
        (Product, "plain-sh", "Plain shirt"),
        (Variant, "plain shirt", "SHIRT-S"),  # by product name
        (Vendor, "acme", "Acme"),
        (Vendor, "member@acme", "Acme"),  # by a member's e-mail
        (Category, "shirt", "Shirts"),
        (StockRecord, "SHIRT-L", "SHIRT-L"),
        (StockMovement, "order-1", "SHIRT-S"),
        (VendorMembership, "member@acme", "Acme"),
    ],
)
def test_search(admin_client, catalog, model, query, expected):
    response = admin_client.get(admin_url(model, "changelist"), {"q": query})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert expected in response.content.decode()


@pytest.mark.parametrize("model", [Product, Variant, StockRecord])
def test_search_for_nothing_finds_nothing(admin_client, catalog, model):
    response = admin_client.get(admin_url(model, "changelist"), {"q": "no-such-thing"})
    assert response.context["cl"].result_count == 0


def test_changelists_run_a_constant_number_of_queries(admin_client, catalog):
    def count(model):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(admin_url(model, "changelist")).status_code == 200
        return len(queries)

    models = [Product, Variant, StockRecord, StockMovement, Vendor, Category]
    before = {model: count(model) for model in models}
    for n in range(4):
        VariantFactory(product__vendor=catalog["product"].vendor, sku=f"MORE-{n}", quantity=n)
    assert {model: count(model) for model in models} == before


# --- filters ------------------------------------------------------------------


def test_product_filters(admin_client, catalog, vendor):
    draft = ProductFactory(vendor=vendor, category=catalog["shirts"], status="draft", slug="d")
    gone = services.delete_product(ProductFactory(vendor=vendor, category=catalog["shirts"]))
    url = admin_url(Product, "changelist")

    def listed(**params):
        return set(admin_client.get(url, params).context["cl"].result_list)

    assert listed(status__exact="draft") == {draft}
    assert listed(deleted="yes") == {gone}
    assert gone not in listed(deleted="no")
    assert catalog["product"] in listed(deleted="no", status__exact="published")
    assert listed(vendor__id__exact=str(VendorFactory().pk)) == set()


def test_stock_availability_filter(admin_client, catalog):
    # SHIRT-S: 10 on hand, 3 reserved -> 7 available (in stock, threshold 5).
    # SHIRT-L: 2 on hand -> low. A third variant with nothing -> out.
    empty = VariantFactory(product=catalog["product"], sku="SHIRT-XL", quantity=0)
    url = admin_url(StockRecord, "changelist")

    def skus(value):
        response = admin_client.get(url, {"availability": value})
        return {record.variant.sku for record in response.context["cl"].result_list}

    assert skus("in_stock") == {"SHIRT-S"}
    assert skus("low_stock") == {"SHIRT-L"}
    assert skus("out_of_stock") == {empty.sku}

    response = admin_client.get(admin_url(Variant, "changelist"), {"availability": "low_stock"})
    assert {v.sku for v in response.context["cl"].result_list} == {"SHIRT-L"}


def test_stock_list_shows_lowest_availability_first(admin_client, catalog):
    response = admin_client.get(admin_url(StockRecord, "changelist"))
    assert [r.variant.sku for r in response.context["cl"].result_list] == ["SHIRT-L", "SHIRT-S"]


# --- vendors ------------------------------------------------------------------


def test_verify_action_verifies_and_records_who(admin_client, admin_user, catalog, vendor):
    unverified = VendorFactory(name="Initech", slug="initech", is_verified=False)
    response = admin_client.post(
        admin_url(Vendor, "changelist"),
        {"action": "verify_vendors", ACTION_CHECKBOX_NAME: [str(unverified.pk), str(vendor.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Verified 1 vendor." in messages_of(response)
    unverified.refresh_from_db()
    assert unverified.is_verified
    assert unverified.verified_by == admin_user
    assert unverified.verified_at is not None
    # The already-verified vendor is left as it was.
    vendor.refresh_from_db()
    assert vendor.verified_by is None


def test_verification_cannot_be_ticked_on_the_form(admin_client, catalog):
    vendor = VendorFactory(name="Initech", slug="initech", is_verified=False)
    response = admin_client.post(
        admin_url(Vendor, "change", vendor.pk),
        {
            "name": "Initech",
            "slug": "initech",
            "description": "",
            "is_verified": "on",
            **inline_management("memberships", 0, 0),
        },
    )
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert not vendor.is_verified


def test_add_vendor_and_brand_through_the_services(admin_client, db):
    response = admin_client.post(
        admin_url(Vendor, "add"),
        {
            "name": "Globex",
            "slug": "globex",
            "description": "Everything.",
            **inline_management("memberships", 0, 0),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    vendor = Vendor.objects.get(slug="globex")
    assert not vendor.is_verified
    assert response["Location"] == admin_url(Vendor, "changelist")

    response = admin_client.post(admin_url(Brand, "add"), {"name": "Zeta", "slug": "zeta"})
    assert response.status_code == 302
    assert Brand.objects.filter(slug="zeta", name="Zeta").exists()


def test_vendor_page_lists_memberships(admin_client, catalog, vendor):
    response = admin_client.get(admin_url(Vendor, "change", vendor.pk))
    assert b'name="memberships-TOTAL_FORMS"' in response.content
    assert response.context["inline_admin_formsets"][0].formset.initial_form_count() == 1


# --- products and variants ----------------------------------------------------


def test_product_page_shows_variants_stock_and_images(admin_client, catalog):
    product, small = catalog["product"], catalog["small"]
    response = admin_client.get(admin_url(Product, "change", product.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="SHIRT-S"' in content
    assert 'value="SHIRT-L"' in content
    assert admin_url(StockRecord, "change", small.stock.pk) in content  # "Adjust stock"
    assert "Adjust stock" in content
    assert 'name="images-TOTAL_FORMS"' in content
    assert "Front" in content
    variants, images = response.context["inline_admin_formsets"]
    assert variants.formset.model is Variant
    assert images.formset.model is ProductImage
    # Stock counts are shown, not editable (a count goes through the services).
    assert 'name="variants-0-quantity"' not in content
    assert 'name="variants-0-set_stock"' in content
    # The from-price is the services' to keep: shown, never a form field.
    assert "price_display" in response.context["adminform"].readonly_fields
    assert 'name="price_0"' not in content


def test_add_product_with_a_variant(admin_client, catalog, vendor):
    data = {
        "vendor": str(vendor.pk),
        "category": str(catalog["shirts"].pk),
        "brand": "",
        "name": "Hoodie",
        "slug": "hoodie",
        "description": "Warm.",
        "status": "published",
        **inline_management("variants", 1, 0),
        **new_variant_row(0, "HOODIE-M", "40.00"),
        **inline_management("images", 1, 0),
        "images-0-image": png_upload(),
        "images-0-alt_text": "Hoodie front",
        "images-0-position": "0",
        "_save": "Save",
    }
    response = admin_client.post(admin_url(Product, "add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    product = Product.objects.get(slug="hoodie")
    assert product.price == usd("40.00")  # kept by the services
    assert product.published_at is not None
    variant = product.variants.get()
    assert variant.sku == "HOODIE-M"
    assert variant.stock.quantity == 0
    image = product.images.get()
    assert image.is_primary  # the first image becomes primary
    assert image.alt_text == "Hoodie front"


def test_changing_variants_inline_keeps_the_product_price_right(admin_client, catalog):
    product = catalog["product"]
    assert product.price == usd("12.50")
    data = product_form(product, **{"variants-0-price_0": "20.00"})
    data.update(inline_management("variants", 3, 2))
    data.update(new_variant_row(2, "SHIRT-XS", "9.00"))
    response = admin_client.post(admin_url(Product, "change", product.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    product.refresh_from_db()
    assert product.price == usd("9.00")
    assert Variant.objects.get(sku="SHIRT-S").price == usd("20.00")
    assert StockRecord.objects.filter(variant__sku="SHIRT-XS", quantity=0).exists()

    # Deactivating the cheapest variant moves the list price up.
    data = product_form(product, **{"variants-2-is_active": None})
    response = admin_client.post(admin_url(Product, "change", product.pk), data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price == usd("14.00")


def test_a_currency_outside_commerce_currencies_is_a_form_error(admin_client, catalog):
    product = catalog["product"]
    data = product_form(product, **{"variants-0-price_1": "CHF"})
    response = admin_client.post(admin_url(Product, "change", product.pk), data)
    assert response.status_code == 200
    assert response.context["errors"]
    assert Variant.objects.get(sku="SHIRT-S").price == usd("12.50")


def test_too_many_decimals_is_a_form_error(admin_client, catalog):
    product = catalog["product"]
    data = product_form(product, **{"variants-0-price_0": "12.505"})
    response = admin_client.post(admin_url(Product, "change", product.pk), data)
    assert response.status_code == 200
    assert "At most 2 decimal places for USD." in response.content.decode()
    assert Variant.objects.get(sku="SHIRT-S").price == usd("12.50")


def test_a_service_error_is_a_message_and_nothing_is_saved(admin_client, catalog):
    product = catalog["product"]
    data = product_form(product, name="Renamed shirt")
    data.update(inline_management("variants", 3, 2))
    data.update(new_variant_row(2, "SHIRT-EUR", "9.00", currency="EUR"))  # mixed currencies
    response = admin_client.post(admin_url(Product, "change", product.pk), data, follow=True)
    assert response.status_code == 200
    (message,) = messages_of(response)
    assert "priced in USD" in message
    product.refresh_from_db()
    assert product.name == "Plain shirt"  # the whole save was rolled back
    assert not Variant.objects.filter(sku="SHIRT-EUR").exists()


def test_product_vendor_is_fixed_after_creation(admin_client, catalog):
    response = admin_client.get(admin_url(Product, "change", catalog["product"].pk))
    assert "vendor" not in response.context["adminform"].form.fields


def test_archive_and_soft_delete_actions(admin_client, catalog, vendor):
    other = ProductFactory(vendor=vendor, category=catalog["shirts"])
    url = admin_url(Product, "changelist")
    selected = [str(catalog["product"].pk), str(other.pk)]

    response = admin_client.post(
        url, {"action": "archive_products", ACTION_CHECKBOX_NAME: selected}, follow=True
    )
    assert "Archived 2 products." in messages_of(response)
    assert set(Product.objects.values_list("status", flat=True)) == {"archived"}

    response = admin_client.post(
        url, {"action": "soft_delete_products", ACTION_CHECKBOX_NAME: selected[:1]}, follow=True
    )
    assert "Deleted 1 product." in messages_of(response)
    catalog["product"].refresh_from_db()
    other.refresh_from_db()
    assert catalog["product"].deleted_at is not None  # the row stays
    assert other.deleted_at is None


def test_products_and_variants_are_never_hard_deleted(admin_client, catalog):
    product, small = catalog["product"], catalog["small"]
    assert admin_client.get(admin_url(Product, "delete", product.pk)).status_code == 403
    assert admin_client.post(admin_url(Variant, "delete", small.pk)).status_code == 403
    response = admin_client.get(admin_url(Product, "changelist"))
    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert {"archive_products", "soft_delete_products"} <= set(actions)
    assert Product.objects.filter(pk=product.pk).exists()


def test_variant_admin_add_and_change_go_through_the_services(admin_client, catalog):
    product = catalog["product"]
    response = admin_client.post(
        admin_url(Variant, "add"),
        {
            "product": str(product.pk),
            "sku": "SHIRT-XXL",
            "name": "XXL",
            "options": '{"size": "XXL"}',
            "price_0": "5.00",
            "price_1": "USD",
            "compare_at_price_0": "",
            "compare_at_price_1": "USD",
            "cost_price_0": "",
            "cost_price_1": "USD",
            "is_active": "on",
            "position": "3",
            **inline_management("stock", 0, 0),
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    variant = Variant.objects.get(sku="SHIRT-XXL")
    assert variant.options == {"size": "XXL"}
    assert StockRecord.objects.filter(variant=variant).count() == 1
    product.refresh_from_db()
    assert product.price == usd("5.00")

    page = admin_client.get(admin_url(Variant, "change", variant.pk))
    assert "product" not in page.context["adminform"].form.fields
    assert "Adjust stock" in page.content.decode()

    response = admin_client.post(
        admin_url(Variant, "change", variant.pk),
        {
            "sku": "SHIRT-XXL",
            "name": "XXL",
            "options": '{"size": "XXL"}',
            "price_0": "30.00",
            "price_1": "USD",
            "compare_at_price_0": "",
            "compare_at_price_1": "USD",
            "cost_price_0": "",
            "cost_price_1": "USD",
            "is_active": "on",
            "position": "3",
            **inline_management("stock", 1, 1),
            "stock-0-id": str(variant.stock.pk),
            "stock-0-variant": str(variant.pk),
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    product.refresh_from_db()
    assert product.price == usd("12.50")


def test_variant_admin_offers_only_commerce_currencies(admin_client, catalog, settings):
    settings.COMMERCE = {**settings.COMMERCE, "CURRENCIES": ["USD", "EUR"]}
    response = admin_client.get(admin_url(Variant, "add"))
    field = response.context["adminform"].form.fields["price"]
    assert [code for code, _label in field.fields[1].choices] == ["USD", "EUR"]


# --- images -------------------------------------------------------------------


def test_image_admin_uses_the_services(admin_client, catalog, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    product = catalog["product"]
    response = admin_client.post(
        admin_url(ProductImage, "add"),
        {
            "product": str(product.pk),
            "image": png_upload("back.png"),
            "alt_text": "Back",
            "position": "1",
            "primary": "on",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    back = product.images.get(alt_text="Back")
    front = product.images.get(alt_text="Front")
    assert back.is_primary
    assert not front.is_primary  # demoted by the service

    def image_form(image, **fields):
        return {
            "alt_text": image.alt_text,
            "position": str(image.position),
            "primary": "on" if image.is_primary else "",
            **fields,
        }

    response = admin_client.post(
        admin_url(ProductImage, "change", front.pk), image_form(front, primary="on")
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    front.refresh_from_db()
    back.refresh_from_db()
    assert (front.is_primary, back.is_primary) == (True, False)

    response = admin_client.post(admin_url(ProductImage, "delete", front.pk), {"post": "yes"})
    assert response.status_code == 302
    back.refresh_from_db()
    assert back.is_primary  # the next image took over


def test_image_inline_edits_and_deletes_through_the_services(admin_client, catalog):
    product = catalog["product"]
    front = product.images.get()
    side = services.add_product_image(product, image="commerce/products/side.png", position=2)
    data = product_form(product)
    data.update(inline_management("images", 2, 2))
    for n, image in enumerate([front, side]):
        data.update(
            {
                f"images-{n}-id": str(image.pk),
                f"images-{n}-product": str(product.pk),
                f"images-{n}-alt_text": image.alt_text,
                f"images-{n}-position": str(image.position),
                f"images-{n}-primary": "on" if image.is_primary else "",
            }
        )
    data["images-0-DELETE"] = "on"
    data["images-1-alt_text"] = "Side view"
    response = admin_client.post(admin_url(Product, "change", product.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    (remaining,) = product.images.all()
    assert remaining.pk == side.pk
    assert remaining.alt_text == "Side view"
    assert remaining.is_primary  # promoted when the primary image was deleted


# --- stock --------------------------------------------------------------------


def test_adjusting_stock_writes_a_movement_with_reason_and_actor(admin_client, admin_user, catalog):
    record = catalog["small"].stock
    response = admin_client.post(
        admin_url(StockRecord, "change", record.pk),
        stock_form(record, change="5", reason="Delivery from supplier", reference="PO-7"),
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.quantity, record.reserved) == (15, 3)
    movement = record.movements.get(kind=StockMovement.Kind.ADJUSTMENT, reference="PO-7")
    assert movement.quantity_change == 5
    assert movement.quantity_after == 15
    assert movement.reason == "Delivery from supplier"
    assert movement.actor == admin_user


def test_stock_adjustment_needs_a_reason(admin_client, catalog):
    record = catalog["small"].stock
    movements = StockMovement.objects.count()
    response = admin_client.post(
        admin_url(StockRecord, "change", record.pk), stock_form(record, change="-2")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"reason": ["Say why the stock changes."]}
    record.refresh_from_db()
    assert record.quantity == 10
    assert StockMovement.objects.count() == movements


def test_removing_reserved_stock_is_refused_with_a_message(admin_client, catalog):
    record = catalog["small"].stock  # 10 on hand, 3 reserved
    response = admin_client.post(
        admin_url(StockRecord, "change", record.pk),
        stock_form(record, change="-8", reason="Broken", low_stock_threshold="1"),
        follow=True,
    )
    (message,) = messages_of(response)
    assert "Only 7 of SHIRT-S available" in message
    record.refresh_from_db()
    assert (record.quantity, record.reserved, record.low_stock_threshold) == (10, 3, 5)


def test_threshold_changes_without_a_movement(admin_client, catalog):
    record = catalog["small"].stock
    movements = StockMovement.objects.count()
    response = admin_client.post(
        admin_url(StockRecord, "change", record.pk), stock_form(record, low_stock_threshold="8")
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.quantity, record.reserved, record.low_stock_threshold) == (10, 3, 8)
    assert StockMovement.objects.count() == movements


def test_stock_quantities_are_read_only_on_the_form(admin_client, catalog):
    record = catalog["small"].stock
    response = admin_client.get(admin_url(StockRecord, "change", record.pk))
    form = response.context["adminform"].form
    assert set(form.fields) == {"low_stock_threshold", "change", "reason", "reference"}
    # The movements are shown, read-only, on the stock page.
    (movements,) = response.context["inline_admin_formsets"]
    assert movements.formset.model is StockMovement
    assert not movements.has_add_permission
    assert not movements.has_change_permission
    assert not movements.has_delete_permission
    assert "Initial stock" in response.content.decode()


def test_stock_movements_cannot_be_added_edited_or_deleted(admin_client, catalog):
    movement = StockMovement.objects.filter(kind="reserve").get()
    change_url = admin_url(StockMovement, "change", movement.pk)

    page = admin_client.get(change_url)
    assert page.status_code == 200  # view-only
    assert not page.context["has_change_permission"]
    assert b'name="reason"' not in page.content

    response = admin_client.post(change_url, {"reason": "Rewritten", "quantity_change": "100"})
    assert response.status_code == 403
    assert admin_client.post(admin_url(StockMovement, "delete", movement.pk)).status_code == 403
    assert admin_client.get(admin_url(StockMovement, "add")).status_code == 403
    response = admin_client.post(
        admin_url(StockMovement, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(movement.pk)], "post": "yes"},
    )
    movement.refresh_from_db()
    assert movement.reason == "Reserved"
    assert StockMovement.objects.filter(pk=movement.pk).exists()


def test_stock_records_cannot_be_deleted(admin_client, catalog):
    record = catalog["small"].stock
    assert admin_client.post(admin_url(StockRecord, "delete", record.pk)).status_code == 403


# --- categories ---------------------------------------------------------------


def test_category_tree_add_child_and_move(admin_client, catalog):
    root, shirts = catalog["root"], catalog["shirts"]
    response = admin_client.post(
        admin_url(Category, "add"),
        {
            "name": "Polos",
            "slug": "polos",
            "description": "",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": str(shirts.pk),
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    polos = Category.objects.get(slug="polos")
    assert Category.objects.get_parent(polos) == shirts

    response = admin_client.post(
        admin_url(Category, "add"),
        {"name": "Books", "slug": "books", "treebeard_position": "sorted-child"},
    )
    assert response.status_code == 302
    books = Category.objects.get(slug="books")
    assert books.is_root()

    response = admin_client.post(
        reverse("admin:commerce_catalog_category_changelist") + "move/",
        {"node": str(polos.pk), "target": str(root.pk), "relation": "child"},
    )
    assert response.status_code == 200
    polos.refresh_from_db()
    assert Category.objects.get_parent(polos) == root


def test_category_tree_changelist_shows_children_on_request(admin_client, catalog):
    root, shirts = catalog["root"], catalog["shirts"]
    response = admin_client.get(admin_url(Category, "changelist"))
    assert [c.slug for c in response.context["cl"].result_list] == ["clothing"]
    children = admin_client.get(
        reverse("admin:commerce_catalog_category_changelist") + f"children/{root.pk}/"
    )
    assert children.status_code == 200
    assert "Shirts" in children.json()["result_html"]
    assert (
        shirts.slug in admin_client.get(admin_url(Category, "change", shirts.pk)).content.decode()
    )


def test_staff_without_permissions_is_refused(client, db):
    clerk = UserFactory(email="clerk@example.com", is_staff=True)
    client.force_login(clerk)
    assert client.get(admin_url(Product, "changelist")).status_code == 403


# --- why a product is not on sale, and stock on the product page ---------------


def visibility_of(admin_client, product) -> str:
    """The product page's "shoppers see it?" read-only field."""
    response = admin_client.get(admin_url(Product, "change", product.pk))
    assert response.status_code == 200
    for fieldset in response.context["adminform"]:
        for line in fieldset:
            for field in line:
                if field.is_readonly and field.field["name"] == "shopper_visibility":
                    return str(field.contents())
    raise AssertionError("the product page has no shopper_visibility field")


def test_the_product_page_says_why_shoppers_cannot_see_a_new_product(
    admin_client, admin_user, unverified_vendor
):
    shirts = CategoryFactory(name="Shirts", slug="shirts")
    product = services.create_product(vendor=unverified_vendor, category=shirts, name="Tee")

    reasons = visibility_of(admin_client, product)
    assert "draft" in reasons
    assert "Initech is not verified" in reasons
    assert "no active variant" in reasons
    assert not Product.objects.published().filter(pk=product.pk).exists()

    # Fix one thing at a time, as staff would, until shoppers see it.
    services.verify_vendor(unverified_vendor, verified_by=admin_user)
    services.update_product(product, status=Product.Status.PUBLISHED)
    reasons = visibility_of(admin_client, product)
    assert reasons.startswith("No: it has no active variant")
    assert "Sold out" in reasons

    variant = services.create_variant(product, sku="TEE-M", price=usd("9.00"))
    reasons = visibility_of(admin_client, product)
    assert reasons.startswith("Sold out")  # listed, but nothing to buy
    assert Product.objects.published().filter(pk=product.pk).exists()

    services.set_stock(variant, 4, reason="Delivery", actor=admin_user)
    assert visibility_of(admin_client, product) == "Yes: on sale."


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"status": Product.Status.DRAFT},
        {"status": Product.Status.ARCHIVED},
        {"deleted": True},
        {"unverified": True},
        {"inactive": True},
    ],
)
def test_the_reasons_agree_with_what_the_api_lists(admin_client, catalog, vendor, state):
    product = catalog["product"]
    if "status" in state:
        services.update_product(product, status=state["status"])
    if state.get("deleted"):
        services.delete_product(product)
    if state.get("unverified"):
        Vendor.objects.filter(pk=vendor.pk).update(is_verified=False)
    if state.get("inactive"):
        for variant in product.variants.all():
            services.update_variant(variant, is_active=False)

    hidden = visibility_of(admin_client, product).startswith("No:")
    assert hidden is not Product.objects.published().filter(pk=product.pk).exists()
    assert hidden is bool(state)


def test_the_product_list_has_a_visibility_column(admin_client, catalog, unverified_vendor):
    ProductFactory(vendor=unverified_vendor, category=catalog["shirts"], name="Hidden tee")
    response = admin_client.get(admin_url(Product, "changelist"))
    content = response.content.decode()

    assert "shoppers see it?" in content.lower()
    assert "Yes: on sale." in content  # the catalog's shirt
    assert "Initech is not verified" in content


def test_stock_is_set_on_the_product_page_through_the_services(admin_client, admin_user, catalog):
    product, large = catalog["product"], catalog["large"]
    variants = list(product.variants.order_by("position", "created_at"))
    row = variants.index(large)
    data = product_form(
        product,
        **{f"variants-{row}-set_stock": "7"},
        **inline_management("variants", len(variants) + 1, len(variants)),
        **new_variant_row(len(variants), "SHIRT-XL", "15.00"),
        **{f"variants-{len(variants)}-set_stock": "5"},
    )
    response = admin_client.post(admin_url(Product, "change", product.pk), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""

    large.stock.refresh_from_db()
    assert large.stock.quantity == 7
    new = Variant.objects.get(sku="SHIRT-XL")
    assert new.stock.quantity == 5
    for variant, change in ((large, 5), (new, 5)):
        movement = StockMovement.objects.filter(stock_record__variant=variant).latest("created_at")
        assert movement.kind == StockMovement.Kind.ADJUSTMENT
        assert movement.quantity_change == change
        assert movement.actor == admin_user
        assert movement.reason == "Stock count on the product page"


def test_a_stock_count_below_what_is_reserved_is_refused(admin_client, catalog):
    product, small = catalog["product"], catalog["small"]  # 10 on hand, 3 reserved
    row = list(product.variants.order_by("position", "created_at")).index(small)
    data = product_form(product, **{f"variants-{row}-set_stock": "1", f"variants-{row}-name": "S"})
    response = admin_client.post(admin_url(Product, "change", product.pk), data, follow=True)

    # The service's refusal ("Only 7 of SHIRT-S available; 9 requested."), not a 500.
    assert any("SHIRT-S" in message for message in messages_of(response))
    small.refresh_from_db()
    small.stock.refresh_from_db()
    assert small.stock.quantity == 10
    assert small.name != "S"  # the whole save was rolled back


# --- amounts at the currency's exponent ----------------------------------------


def test_amounts_show_at_the_currencys_exponent(admin_client, catalog, settings):
    settings.COMMERCE = {**settings.COMMERCE, "CURRENCIES": ["USD", "JPY", "KWD"]}
    yen = ProductFactory(vendor=catalog["product"].vendor, category=catalog["shirts"])
    VariantFactory(product=yen, sku="YEN-1", price=Money(1000, "JPY"), quantity=1)
    dinar = ProductFactory(vendor=catalog["product"].vendor, category=catalog["shirts"])
    VariantFactory(product=dinar, sku="KWD-1", price=Money("1.234", "KWD"), quantity=1)

    products = admin_client.get(admin_url(Product, "changelist")).content.decode()
    variants = admin_client.get(admin_url(Variant, "changelist")).content.decode()
    for page in (products, variants):
        assert "$12.50" in page
        assert "¥1,000<" in page
        assert "1.234" in page
        assert "12.500" not in page
        assert "1,000.000" not in page
    product_page = admin_client.get(admin_url(Product, "change", catalog["product"].pk))
    assert "$12.50" in product_page.content.decode()
    assert "12.500" not in product_page.content.decode()


def test_change_forms_start_with_amounts_at_the_currencys_exponent(admin_client, catalog):
    small = catalog["small"]
    page = admin_client.get(admin_url(Variant, "change", small.pk)).content.decode()
    assert 'name="price_0" value="12.50"' in page
    product_page = admin_client.get(admin_url(Product, "change", catalog["product"].pk))
    assert 'name="variants-0-price_0" value="12.50"' in product_page.content.decode()
