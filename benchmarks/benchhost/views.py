"""The ceiling: the product list's first page from one ``.values()`` query, no DRF.

It returns the same products, in the same order and with the same fields as
``GET /api/v1/catalog/products/``, from the same query and the same
``product_card`` builder, without DRF's request, filter, pagination and
renderer layers. It runs behind the same middleware in the same gunicorn
workers, so the ratio of an endpoint's throughput to the ceiling's, measured
in the same run, says what those layers cost on this machine.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from commerce.catalog.api.serializers import product_card
from commerce.catalog.selectors import product_cards, product_list_queryset
from commerce.conf import commerce_settings


@require_GET
def no_database(request):
    """The stack's own ceiling: a JSON answer without a query, behind the same middleware
    (the peer run compares it with the oscar host's)."""
    return JsonResponse({"ok": True})


@require_GET
def ceiling(request):
    rows = product_cards(product_list_queryset().order_by("-created_at", "-id"))
    results = [product_card(row, request) for row in rows[: commerce_settings.PAGE_SIZE]]
    return JsonResponse(
        {"next": None, "previous": None, "results": results},
        json_dumps_params={"separators": (",", ":")},
    )
