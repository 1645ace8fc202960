"""Consistency checks run on the bench database after seeding and after the load.

:func:`catalog_problems` checks the denormalized catalog columns the bulk
seeder writes without going through the services, plus the stock
reservations the checkout scenarios make. :func:`run_all` adds commerce's
own invariant checker (``commerce.core.invariants.check_invariants``; before
it moved, ``commerce.invariants``) when this version of commerce has it.
"""

from __future__ import annotations

from importlib import import_module

from django.db import connection

#: Most example rows reported per kind of problem.
EXAMPLES = 5

CHECKS = {
    "product price is not the lowest active variant price": """
        SELECT p.slug FROM commerce_catalog_product p
        LEFT JOIN (
            SELECT product_id, min(price) AS lowest, min(price_currency) AS currency,
                   count(DISTINCT price_currency) AS currencies
            FROM commerce_catalog_variant WHERE is_active GROUP BY product_id
        ) v ON v.product_id = p.id
        WHERE p.price IS DISTINCT FROM v.lowest
           OR (p.price IS NOT NULL AND p.price_currency IS DISTINCT FROM v.currency)
           OR v.currencies > 1
    """,
    "variant without a stock record": """
        SELECT v.sku FROM commerce_catalog_variant v
        LEFT JOIN commerce_catalog_stockrecord s ON s.variant_id = v.id
        WHERE s.id IS NULL
    """,
    "stock record whose movements do not add up to its quantity and reserved": """
        SELECT v.sku FROM commerce_catalog_stockrecord s
        JOIN commerce_catalog_variant v ON v.id = s.variant_id
        LEFT JOIN (
            SELECT stock_record_id, sum(quantity_change) AS quantity,
                   sum(reserved_change) AS reserved
            FROM commerce_catalog_stockmovement GROUP BY stock_record_id
        ) m ON m.stock_record_id = s.id
        WHERE coalesce(m.quantity, 0) <> s.quantity OR coalesce(m.reserved, 0) <> s.reserved
    """,
    "reserved stock differs from the quantity on pending orders": """
        SELECT v.sku FROM commerce_catalog_stockrecord s
        JOIN commerce_catalog_variant v ON v.id = s.variant_id
        LEFT JOIN (
            SELECT l.variant_id, sum(l.quantity) AS quantity
            FROM commerce_orders_orderline l
            JOIN commerce_orders_order o ON o.id = l.order_id
            WHERE o.status = 'pending' GROUP BY l.variant_id
        ) pending ON pending.variant_id = s.variant_id
        WHERE s.reserved <> coalesce(pending.quantity, 0)
    """,
    # The seeder gives every product a primary image (a database seeded before
    # it did is caught here: rerun with --reseed); demo products may have none.
    "bench product without its primary image": """
        SELECT p.slug FROM commerce_catalog_product p
        WHERE EXISTS (SELECT 1 FROM commerce_catalog_variant v
                      WHERE v.product_id = p.id AND v.sku LIKE 'BENCH-%')
          AND NOT EXISTS (SELECT 1 FROM commerce_catalog_productimage i
                          WHERE i.product_id = p.id AND i.is_primary)
    """,
    "published product without a published_at": """
        SELECT slug FROM commerce_catalog_product
        WHERE status = 'published' AND published_at IS NULL
    """,
}


def catalog_problems() -> list[str]:
    """One line per kind of problem found (with a few examples); empty when all is well."""
    problems = []
    with connection.cursor() as cursor:
        for description, sql in CHECKS.items():
            cursor.execute(f"SELECT count(*), (array_agg(x))[1:{EXAMPLES}] FROM ({sql}) AS t(x)")
            count, examples = cursor.fetchone()
            if count:
                problems.append(f"{count} {description}: {', '.join(map(str, examples))}")
    return problems


#: Where versions of commerce keep the invariant checker, newest first: the benchmark
#: runs against whatever version of commerce is installed.
INVARIANT_MODULES = ("commerce.core.invariants", "commerce.invariants")


def commerce_invariant_problems() -> list[str] | None:
    """What commerce's ``check_invariants()`` reports, or ``None`` if this version has none."""
    for name in INVARIANT_MODULES:
        try:
            module = import_module(name)
        except ImportError:
            continue
        break
    else:
        return None
    check = getattr(module, "check_invariants", None)
    if check is None:
        return None
    violations = [str(violation) for violation in check() or []]
    if len(violations) > EXAMPLES * 4:
        more = len(violations) - EXAMPLES * 4
        violations = [*violations[: EXAMPLES * 4], f"... and {more} more"]
    return violations


def run_all() -> dict:
    """``{"catalog": [...], "commerce_invariants": [...] or None}``."""
    return {"catalog": catalog_problems(), "commerce_invariants": commerce_invariant_problems()}
