"""Read queries for the catalog: who may see and manage what, and the list/detail querysets.

Each view's queryset is built here, in one place, with the joins and
prefetches its serializer needs, so the query count stays constant.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from commerce.catalog.models import (
    Category,
    Product,
    ProductImage,
    StockRecord,
    Variant,
    Vendor,
    public_product_filter,
)
from commerce.conf import commerce_settings
from commerce.core.permissions import user_is_staff


def member_vendor_ids(user) -> set:
    """Ids of the vendors ``user`` belongs to (verified or not)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Vendor.objects.filter(memberships__user=user).values_list("pk", flat=True))


def user_can_manage_vendor(user, vendor: Vendor) -> bool:
    """Staff, or a member of ``vendor`` when it is verified (or verification is not required)."""
    if user_is_staff(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if commerce_settings.REQUIRE_VERIFIED_VENDOR and not vendor.is_verified:
        return False
    return vendor.memberships.filter(user=user).exists()


def user_sees_vendor_internals(user, vendor: Vendor) -> bool:
    """Staff, or any member of ``vendor`` (verified or not): cost prices, stock counts, drafts.

    Reading one's own data needs no verification; changing it does
    (:func:`user_can_manage_vendor`).
    """
    if user_is_staff(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return vendor.memberships.filter(user=user).exists()


def vendors_visible_to(user) -> QuerySet[Vendor]:
    """Verified vendors for everyone; members also see their own, staff see all."""
    queryset = Vendor.objects.all()
    if user_is_staff(user):
        return queryset
    if getattr(user, "is_authenticated", False):
        return queryset.filter(Q(is_verified=True) | Q(memberships__user=user)).distinct()
    return queryset.filter(is_verified=True)


def _available_stock():
    return StockRecord.objects.filter(
        variant__product=OuterRef("pk"),
        variant__is_active=True,
        quantity__gt=F("reserved"),
    )


def in_stock_expression():
    """``EXISTS`` an active variant of the product with stock available.

    What ``Product.in_stock`` stores; the services write it, the invariant
    checker compares the two.
    """
    return Exists(_available_stock())


def product_card_expressions() -> dict[str, Any]:
    """What each of a product's card columns should hold, as SQL expressions over its rows.

    The from price is the lowest active variant price (ties go to the first
    variant by position), the compare-at price that variant's, ``in_stock``
    whether an active variant has stock available, ``primary_image`` the image
    marked primary. :func:`~commerce.catalog.services.refresh_product_cards`
    writes them; the ``catalog.product_card`` invariant compares.
    """
    cheapest = Variant.objects.filter(product=OuterRef("pk"), is_active=True).order_by(
        "price", "position", "created_at", "pk"
    )
    primary = ProductImage.objects.filter(product=OuterRef("pk"), is_primary=True)
    expressions = {}
    for money in ("price", "compare_at_price"):
        amount = Product._meta.get_field(money)
        # A Cast, which django-money's update() leaves alone (it cannot read a Subquery).
        expressions[money] = Cast(
            Subquery(cheapest.values(money)[:1]),
            DecimalField(max_digits=amount.max_digits, decimal_places=amount.decimal_places),
        )
        expressions[f"{money}_currency"] = Subquery(cheapest.values(f"{money}_currency")[:1])
    expressions["in_stock"] = in_stock_expression()
    expressions["primary_image_id"] = Subquery(primary.values("pk")[:1])
    return expressions


#: Every column of the product card the services keep (see ``product_card_expressions``).
CARD_COLUMNS = (
    "price",
    "price_currency",
    "compare_at_price",
    "compare_at_price_currency",
    "in_stock",
    "primary_image_id",
)

#: What a product card shows, read as plain values: one query, no subquery per row
#: (``ProductListSerializer`` documents the shape; ``product_card`` builds it).
PRODUCT_CARD_VALUES = (
    "id",
    "slug",
    "name",
    "price",
    "price_currency",
    "compare_at_price",
    "compare_at_price_currency",
    "is_featured",
    "in_stock",
    "created_at",
    "vendor__name",
    "vendor__slug",
    "brand__name",
    "brand__slug",
    "category__name",
    "category__slug",
    "primary_image_id",
    "primary_image_file",
    "primary_image_alt_text",
    "primary_image_position",
)


def product_cards(queryset: QuerySet[Product]) -> QuerySet:
    """``queryset`` read as :data:`PRODUCT_CARD_VALUES`, one query for a page.

    The primary image's columns come by primary key, one small subquery each
    that PostgreSQL runs for the page's rows only, rather than from a fifth
    joined table: the planner's search over five tables cost the page's query
    more than its execution (2.2 ms a round trip against 1.2 ms, on the peer
    run's 2,000 products).
    """
    image = ProductImage.objects.filter(pk=OuterRef("primary_image_id")).order_by()
    return queryset.annotate(
        primary_image_file=Subquery(image.values("image")[:1]),
        primary_image_alt_text=Subquery(image.values("alt_text")[:1]),
        primary_image_position=Subquery(image.values("position")[:1]),
    ).values(*PRODUCT_CARD_VALUES)


def product_list_queryset() -> QuerySet[Product]:
    """Published products, for the list's filters and ordering.

    The view reads a page of it through :func:`product_cards`: every column a
    card shows is stored on the product or a row it reaches by key (the
    services keep ``in_stock``, ``price``, ``compare_at_price`` and
    ``primary_image`` current), so the page is one query with no search per
    product, and plain values skip building models whose money and timestamps
    psycopg and Python would parse for nothing.
    """
    return Product.objects.published()


#: A product as the public detail shows it, besides its variants and images.
PRODUCT_DETAIL_VALUES = (
    *(name for name in PRODUCT_CARD_VALUES if not name.startswith("primary_image_")),
    "description",
    "tax_class__slug",
    "status",
    "published_at",
    "updated_at",
)
#: A variant as the public sees it: its stock reduced to an availability.
PUBLIC_VARIANT_VALUES = (
    "id",
    "sku",
    "name",
    "options",
    "price",
    "price_currency",
    "compare_at_price",
    "compare_at_price_currency",
    "weight",
    "stock__quantity",
    "stock__reserved",
    "stock__low_stock_threshold",
)
IMAGE_VALUES = ("id", "image", "alt_text", "position", "is_primary")


def public_product_detail(slug: str) -> tuple[dict, list[dict], list[dict]] | None:
    """A published product's row, active variants and images as plain values (three
    queries), or ``None``: what the anonymous detail shows (``product_detail``)."""
    row = Product.objects.published().filter(slug=slug).values(*PRODUCT_DETAIL_VALUES).first()
    if row is None:
        return None
    variants = Variant.objects.filter(product_id=row["id"], is_active=True)
    images = ProductImage.objects.filter(product_id=row["id"])
    return row, list(variants.values(*PUBLIC_VARIANT_VALUES)), list(images.values(*IMAGE_VALUES))


def products_visible_to(user) -> QuerySet[Product]:
    """Published products, plus every live product of the user's vendors (all for staff)."""
    queryset = Product.objects.alive()
    if user_is_staff(user):
        return queryset
    public = public_product_filter()
    vendor_ids = member_vendor_ids(user)
    if vendor_ids:
        return queryset.filter(public | Q(vendor_id__in=vendor_ids))
    return queryset.filter(public)


def product_detail_queryset(user) -> QuerySet[Product]:
    """Products ``user`` may see, with every variant (and its stock) and image prefetched.

    Inactive variants are prefetched too; the serializer drops them for viewers
    who cannot manage the product, which costs no extra query.
    """
    return (
        products_visible_to(user)
        .select_related("vendor", "brand", "category", "tax_class")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.select_related("stock")),
            "images",
        )
    )


#: What the category tree shows of each category (and ``path``, which places it).
CATEGORY_TREE_VALUES = ("id", "name", "slug", "description", "path")


def category_tree_rows() -> QuerySet:
    """Every category as plain values, each after its parent (in ``path`` order): one query."""
    return Category.objects.order_by("path").values(*CATEGORY_TREE_VALUES)


def category_with_descendants(category: Category) -> QuerySet[Category]:
    return Category.objects.filter(path__startswith=category.path)


def visibility_problems(product: Product) -> list[str]:
    """Why shoppers cannot find or buy ``product``, each with what to do; empty when on sale.

    Kept beside the queries it explains: the reasons are those of
    :func:`~commerce.catalog.models.public_product_filter` (which decides what the API
    lists; a test keeps the two in step), plus stock: a product with no stock available
    is listed but sold out (``product.in_stock``).
    """
    reasons = []
    if product.deleted_at is not None:
        reasons.append(_("No: it is deleted."))
    if product.status == Product.Status.DRAFT:
        reasons.append(_("No: it is a draft; set its status to published."))
    elif product.status == Product.Status.ARCHIVED:
        reasons.append(_("No: it is archived; set its status to published to sell it again."))
    if commerce_settings.REQUIRE_VERIFIED_VENDOR and not product.vendor.is_verified:
        reasons.append(
            _(
                "No: its vendor %(vendor)s is not verified; verify it in the vendor list "
                "(action \u201cVerify selected vendors\u201d)."
            )
            % {"vendor": product.vendor.name}
        )
    if product.price is None:
        reasons.append(_("No: it has no active variant with a price; add one below."))
    if not product.in_stock:
        reasons.append(_("Sold out: no active variant has stock; set stock on its variants below."))
    return reasons
