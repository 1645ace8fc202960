"""The benchmark's own parts: the bulk seeder, the checks, the ceiling, the fixture, the report.

PostgreSQL only (the seeder asks PostgreSQL to generate the rows). Run with
``benchmarks`` and ``example_project`` importable, e.g.::

    DATABASE_URL=postgres://commerce:commerce@127.0.0.1:5432/commerce \
    PYTHONPATH=benchmarks python -m pytest benchmarks/tests --ds benchhost.settings
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchhost import checks, seed
from commerce.catalog.models import Product, StockMovement, StockRecord, Variant
from commerce.conf import commerce_settings
from commerce.orders.models import Order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the bulk seeder generates rows in PostgreSQL; set DATABASE_URL to a PostgreSQL",
    ),
]

#: The run the docs publish (docs/performance.rst includes its tables and chart).
PUBLISHED_RUN = Path(__file__).resolve().parent.parent / "results" / "published" / "results.json"
#: The run of the largest cart the docs publish.
PUBLISHED_BIGCART = (
    Path(__file__).resolve().parent.parent / "results" / "published-bigcart" / "results.json"
)


def test_seeded_rows_are_what_the_services_write(seeded):
    products = Product.objects.filter(variants__sku__startswith=seed.SKU_PREFIX).distinct()
    assert products.count() == seeded
    for product in products.prefetch_related("variants__stock__movements"):
        variants = list(product.variants.all())
        assert 1 <= len(variants) <= 4
        assert product.status == Product.Status.PUBLISHED
        assert product.published_at is not None
        assert product.vendor.is_verified
        # _refresh_product_price: the lowest active variant price, in their one currency.
        assert {str(v.price.currency) for v in variants} == {str(product.price.currency)}
        assert product.price == min((v.price for v in variants), key=lambda m: m.amount)
        for variant in variants:
            stock = variant.stock
            assert stock.reserved == 0
            assert stock.low_stock_threshold == commerce_settings.DEFAULT_LOW_STOCK_THRESHOLD
            movements = list(stock.movements.all())
            # create_variant(quantity=n): one "Initial stock" adjustment, none for zero.
            if stock.quantity:
                assert [(m.kind, m.quantity_change, m.reason) for m in movements] == [
                    (StockMovement.Kind.ADJUSTMENT, stock.quantity, "Initial stock")
                ]
            else:
                assert movements == []
            assert variant.price.amount == variant.price.amount.quantize(Decimal("0.01"))
            assert variant.options == {next(iter(variant.options)): variant.name}
    assert checks.catalog_problems() == []


def test_seeding_is_deterministic_and_tops_up(seeded):
    before = dict(Product.objects.values_list("slug", "name"))
    skus = set(Variant.objects.values_list("sku", flat=True))
    assert seed.seed(seeded)[0] == 0
    created, _ = seed.seed(seeded + 15)
    assert created == 15
    assert seed.seeded_count() == seeded + 15
    after = dict(Product.objects.values_list("slug", "name"))
    assert {slug: after[slug] for slug in before} == before
    assert skus < set(Variant.objects.values_list("sku", flat=True))
    # The newest product is the last one seeded: the list shows it first.
    assert Product.objects.order_by("-created_at").first().slug.endswith(f"-{seeded + 15}")
    assert checks.catalog_problems() == []


def test_the_checks_pass_what_the_services_write():
    call_command("seed_demo", products=8, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert checks.catalog_problems() == []


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [
        (
            "UPDATE commerce_catalog_product SET price = price + 1 WHERE id = "
            "(SELECT id FROM commerce_catalog_product LIMIT 1)",
            "product price is not the lowest active variant price",
        ),
        (
            "UPDATE commerce_catalog_product SET price_currency = 'NGN' WHERE id = "
            "(SELECT id FROM commerce_catalog_product LIMIT 1)",
            "product price is not the lowest active variant price",
        ),
        (
            "WITH s AS (SELECT id FROM commerce_catalog_stockrecord LIMIT 1), "
            "m AS (DELETE FROM commerce_catalog_stockmovement "
            "WHERE stock_record_id IN (SELECT id FROM s)) "
            "DELETE FROM commerce_catalog_stockrecord WHERE id IN (SELECT id FROM s)",
            "variant without a stock record",
        ),
        (
            "UPDATE commerce_catalog_stockrecord SET quantity = quantity + 3 WHERE id = "
            "(SELECT id FROM commerce_catalog_stockrecord LIMIT 1)",
            "movements do not add up",
        ),
        (
            "UPDATE commerce_catalog_stockrecord SET reserved = 1, quantity = quantity + 1 "
            "WHERE id = (SELECT id FROM commerce_catalog_stockrecord LIMIT 1)",
            "reserved stock differs from the quantity on pending orders",
        ),
        (
            # The card lets go of it first (on_delete=SET_NULL is Django's, not the table's).
            "WITH image AS (SELECT id FROM commerce_catalog_productimage ORDER BY id LIMIT 1), "
            "unlinked AS (UPDATE commerce_catalog_product SET primary_image_id = NULL "
            "WHERE primary_image_id IN (SELECT id FROM image)) "
            "DELETE FROM commerce_catalog_productimage WHERE id IN (SELECT id FROM image)",
            "bench product without its primary image",
        ),
        (
            "UPDATE commerce_catalog_product SET published_at = NULL WHERE id = "
            "(SELECT id FROM commerce_catalog_product LIMIT 1)",
            "published product without a published_at",
        ),
    ],
)
def test_the_checks_catch_each_problem(seeded, corrupt, expected):
    with connection.cursor() as cursor:
        cursor.execute(corrupt)
    problems = checks.catalog_problems()
    assert any(expected in problem for problem in problems), problems


def test_the_ceiling_returns_the_api_first_page_in_one_query(seeded):
    client = Client(HTTP_HOST="127.0.0.1")
    api = client.get("/api/v1/catalog/products/").json()["results"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/bench/ceiling/")
    assert response.status_code == 200
    assert len(queries) == 1
    ceiling = response.json()["results"]
    assert len(ceiling) == commerce_settings.PAGE_SIZE
    assert [row["id"] for row in ceiling] == [row["id"] for row in api]
    for mine, theirs in zip(ceiling, api, strict=True):
        assert set(mine) == set(theirs)
        fields = ("slug", "name", "price", "vendor", "brand", "category", "in_stock")
        for field in (*fields, "primary_image"):
            assert mine[field] == theirs[field], field


def test_the_no_database_view_answers_without_a_query():
    client = Client(HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/bench/nodb/")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert len(queries) == 0
    assert client.post("/bench/nodb/").status_code == 405


def test_the_fixture_prepares_hot_variants(seeded, tmp_path):
    out = tmp_path / "fixture.json"
    call_command("bench_fixture", str(out), hot="a:2:7,b:1:3", stdout=open("/dev/null", "w"))  # noqa: SIM115
    data = json.loads(out.read_text())
    assert len(data["products"]) == seeded
    assert [len(data["hot"]["a"]), len(data["hot"]["b"])] == [2, 1]
    hot = data["hot"]["a"] + data["hot"]["b"]
    assert not set(hot) & set(data["variants"])
    stock = dict(
        StockRecord.objects.filter(variant_id__in=hot).values_list("variant_id", "quantity")
    )
    assert sorted(stock.values()) == [3, 7, 7]
    currencies = set(
        Variant.objects.filter(pk__in=data["variants"]).values_list("price_currency", flat=True)
    )
    assert currencies == {commerce_settings.DEFAULT_CURRENCY}
    assert data["cart_max_lines"] == commerce_settings.CART_MAX_LINES
    assert checks.catalog_problems() == []


def test_the_largest_checkout_is_planned_then_rolled_back(seeded, settings, tmp_path):
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINES": 40}
    before = (StockRecord.objects.filter(reserved__gt=0).count(), StockMovement.objects.count())
    out = tmp_path / "out.txt"
    with out.open("w") as handle:
        call_command("bench_statement_costs", stdout=handle)
    found = json.loads(out.read_text().strip().splitlines()[-1])
    assert found["lines"] == 40
    # Checkout and payment, whatever the cart's size: one batch per step, and the
    # pricing's reads (promotions, zones, shipping methods, tax rates), a constant.
    assert 10 <= found["statements"] <= 35
    assert 0 < found["highest_planned_cost"] < found["jit_above_cost"]
    assert found["jit"] in {"on", "off"}
    # Nothing stays: no order, no reservation, no movement.
    assert not Order.objects.exists()
    after = (StockRecord.objects.filter(reserved__gt=0).count(), StockMovement.objects.count())
    assert after == before


def test_the_report_renders_the_published_run(tmp_path):
    from report import endpoint_rows, write_report

    results = tmp_path / "results.json"
    results.write_text(PUBLISHED_RUN.read_text())
    markdown = write_report(results).read_text()
    assert "| product list | off |" in markdown
    assert (tmp_path / "chart.png").stat().st_size > 10_000
    rows = {
        (row["label"], row["mode"]): row for row in endpoint_rows(json.loads(results.read_text()))
    }
    listed = rows[("product list", "off")]
    assert listed["target"] == 0.50
    assert listed["met"] == (listed["ratio"] >= 0.50)


def test_the_rst_tables_hold_the_report_figures(tmp_path):
    from report import endpoint_rows, write_report

    results = tmp_path / "results.json"
    results.write_text(PUBLISHED_RUN.read_text())
    write_report(results)
    text = (tmp_path / "tables.rst.inc").read_text()
    tables = text.split(".. list-table::")[1:]
    assert len(tables) == 3  # endpoints, scale, contention
    for table in tables:
        # Every row has as many cells as the header.
        rows = table.split("   * - ")[1:]
        widths = {row.count("\n     -") + 1 for row in rows}
        assert len(widths) == 1, widths
    listed = next(
        row
        for row in endpoint_rows(json.loads(results.read_text()))
        if row["label"] == "product list"
    )
    assert f"   * - product list\n     - off\n     - {listed['rps']:.1f}\n" in text
    assert "Sell-out:" in text
    assert "no problems" in text


def test_the_report_renders_the_published_largest_cart(tmp_path):
    from report import bigcart_rows, write_report

    results = tmp_path / "results.json"
    results.write_text(PUBLISHED_BIGCART.read_text())
    found = json.loads(results.read_text())
    markdown = write_report(results).read_text()
    rows = {row["label"]: row for row in bigcart_rows(found)}
    lines = found["bigcart"]["lines"]
    checkout = rows[f"checkout of the {lines}-line cart"]
    assert checkout["errors"] == 0
    assert checkout["max"] == found["bigcart"]["stats"]["endpoints"]["bigcart checkout"]["max_ms"]
    assert f"| checkout of the {lines}-line cart |" in markdown
    assert "worker timeout" in markdown
    text = (tmp_path / "tables.rst.inc").read_text()
    table = text.split(".. list-table:: The largest cart")[1]
    widths = {row.count("\n     -") + 1 for row in table.split("   * - ")[1:6]}
    assert widths == {7}
    threshold = found["bigcart"]["plan"]["jit_above_cost"]
    assert f"JIT threshold (jit_above_cost) of {threshold:,.0f}" in text
