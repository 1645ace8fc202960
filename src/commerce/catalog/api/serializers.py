"""Catalog serializers: lean for lists, rich for details, separate ones for writes.

Writes validate input and hand plain values to :mod:`commerce.catalog.services`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    StockRecord,
    TaxClass,
    Variant,
    Vendor,
)
from commerce.core.api.fields import (
    MoneyField,
    SlugLookupField,
    StringMapField,
    column_integer_field,
    format_amount,
)
from commerce.core.api.serializers import RejectUnknownFieldsMixin
from commerce.core.columns import integer_range


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug"]


class TaxClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxClass
        fields = ["id", "name", "slug"]


class VendorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "name", "slug", "description", "is_verified", "verified_at"]


# Declared fields, not a ModelSerializer: a ModelSerializer rebuilds its fields
# from the model on every instantiation, and every product list page makes these.
class NameSlugSerializer(serializers.Serializer):
    """A related object as a product card names it: its name and slug."""

    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)


class CategorySummarySerializer(NameSlugSerializer):
    pass


class CategoryTreeSerializer(serializers.ModelSerializer):
    """A category and, recursively, its children: documents :func:`category_tree`'s
    output (the view answers with that; a test keeps the two equal)."""

    children = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description", "children"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, category):
        return CategoryTreeSerializer(getattr(category, "tree_children", []), many=True).data


def category_tree(rows) -> list[dict]:
    """``CategoryTreeSerializer``'s output for every category, from
    ``selectors.category_tree_rows()``: plain dictionaries, linked by path.

    The rows come parent first, so each node's parent is built before it.
    """
    steplen = Category.steplen
    by_path: dict[str, dict] = {}
    roots: list[dict] = []
    for row in rows:
        node = {
            "id": str(row["id"]),
            "name": row["name"],
            "slug": row["slug"],
            "description": row["description"],
            "children": [],
        }
        by_path[row["path"]] = node
        parent = by_path.get(row["path"][:-steplen])
        (parent["children"] if parent else roots).append(node)
    return roots


class CategoryDetailSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()
    ancestors = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description", "parent", "ancestors", "children"]

    @extend_schema_field(CategorySummarySerializer(allow_null=True))
    def get_parent(self, category):
        ancestors = self.context["ancestors"]
        return CategorySummarySerializer(ancestors[-1]).data if ancestors else None

    @extend_schema_field(CategorySummarySerializer(many=True))
    def get_ancestors(self, category):
        return CategorySummarySerializer(self.context["ancestors"], many=True).data

    @extend_schema_field(CategorySummarySerializer(many=True))
    def get_children(self, category):
        return CategorySummarySerializer(self.context["children"], many=True).data


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.ImageField(source="image", read_only=True, use_url=True)

    class Meta:
        model = ProductImage
        fields = ["id", "url", "alt_text", "position", "is_primary"]


class VendorSummarySerializer(NameSlugSerializer):
    pass


class BrandSummarySerializer(NameSlugSerializer):
    pass


class ProductListSerializer(serializers.ModelSerializer):
    """A product card: what the list shows. Price is the lowest active variant price.

    ``price`` is null while the product has no active variant; ``compare_at_price``
    is that variant's compare-at price. The list answers with :func:`product_card`,
    which builds the same shape from plain values (a test keeps the two equal);
    this serializer documents it and serves model instances.
    """

    price = MoneyField(read_only=True, allow_null=True)
    compare_at_price = MoneyField(read_only=True, allow_null=True)
    vendor = VendorSummarySerializer(read_only=True)
    brand = BrandSummarySerializer(read_only=True, allow_null=True)
    category = CategorySummarySerializer(read_only=True)
    primary_image = ImageSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "name",
            "price",
            "compare_at_price",
            "vendor",
            "brand",
            "category",
            "is_featured",
            "in_stock",
            "primary_image",
            "created_at",
        ]


#: One field for every timestamp the plain builders render (DRF's format, timezone).
_datetime = serializers.DateTimeField()


def _money_or_none(amount, currency) -> dict[str, str] | None:
    return None if amount is None else format_amount(amount, currency)


def product_card(row: dict, request=None) -> dict:
    """``ProductListSerializer``'s output from a row of ``selectors.product_cards()``.

    The list's hot path: plain dictionaries, no serializer fields, about a
    third of what the serializer costs per card.
    """
    image_id = row["primary_image_id"]
    image = None
    if image_id is not None:
        image = _image(
            request,
            id=image_id,
            image=row["primary_image_file"],
            alt_text=row["primary_image_alt_text"],
            position=row["primary_image_position"],
            is_primary=True,
        )
    return _card(row, image)


def product_detail(row: dict, variants: list[dict], images: list[dict], request=None) -> dict:
    """``ProductDetailSerializer``'s output for a viewer who sees no internals, from
    ``selectors.public_product_detail()``: the anonymous detail's hot path."""
    shown = [_image(request, **image) for image in images]
    detail = _card(row, next((image for image in shown if image["is_primary"]), None))
    detail.update(
        description=row["description"],
        tax_class=row["tax_class__slug"],
        status=row["status"],
        published_at=_timestamp(row["published_at"]),
        updated_at=_timestamp(row["updated_at"]),
        variants=[_public_variant(variant) for variant in variants],
        images=shown,
    )
    return detail


def _card(row: dict, image: dict | None) -> dict:
    brand_slug = row["brand__slug"]
    return {
        "id": str(row["id"]),
        "slug": row["slug"],
        "name": row["name"],
        "price": _money_or_none(row["price"], row["price_currency"]),
        "compare_at_price": _money_or_none(
            row["compare_at_price"], row["compare_at_price_currency"]
        ),
        "vendor": {"name": row["vendor__name"], "slug": row["vendor__slug"]},
        "brand": None if brand_slug is None else {"name": row["brand__name"], "slug": brand_slug},
        "category": {"name": row["category__name"], "slug": row["category__slug"]},
        "is_featured": row["is_featured"],
        "in_stock": row["in_stock"],
        "primary_image": image,
        "created_at": _timestamp(row["created_at"]),
    }


def _public_variant(row: dict) -> dict:
    quantity = row["stock__quantity"]
    return {
        "id": str(row["id"]),
        "sku": row["sku"],
        "name": row["name"],
        "options": row["options"],
        "price": format_amount(row["price"], row["price_currency"]),
        "compare_at_price": _money_or_none(
            row["compare_at_price"], row["compare_at_price_currency"]
        ),
        "weight": row["weight"],
        "availability": (
            StockRecord.Availability.OUT_OF_STOCK
            if quantity is None
            else StockRecord.availability_of(
                quantity - row["stock__reserved"], row["stock__low_stock_threshold"]
            )
        ),
    }


def _image(request, *, id, image, alt_text, position, is_primary) -> dict:
    url = _image_storage().url(image)
    return {
        "id": str(id),
        "url": request.build_absolute_uri(url) if request is not None else url,
        "alt_text": alt_text,
        "position": position,
        "is_primary": is_primary,
    }


def _timestamp(value):
    return None if value is None else _datetime.to_representation(value)


def _image_storage():
    return ProductImage._meta.get_field("image").storage


class StockSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockRecord
        fields = ["quantity", "reserved", "available", "low_stock_threshold"]


class VariantSerializer(serializers.ModelSerializer):
    """A variant as the public sees it: availability, never counts or cost."""

    price = MoneyField(read_only=True)
    compare_at_price = MoneyField(read_only=True, allow_null=True)
    availability = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = [
            "id",
            "sku",
            "name",
            "options",
            "price",
            "compare_at_price",
            "weight",
            "availability",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=StockRecord.Availability.choices))
    def get_availability(self, variant) -> str:
        stock = getattr(variant, "stock", None)
        return stock.availability if stock else StockRecord.Availability.OUT_OF_STOCK


class ManagedVariantSerializer(VariantSerializer):
    """A variant as its vendor's members and staff see it: with cost, stock and status.

    Output only. It documents ``ProductDetail.variants`` for everyone, so the
    internals are optional there (the public gets :class:`VariantSerializer`'s
    fields alone); drf-spectacular marks every read-only field required, hence
    ``required=False`` instead of ``read_only=True``.
    """

    cost_price = MoneyField(required=False, allow_null=True)
    stock = StockSerializer(required=False)

    class Meta(VariantSerializer.Meta):
        fields = [*VariantSerializer.Meta.fields, "cost_price", "stock", "is_active", "position"]


class ProductDetailSerializer(ProductListSerializer):
    """Rich: variants with price and availability inline, images, description.

    ``tax_class`` is the slug of the product's tax class, null for the default class.
    """

    tax_class = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    variants = serializers.SerializerMethodField()
    images = ImageSerializer(many=True, read_only=True)
    # From the prefetched images, not the card's own column (a query more).
    primary_image = serializers.SerializerMethodField()

    class Meta(ProductListSerializer.Meta):
        fields = [
            *ProductListSerializer.Meta.fields,
            "description",
            "tax_class",
            "status",
            "published_at",
            "updated_at",
            "variants",
            "images",
        ]

    @extend_schema_field(ManagedVariantSerializer(many=True))
    def get_variants(self, product):
        variants = product.variants.all()
        if self.context.get("show_internals"):
            return ManagedVariantSerializer(variants, many=True, context=self.context).data
        active = [variant for variant in variants if variant.is_active]
        return VariantSerializer(active, many=True, context=self.context).data

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_primary_image(self, product):
        primary = next((image for image in product.images.all() if image.is_primary), None)
        return ImageSerializer(primary, context=self.context).data if primary else None


# --- writes ------------------------------------------------------------------------


class ProductWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A product to create, or the fields to change (a product never changes vendor)."""

    vendor = SlugLookupField(slug_field="slug", queryset=Vendor.objects.all())
    category = SlugLookupField(slug_field="slug", queryset=Category.objects.all())
    brand = SlugLookupField(
        slug_field="slug", queryset=Brand.objects.all(), required=False, allow_null=True
    )
    # Null: the default class.
    tax_class = SlugLookupField(
        slug_field="slug", queryset=TaxClass.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=220, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Product.Status.choices, required=False)
    is_featured = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.partial:
            # A product cannot move between vendors.
            self.fields.pop("vendor")


class VariantWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A variant to add, or the fields to change (stock changes go through the stock endpoint)."""

    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    options = StringMapField(
        max_key_length=100, child=serializers.CharField(max_length=100), required=False
    )
    price = MoneyField()
    compare_at_price = MoneyField(required=False, allow_null=True)
    cost_price = MoneyField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    position = column_integer_field(Variant, "position", required=False)
    weight = column_integer_field(Variant, "weight", required=False, help_text="Grams.")
    quantity = column_integer_field(StockRecord, "quantity", min_value=0, required=False)
    low_stock_threshold = column_integer_field(StockRecord, "low_stock_threshold", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.partial:
            # Stock changes go through the stock endpoint, with a reason.
            self.fields.pop("quantity")
            self.fields.pop("low_stock_threshold")


class TaxClassWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A tax class to create, or its name or slug to change."""

    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=140, required=False)


class StockAdjustmentSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Exactly one of ``change`` (add or remove) or ``quantity`` (a count), with a reason."""

    # A change as large as a count can be; the service refuses a total the column cannot hold.
    change = column_integer_field(
        StockRecord,
        "quantity",
        min_value=-integer_range(StockRecord._meta.get_field("quantity"))[1],
        required=False,
    )
    quantity = column_integer_field(StockRecord, "quantity", min_value=0, required=False)
    reason = serializers.CharField(max_length=255)

    def validate(self, attrs):
        if ("change" in attrs) == ("quantity" in attrs):
            raise serializers.ValidationError("Send exactly one of 'change' or 'quantity'.")
        if attrs.get("change") == 0:
            raise serializers.ValidationError({"change": ["Must not be zero."]})
        return attrs


@extend_schema_field(OpenApiTypes.BINARY)
class ImageUploadField(serializers.ImageField):
    """An uploaded image file, documented as one.

    drf-spectacular documents a plain ``ImageField`` as a URI (what it reads
    back) unless the host splits request and response components.
    """


class ImageWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """An image to upload, or its alt text, position or primary flag to change."""

    image = ImageUploadField()
    alt_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    position = column_integer_field(ProductImage, "position", required=False)
    is_primary = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.partial:
            self.fields.pop("image")
