"""Writing through the API: products, variants, stock and images, for every kind of user."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commerce.catalog import services
from commerce.catalog.models import Product, ProductImage, StockMovement, StockRecord, Variant
from tests.catalog.helpers import CAST, add_image
from tests.helpers import assert_error, money, png_bytes

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"


def product_url(product, suffix: str = "") -> str:
    return f"{PRODUCTS}{product.slug}/{suffix}"


def upload(name: str = "photo.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content, "image/png")


def state(product: Product):
    """Everything a write could change, to prove a refused write changed nothing."""
    product = Product.objects.get(pk=product.pk)
    variants = sorted(
        (v.sku, v.name, str(v.price), v.is_active, v.stock.quantity)
        for v in Variant.objects.filter(product=product).select_related("stock")
    )
    images = sorted(
        (i.alt_text, i.is_primary, i.position) for i in ProductImage.objects.filter(product=product)
    )
    return (product.name, product.status, product.slug, variants, images)


# --- who may write what ----------------------------------------------------------------------

#: name -> (HTTP method, URL suffix under the product, body, multipart?, success status)
WRITES = {
    "patch product": ("patch", "", {"name": "Renamed"}, False, 200),
    "archive product": ("post", "archive/", None, False, 200),
    "add variant": (
        "post",
        "variants/",
        {"sku": "NEW-1", "price": {"amount": "3.00", "currency": "USD"}},
        False,
        201,
    ),
    "patch variant": ("patch", "variants/{sku}/", {"name": "Medium"}, False, 200),
    "adjust stock": (
        "post",
        "variants/{sku}/stock/",
        {"change": 2, "reason": "Delivery"},
        False,
        200,
    ),
    "upload image": ("post", "images/", "upload", True, 201),
    "patch image": ("patch", "images/{image}/", {"alt_text": "Side"}, False, 200),
    "delete image": ("delete", "images/{image}/", None, False, 204),
}

#: product fixture -> who succeeds, and what everyone else gets.
WRITE_ACCESS = {
    # Published: everyone can see it, so outsiders are forbidden (403).
    "product": {
        "anonymous": 401,
        "customer": 403,
        "vendor_member": "ok",
        "other_vendor_member": 403,
        "unverified_vendor_member": 403,
        "staff_user": "ok",
    },
    # A draft: outsiders may not know it exists (404).
    "draft_product": {
        "anonymous": 401,
        "customer": 404,
        "vendor_member": "ok",
        "other_vendor_member": 404,
        "unverified_vendor_member": 404,
        "staff_user": "ok",
    },
    # The unverified vendor's own draft: its members see it but may not change it.
    "unverified_product": {
        "anonymous": 401,
        "customer": 404,
        "vendor_member": 404,
        "other_vendor_member": 404,
        "unverified_vendor_member": 403,
        "staff_user": "ok",
    },
}


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("which", list(WRITE_ACCESS))
@pytest.mark.parametrize("write", list(WRITES))
def test_write_access(request, client_as, media_root, who, which, write):
    product = request.getfixturevalue(which)
    image = add_image(product, "existing.png")
    method, suffix, body, multipart, success = WRITES[write]
    url = product_url(product, suffix.format(sku=product.variants.first().sku, image=image.pk))
    if body == "upload":
        body = {"image": upload()}
    before = state(product)

    response = getattr(client_as(who), method)(
        url, body, format="multipart" if multipart else "json"
    )

    expected = WRITE_ACCESS[which][who]
    if expected == "ok":
        assert response.status_code == success, response.content
        assert state(product) != before
        return
    error = assert_error(response, expected)
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert error["code"] == "not_authenticated"
    elif expected == 403:
        assert error["code"] == "permission_denied"
    assert state(product) == before


@pytest.mark.parametrize("who", CAST)
def test_soft_deleted_products_take_no_writes(client_as, who, deleted_product):
    response = client_as(who).patch(product_url(deleted_product), {"name": "Back"}, format="json")
    assert_error(response, 401 if who == "anonymous" else 404)
    response = client_as(who).post(
        product_url(deleted_product, "variants/"),
        {"sku": "X", "price": {"amount": "1.00"}},
        format="json",
    )
    assert_error(response, 401 if who == "anonymous" else 404)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_unsupported_product_methods_are_405(client_as, product, method):
    response = getattr(client_as("vendor_member"), method)(product_url(product), {}, format="json")
    assert_error(response, 405, "method_not_allowed")


# --- create product ---------------------------------------------------------------------------

CREATE_ACCESS = {
    # (who, vendor slug) -> status
    ("anonymous", "acme"): 401,
    ("customer", "acme"): 403,
    ("vendor_member", "acme"): 201,
    ("vendor_member", "globex"): 403,
    ("other_vendor_member", "acme"): 403,
    ("other_vendor_member", "globex"): 201,
    ("unverified_vendor_member", "initech"): 403,
    ("unverified_vendor_member", "acme"): 403,
    ("staff_user", "acme"): 201,
    ("staff_user", "initech"): 201,
}


@pytest.mark.parametrize(("who", "vendor_slug"), list(CREATE_ACCESS))
def test_create_product_access(
    client_as, who, vendor_slug, vendor, other_vendor, unverified_vendor, category_tree, brand
):
    payload = {
        "vendor": vendor_slug,
        "category": "shirts",
        "brand": "zeta",
        "name": "Linen shirt",
        "description": "Cool.",
    }
    response = client_as(who).post(PRODUCTS, payload, format="json")
    expected = CREATE_ACCESS[(who, vendor_slug)]
    if expected != 201:
        assert_error(response, expected)
        assert not Product.objects.filter(name="Linen shirt").exists()
        return
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "linen-shirt"
    assert body["status"] == "draft"
    assert body["vendor"]["slug"] == vendor_slug
    assert body["category"] == {"name": "Shirts", "slug": "shirts"}
    assert body["brand"] == {"name": "Zeta", "slug": "zeta"}
    assert body["price"] is None
    assert body["variants"] == []
    product = Product.objects.get(slug="linen-shirt")
    assert product.vendor.slug == vendor_slug


@pytest.mark.parametrize(
    ("payload", "status_code", "field"),
    [
        ({"category": "no-such-category"}, 400, "category"),
        ({"vendor": "no-such-vendor"}, 400, "vendor"),
        ({"brand": "no-such-brand"}, 400, "brand"),
        ({"name": ""}, 400, "name"),
        ({"status": "live"}, 400, "status"),
        ({"slug": "not a slug"}, 400, "slug"),
        ({"slug": "plain-shirt"}, 409, "slug"),  # taken by the product fixture
    ],
)
def test_create_product_bad_input(client_as, product, payload, status_code, field):
    base = {"vendor": "acme", "category": "shirts", "name": "Linen shirt"}
    response = client_as("vendor_member").post(PRODUCTS, {**base, **payload}, format="json")
    error = assert_error(response, status_code, "duplicate" if status_code == 409 else "invalid")
    assert field in error["details"]
    assert Product.objects.count() == 1


def test_create_published_product_with_explicit_slug(client_as, vendor, category_tree):
    response = client_as("vendor_member").post(
        PRODUCTS,
        {
            "vendor": "acme",
            "category": "books",
            "name": "Atlas",
            "slug": "atlas-2026",
            "status": "published",
            "is_featured": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["slug"], body["status"], body["is_featured"]) == ("atlas-2026", "published", True)
    assert body["published_at"] is not None


# --- patch and archive ------------------------------------------------------------------------


def test_patch_product(client_as, product, category_tree):
    response = client_as("vendor_member").patch(
        product_url(product),
        {"name": "Oxford shirt", "category": "t-shirts", "brand": None, "is_featured": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Oxford shirt"
    assert body["category"]["slug"] == "t-shirts"
    assert body["brand"] is None
    assert body["is_featured"] is True
    assert "cost_price" in body["variants"][0]  # the editor sees the internals


def test_patch_cannot_move_a_product_to_another_vendor(client_as, product, other_vendor):
    response = client_as("vendor_member").patch(
        product_url(product), {"vendor": "globex"}, format="json"
    )
    assert_error(response, 400, "invalid")
    assert "vendor" in response.json()["error"]["details"]
    product.refresh_from_db()
    assert product.vendor.slug == "acme"


@pytest.mark.parametrize(
    ("payload", "status_code", "field"),
    [
        ({"slug": "secret-book"}, 409, "slug"),  # taken by the draft
        ({"category": "nope"}, 400, "category"),
        ({"status": "gone"}, 400, "status"),
        ({"name": ""}, 400, "name"),
    ],
)
def test_patch_product_bad_input(client_as, product, draft_product, payload, status_code, field):
    before = state(product)
    response = client_as("vendor_member").patch(product_url(product), payload, format="json")
    assert field in assert_error(response, status_code)["details"]
    assert state(product) == before


def test_publish_then_archive(client_as, api_client, draft_product):
    member = client_as("vendor_member")
    assert api_client.get(product_url(draft_product)).status_code == 404
    response = member.patch(product_url(draft_product), {"status": "published"}, format="json")
    assert response.status_code == 200, response.content
    assert api_client.get(product_url(draft_product)).status_code == 200

    response = member.post(product_url(draft_product, "archive/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "archived"
    assert_error(api_client.get(product_url(draft_product)), 404)
    assert member.get(product_url(draft_product)).status_code == 200
    # Archiving twice is harmless.
    assert member.post(product_url(draft_product, "archive/")).status_code == 200


# --- variants ---------------------------------------------------------------------------------


def test_add_variant(client_as, product):
    response = client_as("vendor_member").post(
        product_url(product, "variants/"),
        {
            "sku": "SHIRT-S",
            "name": "Small",
            "options": {"size": "S"},
            "price": {"amount": "9.99", "currency": "USD"},
            "compare_at_price": {"amount": "14.99"},
            "cost_price": {"amount": "3.10", "currency": "USD"},
            "quantity": 4,
            "low_stock_threshold": 1,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["price"] == {"amount": "9.99", "currency": "USD"}  # the new lowest
    variant = next(v for v in body["variants"] if v["sku"] == "SHIRT-S")
    assert variant["options"] == {"size": "S"}
    assert variant["compare_at_price"] == {"amount": "14.99", "currency": "USD"}
    assert variant["cost_price"] == {"amount": "3.10", "currency": "USD"}
    assert variant["stock"] == {
        "quantity": 4,
        "reserved": 0,
        "available": 4,
        "low_stock_threshold": 1,
    }


@pytest.mark.parametrize(
    ("payload", "status_code", "code", "field"),
    [
        ({"sku": "SHIRT-M"}, 409, "duplicate", "sku"),
        ({"price": "12.50"}, 400, "invalid", "price"),
        ({"price": 12.5}, 400, "invalid", "price"),
        ({"price": {"currency": "USD"}}, 400, "invalid", "price"),
        ({"price": {"amount": "abc"}}, 400, "invalid", "price"),
        ({"price": {"amount": "-1.00"}}, 400, "invalid", "price"),
        ({"price": {"amount": "1.005", "currency": "USD"}}, 400, "invalid", "price"),
        ({"price": {"amount": "1.5", "currency": "JPY"}}, 400, "invalid", "price"),
        ({"price": {"amount": "1.00", "currency": "XYZ"}}, 400, "invalid", "price"),
        ({"price": {"amount": "1.00", "currency": "GBP"}}, 400, "invalid", "price"),
        ({"price": {"amount": "1.00", "currency": "usd"}}, 400, "invalid", "price"),
        ({"price": {"amount": "1.00", "currency": "EUR"}}, 400, "currency_mismatch", "price"),
        ({"cost_price": {"amount": "0.001"}}, 400, "invalid", "cost_price"),
        ({"quantity": -1}, 400, "invalid", "quantity"),
        ({"sku": ""}, 400, "invalid", "sku"),
        ({"price": None}, 400, "invalid", "price"),
    ],
)
def test_add_variant_bad_input(client_as, product, payload, status_code, code, field):
    base = {"sku": "SHIRT-L", "price": {"amount": "14.00", "currency": "USD"}}
    before = state(product)
    response = client_as("vendor_member").post(
        product_url(product, "variants/"), {**base, **payload}, format="json"
    )
    error = assert_error(response, status_code, code)
    assert field in error["details"], error
    assert state(product) == before
    if payload.get("price") == "12.50":
        assert error["details"]["price"] == [
            'Expected an object like {"amount": "12.50", "currency": "USD"}.'
        ]


def test_add_variant_past_the_limit_is_a_400(settings, client_as, product):
    settings.COMMERCE = {**settings.COMMERCE, "PRODUCT_MAX_VARIANTS": 1}
    before = state(product)
    response = client_as("vendor_member").post(
        product_url(product, "variants/"),
        {"sku": "SHIRT-L", "price": {"amount": "14.00", "currency": "USD"}},
        format="json",
    )
    error = assert_error(response, 400, "too_many_variants")
    assert error["details"] == {"setting": "PRODUCT_MAX_VARIANTS", "maximum": 1}
    assert state(product) == before


def test_patch_variant(client_as, api_client, product):
    member = client_as("vendor_member")
    url = product_url(product, "variants/SHIRT-M/")
    response = member.patch(url, {"price": {"amount": "10.00"}, "sku": "SHIRT-MED"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["price"] == {"amount": "10.00", "currency": "USD"}
    assert response.json()["variants"][0]["sku"] == "SHIRT-MED"

    response = member.patch(product_url(product, "variants/SHIRT-MED/"), {"is_active": False})
    assert response.status_code == 200, response.content
    assert response.json()["price"] is None
    # No active variant: no price, so no longer public.
    assert_error(api_client.get(product_url(product)), 404)


def test_patch_variant_refuses_stock_fields(client_as, product):
    # Stock changes go through the stock endpoint, with a reason.
    response = client_as("vendor_member").patch(
        product_url(product, "variants/SHIRT-M/"), {"quantity": 99}, format="json"
    )
    assert_error(response, 400, "invalid")
    assert "quantity" in response.json()["error"]["details"]
    assert StockRecord.objects.get(variant__sku="SHIRT-M").quantity == 10


@pytest.mark.parametrize(
    ("payload", "status_code", "field"),
    [
        ({"sku": "SHIRT-S"}, 409, "sku"),
        ({"price": {"amount": "1.005"}}, 400, "price"),
        ({"price": {"amount": "1", "currency": "XYZ"}}, 400, "price"),
        ({"position": -1}, 400, "position"),
    ],
)
def test_patch_variant_bad_input(client_as, product, payload, status_code, field):
    services.create_variant(product, sku="SHIRT-S", price=money("11.00"))
    before = state(product)
    response = client_as("vendor_member").patch(
        product_url(product, "variants/SHIRT-M/"), payload, format="json"
    )
    assert field in assert_error(response, status_code)["details"]
    assert state(product) == before


def test_unknown_variant_is_404(client_as, product, draft_product):
    member = client_as("vendor_member")
    assert_error(member.patch(product_url(product, "variants/NOPE/"), {"name": "x"}), 404)
    # A SKU of another product is not found under this one.
    assert_error(member.patch(product_url(product, "variants/BOOK-1/"), {"name": "x"}), 404)
    assert_error(
        member.post(product_url(product, "variants/NOPE/stock/"), {"change": 1, "reason": "x"}),
        404,
    )


def test_variant_of_an_unknown_product_is_404(client_as, product):
    assert_error(
        client_as("vendor_member").post(
            f"{PRODUCTS}no-such-product/variants/",
            {"sku": "X", "price": {"amount": "1"}},
            format="json",
        ),
        404,
    )


# --- stock ------------------------------------------------------------------------------------


@pytest.fixture
def stock_url(product):
    return product_url(product, "variants/SHIRT-M/stock/")


def test_adjust_stock_by_change_and_to_a_quantity(client_as, stock_url, vendor_member):
    member = client_as("vendor_member")
    response = member.post(stock_url, {"change": 5, "reason": "Delivery"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "quantity": 15,
        "reserved": 0,
        "available": 15,
        "low_stock_threshold": 5,
    }
    response = member.post(stock_url, {"quantity": 3, "reason": "Count"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["quantity"] == 3
    movements = StockMovement.objects.filter(actor=vendor_member).order_by("created_at")
    assert [(m.quantity_change, m.quantity_after, m.reason) for m in movements] == [
        (5, 15, "Delivery"),
        (-12, 3, "Count"),
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"change": 1, "quantity": 3, "reason": "Both"}, "non_field_errors"),
        ({"reason": "Neither"}, "non_field_errors"),
        ({"change": 0, "reason": "Zero"}, "change"),
        ({"change": "many", "reason": "Words"}, "change"),
        ({"change": 1}, "reason"),
        ({"change": 1, "reason": ""}, "reason"),
        ({"quantity": -1, "reason": "Negative count"}, "quantity"),
        ({"change": -11, "reason": "Negative result"}, "change"),
    ],
)
def test_adjust_stock_bad_input(client_as, product, stock_url, payload, field):
    response = client_as("vendor_member").post(stock_url, payload, format="json")
    assert field in assert_error(response, 400, "invalid")["details"]
    assert StockRecord.objects.get(variant__sku="SHIRT-M").quantity == 10


@pytest.mark.parametrize("payload", [{"change": -5}, {"quantity": 3}])
def test_adjust_stock_below_reserved_is_a_conflict(client_as, product, stock_url, payload):
    services.reserve({product.variants.get(): 6})
    response = client_as("vendor_member").post(
        stock_url, {**payload, "reason": "Shrinkage"}, format="json"
    )
    error = assert_error(response, 409, "insufficient_stock")
    assert error["details"] == {
        "sku": "SHIRT-M",
        "requested": error["details"]["requested"],
        "available": 4,
    }
    record = StockRecord.objects.get(variant__sku="SHIRT-M")
    assert (record.quantity, record.reserved) == (10, 6)


# --- images -----------------------------------------------------------------------------------


def test_upload_images(client_as, product, media_root):
    member = client_as("vendor_member")
    url = product_url(product, "images/")
    response = member.post(url, {"image": upload("front.png"), "alt_text": "Front"})
    assert response.status_code == 201, response.content
    first = response.json()
    assert first["is_primary"] is True
    assert first["alt_text"] == "Front"
    assert first["url"].startswith("http://testserver/media/commerce/products/")
    assert first["url"].endswith(".png")
    stored = ProductImage.objects.get(pk=first["id"])
    assert (media_root / stored.image.name).is_file()

    response = member.post(url, {"image": upload("back.png"), "position": 1})
    assert response.status_code == 201, response.content
    assert response.json()["is_primary"] is False

    response = member.post(url, {"image": upload("side.png"), "is_primary": True})
    assert response.status_code == 201, response.content
    assert response.json()["is_primary"] is True
    assert ProductImage.objects.filter(product=product, is_primary=True).count() == 1

    detail = member.get(product_url(product)).json()
    assert detail["primary_image"]["id"] == response.json()["id"]
    assert len(detail["images"]) == 3


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"image": "not-a-file"},
        {"image": SimpleUploadedFile("fake.png", b"not really a png", "image/png")},
        {"image": upload(), "position": -1},
    ],
    ids=["missing", "string", "not-an-image", "bad-position"],
)
def test_upload_bad_image(client_as, product, media_root, payload):
    response = client_as("vendor_member").post(product_url(product, "images/"), payload)
    assert_error(response, 400, "invalid")
    assert not ProductImage.objects.exists()


def test_patch_image_and_move_the_primary(client_as, product):
    first = add_image(product, "1.png")
    second = add_image(product, "2.png", position=1)
    member = client_as("vendor_member")
    response = member.patch(
        product_url(product, f"images/{second.pk}/"),
        {"is_primary": True, "alt_text": "Back", "position": 0},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["is_primary"] is True
    first.refresh_from_db()
    assert not first.is_primary

    # The primary moves by promoting another image, never by unsetting it.
    response = member.patch(
        product_url(product, f"images/{second.pk}/"), {"is_primary": False}, format="json"
    )
    assert "is_primary" in assert_error(response, 400, "invalid")["details"]


def test_delete_image_promotes_the_next_and_removes_the_file(
    client_as, product, media_root, django_capture_on_commit_callbacks
):
    member = client_as("vendor_member")
    url = product_url(product, "images/")
    first = member.post(url, {"image": upload("a.png")}).json()
    second = member.post(url, {"image": upload("b.png"), "position": 1}).json()
    path = media_root / ProductImage.objects.get(pk=first["id"]).image.name

    with django_capture_on_commit_callbacks(execute=True):
        response = member.delete(product_url(product, f"images/{first['id']}/"))
    assert response.status_code == 204
    assert not path.exists()
    assert ProductImage.objects.get(pk=second["id"]).is_primary

    assert_error(member.delete(product_url(product, f"images/{first['id']}/")), 404)


def test_image_of_another_product_is_404(client_as, product, draft_product):
    image = add_image(draft_product)
    response = client_as("vendor_member").patch(
        product_url(product, f"images/{image.pk}/"), {"alt_text": "x"}, format="json"
    )
    assert_error(response, 404)
