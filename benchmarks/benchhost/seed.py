"""Bulk seeding for the benchmarks: a million products in minutes, not hours.

``manage.py seed_demo`` builds model instances in Python (about 10,000
products in 18 s), which would take half an hour for a million. This seeder
asks PostgreSQL to generate the rows itself (``INSERT ... SELECT`` over
``generate_series``), in batches of :data:`BATCH` products, one transaction
each.

The rows are what the catalog services would write (the same as
``demo.seed``, which mirrors ``create_product`` then ``create_variant``):

- users, verified vendors, the category tree and brands come from
  ``demo.seed.seed(0)``, i.e. from the services themselves;
- every product is published, with ``published_at`` set, and its card
  columns are what ``refresh_product_cards`` writes: ``price`` the lowest
  active variant price in the variants' one currency, ``compare_at_price``
  that variant's, ``in_stock`` and ``primary_image``;
- every product has one primary ``ProductImage`` (a file name, no file);
- every variant has a ``StockRecord`` (``reserved`` 0, the default low-stock
  threshold), and every variant with stock has exactly one "Initial stock"
  adjustment ``StockMovement`` (``adjust_stock``).

Product ``i`` is derived from hashes of ``i`` (``hashtextextended``), so a
database seeded twice to the same size holds the same names, SKUs
(``BENCH-<i>-<n>``), prices and stock. Names reuse the demo's vocabulary
(categories, nouns, adjectives, brands), so the search scenario finds
matches at every size. :func:`benchhost.checks.catalog_problems` verifies
the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from commerce.catalog.models import Brand, Category, Variant, Vendor
from commerce.conf import commerce_settings
from demo import seed as demo_seed

#: Products generated per transaction.
BATCH = 50_000
SKU_PREFIX = "BENCH-"


def _leaves(nodes=None) -> list[tuple[str, list[str], str, tuple[int, int]]]:
    """``(category slug, nouns, option name, price range)`` of each leaf of the demo tree."""
    leaves = []
    for node in demo_seed.TREE if nodes is None else nodes:
        name, rest = node[0], node[1:]
        if len(rest) == 1:
            leaves.extend(_leaves(rest[0]))
        else:
            nouns, option, price_range = rest
            leaves.append((slugify(name), nouns, option, price_range))
    return leaves


def seeded_count() -> int:
    """How many bench products exist: the highest ``i`` with a ``BENCH-i-1`` SKU."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(substr(sku, {len(SKU_PREFIX) + 1}, 7)::int) FROM {Variant._meta.db_table} "
            "WHERE sku LIKE %s",
            [f"{SKU_PREFIX}%-1"],
        )
        (found,) = cursor.fetchone()
    return found or 0


def _lookup_tables(cursor) -> None:
    """Temporary tables the generator joins: leaves, nouns, option values, brands..."""
    leaves = _leaves()
    categories = dict(Category.objects.values_list("slug", "id"))
    cursor.execute(
        "CREATE TEMP TABLE bench_leaf (n int PRIMARY KEY, category_id uuid, category text, "
        "option text, low int, high int, nouns int) ON COMMIT PRESERVE ROWS"
    )
    cursor.execute("CREATE TEMP TABLE bench_noun (leaf int, k int, noun text)")
    cursor.execute("CREATE TEMP TABLE bench_value (option text, k int, value text, total int)")
    cursor.execute("CREATE TEMP TABLE bench_brand (n int, id uuid, name text)")
    cursor.execute("CREATE TEMP TABLE bench_vendor (n int, id uuid)")
    cursor.execute("CREATE TEMP TABLE bench_adjective (n int, word text)")
    names = dict(Category.objects.values_list("slug", "name"))
    for n, (slug, nouns, option, (low, high)) in enumerate(leaves):
        cursor.execute(
            "INSERT INTO bench_leaf VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [n, categories[slug], names[slug], option, low, high, len(nouns)],
        )
        for k, noun in enumerate(nouns):
            cursor.execute("INSERT INTO bench_noun VALUES (%s, %s, %s)", [n, k, noun])
    for option, values in demo_seed.OPTIONS.items():
        for k, value in enumerate(values):
            cursor.execute(
                "INSERT INTO bench_value VALUES (%s, %s, %s, %s)", [option, k, value, len(values)]
            )
    brand_slugs = [slugify(name) for name in demo_seed.BRANDS]
    brands = {b.slug: b for b in Brand.objects.filter(slug__in=brand_slugs)}
    for n, slug in enumerate(brand_slugs):
        cursor.execute(
            "INSERT INTO bench_brand VALUES (%s, %s, %s)", [n, brands[slug].pk, brands[slug].name]
        )
    vendor_slugs = [slug for _, slug, _ in demo_seed.VENDORS]
    vendors = dict(Vendor.objects.filter(slug__in=vendor_slugs).values_list("slug", "id"))
    for n, slug in enumerate(vendor_slugs):
        cursor.execute("INSERT INTO bench_vendor VALUES (%s, %s)", [n, vendors[slug]])
    for n, word in enumerate(demo_seed.ADJECTIVES):
        cursor.execute("INSERT INTO bench_adjective VALUES (%s, %s)", [n, word])
    # h(i, salt): a stable, non-negative 63-bit hash; the seeder's only randomness.
    cursor.execute(
        "CREATE FUNCTION pg_temp.h(i bigint, salt text) RETURNS bigint LANGUAGE sql IMMUTABLE "
        "AS $$ SELECT hashtextextended(salt || ':' || i, 0) & 9223372036854775807 $$"
    )


PRODUCTS_SQL = """
CREATE TEMP TABLE bench_p AS
SELECT
    g.i,
    gen_random_uuid() AS id,
    gen_random_uuid() AS image_id,
    %(epoch)s::timestamptz + g.i * interval '1 second' AS created_at,
    leaf.category_id,
    leaf.category,
    leaf.option,
    vendor.id AS vendor_id,
    brand.id AS brand_id,
    concat_ws(' ', brand.name, adjective.word, noun.noun,
              substr('ABCDEFGHKMRSTX', 1 + (pg_temp.h(g.i, 'letter') %% 14)::int, 1)
              || ((1 + pg_temp.h(g.i, 'number') %% 99) * 10)) AS name,
    noun.noun,
    CASE WHEN pg_temp.h(g.i, 'currency') %% 100 < 85 THEN 'USD'
         WHEN pg_temp.h(g.i, 'currency') %% 100 < 95 THEN 'EUR'
         ELSE 'GBP' END AS currency,
    pg_temp.h(g.i, 'featured') %% 100 < 8 AS is_featured,
    pg_temp.h(g.i, 'sale') %% 100 < 25 AS on_sale,
    (ARRAY[0, 5, 10, 20])[1 + (pg_temp.h(g.i, 'step') %% 4)::int] AS step,
    (leaf.low + pg_temp.h(g.i, 'price') %% (leaf.high - leaf.low + 1))::numeric
        + (ARRAY[0.99, 0.49, 0.00])[1 + (pg_temp.h(g.i, 'cents') %% 3)::int] AS base,
    least(1 + pg_temp.h(g.i, 'variants') %% 4, value_count.total)::int AS k,
    value_count.total
FROM generate_series(%(first)s, %(last)s) AS g(i)
JOIN bench_leaf leaf
    ON leaf.n = pg_temp.h(g.i, 'leaf') %% (SELECT count(*) FROM bench_leaf)
JOIN bench_noun noun
    ON noun.leaf = leaf.n AND noun.k = pg_temp.h(g.i, 'noun') %% leaf.nouns
JOIN bench_vendor vendor
    ON vendor.n = pg_temp.h(g.i, 'vendor') %% (SELECT count(*) FROM bench_vendor)
JOIN bench_adjective adjective
    ON adjective.n = pg_temp.h(g.i, 'adjective') %% (SELECT count(*) FROM bench_adjective)
JOIN (SELECT DISTINCT option, total FROM bench_value) value_count
    ON value_count.option = leaf.option
LEFT JOIN bench_brand brand
    ON pg_temp.h(g.i, 'branded') %% 100 < 85
   AND brand.n = pg_temp.h(g.i, 'brand') %% (SELECT count(*) FROM bench_brand)
"""

VARIANTS_SQL = """
CREATE TEMP TABLE bench_v AS
SELECT
    p.i,
    p.id AS product_id,
    p.created_at,
    gen_random_uuid() AS id,
    gen_random_uuid() AS stock_id,
    %(prefix)s || lpad(p.i::text, 7, '0') || '-' || (pos + 1) AS sku,
    value.value AS name,
    jsonb_build_object(p.option, value.value) AS options,
    p.currency,
    p.base + pos * p.step AS price,
    p.on_sale,
    pos AS position,
    CASE WHEN pg_temp.h(p.i * 8 + pos, 'stock') %% 100 < 10 THEN 0
         WHEN pg_temp.h(p.i * 8 + pos, 'stock') %% 100 < 25
             THEN 1 + pg_temp.h(p.i * 8 + pos, 'low') %% 5
         ELSE 6 + pg_temp.h(p.i * 8 + pos, 'high') %% 145 END::int AS quantity
FROM bench_p p
CROSS JOIN LATERAL generate_series(0, p.k - 1) AS pos
JOIN bench_value value
    ON value.option = p.option
   AND value.k = pg_temp.h(p.i, 'first-value') %% (p.total - p.k + 1) + pos
"""

INSERT_SQL = [
    # The card, as refresh_product_cards writes it: the from price is the lowest
    # active variant price, position 0's (the base), with that variant's compare-at
    # price; in stock when a variant has some; the primary image (inserted next: the
    # foreign key is checked at commit).
    """
    INSERT INTO commerce_catalog_product (
        id, created_at, updated_at, vendor_id, category_id, brand_id, name, slug, description,
        status, is_featured, price, price_currency, compare_at_price,
        compare_at_price_currency, in_stock, primary_image_id, published_at, deleted_at)
    SELECT id, created_at, created_at, vendor_id, category_id, brand_id, name,
        trim(both '-' from regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')) || '-' || i,
        'The ' || name || ': a ' || lower(noun) || ' from the benchmark catalog''s '
            || lower(category) || ' range.',
        'published', is_featured, base, currency,
        CASE WHEN on_sale THEN round(base * 1.25, 2) END,
        CASE WHEN on_sale THEN currency END,
        EXISTS (SELECT FROM bench_v v WHERE v.product_id = bench_p.id AND v.quantity > 0),
        image_id, created_at, NULL
    FROM bench_p
    """,
    # One primary image per product (a file name only: the list and the detail
    # build its URL, nobody fetches it), as a shop's catalog would have.
    """
    INSERT INTO commerce_catalog_productimage (
        id, created_at, updated_at, product_id, image, alt_text, position, is_primary)
    SELECT image_id, created_at, created_at, id,
        'commerce/products/bench/' || i || '.jpg', name, 0, true
    FROM bench_p
    """,
    """
    INSERT INTO commerce_catalog_variant (
        id, created_at, updated_at, product_id, sku, name, options, price, price_currency,
        compare_at_price, compare_at_price_currency, cost_price, cost_price_currency,
        is_active, position, weight)
    SELECT id, created_at, created_at, product_id, sku, name, options, price, currency,
        CASE WHEN on_sale THEN round(price * 1.25, 2) END,
        CASE WHEN on_sale THEN currency END,
        round(price * 0.6, 2), currency, true, position, 250 + position * 50
    FROM bench_v
    """,
    """
    INSERT INTO commerce_catalog_stockrecord (
        id, created_at, updated_at, variant_id, quantity, reserved, low_stock_threshold)
    SELECT stock_id, created_at, created_at, id, quantity, 0, %(threshold)s FROM bench_v
    """,
    """
    INSERT INTO commerce_catalog_stockmovement (
        id, created_at, updated_at, stock_record_id, kind, quantity_change, reserved_change,
        quantity_after, reserved_after, reason, reference, actor_id)
    SELECT gen_random_uuid(), created_at, created_at, stock_id, 'adjustment', quantity, 0,
        quantity, 0, 'Initial stock', '', NULL
    FROM bench_v WHERE quantity > 0
    """,
]


def seed(
    products: int, *, progress: Callable[[int, int, float], None] | None = None
) -> tuple[int, float]:
    """Make sure bench products ``1..products`` exist; return (created, seconds).

    Products already there are kept; a larger ``products`` adds the missing
    ones. ``progress(done, total, seconds)`` is called after each batch.
    """
    started = time.monotonic()
    demo_seed.seed(0)  # users, verified vendors, categories, brands: through the services
    first = seeded_count() + 1
    if first > products:
        return 0, time.monotonic() - started
    # Product i was created i seconds after the epoch: a later i is newer, as if the
    # catalog grew one product per second, and the newest is just before now.
    epoch = timezone.now() - timedelta(seconds=max(products, 1_000_000) + 1)
    params = {
        "epoch": epoch,
        "prefix": SKU_PREFIX,
        "threshold": commerce_settings.DEFAULT_LOW_STOCK_THRESHOLD,
    }
    with connection.cursor() as cursor:
        _lookup_tables(cursor)
        try:
            for start in range(first, products + 1, BATCH):
                last = min(start + BATCH - 1, products)
                with transaction.atomic():
                    cursor.execute(PRODUCTS_SQL, {**params, "first": start, "last": last})
                    cursor.execute(VARIANTS_SQL, params)
                    for statement in INSERT_SQL:
                        cursor.execute(statement, params)
                    cursor.execute("DROP TABLE bench_p, bench_v")
                if progress is not None:
                    progress(last - first + 1, products - first + 1, time.monotonic() - started)
        finally:
            cursor.execute(
                "DROP TABLE IF EXISTS bench_leaf, bench_noun, bench_value, bench_brand, "
                "bench_vendor, bench_adjective"
            )
            cursor.execute("DROP FUNCTION IF EXISTS pg_temp.h(bigint, text)")
    analyze()
    return products - first + 1, time.monotonic() - started


def analyze() -> None:
    """``VACUUM ANALYZE`` the catalog tables, so the planner knows their new sizes."""
    tables = [
        "commerce_catalog_product",
        "commerce_catalog_productimage",
        "commerce_catalog_variant",
        "commerce_catalog_stockrecord",
        "commerce_catalog_stockmovement",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
