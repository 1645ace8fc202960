"""Catalog data: categories, brands, vendors, products, variants, images, stock.

Models hold data and small properties. Every change that has a business rule
behind it (prices, stock, verification) goes through :mod:`commerce.catalog.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from treebeard.mp_tree import MP_Node

from commerce.conf import commerce_settings
from commerce.core.apps import require_installed

require_installed("commerce.catalog", "commerce.core")

from commerce.core.models import BaseModel  # noqa: E402
from commerce.core.money import MONEY_FIELD_OPTIONS  # noqa: E402


class Category(MP_Node, BaseModel):
    """A node in the category tree (materialized path, via django-treebeard)."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Brand(BaseModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class TaxClass(BaseModel):
    """A kind of goods that tax rates tell apart ("reduced", "books", "zero-rated").

    A product without one is in the *default* class (``tax_class=None``): rates
    without a class apply to it. The rates themselves live in
    :mod:`commerce.pricing`, which reads this model.
    """

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tax class")
        verbose_name_plural = _("tax classes")

    def __str__(self) -> str:
        return self.name


class Vendor(BaseModel):
    """A shop that sells through the catalog; its members manage its products."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="VendorMembership",
        related_name="commerce_vendors",
        blank=True,
    )
    is_verified = models.BooleanField(_("verified"), default=False, db_index=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self) -> str:
        return self.name


class VendorMembership(BaseModel):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="commerce_vendor_memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.MEMBER)

    class Meta:
        verbose_name = _("vendor membership")
        verbose_name_plural = _("vendor memberships")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "user"], name="commerce_vendor_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.vendor}"


class ProductQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def published(self):
        """What the public sees: see :func:`public_product_filter`."""
        return self.filter(public_product_filter())


def public_product_filter(prefix: str = "") -> Q:
    """The products anyone may see and buy.

    Published, not deleted, priced, and (while ``REQUIRE_VERIFIED_VENDOR`` is
    on) sold by a verified vendor. ``prefix`` reaches a product through a
    relation, e.g. ``"product__"`` from a variant.
    """
    condition = Q(
        **{
            f"{prefix}status": Product.Status.PUBLISHED,
            f"{prefix}price__isnull": False,
            f"{prefix}deleted_at__isnull": True,
        }
    )
    if commerce_settings.REQUIRE_VERIFIED_VENDOR:
        condition &= Q(**{f"{prefix}vendor__is_verified": True})
    return condition


class Product(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="products", verbose_name=_("vendor")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    brand = models.ForeignKey(
        Brand,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("brand"),
    )
    # PROTECT: a class that products use cannot vanish and silently move them to
    # the default class (and its rates).
    tax_class = models.ForeignKey(
        TaxClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("tax class"),
        help_text=_("Empty: the default class."),
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    is_featured = models.BooleanField(_("featured"), default=False)
    # The lowest price among active variants, kept by the services so the list
    # can filter and order on one indexed column. Null while no variant is active.
    price = MoneyField(
        _("from price"), null=True, blank=True, editable=False, **MONEY_FIELD_OPTIONS
    )
    # The rest of the product card, kept by the services like ``price`` so that the
    # list reads columns, not a subquery per row; check_invariants() verifies them.
    compare_at_price = MoneyField(
        _("from compare-at price"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The compare-at price of the variant the from price is."),
        **MONEY_FIELD_OPTIONS,
    )
    in_stock = models.BooleanField(
        _("in stock"),
        default=False,
        editable=False,
        help_text=_("Whether an active variant has stock available."),
    )
    primary_image = models.ForeignKey(
        "ProductImage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("primary image"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="commerce_product_st_created"),
            models.Index(fields=["status", "price"], name="commerce_product_st_price"),
            models.Index(fields=["status", "name"], name="commerce_product_st_name"),
            models.Index(
                fields=["is_featured"],
                name="commerce_product_featured",
                condition=Q(is_featured=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_public(self) -> bool:
        """Whether anyone may see and buy it (reads ``vendor``: select it with the product)."""
        return (
            self.status == self.Status.PUBLISHED
            and self.price is not None
            and self.deleted_at is None
            and (self.vendor.is_verified or not commerce_settings.REQUIRE_VERIFIED_VENDOR)
        )


class Variant(BaseModel):
    """A purchasable SKU of a product: its own price, options and stock."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product")
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Option values, e.g. {"size": "M", "colour": "red"}.
    options = models.JSONField(_("options"), default=dict, blank=True)
    price = MoneyField(_("price"), **MONEY_FIELD_OPTIONS)
    compare_at_price = MoneyField(
        _("compare-at price"), null=True, blank=True, **MONEY_FIELD_OPTIONS
    )
    # What the vendor paid: shown to vendor members and staff only.
    cost_price = MoneyField(_("cost price"), null=True, blank=True, **MONEY_FIELD_OPTIONS)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Shipping rates by weight read it; 0 means unknown (weighs nothing).
    weight = models.PositiveIntegerField(
        _("weight (g)"), default=0, help_text=_("Grams, for shipping by weight.")
    )

    class Meta:
        ordering = ["position", "created_at"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        indexes = [
            models.Index(fields=["product", "is_active"], name="commerce_variant_active"),
            # The product search matches a SKU whatever its case (sku__iexact):
            # without this, PostgreSQL reads every variant for each search.
            models.Index(Upper("sku"), name="commerce_variant_sku_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} ({self.product_id and self.product.name})"

    @property
    def is_purchasable(self) -> bool:
        """Active, and its product is public (select ``product__vendor`` with it)."""
        return self.is_active and self.product.is_public


class ProductImage(BaseModel):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product")
    )
    image = models.ImageField(_("image"), upload_to="commerce/products/%Y/%m/")
    alt_text = models.CharField(_("alt text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["position", "created_at"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(is_primary=True),
                name="commerce_image_one_primary",
            )
        ]

    def __str__(self) -> str:
        return self.alt_text or self.image.name


class StockRecord(BaseModel):
    """Stock of one variant. ``available = quantity - reserved``.

    The check constraints are the last line against overselling: whatever a
    bug in Python does, the database refuses ``reserved > quantity``.
    """

    class Availability(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        LOW_STOCK = "low_stock", _("Low stock")
        OUT_OF_STOCK = "out_of_stock", _("Out of stock")

    variant = models.OneToOneField(
        Variant, on_delete=models.CASCADE, related_name="stock", verbose_name=_("variant")
    )
    quantity = models.IntegerField(_("quantity"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock threshold"), default=5)

    class Meta:
        verbose_name = _("stock record")
        verbose_name_plural = _("stock records")
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="commerce_stock_reserved_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("quantity")),
                name="commerce_stock_reserved_lte_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}: {self.available} available"

    @property
    def available(self) -> int:
        return self.quantity - self.reserved

    @property
    def availability(self) -> str:
        return self.availability_of(self.available, self.low_stock_threshold)

    @classmethod
    def availability_of(cls, available: int, low_stock_threshold: int) -> str:
        """What the public sees of ``available`` units: in, low or out of stock."""
        if available <= 0:
            return cls.Availability.OUT_OF_STOCK
        if available <= low_stock_threshold:
            return cls.Availability.LOW_STOCK
        return cls.Availability.IN_STOCK


class StockMovement(BaseModel):
    """One audit row per change to a stock record: who, why, by how much."""

    class Kind(models.TextChoices):
        ADJUSTMENT = "adjustment", _("Adjustment")
        RESERVE = "reserve", _("Reserve")
        RELEASE = "release", _("Release")
        COMMIT = "commit", _("Commit")

    stock_record = models.ForeignKey(
        StockRecord, on_delete=models.CASCADE, related_name="movements"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    quantity_change = models.IntegerField(_("quantity change"), default=0)
    reserved_change = models.IntegerField(_("reserved change"), default=0)
    quantity_after = models.IntegerField(_("quantity after"))
    reserved_after = models.IntegerField(_("reserved after"))
    reason = models.CharField(_("reason"), max_length=255)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity_change:+d}/{self.reserved_change:+d}: {self.reason}"
