"""The oscar host's two reference views, the same as commerce's ``benchhost.views``.

``no_database``: a JSON answer without touching the database, behind the same
middleware: what the stack (gunicorn, Django, middleware) costs on its own.
``product_values``: oscar-api's product list page (``ProductList``: oscar's
``Product.objects.all()``, its default ordering, the first 20) from one bare
``.values()`` query with the fields ``ProductLinkSerializer`` returns.
"""

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from oscar.core.loading import get_model

Product = get_model("catalogue", "Product")
PAGE_SIZE = 20


@require_GET
def no_database(request):
    return JsonResponse({"ok": True})


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def product_values(request):
    rows = Product.objects.all()[:PAGE_SIZE].values("id", "upc", "title")
    results = [
        {
            "url": request.build_absolute_uri(reverse("product-detail", args=[row["id"]])),
            **row,
        }
        for row in rows
    ]
    return JsonResponse({"next": None, "previous": None, "results": results})
