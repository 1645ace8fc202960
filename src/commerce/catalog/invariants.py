"""The catalog's invariants: stock records hold what their constraints promise.

Registered with :mod:`commerce.core.invariants` when the app is ready; see
the invariants page of the docs for what each code means.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Q

from commerce.catalog.models import Product, StockRecord
from commerce.catalog.selectors import CARD_COLUMNS, product_card_expressions
from commerce.core.invariants import Violation, differs, register, stream

CODES = {
    "stock.negative_quantity": "A stock record's quantity is below zero.",
    "stock.negative_reserved": "A stock record's reserved quantity is below zero.",
    "stock.reserved_exceeds_quantity": "A stock record reserves more than it holds.",
}


@register(CODES)
def stock_records() -> Iterator[Violation]:
    """Quantities and reservations that the database constraints should already forbid
    (kept for databases or migrations that lost them)."""
    broken = (
        StockRecord.objects.filter(
            Q(quantity__lt=0) | Q(reserved__lt=0) | Q(reserved__gt=F("quantity"))
        )
        .order_by("variant__sku")
        .values("variant__sku", "quantity", "reserved")
    )
    for row in stream(broken):
        sku, quantity, reserved = row["variant__sku"], row["quantity"], row["reserved"]
        if quantity < 0:
            yield Violation("stock.negative_quantity", f"quantity is {quantity}", sku)
        if reserved < 0:
            yield Violation("stock.negative_reserved", f"reserved is {reserved}", sku)
        # A negative quantity is the fault to fix; "reserves more" would only repeat it.
        if reserved > quantity >= 0:
            yield Violation(
                "stock.reserved_exceeds_quantity",
                f"reserved {reserved}, but only {quantity} in stock",
                sku,
            )


@register(
    {
        "catalog.product_card": (
            "A product's card columns (from price, compare-at price, in stock, primary "
            "image) differ from what its variants, stock and images say; "
            "refresh_product_cards() rewrites them."
        )
    }
)
def product_cards() -> Iterator[Violation]:
    """Products whose stored card is not what their rows say, in one query."""
    expected = {
        f"expected_{name}": expression for name, expression in product_card_expressions().items()
    }
    broken = Q()
    for name in CARD_COLUMNS:
        stored, wanted = name, f"expected_{name}"
        broken |= (
            differs(stored, wanted)
            | Q(**{f"{stored}__isnull": True, f"{wanted}__isnull": False})
            | Q(**{f"{stored}__isnull": False, f"{wanted}__isnull": True})
        )
    rows = (
        Product.objects.annotate(**expected)
        .filter(broken)
        .order_by("slug")
        .values("slug", *CARD_COLUMNS, *expected)
    )
    for row in stream(rows):
        wrong = [
            f"{name} is {row[name]!r}, should be {row[f'expected_{name}']!r}"
            for name in CARD_COLUMNS
            if row[name] != row[f"expected_{name}"]
        ]
        yield Violation("catalog.product_card", "; ".join(wrong), row["slug"])
