"""Payments admin: read-only records, and buttons that call the payment services.

Nothing here sets a status or an amount. Each button on a payment's page is a
service call (capture, cancel, refund, refresh, clear the flag), so the
provider is asked first and every change leaves a :class:`PaymentEvent`; a
refused operation is an error message on the page, never a 500. Payments,
refunds and webhook events are created by the services only and never
deleted: they are the money's audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.html import format_html
from django_fsm.admin import FSMAdminMixin, FSMObjectTransition, FSMTransitionContext
from djmoney.money import Money

from commerce.core.admin import ServiceTransitions, money_display, money_text
from commerce.core.exceptions import CommerceError, CommerceValidationError
from commerce.core.money import from_minor_units
from commerce.payments import services
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent

Status = Payment.Status


# --- the forms behind the buttons ------------------------------------------------------------


class CaptureForm(forms.Form):
    amount = forms.DecimalField(
        required=False,
        help_text="Leave blank to capture all that is authorized; less releases the rest.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=255, initial="Cancelled by staff")


class RefundRestForm(forms.Form):
    reason = forms.CharField(max_length=255, initial="Refunded by staff")


class PartialRefundForm(forms.Form):
    amount = forms.DecimalField(help_text="In the payment's currency.")
    reason = forms.CharField(max_length=255, initial="Refunded by staff")


class RefundLinesForm(forms.ModelForm):
    """Units to refund per order line, and the shipping, for one payment.

    A ``ModelForm`` only because django-fsm-2 hands a model form the object (the
    payment) and a plain form nothing; it edits no field of the payment. The rows,
    units left and amounts come from
    :func:`~commerce.payments.services.refund_options`; whether the units may be
    refunded is the service's to say, when the refund is made.
    """

    reason = forms.CharField(max_length=255, initial="Refunded by staff")

    class Meta:
        model = Payment
        fields = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = services.refund_options(self.instance.order)
        self.currency = str(self.instance.order.currency)
        for option in self.options.lines:
            # No max_value: more units than are left is the service's refusal (a
            # message naming the line), so the rule lives in one place.
            self.fields[self._field_name(option)] = forms.IntegerField(
                label=str(option.order_line),
                min_value=0,
                initial=0,
                required=False,
                disabled=option.refundable == 0,
                widget=forms.NumberInput(attrs={"max": option.refundable, "style": "width: 5em"}),
            )
        if self.options.shipping:
            self.fields["shipping"] = forms.BooleanField(
                label="Refund the shipping", required=False
            )
        self.fields["reason"] = self.fields.pop("reason")  # last, under the lines

    @staticmethod
    def _field_name(option) -> str:
        return f"line_{option.order_line.pk}"

    def money(self, minor_units: int) -> str:
        return money_text(from_minor_units(minor_units, self.currency))

    @property
    def rows(self) -> list[dict]:
        """One row per order line for the template: the line, its units, its input."""
        rows = []
        for option in self.options.lines:
            amounts = sorted(set(option.unit_amounts))
            line = option.order_line
            rows.append(
                {
                    "line": line,
                    "refunded": option.refunded,
                    "refundable": option.refundable,
                    # Units of one line differ by at most a minor unit (largest remainder).
                    "unit_amount": " or ".join(self.money(amount) for amount in amounts) or "-",
                    "total": money_text(line.total),
                    "field": self[self._field_name(option)],
                }
            )
        return rows

    @property
    def shipping_amount(self) -> str:
        return self.money(self.options.shipping)

    @property
    def refundable_now(self) -> str:
        return money_text(self.instance.refundable_amount)

    def clean(self):
        cleaned = super().clean()
        lines = {
            option.order_line.pk: cleaned[name]
            for option in self.options.lines
            if cleaned.get(name := self._field_name(option))
        }
        shipping = bool(cleaned.get("shipping"))
        if not lines and not shipping:
            raise forms.ValidationError("Enter units for at least one line, or the shipping.")
        return {"lines": lines, "shipping": shipping, "reason": cleaned.get("reason", "")}

    def _post_clean(self) -> None:
        # Nothing of the payment is edited here, so there is no model to validate.
        pass


class ClearFlagForm(forms.Form):
    note = forms.CharField(
        max_length=255, help_text="What was done about it (kept in the payment's history)."
    )


# --- what each button does -------------------------------------------------------------------


def _money(payment: Payment, amount) -> Money | None:
    return None if amount is None else Money(amount, payment.amount.currency)


def _capture(payment, actor, amount=None) -> str:
    payment = services.capture_payment(payment, _money(payment, amount), actor=actor)
    return f"Payment {payment.reference}: capture sent; the payment is {payment.status}."


def _cancel(payment, actor, reason) -> str:
    payment = services.cancel_payment(payment, actor=actor, reason=reason)
    return f"Payment {payment.reference}: cancel sent; the payment is {payment.status}."


def _refund(payment, actor, reason, amount=None) -> str:
    refund = services.refund_payment(payment, _money(payment, amount), reason=reason, actor=actor)
    payment.refresh_from_db()
    return (
        f"Refund {refund.reference} of {refund.amount}: {refund.status}; "
        f"the payment is {payment.status}."
    )


def _named_lines(error: CommerceError, order) -> CommerceError:
    """``error`` with the order lines it names by id named by SKU, as staff know them."""
    problems = error.details.get("lines") if isinstance(error, CommerceValidationError) else None
    if not isinstance(problems, dict):
        return error
    skus = {str(pk): sku for pk, sku in order.lines.values_list("pk", "sku")}
    named = {skus.get(str(key), key): found for key, found in problems.items()}
    return CommerceValidationError(
        error.message, code=error.code, details={**error.details, "lines": named}
    )


def _refund_lines(payment, actor, lines, shipping, reason) -> str:
    try:
        refund = services.refund_payment(
            payment, lines=lines, shipping=shipping, reason=reason, actor=actor
        )
    except CommerceError as error:
        named = _named_lines(error, payment.order)
        if named is error:
            raise
        raise named from error
    payment.refresh_from_db()
    return (
        f"Refund {refund.reference} of {money_text(refund.amount)}: {refund.status}; "
        f"the payment is {payment.status}."
    )


def _refresh(payment, actor) -> str:
    before = payment.status
    payment = services.refresh_payment(payment, actor=actor)
    if payment.status == before:
        return f"Payment {payment.reference}: asked {payment.gateway}; still {payment.status}."
    return f"Payment {payment.reference}: asked {payment.gateway}; now {payment.status}."


def _clear_flag(payment, actor, note) -> str:
    payment = services.clear_flag(payment, actor=actor, note=note)
    return f"Payment {payment.reference}: flag cleared."


@dataclass(frozen=True)
class Operation:
    """One button on a payment's page, and when it is offered."""

    label: str
    run: Callable[..., str]
    offered: Callable[[Payment], bool]
    form: type[forms.Form] | None = None
    help_text: str = ""


#: Button name -> operation. The names of the status-changing ones are the
#: model's transitions (capture, cancel, refund_fully, refund_partially;
#: refund_lines ends in one of the last two); the
#: model's other transitions (authorize, fail...) only follow the provider and
#: are never offered.
OPERATIONS: dict[str, Operation] = {
    "capture": Operation(
        "Capture",
        _capture,
        lambda p: p.status == Status.AUTHORIZED,
        CaptureForm,
        "Take the authorized money at the provider.",
    ),
    "cancel": Operation(
        "Cancel",
        _cancel,
        lambda p: p.status in Payment.ACTIVE,
        CancelForm,
        "Void the payment at the provider (nothing captured is kept).",
    ),
    "refund_fully": Operation(
        "Refund the rest",
        _refund,
        lambda p: p.status in (Status.CAPTURED, Status.PARTIALLY_REFUNDED),
        RefundRestForm,
        "Refund all that is captured and not yet refunded.",
    ),
    "refund_partially": Operation(
        "Refund part",
        _refund,
        lambda p: p.status in (Status.CAPTURED, Status.PARTIALLY_REFUNDED),
        PartialRefundForm,
        "Refund an amount of your choice.",
    ),
    "refund_lines": Operation(
        "Refund lines",
        _refund_lines,
        lambda p: p.status in (Status.CAPTURED, Status.PARTIALLY_REFUNDED),
        RefundLinesForm,
        "Refund units of the order's lines (and its shipping): each unit gives back its "
        "share of what its line cost, after discounts, with its tax.",
    ),
    "refresh": Operation(
        "Refresh from the gateway",
        _refresh,
        lambda p: p.status in Payment.ACTIVE,
        None,
        "Ask the provider where the payment stands and apply its answer.",
    ),
    "clear_flag": Operation(
        "Clear the flag",
        _clear_flag,
        lambda p: p.flagged,
        ClearFlagForm,
        "Mark what needed staff attention as dealt with.",
    ),
}


class _OperationTransition:
    """What django-fsm-2's admin needs to know about a button (its transition-like face)."""

    def __init__(self, name: str) -> None:
        self.name = name
        operation = OPERATIONS.get(name)
        self.custom = (
            {"label": operation.label, "help_text": operation.help_text} if operation else {}
        )

    def has_perm(self, instance, user) -> bool:
        return True  # the admin checks the change permission itself


# --- inlines ---------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RefundInline(ReadOnlyInline):
    model = Refund
    show_change_link = True
    fields = [
        "reference",
        "status",
        "amount_display",
        "reason",
        "created_by",
        "gateway_reference",
        "failure_message",
        "created_at",
    ]
    amount_display = money_display("amount", "amount")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    verbose_name_plural = "history"
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "reason", "data"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class WebhookEventInline(ReadOnlyInline):
    model = WebhookEvent
    show_change_link = True
    fields = ["created_at", "event_id", "type", "amount_display", "result", "reason"]
    amount_display = money_display("amount", "amount")


# --- payments --------------------------------------------------------------------------------


@admin.register(Payment)
class PaymentAdmin(ServiceTransitions, FSMAdminMixin, admin.ModelAdmin):
    service_transitions = {name: operation.run for name, operation in OPERATIONS.items()}
    fsm_fields = ["status"]
    fsm_forms = {name: op.form for name, op in OPERATIONS.items() if op.form is not None}
    list_display = [
        "reference",
        "order",
        "gateway",
        "status",
        "amount_display",
        "captured_amount_display",
        "refunded_amount_display",
        "flagged",
        "created_at",
    ]
    list_filter = ["status", "gateway", "flagged"]
    list_select_related = ["order"]
    search_fields = ["reference", "gateway_reference", "order__number", "order__email"]
    date_hierarchy = "created_at"
    actions = ["refresh_selected"]
    inlines = [RefundInline, PaymentEventInline, WebhookEventInline]
    fieldsets = [
        (None, {"fields": ["reference", "order", "gateway", "status", "created_at", "updated_at"]}),
        (
            "Amounts",
            {
                "fields": [
                    "amount_display",
                    "authorized_amount_display",
                    "captured_amount_display",
                    "refunded_amount_display",
                ]
            },
        ),
        ("Attention", {"fields": ["flagged", "flag_reason", "failure_message"]}),
        (
            "Provider",
            {"fields": ["gateway_reference", "request_key", "return_url", "redirect_url"]},
        ),
    ]
    # Everything: a payment changes only through the services (the buttons).
    # The client secret is left out: only the paying customer needs it.
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]
    # Amounts at the currency's exponent ($59.00), not the column's three places.
    amount_display = money_display("amount", "amount")
    authorized_amount_display = money_display("authorized_amount", "authorized")
    captured_amount_display = money_display("captured_amount", "captured")
    refunded_amount_display = money_display("refunded_amount", "refunded")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # There is nothing to save: every field is read-only, and saving the
        # row as it was read could overwrite what a webhook wrote meanwhile.
        pass

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A button without a form (refresh) is pressed by POSTing this page, which
        # Django's admin handles inside one database transaction; the services call
        # the provider and must never do so inside one. Nothing here is editable, so
        # such a button runs before (outside) that transaction.
        name = request.POST.get(self.fsm_post_param) if request.method == "POST" else None
        operation = OPERATIONS.get(name) if name else None
        if object_id and operation is not None and operation.form is None:
            payment = self.get_object(request, object_id)
            if payment is None:
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
            self._apply_fsm_transition(obj=payment, transition_name=name, request=request)
            return HttpResponseRedirect(request.get_full_path())
        return super().changeform_view(request, object_id, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    # The buttons: django-fsm-2's transition buttons and forms, each bound to a
    # service (OPERATIONS) rather than to the model's transition method.

    # django-fsm-2's form page, with a table of the order's lines for refund_lines.
    fsm_transition_form_template = "admin/commerce_payments/payment/operation_form.html"

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        if transition_name == "refund_lines" and "_preview" in request.POST:
            return self._preview_refund_lines(request, object_id)
        return super().fsm_transition_view(request, object_id, transition_name, **kwargs)

    def _preview_refund_lines(self, request, object_id):
        """The refund-lines form again, with what the chosen units would give back
        (the service's figures); nothing is refunded."""
        payment = self.get_object(request, object_id)
        if payment is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, payment):
            raise PermissionDenied
        form = RefundLinesForm(request.POST, instance=payment)
        preview = None
        if form.is_valid():
            try:
                parts = services.line_refund_parts(
                    payment.order,
                    form.cleaned_data["lines"],
                    shipping=form.cleaned_data["shipping"],
                )
            except CommerceError as error:
                self.message_service_error(request, _named_lines(error, payment.order))
            else:
                preview = form.money(sum(part.amount for part in parts))
        operation = OPERATIONS["refund_lines"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": payment,
            "transition": FSMTransitionContext(
                name="refund_lines", label=operation.label, help_text=operation.help_text
            ),
            "transition_form": form,
            "preview": preview,
        }
        return render(request, self.fsm_transition_form_template, context)

    def _get_fsm_extra_context(self, *, request, obj):
        if obj is None or not self.has_change_permission(request, obj):
            return []  # as ServiceTransitions does; this list is built here, not by django-fsm-2
        offered = [
            FSMTransitionContext(name=name, label=op.label, help_text=op.help_text)
            for name, op in OPERATIONS.items()
            if op.offered(obj)
        ]
        if not offered:
            return []
        return [
            FSMObjectTransition(
                fsm_field="status", block_label="Payment actions", available_transitions=offered
            )
        ]

    def _get_fsm_transition_by_name(self, *, obj, transition_name):
        return _OperationTransition(transition_name)

    @admin.action(description="Refresh from the gateway", permissions=["change"])
    def refresh_selected(self, request, queryset):
        asked = changed = 0
        for payment in queryset.filter(status__in=Payment.ACTIVE).select_related("order"):
            before = payment.status
            try:
                payment = services.refresh_payment(payment, actor=request.user)
            except CommerceError as error:
                self.message_service_error(request, error, subject=f"Payment {payment.reference}")
                continue
            asked += 1
            changed += payment.status != before
        self.message_user(
            request,
            f"Asked the gateways about {asked} unsettled payment(s); {changed} changed status.",
            level=messages.SUCCESS,
        )


# --- refunds and webhook events: read-only -----------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "payment",
        "status",
        "amount_display",
        "reason",
        "created_by",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["payment", "created_by"]
    search_fields = [
        "reference",
        "gateway_reference",
        "payment__reference",
        "payment__order__number",
    ]
    date_hierarchy = "created_at"
    fields = [
        "reference",
        "payment",
        "status",
        "amount_display",
        "reason",
        "created_by",
        "gateway_reference",
        "failure_message",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["amount_display"]
    amount_display = money_display("amount", "amount")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "gateway",
        "type",
        "result",
        "payment",
        "amount_display",
        "created_at",
    ]
    list_filter = ["gateway", "result", "type"]
    list_select_related = ["payment"]
    search_fields = ["event_id", "gateway_reference"]
    date_hierarchy = "created_at"
    fields = [
        "gateway",
        "event_id",
        "type",
        "gateway_reference",
        "payment",
        "amount_display",
        "occurred_at",
        "result",
        "reason",
        "applied_at",
        "created_at",
        "payload_pretty",
    ]
    readonly_fields = ["amount_display", "payload_pretty"]
    amount_display = money_display("amount", "amount")

    @admin.display(description="payload")
    def payload_pretty(self, event):
        text = json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)
