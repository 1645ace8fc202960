"""Order admin: read-only snapshots, and transition buttons that call the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin

from commerce.core.admin import ServiceTransitions, money_display
from commerce.orders import services
from commerce.orders.models import (
    Address,
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    OrderTaxLine,
)


class ShipForm(forms.Form):
    carrier = forms.CharField(max_length=100)
    tracking_number = forms.CharField(max_length=100)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255, initial="Cancelled by staff")


def _ship(order, actor, **data) -> str:
    services.ship_order(order, actor=actor, **data)
    return f"Order {order.number}: ship done."


def _deliver(order, actor) -> str:
    services.deliver_order(order, actor=actor)
    return f"Order {order.number}: deliver done."


def _cancel(order, actor, **data) -> str:
    services.cancel_order(order, actor=actor, **data)
    return f"Order {order.number}: cancel done."


#: Transition name -> service. Payment transitions (mark_paid, mark_refunded)
#: belong to the payments app and are not offered here.
ADMIN_TRANSITIONS = {"ship": _ship, "deliver": _deliver, "cancel": _cancel}

#: What each button does, shown on its button and its form (django-fsm-2 printed "None").
TRANSITION_HELP = {
    "ship": _("Record the carrier and tracking number, and mark the order shipped."),
    "deliver": _("Mark the shipped order delivered."),
    "cancel": _(
        "Cancel the unpaid order and release its reserved stock. A paid order is "
        "cancelled by refunding its payment."
    ),
}


class SnapshotInline(admin.TabularInline):
    """Rows an order keeps (from checkout, or its history): shown, never added, changed
    or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderLineInline(SnapshotInline):
    model = OrderLine
    fields = [
        "sku",
        "product_name",
        "variant_name",
        "vendor",
        "unit_price_display",
        "quantity",
        "line_total_display",
        "discount_total_display",
        "tax_total_display",
        "total_display",
    ]
    unit_price_display = money_display("unit_price", _("unit price"))
    line_total_display = money_display("line_total", _("line total"))
    discount_total_display = money_display("discount_total", _("discount"))
    tax_total_display = money_display("tax_total", _("tax"))
    total_display = money_display("total", _("total"))


class OrderAdjustmentInline(SnapshotInline):
    """The discounts snapshotted at checkout (a row without a line is on shipping)."""

    model = OrderAdjustment
    fields = ["line", "name", "source", "code", "lane", "amount_display"]
    amount_display = money_display("amount", _("amount"))


class OrderTaxLineInline(SnapshotInline):
    """The taxes snapshotted at checkout (a row without a line is on shipping)."""

    model = OrderTaxLine
    fields = ["line", "name", "rate", "included", "amount_display"]
    amount_display = money_display("amount", _("amount"))


class OrderEventInline(SnapshotInline):
    model = OrderEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "data"]


@admin.register(Order)
class OrderAdmin(ServiceTransitions, FSMAdminMixin, admin.ModelAdmin):
    service_transitions = ADMIN_TRANSITIONS
    fsm_fields = ["status"]
    fsm_forms = {"ship": ShipForm, "cancel": ReasonForm}
    list_display = ["number", "status", "email", "total_display", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["number", "email", "lines__sku"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderAdjustmentInline, OrderTaxLineInline, OrderEventInline]
    readonly_fields = [
        "number",
        "user",
        "email",
        "currency",
        "subtotal_display",
        "discount_total_display",
        "shipping_method_name",
        "shipping_method_code",
        "shipping_price_display",
        "shipping_total_display",
        "tax_total_display",
        "prices_include_tax",
        "total_display",
        "shipping_address_text",
        "billing_address_text",
        "note",
        "reservation_expires_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "carrier",
        "tracking_number",
        "created_at",
        "updated_at",
    ]
    # The money columns are shown by the *_display fields above, at the currency's exponent.
    exclude = [
        "shipping_address",
        "billing_address",
        "subtotal",
        "discount_total",
        "shipping_price",
        "shipping_total",
        "tax_total",
        "total",
    ]
    subtotal_display = money_display("subtotal", _("subtotal"))
    discount_total_display = money_display("discount_total", _("discount"))
    shipping_price_display = money_display("shipping_price", _("shipping price"))
    shipping_total_display = money_display("shipping_total", _("shipping"))
    tax_total_display = money_display("tax_total", _("tax"))
    total_display = money_display("total", _("total"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def is_fsm_transition_visible(self, transition) -> bool:
        return transition.name in ADMIN_TRANSITIONS

    def get_help_text(self, transition) -> str:
        return TRANSITION_HELP.get(transition.name) or super().get_help_text(transition) or ""

    @admin.display(description="ship to")
    def shipping_address_text(self, order):
        return ", ".join(v for v in order.shipping_address.address_data().values() if v)

    @admin.display(description="bill to")
    def billing_address_text(self, order):
        if order.billing_address is None:
            return "-"
        return ", ".join(v for v in order.billing_address.address_data().values() if v)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = [
        "full_name",
        "user",
        "city",
        "country",
        "is_default_shipping",
        "is_default_billing",
    ]
    search_fields = ["full_name", "user__email", "city", "postal_code"]
    list_filter = ["country"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        services.save_address(obj)
