"""The catalog's invariants: stock records hold what their constraints promise.

Registered with :mod:`commerce.core.invariants` when the app is ready; see
the invariants page of the docs for what each code means.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Q

from commerce.catalog.models import StockRecord
from commerce.core.invariants import Violation, register, stream

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
