"""Django admin for promotions: a promotion with its benefit and voucher codes inline,
and redemptions as a read-only record.

The forms validate through the models' ``clean()``, which calls the same validators
as :mod:`commerce.promotions.services`; after a save the promotion's targets are
rebuilt with :func:`~commerce.promotions.services.sync_targets`. Counters (uses,
budget spent) are shown, never edited: checkout spends them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from commerce.core.admin import ServiceErrorsAsMessages, money_display
from commerce.promotions import services
from commerce.promotions.models import Benefit, Promotion, Redemption, VoucherCode


class BenefitInline(admin.StackedInline):
    model = Benefit
    can_delete = False
    min_num = 1
    max_num = 1
    fields = (
        "kind",
        "percent",
        "amount",
        "target",
        "allocation",
        "max_units",
        "buy_quantity",
        "get_quantity",
    )


class VoucherCodeInline(admin.TabularInline):
    model = VoucherCode
    extra = 0
    fields = (
        "code",
        "is_active",
        "max_uses",
        "uses",
        "per_customer_limit",
        "starts_at",
        "ends_at",
    )
    readonly_fields = ("uses",)


@admin.register(Promotion)
class PromotionAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = (
        "name",
        "lane",
        "priority",
        "is_active",
        "combinable",
        "requires_code",
        "currency",
        "starts_at",
        "ends_at",
        "uses",
        "max_uses",
    )
    list_filter = ("lane", "is_active", "combinable", "requires_code", "currency")
    search_fields = ("name", "codes__code")
    inlines = (BenefitInline, VoucherCodeInline)
    readonly_fields = ("uses", "budget_spent", "cart_preview")
    fieldsets = (
        (None, {"fields": ("name", "description", "lane", "priority", "is_active")}),
        (_("When"), {"fields": ("starts_at", "ends_at")}),
        (_("Rules"), {"fields": ("condition", "combinable", "requires_code", "currency")}),
        (_("Limits"), {"fields": ("budget", "budget_spent", "max_uses", "uses")}),
        (_("Preview"), {"fields": ("cart_preview",)}),
    )

    @admin.display(description=_("on a cart"))
    def cart_preview(self, promotion: Promotion) -> str:
        """A link to the cart admin's preview of this promotion on a cart (whether it
        applies, with what, or why not).

        By URL name, not by import: carts are above promotions in the layers, so the
        preview lives in the cart admin (see :mod:`commerce.cart.admin`); without it
        installed there is no link.
        """
        if promotion.pk is None:
            return _("Save the promotion first.")
        try:
            url = reverse("admin:commerce_cart_cart_promotion_preview")
        except NoReverseMatch:
            return "-"
        query = {"promotion": str(promotion.pk)}
        if promotion.requires_code:
            code = promotion.codes.filter(is_active=True).order_by("code").first()
            if code is not None:
                query["code"] = code.code
        return format_html('<a href="{}?{}">{}</a>', url, urlencode(query), _("Preview on a cart"))

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # The form's instance was read before this save and its counters may be
            # stale: count them again, for the limits as edited.
            services.recount(obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is VoucherCode:
            for code in formset.save(commit=False):
                if not code._state.adding:
                    services.recount_code(code)
                code.save()
            for code in formset.deleted_objects:
                code.delete()
            formset.save_m2m()
            return
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.sync_targets(form.instance)


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    """What orders spent: written by checkout, released by cancellation or expiry."""

    list_display = (
        "order_reference",
        "promotion",
        "code",
        "amount_display",
        "user",
        "email",
        "created_at",
        "released_at",
    )
    list_filter = ("released_at", "promotion")
    search_fields = ("order_reference", "email", "code__code", "promotion__name")
    list_select_related = ("promotion", "code", "user")
    amount_display = money_display("amount", _("amount"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
