"""Payments, refunds, their history, and the webhook events that moved them.

A :class:`Payment` is one attempt to collect an order's total through one
gateway. Its status is a django-fsm-2 state machine that only
:mod:`commerce.payments.services` drives, each transition under a row lock
and leaving a :class:`PaymentEvent`. Amounts are cumulative and never
guessed: ``captured_amount`` and ``refunded_amount`` are what the provider
confirmed.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from commerce.core.apps import require_installed

require_installed(
    "commerce.payments", "commerce.core", "commerce.catalog", "commerce.cart", "commerce.orders"
)

from commerce.core.models import BaseModel  # noqa: E402
from commerce.core.money import MONEY_FIELD_OPTIONS  # noqa: E402
from commerce.orders.models import Order, OrderLine  # noqa: E402


def new_payment_reference() -> str:
    return f"pay_{secrets.token_hex(12)}"


def new_refund_reference() -> str:
    return f"rfd_{secrets.token_hex(12)}"


class Payment(ConcurrentTransitionMixin, BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        AUTHORIZED = "authorized", _("Authorized")
        CAPTURED = "captured", _("Captured")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    #: Statuses in which an order may have only one payment.
    ACTIVE = (Status.PENDING, Status.PROCESSING, Status.AUTHORIZED)
    #: Statuses in which the provider holds or has taken the customer's money.
    HOLDS_MONEY = (
        Status.AUTHORIZED,
        Status.CAPTURED,
        Status.PARTIALLY_REFUNDED,
    )

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
    gateway = models.CharField(_("gateway"), max_length=64, help_text=_("The gateway's alias."))
    #: Commerce's own id for the payment, sent to the provider and stable across retries.
    reference = models.CharField(
        _("reference"), max_length=64, unique=True, editable=False, default=new_payment_reference
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING,
        protected=True,
        db_index=True,
    )
    amount = MoneyField(_("amount"), **MONEY_FIELD_OPTIONS)
    authorized_amount = MoneyField(_("authorized"), null=True, blank=True, **MONEY_FIELD_OPTIONS)
    captured_amount = MoneyField(_("captured"), null=True, blank=True, **MONEY_FIELD_OPTIONS)
    refunded_amount = MoneyField(_("refunded"), null=True, blank=True, **MONEY_FIELD_OPTIONS)
    #: The provider's id (Stripe PaymentIntent, Paystack reference), once known.
    gateway_reference = models.CharField(
        _("gateway reference"), max_length=255, blank=True, db_index=True
    )
    #: The client's ``Idempotency-Key`` for the request that started the payment.
    request_key = models.CharField(_("request key"), max_length=255, blank=True)
    return_url = models.URLField(_("return URL"), max_length=2000, blank=True)
    #: What the client needs to finish paying (shown only to the order's owner).
    client_secret = models.CharField(_("client secret"), max_length=255, blank=True)
    redirect_url = models.URLField(_("redirect URL"), max_length=2000, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=255, blank=True)
    #: Set when something needs a person: an amount mismatch, a capture after
    #: cancellation, a dispute. Nothing clears it but staff.
    flagged = models.BooleanField(_("flagged for staff"), default=False, db_index=True)
    flag_reason = models.CharField(_("flag reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["pending", "processing", "authorized"]),
                name="commerce_payment_one_active_per_order",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=~Q(gateway_reference=""),
                name="commerce_payment_gateway_reference",
            ),
            models.UniqueConstraint(
                fields=["order", "request_key"],
                condition=~Q(request_key=""),
                name="commerce_payment_request_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["updated_at"],
                name="commerce_payment_unsettled",
                condition=Q(status__in=["pending", "processing"]),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    # What a gateway may read (commerce.payments.gateways.base.PaymentInfo).

    @property
    def email(self) -> str:
        return self.order.email

    @property
    def order_number(self) -> str:
        return self.order.number

    @property
    def zero(self) -> Money:
        return Money(0, self.amount.currency)

    @property
    def refundable_amount(self) -> Money:
        """Captured and not yet refunded (pending refunds are not subtracted here)."""
        return (self.captured_amount or self.zero) - (self.refunded_amount or self.zero)

    # Transitions change the row in memory only; services save them inside a
    # transaction and write the PaymentEvent.

    @transition(field=status, source=Status.PENDING, target=Status.PROCESSING)
    def mark_processing(self) -> None:
        pass

    @transition(field=status, source=[Status.PENDING, Status.PROCESSING], target=Status.AUTHORIZED)
    def authorize(self, *, amount: Money) -> None:
        self.authorized_amount = amount

    @transition(
        field=status,
        source=[Status.PENDING, Status.PROCESSING, Status.AUTHORIZED],
        target=Status.CAPTURED,
    )
    def capture(self, *, amount: Money) -> None:
        self.captured_amount = amount

    @transition(
        field=status,
        source=[Status.PENDING, Status.PROCESSING, Status.AUTHORIZED],
        target=Status.FAILED,
    )
    def fail(self, *, message: str = "") -> None:
        self.failure_message = message[:255]

    @transition(
        field=status,
        source=[Status.PENDING, Status.PROCESSING, Status.AUTHORIZED],
        target=Status.CANCELLED,
    )
    def cancel(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.CAPTURED, Status.PARTIALLY_REFUNDED],
        target=Status.PARTIALLY_REFUNDED,
    )
    def refund_partially(self, *, refunded: Money) -> None:
        self.refunded_amount = refunded

    @transition(
        field=status,
        source=[Status.CAPTURED, Status.PARTIALLY_REFUNDED],
        target=Status.REFUNDED,
    )
    def refund_fully(self, *, refunded: Money) -> None:
        self.refunded_amount = refunded

    def allowed_transitions(self) -> list[str]:
        return sorted(t.name for t in self.get_available_status_transitions())


class Refund(ConcurrentTransitionMixin, BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    #: Commerce's id for the refund; also its idempotency key at the provider.
    reference = models.CharField(
        _("reference"), max_length=64, unique=True, editable=False, default=new_refund_reference
    )
    status = FSMField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.PENDING,
        protected=True,
        db_index=True,
    )
    amount = MoneyField(_("amount"), **MONEY_FIELD_OPTIONS)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=255, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=255, blank=True)
    #: The client's ``Idempotency-Key`` for the request that asked for the refund.
    request_key = models.CharField(_("request key"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="commerce_refund_amount_gt_0"),
            models.UniqueConstraint(
                fields=["payment", "request_key"],
                condition=~Q(request_key=""),
                name="commerce_refund_request_key",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @transition(field=status, source=Status.PENDING, target=Status.SUCCEEDED)
    def succeed(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def fail(self, *, message: str = "") -> None:
        self.failure_message = message[:255]


class RefundLine(BaseModel):
    """What a refund gives back for one order line (``quantity`` units), or for the
    shipping (no line).

    Amounts come from what the order was charged (see
    :func:`~commerce.payments.services.refund_lines.line_refund_parts`), so refunding
    every unit of every line and the shipping gives back the order's total exactly.
    """

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_lines",
        verbose_name=_("order line"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    amount = MoneyField(_("amount"), **MONEY_FIELD_OPTIONS)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(order_line__isnull=True) | Q(quantity__gt=0),
                name="commerce_refundline_qty_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line_id or 'shipping'}: {self.amount}"


class PaymentEvent(BaseModel):
    """One row per status change and per gateway call: who, when, from, to, why, what came back."""

    #: The key of ``data`` naming the provider's webhook event that drove a status change.
    WEBHOOK_EVENT_KEY = "webhook_event_id"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    kind = models.CharField(_("kind"), max_length=32)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=255, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")

    def __str__(self) -> str:
        return (
            f"{self.payment_id}: {self.kind} {self.from_status or '-'} -> {self.to_status or '-'}"
        )


class WebhookEvent(BaseModel):
    """A verified webhook event, stored once per (gateway, event id), with what it did."""

    class Result(models.TextChoices):
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Ignored")
        DEFERRED = "deferred", _("Deferred until the payment catches up")
        UNKNOWN_PAYMENT = "unknown_payment", _("No such payment")
        FLAGGED = "flagged", _("Flagged for staff")

    gateway = models.CharField(_("gateway"), max_length=64)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=32)
    gateway_reference = models.CharField(_("gateway reference"), max_length=255, blank=True)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_events",
        verbose_name=_("payment"),
    )
    amount = MoneyField(_("amount"), null=True, blank=True, **MONEY_FIELD_OPTIONS)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "event_id"], name="commerce_webhookevent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"
