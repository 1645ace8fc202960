"""Django admin for zones, shipping methods and tax rates.

Each model's ``clean()`` holds the rules (postal-code patterns, overlapping
zones, currencies, rate bounds), so the admin shows a mistake next to its field
instead of saving it. What a form cannot see (a setting changed after the rows
were saved) is reported by the system checks in :mod:`commerce.checks`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from commerce.conf import commerce_settings
from commerce.core.admin import money_at_exponent, money_display
from commerce.pricing.models import (
    ShippingMethod,
    ShippingRateBand,
    TaxRate,
    Zone,
    ZoneMember,
)
from commerce.pricing.shipping import rate_strategy_names


def _offer_allowed_currencies(form: forms.ModelForm, names) -> None:
    """Limit money fields' currency menus to ``COMMERCE["CURRENCIES"]`` (keeping the
    stored one), and show amounts at their currency's exponent."""
    allowed = list(commerce_settings.CURRENCIES)
    for name in names:
        field = form.fields.get(name)
        if field is None:
            continue
        current = getattr(form.instance, name, None)
        if current is not None:
            form.initial[name] = money_at_exponent(current)
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


# --- zones ------------------------------------------------------------------------------


class ZoneMemberInline(admin.TabularInline):
    model = ZoneMember
    extra = 1
    fields = ("country", "region", "postal_code_pattern", "exclude")


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    """Zones with their members; a destination's best zone is its most specific match."""

    list_display = ("name", "priority", "is_active", "member_count", "method_count")
    list_filter = ("is_active", "members__country")
    search_fields = ("name", "members__region", "members__postal_code_pattern")
    inlines = (ZoneMemberInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_total=Count("members", distinct=True),
                method_total=Count("shipping_methods", distinct=True),
            )
        )

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj) -> int:
        return obj.member_total

    @admin.display(description=_("shipping methods"), ordering="method_total")
    def method_count(self, obj) -> int:
        return obj.method_total


# --- shipping methods -------------------------------------------------------------------


class ShippingRateBandForm(forms.ModelForm):
    class Meta:
        model = ShippingRateBand
        fields = ("lower_bound", "price")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_allowed_currencies(self, ("price",))


class ShippingRateBandInline(admin.TabularInline):
    model = ShippingRateBand
    form = ShippingRateBandForm
    extra = 1


class ShippingMethodForm(forms.ModelForm):
    """The rate strategy is a menu of the configured names; money fields offer the
    allowed currencies."""

    class Meta:
        model = ShippingMethod
        fields = (
            "zone",
            "name",
            "code",
            "currency",
            "rate_strategy",
            "price",
            "free_over",
            "min_order_value",
            "max_order_value",
            "min_weight",
            "max_weight",
            "tax_class",
            "is_active",
            "position",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = rate_strategy_names()
        current = self.instance.rate_strategy
        if current and current not in names:
            names.append(current)  # clean() says why it is wrong
        self.fields["rate_strategy"] = forms.ChoiceField(
            label=self.fields["rate_strategy"].label,
            help_text=self.fields["rate_strategy"].help_text,
            choices=[(name, name) for name in names],
            initial=current or "flat",
        )
        allowed = list(commerce_settings.CURRENCIES)
        if allowed:
            codes = [*allowed, *([current] if (current := self.instance.currency) else [])]
            self.fields["currency"].choices = [(code, code) for code in dict.fromkeys(codes)]
            self.fields["currency"].initial = commerce_settings.DEFAULT_CURRENCY
        _offer_allowed_currencies(self, ShippingMethod.MONEY_FIELDS)


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    form = ShippingMethodForm
    list_display = (
        "name",
        "code",
        "zone",
        "currency",
        "rate_strategy",
        "price_display",
        "free_over_display",
        "is_active",
        "position",
    )
    list_filter = ("is_active", "currency", "rate_strategy", "zone")
    list_select_related = ("zone",)
    search_fields = ("name", "code", "zone__name")
    prepopulated_fields = {"code": ("name",)}
    autocomplete_fields = ("zone", "tax_class")
    inlines = (ShippingRateBandInline,)
    price_display = money_display("price", _("price"))
    free_over_display = money_display("free_over", _("free over"))


# --- tax rates --------------------------------------------------------------------------


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("name", "rate", "zone", "tax_class", "prices_include_tax")
    list_filter = ("zone", "tax_class", "prices_include_tax")
    list_select_related = ("zone", "tax_class")
    search_fields = ("name", "zone__name", "tax_class__name")
    autocomplete_fields = ("zone", "tax_class")
