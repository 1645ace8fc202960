"""Reading products: visibility, what each viewer sees, filters, ordering, pagination, queries."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.conf import settings
from django.test import override_settings

from commerce.catalog import services
from commerce.catalog.api.filters import ProductFilter
from commerce.catalog.models import Product, StockRecord
from commerce.testing.factories import BrandFactory, ProductFactory, VariantFactory
from tests.catalog.helpers import CAST, DETAIL_QUERIES, INSIDERS, LIST_QUERIES, add_image
from tests.helpers import assert_error, money

pytestmark = pytest.mark.django_db

LIST = "/api/v1/catalog/products/"


def detail_url(slug: str) -> str:
    return f"{LIST}{slug}/"


#: Keys that only a product's vendor members and staff may see, at any depth.
PRIVATE_KEYS = {"cost_price", "stock", "quantity", "reserved", "available", "is_active"}


def all_keys(data) -> set[str]:
    """Every key of every object nested in ``data``."""
    if isinstance(data, dict):
        return set(data).union(*(all_keys(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(all_keys(value) for value in data))
    return set()


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


# --- detail: who sees which product ------------------------------------------------------

# product fixture -> the members of CAST who get a 200; everyone else gets the 404 envelope.
DETAIL_VISIBILITY = {
    "product": set(CAST),
    "draft_product": INSIDERS,
    "archived_product": INSIDERS,
    # Soft-deleted is deleted: gone from the API for everyone (the admin still has it).
    "deleted_product": set(),
    "unverified_product": {"unverified_vendor_member", "staff_user"},
}


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("which", list(DETAIL_VISIBILITY))
def test_detail_visibility(request, client_as, who, which):
    product = request.getfixturevalue(which)
    response = client_as(who).get(detail_url(product.slug))
    if who in DETAIL_VISIBILITY[which]:
        assert response.status_code == 200, response.content
        assert response.json()["slug"] == product.slug
    else:
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("who", CAST)
def test_unknown_slug_is_a_404_envelope(client_as, who, product):
    assert_error(client_as(who).get(detail_url("no-such-product")), 404, "not_found")


@pytest.mark.parametrize("who", CAST)
def test_list_shows_published_products_only(
    client_as, who, product, draft_product, archived_product, deleted_product, unverified_product
):
    assert slugs(client_as(who).get(LIST)) == [product.slug]


# --- detail: what each viewer sees -------------------------------------------------------


@pytest.fixture
def rich_product(product):
    """``product`` plus an inactive variant, a low-stock variant and two images."""
    services.create_variant(product, sku="SHIRT-OLD", price=money("1.00"), is_active=False)
    services.create_variant(product, sku="SHIRT-S", price=money("11.00"), quantity=2)
    add_image(product, "front.png", alt_text="Front")
    add_image(product, "back.png", alt_text="Back", position=1)
    return product


@pytest.mark.parametrize("who", CAST)
def test_detail_shows_counts_and_cost_to_insiders_only(client_as, who, rich_product):
    response = client_as(who).get(detail_url(rich_product.slug))
    assert response.status_code == 200, response.content
    body = response.json()
    variants = {variant["sku"]: variant for variant in body["variants"]}

    assert body["price"] == {"amount": "11.00", "currency": "USD"}
    assert body["in_stock"] is True
    assert body["vendor"] == {"name": "Acme", "slug": "acme"}
    assert body["brand"] == {"name": "Zeta", "slug": "zeta"}
    assert body["category"] == {"name": "Shirts", "slug": "shirts"}
    assert body["description"] == "A plain cotton shirt."
    assert [image["alt_text"] for image in body["images"]] == ["Front", "Back"]
    assert body["primary_image"]["alt_text"] == "Front"
    assert body["primary_image"]["url"].startswith("http://testserver/media/commerce/products/")
    assert variants["SHIRT-M"]["price"] == {"amount": "12.50", "currency": "USD"}
    assert variants["SHIRT-M"]["availability"] == "in_stock"
    assert variants["SHIRT-S"]["availability"] == "low_stock"

    if who in INSIDERS:
        assert set(variants) == {"SHIRT-M", "SHIRT-S", "SHIRT-OLD"}
        assert variants["SHIRT-M"]["cost_price"] == {"amount": "4.00", "currency": "USD"}
        assert variants["SHIRT-M"]["stock"] == {
            "quantity": 10,
            "reserved": 0,
            "available": 10,
            "low_stock_threshold": 5,
        }
        assert variants["SHIRT-OLD"]["is_active"] is False
    else:
        # The public sees availability, never counts, cost or inactive variants.
        assert set(variants) == {"SHIRT-M", "SHIRT-S"}
        for variant in variants.values():
            assert set(variant) == {
                "id",
                "sku",
                "name",
                "options",
                "price",
                "compare_at_price",
                "weight",
                "availability",
            }
        assert not PRIVATE_KEYS & all_keys(body)


def test_members_of_an_unverified_vendor_see_their_own_internals(client_as, unverified_product):
    response = client_as("unverified_vendor_member").get(detail_url(unverified_product.slug))
    assert response.status_code == 200, response.content
    (variant,) = response.json()["variants"]
    assert variant["cost_price"] == {"amount": "1.00", "currency": "USD"}
    assert variant["stock"]["quantity"] == 10


@pytest.mark.parametrize("who", CAST)
def test_list_never_shows_counts_or_cost(client_as, who, rich_product):
    response = client_as(who).get(LIST)
    (item,) = response.json()["results"]
    assert item["price"] == {"amount": "11.00", "currency": "USD"}
    assert item["in_stock"] is True
    assert item["primary_image"]["alt_text"] == "Front"
    # The list reads the image in its one query; it shows what the detail shows.
    detail = client_as(who).get(detail_url(rich_product.slug)).json()
    assert item["primary_image"] == detail["primary_image"]
    assert item["primary_image"]["id"] == str(rich_product.images.get(is_primary=True).pk)
    assert "variants" not in item
    assert not PRIVATE_KEYS & all_keys(response.json())


def test_money_amounts_use_the_currency_exponent(api_client, vendor):
    yen = ProductFactory(vendor=vendor, slug="yen")
    VariantFactory(product=yen, sku="YEN-1", price=money("1500", "JPY"))
    dinar = ProductFactory(vendor=vendor, slug="dinar")
    VariantFactory(product=dinar, sku="KWD-1", price=money("1.5", "KWD"))
    body = api_client.get(detail_url("yen")).json()
    assert body["price"] == {"amount": "1500", "currency": "JPY"}
    assert body["variants"][0]["price"] == {"amount": "1500", "currency": "JPY"}
    assert api_client.get(detail_url("dinar")).json()["price"] == {
        "amount": "1.500",
        "currency": "KWD",
    }


# --- in_stock and availability ------------------------------------------------------------


def test_availability_follows_reservations(api_client, product):
    variant = product.variants.get()
    services.reserve({variant: 6})
    body = api_client.get(detail_url(product.slug)).json()
    assert body["variants"][0]["availability"] == "low_stock"
    assert body["in_stock"] is True

    services.reserve({variant: 4})
    body = api_client.get(detail_url(product.slug)).json()
    assert body["variants"][0]["availability"] == "out_of_stock"
    assert body["in_stock"] is False
    (item,) = api_client.get(LIST).json()["results"]
    assert item["in_stock"] is False


def test_stock_on_an_inactive_variant_does_not_count(api_client, product):
    variant = product.variants.get()
    services.create_variant(product, sku="SHIRT-S", price=money("13.00"), quantity=0)
    services.update_variant(variant, is_active=False)
    body = api_client.get(detail_url(product.slug)).json()
    assert body["in_stock"] is False
    assert [v["availability"] for v in body["variants"]] == ["out_of_stock"]
    (item,) = api_client.get(LIST).json()["results"]
    assert item["in_stock"] is False
    assert slugs(api_client.get(LIST, {"in_stock": "true"})) == []
    assert slugs(api_client.get(LIST, {"in_stock": "false"})) == [product.slug]


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
def catalog(product, vendor, other_vendor, category_tree):
    """Five published products across vendors, categories, brands, prices and currencies."""
    omega = BrandFactory(name="Omega", slug="omega")
    tee = ProductFactory(
        vendor=vendor, category=category_tree["t-shirts"], slug="tee", name="Tee", is_featured=True
    )
    VariantFactory(product=tee, sku="TEE-1", price=money("8.00"), quantity=0)
    novel = ProductFactory(
        vendor=other_vendor,
        category=category_tree["books"],
        brand=omega,
        slug="novel",
        name="Novel",
        description="Here be dragons.",
    )
    VariantFactory(product=novel, sku="NOV-HB", price=money("20.00"))
    VariantFactory(product=novel, sku="NOV-RETIRED", price=money("30.00"), is_active=False)
    euro = ProductFactory(
        vendor=other_vendor, category=category_tree["clothing"], slug="euro-scarf", name="Scarf"
    )
    VariantFactory(product=euro, sku="SCARF-1", price=money("15.00", "EUR"))
    yen = ProductFactory(vendor=vendor, category=category_tree["books"], slug="manga", name="Manga")
    VariantFactory(product=yen, sku="MANGA-1", price=money("1500", "JPY"))
    return {"shirt": product, "tee": tee, "novel": novel, "euro": euro, "yen": yen}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"plain-shirt", "tee", "novel", "euro-scarf", "manga"}),
        ({"category": "clothing"}, {"plain-shirt", "tee", "euro-scarf"}),
        ({"category": "shirts"}, {"plain-shirt", "tee"}),
        ({"category": "t-shirts"}, {"tee"}),
        ({"category": "books"}, {"novel", "manga"}),
        ({"brand": "zeta"}, {"plain-shirt"}),
        ({"brand": "omega"}, {"novel"}),
        ({"vendor": "acme"}, {"plain-shirt", "tee", "manga"}),
        ({"vendor": "globex"}, {"novel", "euro-scarf"}),
        ({"vendor": "globex", "category": "clothing"}, {"euro-scarf"}),
        # Prices without a currency are in DEFAULT_CURRENCY (USD).
        ({"min_price": "10"}, {"plain-shirt", "novel"}),
        ({"max_price": "12.50"}, {"plain-shirt", "tee"}),
        ({"min_price": "8", "max_price": "12.5"}, {"plain-shirt", "tee"}),
        ({"min_price": "12.5", "max_price": "12.5"}, {"plain-shirt"}),
        ({"min_price": "10", "currency": "EUR"}, {"euro-scarf"}),
        ({"max_price": "1000", "currency": "JPY"}, set()),
        ({"min_price": "1000", "currency": "jpy"}, {"manga"}),
        ({"currency": "USD"}, {"plain-shirt", "tee", "novel"}),
        ({"currency": "EUR"}, {"euro-scarf"}),
        ({"currency": "NGN"}, set()),
        ({"in_stock": "true"}, {"plain-shirt", "novel", "euro-scarf", "manga"}),
        ({"in_stock": "1"}, {"plain-shirt", "novel", "euro-scarf", "manga"}),
        ({"in_stock": "false"}, {"tee"}),
        ({"in_stock": "0"}, {"tee"}),
        ({"featured": "true"}, {"tee"}),
        ({"featured": "false"}, {"plain-shirt", "novel", "euro-scarf", "manga"}),
        ({"featured": "0"}, {"plain-shirt", "novel", "euro-scarf", "manga"}),
        ({"in_stock": ""}, {"plain-shirt", "tee", "novel", "euro-scarf", "manga"}),
        ({"search": "scarf"}, {"euro-scarf"}),
        ({"search": "DRAGONS"}, {"novel"}),  # description, case-insensitive
        ({"search": "nov-hb"}, {"novel"}),  # exact SKU, case-insensitive
        ({"search": "NOV-H"}, set()),  # a SKU matches exactly, not by prefix
        ({"search": "NOV-RETIRED"}, set()),  # inactive variants are not for sale
        ({"search": "shirt"}, {"plain-shirt"}),
        ({"search": "  "}, {"plain-shirt", "tee", "novel", "euro-scarf", "manga"}),
    ],
)
def test_filters(api_client, catalog, params, expected):
    response = api_client.get(LIST, {**params, "page_size": 50})
    assert set(slugs(response)) == expected


@pytest.mark.parametrize("ordering", [None, "price", "-name", "created"])
def test_a_list_without_filters_skips_the_filterset_and_answers_the_same(
    api_client, catalog, monkeypatch, ordering
):
    built = []
    original = ProductFilter.__init__

    def spy(self, *args, **kwargs):
        built.append(True)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ProductFilter, "__init__", spy)
    params = {"page_size": 2} | ({"ordering": ordering} if ordering else {})
    first_page = slugs(api_client.get(LIST, params))
    assert built == []
    # The same page through the FilterSet (an empty filter filters nothing).
    assert slugs(api_client.get(LIST, {**params, "in_stock": ""})) == first_page
    assert built == [True]
    assert len(first_page) == 2


def test_an_unverified_vendors_products_are_hidden_while_verification_is_required(
    api_client, catalog, unverified_vendor
):
    item = ProductFactory(vendor=unverified_vendor, slug="initech-widget")
    VariantFactory(product=item, sku="INI-W", price=money("2.00"))
    assert "initech-widget" not in slugs(api_client.get(LIST, {"page_size": 50}))
    assert api_client.get(f"{LIST}initech-widget/").status_code == 404


def test_a_listed_products_vendor_slug_always_filters(api_client, catalog, unverified_vendor):
    # With REQUIRE_VERIFIED_VENDOR off, an unverified vendor's products are public;
    # their cards name the vendor, so its slug filters.
    item = ProductFactory(vendor=unverified_vendor, slug="initech-widget")
    VariantFactory(product=item, sku="INI-W", price=money("2.00"))
    with override_settings(COMMERCE={**settings.COMMERCE, "REQUIRE_VERIFIED_VENDOR": False}):
        assert slugs(api_client.get(LIST, {"vendor": "initech"})) == ["initech-widget"]
        assert api_client.get(f"{LIST}initech-widget/").status_code == 200


def test_filters_never_reveal_unpublished_products(client_as, catalog, draft_product):
    for who in ("vendor_member", "staff_user"):
        assert "secret-book" not in slugs(client_as(who).get(LIST, {"search": "secret"}))
        assert "secret-book" not in slugs(client_as(who).get(LIST, {"category": "books"}))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"brand": "nope"}, "brand"),
        ({"vendor": "nope"}, "vendor"),
        ({"min_price": "abc"}, "min_price"),
        ({"max_price": "1e"}, "max_price"),
        ({"min_price": "20", "max_price": "10"}, "min_price"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "usdollar"}, "currency"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"in_stock": "True"}, "in_stock"),
        ({"featured": "yes"}, "featured"),
        ({"ordering": "bogus"}, "ordering"),
        ({"ordering": "-cost_price"}, "ordering"),
        ({"ordering": "price,name"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-3"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_invalid_parameters_are_a_400_envelope(api_client, catalog, params, field):
    error = assert_error(api_client.get(LIST, params), 400, "invalid")
    assert field in error["details"], error


def test_a_tampered_cursor_is_a_400(api_client, catalog):
    for position in ("abc", "2020-13-45"):
        token = base64.b64encode(urlencode({"p": position}).encode()).decode()
        for ordering in ("price", "-created", "name"):
            response = api_client.get(LIST, {"cursor": token, "ordering": ordering})
            if ordering == "name":
                assert response.status_code == 200, response.content
            else:
                error = assert_error(response, 400, "invalid")
                assert "cursor" in error["details"]


# --- ordering and cursor pagination -------------------------------------------------------


def walk(client, params, *, backwards: bool = False) -> list[str]:
    """Follow ``next`` links from the first page, then (optionally) ``previous`` back."""
    response = client.get(LIST, params)
    seen = slugs(response)
    pages = [seen]
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        pages.append(slugs(response))
        assert len(pages) < 50, "pagination does not terminate"
    if backwards:
        back = [pages[-1]]
        while response.json()["previous"]:
            response = client.get(response.json()["previous"])
            back.append(slugs(response))
            assert len(back) < 50, "pagination does not terminate"
        assert back[::-1] == pages
    return [slug for page in pages for slug in page]


@pytest.fixture
def many_products(vendor, category_tree):
    """11 products: prices with ties (three at 5.00, two at 7.00), names out of price order."""
    prices = [
        "5.00",
        "9.00",
        "5.00",
        "7.00",
        "1.00",
        "5.00",
        "7.00",
        "3.00",
        "8.00",
        "2.00",
        "6.00",
    ]
    products = []
    for n, price in enumerate(prices):
        item = ProductFactory(
            vendor=vendor,
            category=category_tree["books"],
            slug=f"item-{n:02d}",
            name=f"Item {(n * 7) % 11:02d}",
        )
        VariantFactory(product=item, sku=f"ITEM-{n:02d}", price=money(price))
        item.refresh_from_db()
        products.append(item)
    return products


@pytest.mark.parametrize(
    ("ordering", "key", "reverse"),
    [
        (None, lambda p: p.created_at, True),
        ("created", lambda p: p.created_at, False),
        ("-created", lambda p: p.created_at, True),
        ("name", lambda p: p.name, False),
        ("-name", lambda p: p.name, True),
        ("price", lambda p: p.price.amount, False),
        ("-price", lambda p: p.price.amount, True),
    ],
)
@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 20])
def test_cursor_pagination_walks_every_product_once(
    api_client, many_products, ordering, key, reverse, page_size
):
    params = {"page_size": page_size}
    if ordering:
        params["ordering"] = ordering
    walked = walk(api_client, params, backwards=True)
    assert len(walked) == len(set(walked)) == len(many_products)
    by_slug = {product.slug: product for product in many_products}
    keys = [key(by_slug[slug]) for slug in walked]
    assert keys == sorted(keys, reverse=reverse)
    first_page = slugs(api_client.get(LIST, params))
    assert first_page == walked[:page_size]


def test_cursor_pagination_shows_new_products_without_duplicates(api_client, many_products):
    response = api_client.get(LIST, {"page_size": 4, "ordering": "price"})
    first = slugs(response)
    # A product cheaper than anything seen arrives after page one was served.
    late = ProductFactory(vendor=many_products[0].vendor, slug="late")
    VariantFactory(product=late, sku="LATE", price=money("0.50"))
    rest = walk(api_client, parse_qs(urlparse(response.json()["next"]).query))
    assert len(first + rest) == len(set(first + rest)) == len(many_products)


def test_page_size_default_and_bounds(api_client, many_products, settings):
    settings.COMMERCE = {**settings.COMMERCE, "PAGE_SIZE": 4, "MAX_PAGE_SIZE": 6}
    assert len(slugs(api_client.get(LIST))) == 4
    assert len(slugs(api_client.get(LIST, {"page_size": 5}))) == 5
    assert len(slugs(api_client.get(LIST, {"page_size": 1000}))) == 6


# --- pinned query counts ------------------------------------------------------------------


def make_products(vendor, category, count: int) -> list[Product]:
    """``count`` published products, each with two variants and two images."""
    products = []
    for n in range(count):
        item = ProductFactory(vendor=vendor, category=category)
        VariantFactory(product=item, price=money("5.00"))
        VariantFactory(product=item, price=money("6.00"))
        add_image(item, f"{n}-a.png")
        add_image(item, f"{n}-b.png", position=1)
        products.append(item)
    return products


@pytest.mark.parametrize("who", ["anonymous", "vendor_member", "staff_user"])
@pytest.mark.parametrize("count", [1, 25])
def test_list_query_count_is_constant(
    client_as, who, vendor, category_tree, count, django_assert_num_queries
):
    make_products(vendor, category_tree["books"], count)
    client = client_as(who)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST, {"page_size": 50, "ordering": "price"})
    assert len(slugs(response)) == count
    assert all(item["primary_image"] for item in response.json()["results"])


@pytest.mark.parametrize("count", [1, 25])
def test_filtered_list_query_count_is_constant(
    api_client, vendor, category_tree, count, django_assert_num_queries
):
    make_products(vendor, category_tree["books"], count)
    params = {
        "category": "books",  # +1: the category
        "vendor": vendor.slug,  # +1: the vendor exists
        "in_stock": "true",
        "search": "product",
        "min_price": "1",
        "page_size": 50,
    }
    with django_assert_num_queries(LIST_QUERIES + 2):
        response = api_client.get(LIST, params)
    assert len(slugs(response)) == count


def make_rich_product(vendor, category, variants: int, images: int) -> Product:
    item = ProductFactory(vendor=vendor, category=category, slug="rich")
    for n in range(variants):
        VariantFactory(product=item, price=money(f"{5 + n}.00"), quantity=n)
    for n in range(images):
        add_image(item, f"{n}.png", position=n)
    return item


@pytest.mark.parametrize("who", list(DETAIL_QUERIES))
@pytest.mark.parametrize(("variants", "images"), [(1, 1), (25, 20)])
def test_detail_query_count_is_constant(
    client_as, who, vendor, category_tree, variants, images, django_assert_num_queries
):
    make_rich_product(vendor, category_tree["books"], variants, images)
    client = client_as(who)
    with django_assert_num_queries(DETAIL_QUERIES[who]):
        response = client.get(detail_url("rich"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["variants"]) == variants
    assert len(body["images"]) == images
    if who in INSIDERS:
        assert all("stock" in variant for variant in body["variants"])


def test_stock_record_availability_thresholds():
    record = StockRecord(quantity=10, reserved=4, low_stock_threshold=5)
    assert record.available == 6
    assert record.availability == "in_stock"
    record.reserved = 5
    assert record.availability == "low_stock"
    record.reserved = 10
    assert record.availability == "out_of_stock"
