"""The ceiling: the product list's first page from one ``.values()`` query, no DRF.

It returns the same products, in the same order and with the same fields as
``GET /api/v1/catalog/products/`` (``ProductListSerializer``), built by hand
from a single query: the vendor, brand and category joined, availability and
the primary image as subqueries. It runs behind the same middleware in the
same gunicorn workers, so the ratio of an endpoint's throughput to the
ceiling's, measured in the same run, says what the library's own layers
(DRF, serializers, filters, pagination, services) cost on this machine.

The ceiling is what the database can do, so its one query is written the way
PostgreSQL answers fastest: the page is chosen in a subquery and the outer
query annotates only those rows. Written as one flat ``ORDER BY ... LIMIT``
with the availability ``EXISTS`` in the select list, PostgreSQL 15 plans the
``EXISTS`` as a hashed subplan over every stock record (it costs the
subquery for all published products, not for the page), which makes the
query grow with the catalog.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from commerce.catalog.models import Product
from commerce.catalog.selectors import (
    PRODUCT_LIST_FIELDS,
    in_stock_expression,
    primary_image_annotation,
)
from commerce.conf import commerce_settings
from commerce.core.money import currency_exponent


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    quantum = Decimal(1).scaleb(-currency_exponent(currency))
    return {"amount": f"{amount.quantize(quantum):f}", "currency": currency}


def _image(request, image: dict | None) -> dict | None:
    if image is None:
        return None
    return {
        "id": image["id"],
        "url": request.build_absolute_uri(f"{settings.MEDIA_URL}{image['image']}"),
        "alt_text": image["alt_text"],
        "position": image["position"],
        "is_primary": True,  # the annotation reads the primary image only
    }


@require_GET
def no_database(request):
    """The stack's own ceiling: a JSON answer without a query, behind the same middleware
    (the peer run compares it with the oscar host's)."""
    return JsonResponse({"ok": True})


@require_GET
def ceiling(request):
    # The page's ids in a subquery, so PostgreSQL knows the outer query has one
    # page of rows and checks availability per row (see the module docstring).
    page = Product.objects.published().order_by("-created_at", "-id").values("pk")
    rows = (
        Product.objects.filter(pk__in=page[: commerce_settings.PAGE_SIZE])
        .order_by("-created_at", "-id")
        .annotate(
            in_stock=in_stock_expression(),
            primary_image=primary_image_annotation(),
        )
        .values(*PRODUCT_LIST_FIELDS, "in_stock", "primary_image")
    )
    results = [
        {
            "id": row["id"],
            "slug": row["slug"],
            "name": row["name"],
            "price": _money(row["price"], row["price_currency"]),
            "vendor": {"name": row["vendor__name"], "slug": row["vendor__slug"]},
            "brand": (
                {"name": row["brand__name"], "slug": row["brand__slug"]}
                if row["brand__slug"] is not None
                else None
            ),
            "category": {"name": row["category__name"], "slug": row["category__slug"]},
            "is_featured": row["is_featured"],
            "in_stock": row["in_stock"],
            "primary_image": _image(request, row["primary_image"]),
            "created_at": row["created_at"],
        }
        for row in rows
    ]
    return JsonResponse(
        {"next": None, "previous": None, "results": results},
        json_dumps_params={"separators": (",", ":")},
    )
