"""Cached catalog reads: served without queries, stale never, per-user never, broken-cache safe.

These tests commit for real (``transaction=True``): invalidation happens when a
write commits, and reads inside a transaction that wrote skip the cache, so a
test wrapped in one rolled-back transaction would never see the cache at work.

They run against LocMem and, when ``COMMERCE_TEST_REDIS_URL`` is set (for example
``redis://127.0.0.1:6379/0``), against Django's Redis backend too. Only the
generation key and the entries of this file's key prefix are touched, never
``FLUSHDB``.
"""

from __future__ import annotations

import logging
import os

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from commerce.catalog import cache as catalog_cache
from commerce.catalog import services
from commerce.catalog.api.views import ProductViewSet
from commerce.catalog.models import Brand, Category, Product, StockRecord, Vendor
from commerce.checks import check_commerce_settings
from commerce.testing.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    VariantFactory,
)
from tests.catalog.helpers import DETAIL_QUERIES, LIST_QUERIES, add_image, admin_url, stock_form
from tests.helpers import client_for, money

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/catalog/"
LIST = f"{API}products/"
CATEGORIES = f"{API}categories/"
BRANDS = f"{API}brands/"

REDIS_URL = os.environ.get("COMMERCE_TEST_REDIS_URL", "")

BACKENDS = {
    "locmem": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "commerce-catalog-cache-tests",
    },
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "commerce-catalog-cache-tests",
    },
}


def detail_url(slug: str) -> str:
    return f"{LIST}{slug}/"


@pytest.fixture(
    params=[
        "locmem",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(
                not REDIS_URL,
                reason="set COMMERCE_TEST_REDIS_URL=redis://host:port/db to run these "
                "against Django's Redis cache backend",
            ),
        ),
    ]
)
def backend(request, settings):
    """The catalog cache on its own alias, backed by LocMem or by Redis."""
    settings.CACHES = {**settings.CACHES, "catalog": BACKENDS[request.param]}
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE": "catalog"}
    catalog_cache.clear()
    yield caches["catalog"]
    catalog_cache.clear()


@pytest.fixture
def shop(vendor, category_tree, brand):
    """A published shirt (two variants, 10 and 20 in stock, threshold 5) and its image."""
    product = ProductFactory(
        vendor=vendor,
        category=category_tree["shirts"],
        brand=brand,
        name="Plain shirt",
        slug="plain-shirt",
    )
    small = VariantFactory(product=product, sku="SHIRT-S", price=money("12.50"), quantity=10)
    large = VariantFactory(product=product, sku="SHIRT-L", price=money("14.00"), quantity=20)
    image = add_image(product, "front.png", alt_text="Front")
    product.refresh_from_db()
    return {"product": product, "small": small, "large": large, "image": image}


def fetch(url, client=None, **headers):
    """GET ``url``; return the response and how many SQL queries answering it took."""
    client = client or APIClient()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return response, len(queries)


def cached(url, client=None):
    """Read ``url`` twice; the second answer must come from the cache, unchanged."""
    first, _ = fetch(url, client)
    assert first.status_code == 200, first.content
    second, queries = fetch(url, client)
    assert queries == 0, "the second read should be served from the cache"
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    return first.json()


def fresh(url, client=None):
    """Read ``url``, asserting the answer was computed (not served from the cache)."""
    response, queries = fetch(url, client)
    assert response.status_code == 200, response.content
    assert queries > 0, "a write should have made the cached read stale"
    return response.json()


def listed(body) -> dict[str, dict]:
    return {item["slug"]: item for item in body["results"]}


def variant(body, sku: str) -> dict:
    return next(item for item in body["variants"] if item["sku"] == sku)


def tree(body) -> list:
    return [(node["slug"], node["name"], tree(node["children"])) for node in body]


# --- served from the cache ---------------------------------------------------------------

MISSES = {
    CATEGORIES: 1,
    BRANDS: 1,
    LIST: LIST_QUERIES,
    detail_url("plain-shirt"): DETAIL_QUERIES["anonymous"],
}


@pytest.mark.parametrize("url", list(MISSES))
def test_a_cached_read_runs_no_query(backend, shop, url):
    first, queries = fetch(url)
    assert first.status_code == 200, first.content
    # A miss costs what the uncached endpoint always cost (the pinned counts).
    assert queries == MISSES[url]
    for _ in range(3):
        again, queries = fetch(url)
        assert queries == 0
        assert again.status_code == 200
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"] == "application/json"
        assert again["ETag"] == first["ETag"]


def test_cached_and_computed_responses_carry_the_same_headers(backend, shop):
    computed, _ = fetch(LIST)
    served, _ = fetch(LIST)
    for header in ("ETag", "Cache-Control", "Vary", "Content-Type", "Allow"):
        assert served[header] == computed[header], header
    assert computed["Cache-Control"] == "public, no-cache"
    vary = {value.strip() for value in computed["Vary"].split(",")}
    assert {"Accept", "Authorization", "Cookie"} <= vary


def test_query_parameter_order_does_not_split_the_cache(backend, shop):
    first, _ = fetch(f"{LIST}?ordering=price&page_size=5")
    second, queries = fetch(f"{LIST}?page_size=5&ordering=price")
    assert queries == 0
    assert second.json() == first.json()


def test_each_query_and_host_is_its_own_entry(backend, shop, vendor, category_tree):
    for n in range(3):
        item = ProductFactory(vendor=vendor, category=category_tree["books"], slug=f"book-{n}")
        VariantFactory(product=item, price=money(f"{n + 1}.00"))
    by_price = cached(f"{LIST}?ordering=price&page_size=2")
    by_name, queries = fetch(f"{LIST}?ordering=-name&page_size=2")
    assert queries > 0
    assert list(listed(by_name.json())) != list(listed(by_price))
    # Pagination links are absolute: another host must not get this host's links.
    other, queries = fetch(f"{LIST}?ordering=price&page_size=2", HTTP_HOST="localhost")
    assert queries > 0
    assert other.json()["next"].startswith("http://localhost/")
    assert by_price["next"].startswith("http://testserver/")


def test_errors_are_not_cached(backend, shop, vendor, category_tree):
    for _ in range(2):
        response, queries = fetch(detail_url("later"))
        assert response.status_code == 404
        assert queries > 0
    later = ProductFactory(vendor=vendor, category=category_tree["books"], slug="later")
    VariantFactory(product=later, price=money("3.00"))
    assert fresh(detail_url("later"))["slug"] == "later"


def test_the_browsable_api_is_never_cached(backend, shop):
    for _ in range(2):
        response, queries = fetch(f"{LIST}?format=api")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert queries > 0
        assert "ETag" not in response


def test_json_with_an_indent_is_its_own_entry(backend, shop):
    plain = cached(LIST)
    indented, queries = fetch(LIST, HTTP_ACCEPT="application/json; indent=4")
    assert queries > 0
    assert b'\n    "results"' in indented.content
    assert indented.json() == plain


# --- every write is visible on the next read --------------------------------------------


def test_a_price_change(backend, shop):
    url = detail_url("plain-shirt")
    assert cached(LIST)["results"][0]["price"]["amount"] == "12.50"
    assert variant(cached(url), "SHIRT-S")["price"]["amount"] == "12.50"
    services.update_variant(shop["small"], price=money("9.99"))
    assert fresh(LIST)["results"][0]["price"]["amount"] == "9.99"
    assert variant(fresh(url), "SHIRT-S")["price"]["amount"] == "9.99"


def test_a_variant_deactivated(backend, shop):
    url = detail_url("plain-shirt")
    assert {item["sku"] for item in cached(url)["variants"]} == {"SHIRT-S", "SHIRT-L"}
    services.update_variant(shop["small"], is_active=False)
    assert {item["sku"] for item in fresh(url)["variants"]} == {"SHIRT-L"}
    assert fresh(LIST)["results"][0]["price"]["amount"] == "14.00"


def test_a_reservation_that_changes_availability(backend, shop):
    url = detail_url("plain-shirt")
    assert variant(cached(url), "SHIRT-S")["availability"] == "in_stock"
    # 10 -> 5 available: at the threshold, low stock.
    services.reserve({shop["small"]: 5}, reference="R1")
    assert variant(fresh(url), "SHIRT-S")["availability"] == "low_stock"
    cached(url)
    services.reserve({shop["small"]: 5, shop["large"]: 20}, reference="R2")
    body = fresh(url)
    assert {item["availability"] for item in body["variants"]} == {"out_of_stock"}
    assert body["in_stock"] is False
    assert listed(fresh(LIST))["plain-shirt"]["in_stock"] is False
    services.release({shop["large"]: 1}, reference="R2")
    assert listed(fresh(LIST))["plain-shirt"]["in_stock"] is True


def test_a_stock_move_the_public_cannot_see_keeps_the_cache(backend, shop, settings):
    url = detail_url("plain-shirt")
    cached(url)
    cached(LIST)
    # 10 -> 8 available (threshold 5): still in stock, so every response is unchanged.
    services.reserve({shop["small"]: 2}, reference="R1")
    services.commit({shop["small"]: 2}, reference="R1")
    served = {}
    for path in (url, LIST):
        served[path], queries = fetch(path)
        assert queries == 0
    # What the cache kept is exactly what a fresh computation says.
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE": None}
    for path, response in served.items():
        assert fetch(path)[0].content == response.content
    assert StockRecord.objects.get(variant=shop["small"]).quantity == 8


def test_stock_adjusted_through_the_api(backend, shop, vendor_member):
    url = detail_url("plain-shirt")
    cached(url)
    response = client_for(vendor_member).post(
        f"{url}variants/SHIRT-S/stock/", {"quantity": 0, "reason": "Count"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert variant(fresh(url), "SHIRT-S")["availability"] == "out_of_stock"


def test_a_low_stock_threshold_changed_in_the_admin(backend, shop, admin_client):
    url = detail_url("plain-shirt")
    assert variant(cached(url), "SHIRT-L")["availability"] == "in_stock"
    record = StockRecord.objects.get(variant=shop["large"])
    response = admin_client.post(
        admin_url(StockRecord, "change", record.pk), stock_form(record, low_stock_threshold="25")
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert variant(fresh(url), "SHIRT-L")["availability"] == "low_stock"


def test_publish_archive_and_delete(backend, shop, vendor, category_tree):
    draft = ProductFactory(
        vendor=vendor, category=category_tree["books"], slug="draft", status="draft"
    )
    VariantFactory(product=draft, price=money("7.00"))
    assert set(listed(cached(LIST))) == {"plain-shirt"}
    services.update_product(draft, status=Product.Status.PUBLISHED)
    assert set(listed(fresh(LIST))) == {"plain-shirt", "draft"}
    assert cached(detail_url("draft"))["status"] == "published"
    services.archive_product(draft)
    assert set(listed(fresh(LIST))) == {"plain-shirt"}
    assert fetch(detail_url("draft"))[0].status_code == 404
    cached(detail_url("plain-shirt"))
    services.delete_product(shop["product"])
    assert listed(fresh(LIST)) == {}
    assert fetch(detail_url("plain-shirt"))[0].status_code == 404


def test_a_product_renamed_through_the_api(backend, shop, vendor_member):
    cached(LIST)
    response = client_for(vendor_member).patch(
        detail_url("plain-shirt"), {"name": "Oxford shirt"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert listed(fresh(LIST))["plain-shirt"]["name"] == "Oxford shirt"


def test_images_added_promoted_and_deleted(backend, shop):
    url = detail_url("plain-shirt")
    assert [image["alt_text"] for image in cached(url)["images"]] == ["Front"]
    back = add_image(shop["product"], "back.png", alt_text="Back", position=1)
    assert [image["alt_text"] for image in fresh(url)["images"]] == ["Front", "Back"]
    assert listed(cached(LIST))["plain-shirt"]["primary_image"]["alt_text"] == "Front"
    services.update_product_image(back, is_primary=True)
    assert listed(fresh(LIST))["plain-shirt"]["primary_image"]["alt_text"] == "Back"
    cached(url)
    services.update_product_image(shop["image"], alt_text="Front view")
    assert fresh(url)["images"][0]["alt_text"] == "Front view"
    cached(url)
    services.delete_product_image(back)
    body = fresh(url)
    assert [(image["alt_text"], image["is_primary"]) for image in body["images"]] == [
        ("Front view", True)
    ]


def test_categories_added_renamed_and_moved(backend, shop, category_tree, admin_client):
    assert tree(cached(CATEGORIES)) == [
        ("books", "Books", []),
        ("clothing", "Clothing", [("shirts", "Shirts", [("t-shirts", "T-shirts", [])])]),
    ]
    CategoryFactory(name="Atlases", slug="atlases", parent=category_tree["books"])
    assert tree(fresh(CATEGORIES))[0] == ("books", "Books", [("atlases", "Atlases", [])])
    # Renamed the way the admin does it: a plain save of the row.
    cached(LIST)
    shirts = Category.objects.get(slug="shirts")
    shirts.name = "Shirts & tops"
    shirts.save()
    assert listed(fresh(LIST))["plain-shirt"]["category"]["name"] == "Shirts & tops"
    # Dragged in the admin's tree: treebeard rewrites paths with UPDATE queries.
    cached(CATEGORIES)
    response = admin_client.post(
        f"{admin_url(Category, 'changelist')}move/",
        {"node": str(shirts.pk), "target": str(category_tree["books"].pk), "relation": "child"},
    )
    assert response.status_code == 200
    assert tree(fresh(CATEGORIES)) == [
        (
            "books",
            "Books",
            [
                ("atlases", "Atlases", []),
                ("shirts", "Shirts & tops", [("t-shirts", "T-shirts", [])]),
            ],
        ),
        ("clothing", "Clothing", []),
    ]
    # Moved back from code: no save() at all, only treebeard's path rewrite.
    cached(CATEGORIES)
    shirts.refresh_from_db()
    Category.objects.move(shirts, Category.objects.get(slug="clothing"), pos="sorted-child")
    assert [slug for slug, _, _ in tree(fresh(CATEGORIES))[1][2]] == ["shirts"]


def test_brands_added_renamed_in_the_admin_and_deleted(backend, shop, brand, admin_client):
    assert [item["name"] for item in cached(BRANDS)["results"]] == ["Zeta"]
    BrandFactory(name="Acme", slug="acme-brand")
    assert [item["name"] for item in fresh(BRANDS)["results"]] == ["Acme", "Zeta"]
    assert listed(cached(LIST))["plain-shirt"]["brand"]["name"] == "Zeta"
    response = admin_client.post(
        admin_url(Brand, "change", brand.pk), {"name": "Omega", "slug": "zeta"}
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert listed(fresh(LIST))["plain-shirt"]["brand"]["name"] == "Omega"
    assert [item["name"] for item in fresh(BRANDS)["results"]] == ["Acme", "Omega"]
    brand.delete()
    assert listed(fresh(LIST))["plain-shirt"]["brand"] is None


def test_vendor_verified_in_the_admin_and_renamed(
    backend, shop, unverified_vendor, category_tree, admin_client
):
    pending = ProductFactory(vendor=unverified_vendor, category=category_tree["books"], slug="ini")
    VariantFactory(product=pending, price=money("3.00"))
    assert set(listed(cached(LIST))) == {"plain-shirt"}
    response = admin_client.post(
        admin_url(Vendor, "changelist"),
        {"action": "verify_vendors", "_selected_action": [str(unverified_vendor.pk)]},
    )
    assert response.status_code == 302
    assert set(listed(fresh(LIST))) == {"plain-shirt", "ini"}
    cached(LIST)
    unverified_vendor.name = "Initech Ltd"
    unverified_vendor.save(update_fields=["name", "updated_at"])
    assert listed(fresh(LIST))["ini"]["vendor"]["name"] == "Initech Ltd"


def test_a_queryset_update_needs_an_explicit_invalidate(backend, shop):
    cached(LIST)
    Product.objects.filter(pk=shop["product"].pk).update(is_featured=True)
    # No signal for a bulk UPDATE: the documented escape hatch.
    catalog_cache.invalidate()
    assert listed(fresh(LIST))["plain-shirt"]["is_featured"] is True


def test_changed_settings_are_not_answered_from_the_cache(backend, shop, vendor, settings):
    ProductFactory(vendor=vendor, category=shop["product"].category, slug="second")
    VariantFactory(product=Product.objects.get(slug="second"), price=money("1.00"))
    assert len(cached(LIST)["results"]) == 2
    settings.COMMERCE = {**settings.COMMERCE, "PAGE_SIZE": 1}
    assert len(fresh(LIST)["results"]) == 1


if apps.is_installed("commerce.orders"):
    # Only where the orders app is installed (not in the catalog-only host).

    def test_a_checkout_that_sells_out_a_variant(backend, shop):
        from tests.orders.helpers import ADDRESS, checkout

        url = detail_url("plain-shirt")
        assert variant(cached(url), "SHIRT-S")["availability"] == "in_stock"
        client = APIClient()
        added = client.post(
            "/api/v1/cart/lines/", {"variant": str(shop["small"].pk), "quantity": 10}, format="json"
        )
        assert added.status_code == 201, added.content
        placed = checkout(
            client,
            {"shipping_address": ADDRESS, "email": "guest@example.com"},
            token=added.json()["token"],
        )
        assert placed.status_code == 201, placed.content
        assert variant(fresh(url), "SHIRT-S")["availability"] == "out_of_stock"
        assert StockRecord.objects.get(variant=shop["small"]).reserved == 10


# --- races and transactions -------------------------------------------------------------


def test_a_write_committed_while_a_read_computes_is_not_hidden(backend, shop, monkeypatch):
    """The reader has queried, the write commits, then the reader stores its old answer.

    What it stores must not outlive the write: it goes under the generation the
    reader saw before querying, which the write's commit has already left behind.
    """
    writes = []
    paginate = ProductViewSet.get_paginated_response

    def write_between_query_and_store(self, data):
        if not writes:
            writes.append(services.update_variant(shop["small"], price=money("9.99")))
        return paginate(self, data)

    monkeypatch.setattr(ProductViewSet, "get_paginated_response", write_between_query_and_store)
    stale, _ = fetch(LIST)
    assert writes, "the write should have happened during the read"
    assert stale.json()["results"][0]["price"]["amount"] == "12.50"
    assert fresh(LIST)["results"][0]["price"]["amount"] == "9.99"


def test_reads_inside_a_writing_transaction_skip_the_cache(backend, shop):
    cached(LIST)
    with transaction.atomic():
        services.update_variant(shop["small"], price=money("9.99"))
        # Its own write is visible to it...
        assert fresh(LIST)["results"][0]["price"]["amount"] == "9.99"
        transaction.set_rollback(True)
    # ...and neither that uncommitted answer nor the rollback reaches anyone else.
    served, queries = fetch(LIST)
    assert queries == 0
    assert served.json()["results"][0]["price"]["amount"] == "12.50"


def test_an_uncommitted_answer_is_never_stored(backend, shop):
    with transaction.atomic():
        services.update_variant(shop["small"], price=money("9.99"))
        fetch(LIST)
        fetch(LIST)
        transaction.set_rollback(True)
    assert fresh(LIST)["results"][0]["price"]["amount"] == "12.50"


def test_a_read_only_transaction_still_uses_the_cache(backend, shop):
    cached(LIST)
    with transaction.atomic():
        _, queries = fetch(LIST)
    assert queries == 0


def test_a_lost_generation_starts_afresh(backend, shop):
    cached(LIST)
    backend.delete(catalog_cache.GENERATION_KEY)  # evicted, or the cache restarted
    fresh(LIST)
    cached(LIST)


# --- ETag and If-None-Match --------------------------------------------------------------


@pytest.mark.parametrize("url", [CATEGORIES, BRANDS, LIST, detail_url("plain-shirt")])
def test_if_none_match_is_answered_304_when_cached_and_when_not(backend, shop, url):
    first, _ = fetch(url)
    etag = first["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert len(etag) == 34
    served, queries = fetch(url, HTTP_IF_NONE_MATCH=etag)
    assert queries == 0
    assert served.status_code == 304
    assert served.content == b""
    assert served["ETag"] == etag
    assert served["Cache-Control"] == "public, no-cache"
    # The same answer computed anew (the cache forgotten) still matches.
    catalog_cache.clear()
    computed, queries = fetch(url, HTTP_IF_NONE_MATCH=etag)
    assert queries > 0
    assert computed.status_code == 304
    assert computed["ETag"] == etag


@pytest.mark.parametrize(
    "header",
    ["{etag}", "W/{etag}", '"other", {etag}', "*"],
    ids=["exact", "weak", "one-of-several", "star"],
)
def test_if_none_match_forms(backend, shop, header):
    etag = fetch(LIST)[0]["ETag"]
    response, _ = fetch(LIST, HTTP_IF_NONE_MATCH=header.format(etag=etag))
    assert response.status_code == 304


def test_a_stale_etag_gets_the_new_body(backend, shop, vendor, category_tree):
    url = detail_url("plain-shirt")
    old = fetch(url)[0]["ETag"]
    response, _ = fetch(url, HTTP_IF_NONE_MATCH='"something-else"')
    assert response.status_code == 200
    services.update_variant(shop["small"], price=money("9.99"))
    response, _ = fetch(url, HTTP_IF_NONE_MATCH=old)
    assert response.status_code == 200
    assert response["ETag"] != old
    assert variant(response.json(), "SHIRT-S")["price"]["amount"] == "9.99"
    # A write elsewhere in the catalog empties the cache but leaves this body, and
    # its ETag, as they were: the client's copy is still good.
    current = response["ETag"]
    other = ProductFactory(vendor=vendor, category=category_tree["books"], slug="other")
    VariantFactory(product=other, price=money("2.00"))
    response, queries = fetch(url, HTTP_IF_NONE_MATCH=current)
    assert queries > 0
    assert response.status_code == 304


# --- per-user responses ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["vendor_member", "staff_user"])
def test_insiders_are_never_served_the_public_detail(backend, request, shop, who):
    url = detail_url("plain-shirt")
    public = cached(url)
    assert "stock" not in variant(public, "SHIRT-S")
    insider = client_for(request.getfixturevalue(who))
    for _ in range(2):
        response, queries = fetch(url, insider)
        assert queries > 0
        assert variant(response.json(), "SHIRT-S")["stock"]["available"] == 10
        assert response["Cache-Control"] == "private, no-cache"
        # Their own ETag works, on the uncached path.
        again, _ = fetch(url, insider, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        assert again["Cache-Control"] == "private, no-cache"
    # Nor did their reads leave their view in the cache for the public.
    served, queries = fetch(url)
    assert queries == 0
    assert served.json() == public


def test_a_staff_draft_read_is_not_stored(backend, shop, staff_user, vendor, category_tree):
    draft = ProductFactory(
        vendor=vendor, category=category_tree["books"], slug="sec", status="draft"
    )
    VariantFactory(product=draft, price=money("7.00"))
    staff = client_for(staff_user)
    assert fetch(detail_url("sec"), staff)[0].status_code == 200
    assert fetch(detail_url("sec"), staff)[0].status_code == 200
    assert fetch(detail_url("sec"))[0].status_code == 404


def test_the_list_is_shared_because_it_is_the_same_for_everyone(
    backend, shop, staff_user, vendor_member, vendor, category_tree
):
    draft = ProductFactory(
        vendor=vendor, category=category_tree["books"], slug="sec", status="draft"
    )
    VariantFactory(product=draft, price=money("7.00"))
    public = cached(LIST)
    for user in (staff_user, vendor_member):
        response, queries = fetch(LIST, client_for(user))
        assert queries == 0
        assert response.json() == public
    assert set(listed(public)) == {"plain-shirt"}


# --- a cache that fails, or none ---------------------------------------------------------

BROKEN = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "broken": {"BACKEND": "tests.core.helpers.UnreachableCache"},
}


def test_a_failing_cache_degrades_to_uncached_answers(shop, settings, caplog, vendor_member):
    settings.CACHES = BROKEN
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE": "broken"}
    url = detail_url("plain-shirt")
    with caplog.at_level(logging.WARNING, logger="commerce.catalog.cache"):
        for path, expected in MISSES.items():
            for _ in range(2):
                response, queries = fetch(path)
                assert response.status_code == 200, response.content
                assert queries == expected
            revalidated, _ = fetch(path, HTTP_IF_NONE_MATCH=response["ETag"])
            assert revalidated.status_code == 304
        # Writes still commit, and are seen.
        services.update_variant(shop["small"], price=money("9.99"))
        patched = client_for(vendor_member).patch(url, {"name": "Renamed"}, format="json")
        assert patched.status_code == 200, patched.content
    body = fetch(url)[0].json()
    assert body["name"] == "Renamed"
    assert variant(body, "SHIRT-S")["price"]["amount"] == "9.99"
    assert any("uncached" in record.getMessage() for record in caplog.records)
    assert any("Could not invalidate" in record.getMessage() for record in caplog.records)


def test_caching_can_be_turned_off(shop, settings):
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE": None}
    _, queries = fetch(LIST)
    assert queries == LIST_QUERIES
    second, queries = fetch(LIST)
    assert queries == LIST_QUERIES
    # Conditional requests still work without the cache.
    response, _ = fetch(LIST, HTTP_IF_NONE_MATCH=second["ETag"])
    assert response.status_code == 304


def test_a_dummy_cache_means_no_caching(shop, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "none": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE": "none"}
    for _ in range(2):
        response, queries = fetch(LIST)
        assert response.status_code == 200
        assert queries == LIST_QUERIES


# --- settings checks ---------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["default", None])
def test_a_configured_alias_or_none_passes_the_check(alias, settings):
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE": alias}
    assert [m.id for m in check_commerce_settings() if m.id == "commerce.E013"] == []


def test_an_unknown_alias_is_e013(settings):
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE": "catalgo"}
    (message,) = [m for m in check_commerce_settings() if m.id == "commerce.E013"]
    assert "'catalgo'" in message.msg


@pytest.mark.parametrize("timeout", [0, -1, "300", None])
def test_a_timeout_that_is_not_a_positive_whole_number_is_e006(timeout, settings):
    settings.COMMERCE = {**settings.COMMERCE, "CATALOG_CACHE_TIMEOUT": timeout}
    (message,) = check_commerce_settings()
    assert message.id == "commerce.E006"
    assert "CATALOG_CACHE_TIMEOUT" in message.msg
