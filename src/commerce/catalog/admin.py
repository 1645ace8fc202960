"""Django admin for the catalog.

Every write with a business rule behind it goes through
:mod:`commerce.catalog.services`, exactly as the API's do: products, variants,
images and verification are saved by services, and stock changes only through
:func:`~commerce.catalog.services.adjust_stock`, with a reason and the staff
member recorded in a :class:`~commerce.catalog.models.StockMovement`. Stock
movements are an audit trail: nobody adds, edits or deletes them here.

A :class:`~commerce.core.exceptions.CommerceError` a service raises while
saving becomes an error message; the admin's own transaction has rolled back
by then, so nothing is half-saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, F
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from commerce.catalog import services
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
from commerce.catalog.selectors import visibility_problems
from commerce.conf import commerce_settings
from commerce.core.admin import ServiceErrorsAsMessages, money_at_exponent, money_display
from commerce.core.exceptions import CommerceError
from commerce.core.money import validate_money

MONEY_FIELDS = ("price", "compare_at_price", "cost_price")


def _user_search_fields(prefix: str) -> tuple[str, ...]:
    """Search a related user by its login field (and e-mail when the model has one)."""
    user_model = get_user_model()
    names = [user_model.USERNAME_FIELD]
    if "email" not in names and any(f.name == "email" for f in user_model._meta.fields):
        names.append("email")
    return tuple(f"{prefix}{name}" for name in names)


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved ``obj`` the row a service just created.

    The admin keeps using the object it built from the form (inlines and the
    change log point at it), so copy the saved row's state into it.
    """
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _changes(form, allowed) -> dict[str, Any]:
    """The cleaned values of the fields the form changed, limited to ``allowed``."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in allowed}


def _admin_link(obj, label, site_name: str) -> str:
    opts = obj._meta
    url = reverse(f"{site_name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label)


class MoneyFormMixin:
    """Offer only ``COMMERCE["CURRENCIES"]`` and check amounts with the services' rules."""

    money_fields: tuple[str, ...] = MONEY_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = list(commerce_settings.CURRENCIES)
        for name in self.money_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            current = getattr(self.instance, name, None)
            if current is not None:
                # "59.00" in the amount box, not the column's "59.000".
                self.initial[name] = money_at_exponent(current)
            if not allowed:
                continue
            codes = list(allowed)
            if current is not None and str(current.currency) not in codes:
                codes.append(str(current.currency))
            choices = [(code, code) for code in codes]
            field.fields[1].choices = choices
            field.widget.widgets[1].choices = choices
            if current is None:
                field.widget.default_currency = commerce_settings.DEFAULT_CURRENCY

    def clean(self):
        cleaned = super().clean()
        for name in self.money_fields:
            if name not in self.fields or name not in cleaned:
                continue
            try:
                validate_money(cleaned[name], name, allow_none=name != "price")
            except CommerceError as error:
                self.add_error(name, error.details.get(name) or error.message)
        return cleaned


# --- taxonomy ------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    """The category tree: drag to move, and add nodes as a child or sibling of another."""

    form = movenodeform_factory(Category)
    list_display = ("name", "slug", "product_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @admin.display(description=_("products"), ordering="product_total")
    def product_count(self, obj) -> int:
        return obj.product_total


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            _adopt(obj, services.create_brand(name=obj.name, slug=obj.slug))


@admin.register(TaxClass)
class TaxClassAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    """Tax classes. One that products, rates or shipping methods use cannot be deleted."""

    list_display = ("name", "slug", "product_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @admin.display(description=_("products"), ordering="product_total")
    def product_count(self, obj) -> int:
        return obj.product_total

    def save_model(self, request, obj, form, change):
        if change:
            changes = _changes(form, services.TAX_CLASS_FIELDS)
            if changes:
                services.update_tax_class(obj, **changes)
        else:
            _adopt(obj, services.create_tax_class(name=obj.name, slug=obj.slug))


# --- vendors -------------------------------------------------------------------


class VendorMembershipInline(admin.TabularInline):
    model = VendorMembership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)


@admin.register(Vendor)
class VendorAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    """Vendors. Verification is an action, so the staff member who verified is recorded."""

    list_display = ("name", "slug", "is_verified", "verified_at", "verified_by")
    list_filter = ("is_verified",)
    list_select_related = ("verified_by",)
    search_fields = ("name", "slug", *_user_search_fields("members__"))
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "description", "is_verified", "verified_at", "verified_by")
    readonly_fields = ("is_verified", "verified_at", "verified_by")
    editable_fields = ("name", "slug", "description")
    inlines = (VendorMembershipInline,)
    actions = ("verify_vendors",)

    def save_model(self, request, obj, form, change):
        if change:
            # Only what the form edits: a full save could undo a concurrent verification.
            fields = [name for name in form.changed_data if name in self.editable_fields]
            if fields:
                obj.save(update_fields=[*fields, "updated_at"])
        else:
            created = services.create_vendor(
                name=obj.name, slug=obj.slug, description=obj.description
            )
            _adopt(obj, created)

    @admin.action(description=_("Verify selected vendors"), permissions=["change"])
    def verify_vendors(self, request, queryset):
        count = 0
        for vendor in queryset.filter(is_verified=False):
            services.verify_vendor(vendor, verified_by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Verified %d vendor.", "Verified %d vendors.", count) % count,
            messages.SUCCESS,
        )


@admin.register(VendorMembership)
class VendorMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "vendor", "role", "created_at")
    list_filter = ("role", "vendor__is_verified")
    list_select_related = ("user", "vendor")
    search_fields = ("vendor__name", "vendor__slug", *_user_search_fields("user__"))
    raw_id_fields = ("user",)
    autocomplete_fields = ("vendor",)


# --- products, variants, images ------------------------------------------------


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("no", _("No")), ("yes", _("Yes")))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class VariantForm(MoneyFormMixin, forms.ModelForm):
    class Meta:
        model = Variant
        fields = (
            "product",
            "sku",
            "name",
            "options",
            "price",
            "compare_at_price",
            "cost_price",
            "is_active",
            "position",
            "weight",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "weight" in self.fields:
            # Left empty: unknown, which weighs nothing (the column's default).
            self.fields["weight"].required = False

    def clean_weight(self):
        weight = self.cleaned_data.get("weight")
        return 0 if weight is None else weight


#: The reason recorded on the stock movement of a count entered on the product page.
STOCK_COUNT_REASON = "Stock count on the product page"


class VariantInlineForm(VariantForm):
    """A variant row of the product page, with a stock count to record."""

    set_stock = forms.IntegerField(
        label=_("set stock to"),
        required=False,
        min_value=0,
        help_text=_(
            "Units on hand after a count. Recorded as a stock movement with you as its "
            "actor; adjust with another reason on the stock page."
        ),
    )


class VariantInline(admin.TabularInline):
    """A product's variants with their stock; a count sets stock through the services."""

    model = Variant
    form = VariantInlineForm
    extra = 0
    can_delete = False  # deactivate a variant instead: orders point at it
    fields = (
        "sku",
        "name",
        "options",
        "price",
        "compare_at_price",
        "cost_price",
        "is_active",
        "position",
        "weight",
        "stock_quantity",
        "stock_reserved",
        "stock_available",
        "set_stock",
        "stock_link",
    )
    readonly_fields = ("stock_quantity", "stock_reserved", "stock_available", "stock_link")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stock")

    @staticmethod
    def _stock(obj):
        # An unsaved row already has its UUID, so ask the state, not the pk.
        if obj is None or obj._state.adding:
            return None
        return getattr(obj, "stock", None)

    @admin.display(description=_("quantity"))
    def stock_quantity(self, obj):
        stock = self._stock(obj)
        return stock.quantity if stock else "-"

    @admin.display(description=_("reserved"))
    def stock_reserved(self, obj):
        stock = self._stock(obj)
        return stock.reserved if stock else "-"

    @admin.display(description=_("available"))
    def stock_available(self, obj):
        stock = self._stock(obj)
        return stock.available if stock else "-"

    @admin.display(description=_("stock"))
    def stock_link(self, obj):
        stock = self._stock(obj)
        return _admin_link(stock, _("Adjust stock"), self.admin_site.name) if stock else "-"


class ProductImageForm(forms.ModelForm):
    """An image's fields; ``primary`` is handed to the services, not set on the row.

    Making an image primary demotes the current one, which the one-primary
    constraint would refuse if the form validated the row on its own.
    """

    primary = forms.BooleanField(
        label=_("primary"),
        required=False,
        help_text=_("Making an image primary demotes the current primary image."),
    )

    class Meta:
        model = ProductImage
        fields = ("product", "image", "alt_text", "position")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.initial.setdefault("primary", self.instance.is_primary)

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if not self.instance._state.adding and "image" in self.changed_data:
            raise ValidationError(_("Add the new picture as another image and delete this one."))
        return image

    def service_changes(self) -> dict[str, Any]:
        """What :func:`~commerce.catalog.services.update_product_image` should change."""
        changes = _changes(self, {"alt_text", "position"})
        if "primary" in self.changed_data:
            changes["is_primary"] = self.cleaned_data["primary"]
        return changes

    def service_data(self) -> dict[str, Any]:
        """The arguments of :func:`~commerce.catalog.services.add_product_image`."""
        return {
            "image": self.cleaned_data["image"],
            "alt_text": self.cleaned_data.get("alt_text", ""),
            "position": self.cleaned_data.get("position") or 0,
            "is_primary": self.cleaned_data.get("primary", False),
        }


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    extra = 0
    fields = ("image", "alt_text", "position", "primary")


@admin.register(Product)
class ProductAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    """Products with their variants, stock and images on one page."""

    list_display = (
        "name",
        "vendor",
        "category",
        "status",
        "is_featured",
        "price_display",
        "shopper_visibility",
        "is_deleted",
        "created_at",
    )
    list_filter = ("status", "is_featured", DeletedFilter, "vendor", "category", "brand")
    list_select_related = ("vendor", "category", "brand")
    search_fields = ("name", "slug", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("vendor", "category", "brand", "tax_class")
    date_hierarchy = "created_at"
    fields = (
        "vendor",
        "category",
        "brand",
        "tax_class",
        "name",
        "slug",
        "description",
        "status",
        "shopper_visibility",
        "is_featured",
        "price_display",
        "published_at",
        "deleted_at",
    )
    readonly_fields = ("shopper_visibility", "price_display", "published_at", "deleted_at")
    inlines = (VariantInline, ProductImageInline)
    actions = ("archive_products", "soft_delete_products")
    price_display = money_display("price", _("from price"))

    @admin.display(description=_("shoppers see it?"))
    def shopper_visibility(self, obj) -> str:
        if obj is None or obj._state.adding:
            return _("Save the product to see whether shoppers can find it.")
        reasons = visibility_problems(obj)
        if not reasons:
            return _("Yes: on sale.")
        return " ".join(str(reason) for reason in reasons)

    @admin.display(boolean=True, description=_("deleted"), ordering="deleted_at")
    def is_deleted(self, obj) -> bool:
        return obj.is_deleted

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # A product cannot change vendor: its members' rights hang on it.
        return (*readonly, "vendor") if obj is not None else readonly

    def has_delete_permission(self, request, obj=None) -> bool:
        # Products are soft-deleted (an action), so orders keep their variants.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            changes = _changes(form, services.PRODUCT_FIELDS)
            if changes:
                services.update_product(obj, **changes)
        else:
            data = {name: form.cleaned_data[name] for name in services.PRODUCT_FIELDS}
            _adopt(obj, services.create_product(vendor=form.cleaned_data["vendor"], **data))

    def save_formset(self, request, form, formset, change):
        if formset.model is Variant:
            self._save_variants(form.instance, formset, request.user)
        elif formset.model is ProductImage:
            self._save_images(form.instance, formset)
        else:  # pragma: no cover - only the inlines above exist
            super().save_formset(request, form, formset, change)

    @staticmethod
    def _save_variants(product, formset, actor) -> None:
        # What formset.save() would record, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.forms:
            if not form.has_changed():
                continue
            if form.instance._state.adding:
                data = {k: v for k, v in form.cleaned_data.items() if k in services.VARIANT_FIELDS}
                form.instance = services.create_variant(product, **data)
                formset.new_objects.append(form.instance)
            else:
                changes = _changes(form, services.VARIANT_FIELDS)
                if changes:
                    services.update_variant(form.instance, **changes)
                    formset.changed_objects.append((form.instance, list(changes)))
            count = form.cleaned_data.get("set_stock")
            if count is not None:
                # Through the services, so the count is an audited stock movement.
                services.set_stock(form.instance, count, reason=STOCK_COUNT_REASON, actor=actor)

    @staticmethod
    def _save_images(product, formset) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.deleted_forms:
            if form.instance.pk:
                services.delete_product_image(form.instance)
                formset.deleted_objects.append(form.instance)
        for form in formset.forms:
            if not form.has_changed() or form in formset.deleted_forms:
                continue
            if form.instance._state.adding:
                form.instance = services.add_product_image(product, **form.service_data())
                formset.new_objects.append(form.instance)
            else:
                changes = form.service_changes()
                if changes:
                    services.update_product_image(form.instance, **changes)
                    formset.changed_objects.append((form.instance, list(changes)))

    @admin.action(description=_("Archive selected products"), permissions=["change"])
    def archive_products(self, request, queryset):
        count = 0
        for product in queryset.exclude(status=Product.Status.ARCHIVED):
            services.archive_product(product)
            count += 1
        self.message_user(
            request,
            ngettext("Archived %d product.", "Archived %d products.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Delete selected products (soft)"), permissions=["change"])
    def soft_delete_products(self, request, queryset):
        count = 0
        for product in queryset.filter(deleted_at__isnull=True):
            services.delete_product(product)
            count += 1
        self.message_user(
            request,
            ngettext("Deleted %d product.", "Deleted %d products.", count) % count,
            messages.SUCCESS,
        )


class AvailabilityFilter(admin.SimpleListFilter):
    """In stock / low / out, computed in SQL from quantity, reserved and the threshold."""

    title = _("availability")
    parameter_name = "availability"
    prefix = ""

    def lookups(self, request, model_admin):
        return StockRecord.Availability.choices

    def queryset(self, request, queryset):
        p = self.prefix
        queryset = queryset.alias(
            available_now=F(f"{p}quantity") - F(f"{p}reserved"),
        )
        threshold = F(f"{p}low_stock_threshold")
        if self.value() == StockRecord.Availability.OUT_OF_STOCK:
            return queryset.filter(available_now__lte=0)
        if self.value() == StockRecord.Availability.LOW_STOCK:
            return queryset.filter(available_now__gt=0, available_now__lte=threshold)
        if self.value() == StockRecord.Availability.IN_STOCK:
            return queryset.filter(available_now__gt=threshold)
        return queryset


class VariantAvailabilityFilter(AvailabilityFilter):
    prefix = "stock__"


class StockRecordInline(admin.StackedInline):
    """A variant's stock, read-only: adjustments are made on the stock record's page."""

    model = StockRecord
    can_delete = False
    fields = (
        "quantity",
        "reserved",
        "available",
        "availability",
        "low_stock_threshold",
        "adjust_link",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # the services create it with the variant

    @admin.display(description=_("adjust"))
    def adjust_link(self, obj):
        if obj is None or obj._state.adding:
            return "-"
        return _admin_link(obj, _("Adjust stock"), self.admin_site.name)


@admin.register(Variant)
class VariantAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = VariantForm
    list_display = ("sku", "product", "name", "price_display", "is_active", "available")
    list_filter = ("is_active", VariantAvailabilityFilter, "price_currency")
    list_select_related = ("product", "stock")
    search_fields = ("sku", "name", "product__name", "product__slug")
    autocomplete_fields = ("product",)
    inlines = (StockRecordInline,)
    price_display = money_display("price", _("price"))

    @admin.display(description=_("available"))
    def available(self, obj):
        stock = getattr(obj, "stock", None)
        return stock.available if stock else "-"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "product") if obj is not None else readonly

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: orders point at variants

    def save_model(self, request, obj, form, change):
        if change:
            changes = _changes(form, services.VARIANT_FIELDS)
            if changes:
                services.update_variant(obj, **changes)
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k in services.VARIANT_FIELDS}
            _adopt(obj, services.create_variant(form.cleaned_data["product"], **data))


@admin.register(ProductImage)
class ProductImageAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = ProductImageForm
    list_display = ("__str__", "product", "position", "is_primary")
    list_filter = ("is_primary",)
    list_select_related = ("product",)
    search_fields = ("alt_text", "product__name", "product__slug")
    autocomplete_fields = ("product",)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "product") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        if change:
            changes = form.service_changes()
            if changes:
                services.update_product_image(obj, **changes)
        else:
            created = services.add_product_image(
                form.cleaned_data["product"], **form.service_data()
            )
            _adopt(obj, created)

    def delete_model(self, request, obj):
        services.delete_product_image(obj)

    def delete_queryset(self, request, queryset):
        for image in queryset:
            services.delete_product_image(image)


# --- stock ---------------------------------------------------------------------


class StockAdjustmentForm(forms.ModelForm):
    """The stock page's form: the threshold, plus an adjustment with its reason."""

    change = forms.IntegerField(
        label=_("Adjust quantity by"),
        required=False,
        help_text=_("Positive to add stock on hand, negative to remove it."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=255,
        help_text=_("Required with an adjustment; kept in the stock movement."),
    )
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    class Meta:
        model = StockRecord
        fields = ("low_stock_threshold",)

    def clean(self):
        cleaned = super().clean()
        change = cleaned.get("change")
        reason = (cleaned.get("reason") or "").strip()
        cleaned["reason"] = reason
        if change == 0:
            self.add_error("change", _("Leave empty, or enter a non-zero number."))
        elif change and not reason:
            self.add_error("reason", _("Say why the stock changes."))
        elif reason and not change:
            self.add_error("change", _("A reason needs an adjustment."))
        return cleaned


class StockMovementInline(admin.TabularInline):
    model = StockMovement
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "kind",
        "quantity_change",
        "reserved_change",
        "quantity_after",
        "reserved_after",
        "reason",
        "reference",
        "actor",
    )
    readonly_fields = fields
    ordering = ("-created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockRecord)
class StockRecordAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    """Stock per variant, lowest availability first; adjust it with a reason."""

    form = StockAdjustmentForm
    list_display = ("sku", "product", "quantity", "reserved", "available", "availability")
    list_filter = (AvailabilityFilter,)
    list_select_related = ("variant__product",)
    search_fields = ("variant__sku", "variant__product__name")
    fieldsets = (
        (
            None,
            {"fields": ("variant", "quantity", "reserved", "available", "availability")},
        ),
        (_("Settings"), {"fields": ("low_stock_threshold",)}),
        (_("Adjust stock"), {"fields": ("change", "reason", "reference")}),
    )
    readonly_fields = ("variant", "quantity", "reserved", "available", "availability")
    inlines = (StockMovementInline,)

    # An expression, not the annotation's name: other admins order their
    # StockRecord choices by this too, on querysets without the annotation.
    ordering = ((F("quantity") - F("reserved")).asc(), "variant__sku")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(available_qty=F("quantity") - F("reserved"))

    @admin.display(description=_("SKU"), ordering="variant__sku")
    def sku(self, obj) -> str:
        return obj.variant.sku

    @admin.display(description=_("product"), ordering="variant__product__name")
    def product(self, obj) -> str:
        return obj.variant.product.name

    @admin.display(description=_("available"), ordering="available_qty")
    def available(self, obj) -> int:
        return obj.available

    @admin.display(description=_("availability"))
    def availability(self, obj) -> str:
        return StockRecord.Availability(obj.availability).label

    def has_add_permission(self, request) -> bool:
        return False  # created with its variant

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if "low_stock_threshold" in form.changed_data:
            # Only the threshold: quantity and reserved are never written from a form.
            obj.save(update_fields=["low_stock_threshold", "updated_at"])
        if form.cleaned_data.get("change"):
            record = services.adjust_stock(
                obj.variant,
                form.cleaned_data["change"],
                reason=form.cleaned_data["reason"],
                reference=form.cleaned_data.get("reference") or "",
                actor=request.user,
            )
            obj.quantity, obj.reserved = record.quantity, record.reserved


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The stock audit trail: read-only, for everyone."""

    list_display = (
        "created_at",
        "sku",
        "kind",
        "quantity_change",
        "reserved_change",
        "quantity_after",
        "reserved_after",
        "reason",
        "reference",
        "actor",
    )
    list_filter = ("kind",)
    list_select_related = ("stock_record__variant", "actor")
    search_fields = ("stock_record__variant__sku", "reason", "reference")
    date_hierarchy = "created_at"

    @admin.display(description=_("SKU"), ordering="stock_record__variant__sku")
    def sku(self, obj) -> str:
        return obj.stock_record.variant.sku

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
