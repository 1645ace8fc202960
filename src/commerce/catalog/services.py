"""Catalog business operations.

Plain arguments in, model instances out, one transaction each. Views, admin
actions, management commands and other apps call these; nothing else writes
prices, stock or verification.

The stock operations :func:`reserve`, :func:`release` and :func:`commit` lock
the affected ``StockRecord`` rows with ``SELECT ... FOR UPDATE`` in variant-id
order, so two checkouts over the same variants queue rather than deadlock.
A move that takes a variant's available stock to zero or back also locks its
product, after every stock row and in id order, to rewrite ``in_stock``
(:func:`refresh_product_cards`). A transaction that moves stock more than once
should do it in one call (a list of lines), so it too takes every stock row
before any product.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify
from djmoney.money import Money

from commerce.catalog import cache as catalog_cache
from commerce.catalog import selectors
from commerce.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    StockMovement,
    StockRecord,
    TaxClass,
    Variant,
    Vendor,
    VendorMembership,
)
from commerce.catalog.signals import low_stock
from commerce.conf import commerce_settings
from commerce.core import batching, transactions
from commerce.core.batching import batches
from commerce.core.columns import integer_range
from commerce.core.exceptions import (
    CommerceValidationError,
    ConflictError,
    CurrencyMismatchError,
    DuplicateError,
    InsufficientStockError,
    LimitExceededError,
    NotFoundError,
    StockError,
)
from commerce.core.money import validate_money

__all__ = [
    "StockLine",
    "add_product_image",
    "add_vendor_member",
    "adjust_stock",
    "archive_product",
    "commit",
    "create_brand",
    "create_category",
    "create_product",
    "create_tax_class",
    "create_variant",
    "create_vendor",
    "delete_product",
    "delete_product_image",
    "delete_tax_class",
    "release",
    "reserve",
    "set_stock",
    "update_product",
    "update_product_image",
    "update_tax_class",
    "update_variant",
    "verify_vendor",
]

PRODUCT_FIELDS = {
    "name",
    "slug",
    "description",
    "category",
    "brand",
    "tax_class",
    "status",
    "is_featured",
}
VARIANT_FIELDS = {
    "sku",
    "name",
    "options",
    "price",
    "compare_at_price",
    "cost_price",
    "is_active",
    "position",
    "weight",
}
TAX_CLASS_FIELDS = {"name", "slug"}


# --- helpers ---------------------------------------------------------------


def _unique_slug(model, base: str, *, exclude_pk=None) -> str:
    base = slugify(base)[:200] or "item"
    slug, n = base, 1
    queryset = model._default_manager.all()
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    while queryset.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_slug_free(model, slug: str, *, exclude_pk=None) -> None:
    queryset = model._default_manager.filter(slug=slug)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    if queryset.exists():
        raise DuplicateError(
            f"The slug {slug!r} is already taken.", details={"slug": [f"{slug!r} is taken."]}
        )


@transaction.atomic
def refresh_product_cards(products: Iterable[Any]) -> int:
    """Rewrite the card columns of ``products`` (instances or ids) from their rows.

    The from price and compare-at price of the cheapest active variant,
    ``in_stock`` and ``primary_image`` (see
    :func:`~commerce.catalog.selectors.product_card_expressions`). The services
    call it whenever they change one of those, so it is only needed by hand
    after writing catalog rows some other way (a bulk import in SQL); the
    ``catalog.product_card`` invariant finds products that need it. Returns how
    many products were rewritten.
    """
    ids = sorted({getattr(product, "pk", product) for product in products})
    rewritten = 0
    for batch in batches(ids):
        # Locked, then recomputed in a later statement: under READ COMMITTED that
        # statement sees every stock or variant write committed while it waited,
        # so concurrent writers to one product leave the last word to the last.
        list(
            Product.objects.select_for_update()
            .filter(pk__in=batch)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rewritten += Product.objects.filter(pk__in=batch).update(
            **selectors.product_card_expressions()
        )
    return rewritten


def _refresh_product_card(product: Product) -> None:
    """Rewrite ``product``'s card columns and show the new values on the instance."""
    refresh_product_cards([product.pk])
    stored = Product.objects.values(*selectors.CARD_COLUMNS).get(pk=product.pk)
    for name in ("price", "compare_at_price"):
        amount, currency = stored[name], stored[f"{name}_currency"]
        setattr(product, name, None if amount is None else Money(amount, currency))
    product.in_stock = stored["in_stock"]
    product.primary_image_id = stored["primary_image_id"]


def _check_room(product: Product, related: str, setting: str, code: str) -> None:
    """Refuse one more of ``product``'s variants or images past the ``setting`` limit."""
    # Lock the product so two concurrent additions count one after the other.
    Product.objects.select_for_update().filter(pk=product.pk).exists()
    maximum = getattr(commerce_settings, setting)
    if getattr(product, related).count() >= maximum:
        raise LimitExceededError(
            f"A product has at most {maximum} {related}.",
            code=code,
            setting=setting,
            maximum=maximum,
        )


def _check_product_currency(product: Product, price: Money, *, exclude_pk=None) -> None:
    """A product's variants share one currency, so its price range is comparable."""
    others = Variant.objects.filter(product=product)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    currency = others.values_list("price_currency", flat=True).first()
    if currency is not None and currency != str(price.currency):
        raise CurrencyMismatchError(
            f"This product's variants are priced in {currency}; got {price.currency}.",
            details={"price": [f"Use {currency}, like the product's other variants."]},
        )


def _check_weight(weight: Any) -> None:
    """A variant's weight is whole grams that its column can hold."""
    low, high = integer_range(Variant._meta.get_field("weight"))
    if isinstance(weight, bool) or not isinstance(weight, int) or not low <= weight <= high:
        raise CommerceValidationError(
            "A weight is whole grams, zero or more.",
            details={"weight": [f"Must be a whole number from {low} to {high}."]},
        )


# --- taxonomy and vendors ------------------------------------------------------


@transaction.atomic
def create_category(
    *, name: str, parent: Category | None = None, slug: str = "", description: str = ""
) -> Category:
    """Add a category under ``parent`` (or as a root)."""
    slug = slug or _unique_slug(Category, name)
    _check_slug_free(Category, slug)
    create_kwargs = {"name": name, "slug": slug, "description": description}
    if parent is None:
        return Category.objects.add_root(create_kwargs=create_kwargs)
    return Category.objects.add_child(parent, create_kwargs=create_kwargs)


@transaction.atomic
def create_brand(*, name: str, slug: str = "") -> Brand:
    """Create a brand; the slug is derived from the name unless given."""
    slug = slug or _unique_slug(Brand, name)
    _check_slug_free(Brand, slug)
    return Brand.objects.create(name=name, slug=slug)


@transaction.atomic
def create_tax_class(*, name: str, slug: str = "") -> TaxClass:
    """Create a tax class; the slug is derived from the name unless given."""
    slug = slug or _unique_slug(TaxClass, name)
    _check_slug_free(TaxClass, slug)
    return TaxClass.objects.create(name=name, slug=slug)


@transaction.atomic
def update_tax_class(tax_class: TaxClass, **changes: Any) -> TaxClass:
    """Change a tax class's ``name`` or ``slug``."""
    unknown = set(changes) - TAX_CLASS_FIELDS
    if unknown:
        raise CommerceValidationError(
            details={field: ["Not an updatable field."] for field in sorted(unknown)}
        )
    if "slug" in changes and changes["slug"] != tax_class.slug:
        _check_slug_free(TaxClass, changes["slug"], exclude_pk=tax_class.pk)
    for field, value in changes.items():
        setattr(tax_class, field, value)
    tax_class.save(update_fields=[*changes, "updated_at"])
    return tax_class


@transaction.atomic
def delete_tax_class(tax_class: TaxClass) -> None:
    """Delete a tax class nothing uses.

    Raises :class:`~commerce.core.exceptions.ConflictError` (409,
    ``tax_class_in_use``) while a product, a tax rate or a shipping method still
    names it: deleting it would move them to the default class's rates unseen.
    """
    try:
        with transaction.atomic():
            tax_class.delete()
    except ProtectedError as exc:
        users = sorted({obj._meta.verbose_name_plural for obj in exc.protected_objects})
        raise ConflictError(
            f"The tax class {tax_class.slug!r} is in use; move its users to another class first.",
            code="tax_class_in_use",
            details={"in_use_by": [str(name) for name in users]},
        ) from exc


@transaction.atomic
def create_vendor(*, name: str, slug: str = "", description: str = "", owner=None) -> Vendor:
    """Create an unverified vendor; ``owner`` becomes its first member."""
    slug = slug or _unique_slug(Vendor, name)
    _check_slug_free(Vendor, slug)
    vendor = Vendor.objects.create(name=name, slug=slug, description=description)
    if owner is not None:
        add_vendor_member(vendor, owner, role=VendorMembership.Role.OWNER)
    return vendor


@transaction.atomic
def add_vendor_member(
    vendor: Vendor, user, *, role: str = VendorMembership.Role.MEMBER
) -> VendorMembership:
    """Make ``user`` a member of ``vendor`` (or change their role); idempotent."""
    membership, _ = VendorMembership.objects.update_or_create(
        vendor=vendor, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def verify_vendor(vendor: Vendor, *, verified_by=None) -> Vendor:
    """Mark ``vendor`` verified (idempotent: a second call changes nothing)."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    if not vendor.is_verified:
        vendor.is_verified = True
        vendor.verified_at = timezone.now()
        vendor.verified_by = verified_by
        vendor.save(update_fields=["is_verified", "verified_at", "verified_by", "updated_at"])
    return vendor


# --- products and variants -----------------------------------------------------


@transaction.atomic
def create_product(
    *,
    vendor: Vendor,
    category: Category,
    name: str,
    slug: str = "",
    description: str = "",
    brand: Brand | None = None,
    tax_class: TaxClass | None = None,
    status: str = Product.Status.DRAFT,
    is_featured: bool = False,
) -> Product:
    """Create a product (draft by default). Add variants with :func:`create_variant`."""
    if status not in Product.Status.values:
        raise CommerceValidationError(details={"status": [f"Unknown status {status!r}."]})
    slug = slug or _unique_slug(Product, name)
    _check_slug_free(Product, slug)
    return Product.objects.create(
        vendor=vendor,
        category=category,
        brand=brand,
        tax_class=tax_class,
        name=name,
        slug=slug,
        description=description,
        status=status,
        is_featured=is_featured,
        published_at=timezone.now() if status == Product.Status.PUBLISHED else None,
    )


@transaction.atomic
def update_product(product: Product, **changes: Any) -> Product:
    """Change any of ``name, slug, description, category, brand, tax_class, status,
    is_featured``."""
    unknown = set(changes) - PRODUCT_FIELDS
    if unknown:
        raise CommerceValidationError(
            details={field: ["Not an updatable field."] for field in sorted(unknown)}
        )
    if "slug" in changes and changes["slug"] != product.slug:
        _check_slug_free(Product, changes["slug"], exclude_pk=product.pk)
    if "status" in changes:
        if changes["status"] not in Product.Status.values:
            raise CommerceValidationError(
                details={"status": [f"Unknown status {changes['status']!r}."]}
            )
        if changes["status"] == Product.Status.PUBLISHED and product.published_at is None:
            product.published_at = timezone.now()
            changes["published_at"] = product.published_at
    for field, value in changes.items():
        setattr(product, field, value)
    product.save(update_fields=[*changes, "updated_at"])
    return product


def archive_product(product: Product) -> Product:
    """Hide a product from the public list and detail; vendors and staff still see it."""
    return update_product(product, status=Product.Status.ARCHIVED)


@transaction.atomic
def delete_product(product: Product) -> Product:
    """Soft-delete: the row stays (orders point at its variants) but nobody lists it."""
    if product.deleted_at is None:
        product.deleted_at = timezone.now()
        product.save(update_fields=["deleted_at", "updated_at"])
    return product


@transaction.atomic
def create_variant(
    product: Product,
    *,
    sku: str,
    price: Money,
    name: str = "",
    options: Mapping[str, str] | None = None,
    compare_at_price: Money | None = None,
    cost_price: Money | None = None,
    is_active: bool = True,
    position: int = 0,
    weight: int = 0,
    quantity: int = 0,
    low_stock_threshold: int | None = None,
) -> Variant:
    """Add a SKU to ``product`` with its stock record (``quantity`` on hand).

    A product has at most ``PRODUCT_MAX_VARIANTS`` variants; one more raises
    :class:`~commerce.core.exceptions.LimitExceededError` (400,
    ``too_many_variants``).
    """
    sku = (sku or "").strip()
    if not sku:
        raise CommerceValidationError(details={"sku": ["Required."]})
    _check_room(product, "variants", "PRODUCT_MAX_VARIANTS", "too_many_variants")
    _check_weight(weight)
    validate_money(price, "price")
    validate_money(compare_at_price, "compare_at_price", allow_none=True)
    validate_money(cost_price, "cost_price", allow_none=True)
    if quantity < 0:
        raise CommerceValidationError(
            "Stock cannot be negative.", details={"quantity": ["Must be zero or more."]}
        )
    _check_product_currency(product, price)
    if Variant.objects.filter(sku=sku).exists():
        raise DuplicateError(
            f"SKU {sku!r} already exists.", details={"sku": [f"{sku!r} is taken."]}
        )
    try:
        with transaction.atomic():
            variant = Variant.objects.create(
                product=product,
                sku=sku,
                name=name,
                options=dict(options or {}),
                price=price,
                compare_at_price=compare_at_price,
                cost_price=cost_price,
                is_active=is_active,
                position=position,
                weight=weight,
            )
    except IntegrityError as exc:  # a concurrent create of the same SKU
        raise DuplicateError(
            f"SKU {sku!r} already exists.", details={"sku": [f"{sku!r} is taken."]}
        ) from exc
    threshold = (
        commerce_settings.DEFAULT_LOW_STOCK_THRESHOLD
        if low_stock_threshold is None
        else low_stock_threshold
    )
    StockRecord.objects.create(variant=variant, quantity=0, low_stock_threshold=threshold)
    if quantity:
        adjust_stock(variant, quantity, reason="Initial stock")
    _refresh_product_card(product)
    return variant


@transaction.atomic
def update_variant(variant: Variant, **changes: Any) -> Variant:
    """Change a variant's fields; the product's list price follows."""
    unknown = set(changes) - VARIANT_FIELDS
    if unknown:
        raise CommerceValidationError(
            details={field: ["Not an updatable field."] for field in sorted(unknown)}
        )
    if "weight" in changes:
        _check_weight(changes["weight"])
    if "price" in changes:
        validate_money(changes["price"], "price")
        _check_product_currency(variant.product, changes["price"], exclude_pk=variant.pk)
    for field in ("compare_at_price", "cost_price"):
        if field in changes:
            validate_money(changes[field], field, allow_none=True)
    if "sku" in changes:
        changes["sku"] = (changes["sku"] or "").strip()
        if not changes["sku"]:
            raise CommerceValidationError(details={"sku": ["Required."]})
        if Variant.objects.filter(sku=changes["sku"]).exclude(pk=variant.pk).exists():
            raise DuplicateError(
                f"SKU {changes['sku']!r} already exists.",
                details={"sku": [f"{changes['sku']!r} is taken."]},
            )
    update_fields = ["updated_at"]
    for field, value in changes.items():
        setattr(variant, field, value)
        update_fields.append(field)
        if field in {"price", "compare_at_price", "cost_price"}:
            update_fields.append(f"{field}_currency")
    variant.save(update_fields=update_fields)
    if {"price", "compare_at_price", "is_active"} & set(changes):
        _refresh_product_card(variant.product)
    return variant


# --- images --------------------------------------------------------------------


@transaction.atomic
def add_product_image(
    product: Product, *, image, alt_text: str = "", position: int = 0, is_primary: bool = False
) -> ProductImage:
    """Attach an image; the first image of a product becomes its primary one.

    A product has at most ``PRODUCT_MAX_IMAGES`` images; one more raises
    :class:`~commerce.core.exceptions.LimitExceededError` (400, ``too_many_images``).
    """
    _check_room(product, "images", "PRODUCT_MAX_IMAGES", "too_many_images")
    has_primary = product.images.filter(is_primary=True).exists()
    if is_primary and has_primary:
        product.images.filter(is_primary=True).update(is_primary=False)
    created = ProductImage.objects.create(
        product=product,
        image=image,
        alt_text=alt_text,
        position=position,
        is_primary=is_primary or not has_primary,
    )
    if created.is_primary:
        _refresh_product_card(product)
    return created


@transaction.atomic
def update_product_image(image: ProductImage, **changes: Any) -> ProductImage:
    """Change ``alt_text``, ``position`` or ``is_primary`` (making it primary demotes the other)."""
    unknown = set(changes) - {"alt_text", "position", "is_primary"}
    if unknown:
        raise CommerceValidationError(
            details={field: ["Not an updatable field."] for field in sorted(unknown)}
        )
    if "is_primary" in changes and not changes["is_primary"] and image.is_primary:
        # A product with images always has one primary: move it, do not drop it.
        raise CommerceValidationError(
            "Make another image primary instead.",
            details={"is_primary": ["The primary image changes by making another one primary."]},
        )
    if changes.get("is_primary"):
        ProductImage.objects.filter(product_id=image.product_id, is_primary=True).exclude(
            pk=image.pk
        ).update(is_primary=False)
    for field, value in changes.items():
        setattr(image, field, value)
    image.save(update_fields=[*changes, "updated_at"])
    if changes.get("is_primary"):
        refresh_product_cards([image.product_id])
    return image


@transaction.atomic
def delete_product_image(image: ProductImage) -> None:
    """Delete an image; if it was primary, the next one by position takes over."""
    product_id, was_primary = image.product_id, image.is_primary
    storage, name = image.image.storage, image.image.name
    image.delete()
    if name:
        # Remove the file only once the row is gone for good: a rollback keeps both.
        transaction.on_commit(lambda: storage.delete(name))
    if was_primary:
        successor = ProductImage.objects.filter(product_id=product_id).first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
        refresh_product_cards([product_id])


# --- stock ---------------------------------------------------------------------


@dataclass(frozen=True)
class StockLine:
    """A variant and a quantity, as the stock operations take them."""

    variant_id: Any
    quantity: int


def _variant_pk(value: Any) -> Any:
    """A variant id as the primary key field holds it (a UUID), so ids given as
    strings and as UUIDs merge and sort alike."""
    try:
        return Variant._meta.pk.to_python(value)
    except ValidationError as exc:
        raise NotFoundError("Unknown variant.", details={"variants": [str(value)]}) from exc


def _normalize_lines(
    lines: Iterable[StockLine | tuple[Any, int]] | Mapping[Any, int],
) -> dict[Any, int]:
    """Merge lines into ``{variant_id: quantity}``; refuse non-positive quantities."""
    pairs = lines.items() if isinstance(lines, Mapping) else lines
    merged: dict[Any, int] = {}
    for line in pairs:
        variant, quantity = (
            (line.variant_id, line.quantity) if isinstance(line, StockLine) else line
        )
        variant_id = _variant_pk(variant.pk if isinstance(variant, Variant) else variant)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise CommerceValidationError(
                "Stock quantities must be positive whole numbers.",
                details={"quantity": [str(quantity)]},
            )
        merged[variant_id] = merged.get(variant_id, 0) + quantity
    return merged


def _lock_stock(variant_ids: Iterable[Any]) -> list[StockRecord]:
    """Lock stock rows in a stable order (variant id) so lockers queue, never deadlock.

    The rows are locked :data:`~commerce.core.batching.BATCH_SIZE` at a time,
    so the ``IN`` list stays bounded. The ids are sorted here the way the
    database orders them (a UUID compares as its bytes in both), so the
    batches, and the rows within each, are locked in one global order.
    """
    ids = sorted({_variant_pk(pk) for pk in variant_ids})
    records: list[StockRecord] = []
    for batch in batches(ids):
        records.extend(
            StockRecord.objects.select_for_update()
            .select_related("variant")
            .filter(variant_id__in=batch)
            .order_by("variant_id")
        )
    missing = set(ids) - {record.variant_id for record in records}
    if missing:
        raise NotFoundError(
            "Unknown variant.", details={"variants": sorted(str(pk) for pk in missing)}
        )
    return records


def _apply(
    record: StockRecord,
    *,
    kind: str,
    quantity_change: int = 0,
    reserved_change: int = 0,
    reason: str,
    reference: str = "",
    actor=None,
) -> StockMovement:
    """Change one locked record in memory, schedule ``low_stock``; return its audit row.

    The caller saves the record (a batched ``bulk_update`` for many) and the movement.
    """
    available_before = record.available
    availability_before = record.availability
    record.quantity += quantity_change
    record.reserved += reserved_change
    if record.availability != availability_before:
        # Availability (in, low or out of stock) is all the public sees of stock,
        # so only a move that changes it stales cached catalog reads. Said here
        # because bulk_update sends no post_save.
        catalog_cache.invalidate()
    # bulk_update does not run auto_now, so stamp it here.
    record.updated_at = timezone.now()
    threshold = record.low_stock_threshold
    if record.available <= threshold < available_before:
        transaction.on_commit(
            lambda: low_stock.send(
                sender=StockRecord,
                stock_record=record,
                variant=record.variant,
                available=record.available,
            )
        )
    return StockMovement(
        stock_record=record,
        kind=kind,
        quantity_change=quantity_change,
        reserved_change=reserved_change,
        quantity_after=record.quantity,
        reserved_after=record.reserved,
        reason=reason[:255],
        reference=reference[:100],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _check_can_reserve(record: StockRecord, quantity: int) -> None:
    if record.available < quantity:
        raise InsufficientStockError(record.variant.sku, quantity, max(record.available, 0))


def _check_reserved(verb: str):
    def check(record: StockRecord, quantity: int) -> None:
        if record.reserved < quantity:
            raise StockError(
                f"Cannot {verb} {quantity} of {record.variant.sku}: "
                f"only {record.reserved} reserved.",
                details={"sku": record.variant.sku, "reserved": record.reserved},
            )

    return check


def _check_room_on_hand(record: StockRecord, quantity: int, *, field: str = "quantity") -> None:
    """Refuse adding ``quantity`` units past what the column holds (``field`` names the
    input at fault in the error's details)."""
    _, most = integer_range(StockRecord._meta.get_field("quantity"))
    if record.quantity + quantity > most:
        raise CommerceValidationError(
            "Stock cannot grow past what its column holds.",
            details={field: [f"At most {most - record.quantity} can be added."]},
        )


#: kind -> (precondition, (quantity change, reserved change) for a line of n units)
_MOVES = {
    StockMovement.Kind.RESERVE: (_check_can_reserve, lambda n: (0, n)),
    StockMovement.Kind.RELEASE: (_check_reserved("release"), lambda n: (0, -n)),
    StockMovement.Kind.COMMIT: (_check_reserved("commit"), lambda n: (-n, -n)),
    StockMovement.Kind.ADJUSTMENT: (_check_room_on_hand, lambda n: (n, 0)),
}


def _move_stock(lines, *, kind: str, reference: str, reason: str, actor=None) -> list[StockRecord]:
    """Lock every line's record, check all of them, then change all.

    Each step is one statement per :data:`~commerce.core.batching.BATCH_SIZE`
    lines (lock, UPDATE, INSERT of movements): the number of statements grows
    with the batches, never the size of one. The records were read under
    their locks, so the values written are exact; the check constraints
    (``0 <= reserved <= quantity``) stay the last line against overselling.
    """
    check, changes = _MOVES[kind]
    wanted = _normalize_lines(lines)
    records = _lock_stock(wanted)
    for record in records:
        check(record, wanted[record.variant_id])
    movements = []
    for record in records:
        quantity_change, reserved_change = changes(wanted[record.variant_id])
        movements.append(
            _apply(
                record,
                kind=kind,
                quantity_change=quantity_change,
                reserved_change=reserved_change,
                reason=reason,
                reference=reference,
                actor=actor,
            )
        )
    # Only the columns this kind of move changes: each one is a CASE branch per row
    # that Django builds in Python and PostgreSQL plans.
    fields = ["reserved", "updated_at"]
    if any(movement.quantity_change for movement in movements):
        fields.append("quantity")
    StockRecord.objects.bulk_update(records, fields, batch_size=batching.BATCH_SIZE)
    StockMovement.objects.bulk_create(movements, batch_size=batching.BATCH_SIZE)
    _refresh_in_stock(movements)
    return records


def _refresh_in_stock(movements: Iterable[StockMovement]) -> None:
    """Rewrite the card of each product whose variant's available stock crossed zero.

    In the move's transaction, after its stock rows are locked and written, so
    the card is never stale once the move commits. A move that crosses no zero
    (most of them) costs nothing here.
    """
    crossed = set()
    for movement in movements:
        after = movement.quantity_after - movement.reserved_after
        before = after - movement.quantity_change + movement.reserved_change
        if (before > 0) != (after > 0):
            crossed.add(movement.stock_record.variant.product_id)
    if crossed:
        refresh_product_cards(crossed)


@transactions.atomic
def reserve(lines, *, reference: str = "", reason: str = "Reserved") -> list[StockRecord]:
    """Reserve stock for every line, or for none.

    ``lines`` is ``{variant_or_id: quantity}`` or an iterable of
    :class:`StockLine` / ``(variant_or_id, quantity)`` pairs. Raises
    :class:`~commerce.core.exceptions.InsufficientStockError` naming the first
    SKU short, with what is available.
    """
    return _move_stock(lines, kind=StockMovement.Kind.RESERVE, reference=reference, reason=reason)


@transaction.atomic
def release(lines, *, reference: str = "", reason: str = "Released") -> list[StockRecord]:
    """Give reserved stock back (a cancelled or expired order). All lines or none."""
    return _move_stock(lines, kind=StockMovement.Kind.RELEASE, reference=reference, reason=reason)


@transaction.atomic
def commit(lines, *, reference: str = "", reason: str = "Sold") -> list[StockRecord]:
    """Turn reservations into sales: quantity and reserved both drop. All lines or none."""
    return _move_stock(lines, kind=StockMovement.Kind.COMMIT, reference=reference, reason=reason)


@transaction.atomic
def restock(lines, *, reason: str, reference: str = "", actor=None) -> list[StockRecord]:
    """Put units back on hand for every line at once (goods returned), an adjustment each.

    ``lines`` as :func:`reserve` takes them. One move, where calling
    :func:`adjust_stock` per line would lock a product between two stock rows
    (see the module's note on lock order).
    """
    if not (reason or "").strip():
        raise CommerceValidationError(details={"reason": ["A reason is required."]})
    return _move_stock(
        lines,
        kind=StockMovement.Kind.ADJUSTMENT,
        reference=reference,
        reason=reason.strip(),
        actor=actor,
    )


@transaction.atomic
def adjust_stock(
    variant: Variant, change: int, *, reason: str, actor=None, reference: str = ""
) -> StockRecord:
    """Add (or with a negative ``change``, remove) stock on hand, with an audit row.

    Stock on hand can never drop below zero nor below what is reserved for
    pending orders; either is a 400/409 and nothing changes.
    """
    if isinstance(change, bool) or not isinstance(change, int) or change == 0:
        raise CommerceValidationError(details={"change": ["A non-zero whole number is required."]})
    if not (reason or "").strip():
        raise CommerceValidationError(details={"reason": ["A reason is required."]})
    (record,) = _lock_stock([variant.pk])
    if record.quantity + change < 0:
        raise CommerceValidationError(
            "Stock cannot go below zero.",
            details={"change": [f"At most {record.quantity} can be removed."]},
        )
    _check_room_on_hand(record, change, field="change")
    if record.quantity + change < record.reserved:
        raise InsufficientStockError(variant.sku, -change, max(record.available, 0))
    movement = _apply(
        record,
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity_change=change,
        reason=reason.strip(),
        reference=reference,
        actor=actor,
    )
    record.save(update_fields=["quantity", "reserved", "updated_at"])
    movement.save()
    _refresh_in_stock([movement])
    return record


@transaction.atomic
def set_stock(variant: Variant, quantity: int, *, reason: str, actor=None) -> StockRecord:
    """Set stock on hand to ``quantity`` (a stock count), recorded as an adjustment."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise CommerceValidationError(details={"quantity": ["Must be zero or more."]})
    (record,) = _lock_stock([variant.pk])
    if quantity == record.quantity:
        return record
    return adjust_stock(variant, quantity - record.quantity, reason=reason, actor=actor)
