"""Catalog test helpers: the cast of viewers, images, admin forms and the pinned query counts."""

from __future__ import annotations

from django.urls import reverse

from commerce.catalog import services
from commerce.catalog.models import ProductImage

#: Everyone the API must answer correctly, by fixture name ("anonymous" has none).
CAST = [
    "anonymous",
    "customer",
    "vendor_member",
    "other_vendor_member",
    "unverified_vendor_member",
    "staff_user",
]

#: Who may see a product's internals (cost, stock counts) and its drafts.
INSIDERS = {"vendor_member", "staff_user"}

# Anonymous: the page's card values, with vendor, brand, category and the primary
# image joined (no subquery). A member's client is authenticated without a query.
LIST_QUERIES = 1

# Product (+ joins), variants with their stock, images; for a signed-in
# non-staff viewer also the vendors they belong to (what they may see) and whether
# they belong to this product's vendor (whether they see its internals).
DETAIL_QUERIES = dict.fromkeys(CAST, 5) | {"anonymous": 3, "staff_user": 3}


def add_image(product, name: str = "a.png", **kwargs) -> ProductImage:
    """An image row without a file on disk (enough for serializers and services)."""
    return services.add_product_image(product, image=f"commerce/products/{name}", **kwargs)


def admin_url(model_or_obj, view: str, *args) -> str:
    """The admin URL of ``view`` (``"changelist"``, ``"change"``...) for a model or object."""
    opts = model_or_obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def inline_management(prefix: str, total: int, initial: int) -> dict[str, str]:
    """The management form fields of the admin inline ``prefix``."""
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def stock_form(record, **fields) -> dict[str, str]:
    """The stock record's admin change form, unchanged but for ``fields``."""
    return {
        "low_stock_threshold": str(record.low_stock_threshold),
        "change": "",
        "reason": "",
        "reference": "",
        **inline_management("movements", 0, 0),
        **fields,
    }
