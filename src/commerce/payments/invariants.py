"""The payments app's invariants: captures cover paid orders, refunds add up, one active
payment per order, and each webhook event stored and applied once.

Registered with :mod:`commerce.core.invariants` when the app is ready; the
invariants page of the docs says what each code means.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from commerce.core.invariants import (
    Violation,
    differs,
    format_amount,
    register,
    rounded,
    stream,
)
from commerce.orders.models import Order, OrderLine
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent

#: Order statuses that say the money was collected.
SETTLED_ORDER_STATUSES = ("paid", "shipped", "delivered", "refunded")
#: Payment statuses whose ``captured_amount`` was taken from the customer.
CAPTURED_PAYMENT_STATUSES = ("captured", "partially_refunded", "refunded")


@register(
    {
        "payment.capture_shortfall": (
            "A paid, shipped, delivered or refunded order's captured payments do not cover "
            "its total."
        ),
    }
)
def captures() -> Iterator[Violation]:
    """A paid (shipped, delivered, refunded) order's captured payments cover its total."""
    captured = Sum(
        "payments__captured_amount", filter=Q(payments__status__in=CAPTURED_PAYMENT_STATUSES)
    )
    broken = (
        Order.objects.filter(status__in=SETTLED_ORDER_STATUSES)
        .order_by()
        .values("pk", "number", "status", "currency", total_r=rounded(F("total")))
        .annotate(captured=rounded(Coalesce(captured, Value(Decimal(0)))))
        .filter(captured__lt=F("total_r"))
        .order_by("number")
    )
    for row in stream(broken):
        cur = row["currency"]
        yield Violation(
            "payment.capture_shortfall",
            f"the order is {row['status']} with a total of {format_amount(row['total_r'], cur)}, "
            f"but its payments captured {format_amount(row['captured'], cur)}",
            row["number"],
        )


@register(
    {
        "payment.refund_exceeds_capture": "A payment has more refunded than captured.",
        "payment.refund_mismatch": (
            "A payment's refunded amount differs from the sum of its succeeded refunds."
        ),
        "payment.currency_mismatch": "A payment amount or a refund is not in the order's currency.",
    }
)
def payments() -> Iterator[Violation]:
    """Refunds never exceed the capture and add up to the refunded amount; every amount of
    a payment and its refunds is in the order's currency (one grouped join of payments
    and their refunds)."""
    currency = F("order__currency")
    zero = Value(Decimal(0))
    succeeded = Sum("refunds__amount", filter=Q(refunds__status=Refund.Status.SUCCEEDED))
    wrong_currency = (
        ~Q(amount_currency=currency)
        | (Q(authorized_amount__isnull=False) & ~Q(authorized_amount_currency=currency))
        | (Q(captured_amount__isnull=False) & ~Q(captured_amount_currency=currency))
        | (Q(refunded_amount__isnull=False) & ~Q(refunded_amount_currency=currency))
        | Q(foreign_refunds__gt=0)
    )
    broken = (
        Payment.objects.order_by()
        .values(
            "pk",
            "reference",
            "order__currency",
            "amount_currency",
            "authorized_amount",
            "authorized_amount_currency",
            "captured_amount",
            "captured_amount_currency",
            "refunded_amount",
            "refunded_amount_currency",
            captured_r=rounded(Coalesce(F("captured_amount"), zero)),
            refunded_r=rounded(Coalesce(F("refunded_amount"), zero)),
        )
        .annotate(
            refunds_sum=rounded(Coalesce(succeeded, zero)),
            # Compared both ways: a negated lookup across a to-many join is a subquery.
            foreign_refunds=Count(
                "refunds",
                filter=Q(refunds__amount_currency__lt=currency)
                | Q(refunds__amount_currency__gt=currency),
            ),
        )
        .filter(
            Q(refunded_r__gt=F("captured_r"))
            | differs("refunded_r", "refunds_sum")
            | wrong_currency
        )
        .order_by("reference")
    )
    for row in stream(broken):
        reference, cur = row["reference"], row["order__currency"]
        if row["refunded_r"] > row["captured_r"]:
            yield Violation(
                "payment.refund_exceeds_capture",
                f"refunded {format_amount(row['refunded_r'], cur)}, "
                f"but captured {format_amount(row['captured_r'], cur)}",
                reference,
            )
        if row["refunded_r"] != row["refunds_sum"]:
            yield Violation(
                "payment.refund_mismatch",
                f"refunded {format_amount(row['refunded_r'], cur)}, but its succeeded refunds "
                f"add up to {format_amount(row['refunds_sum'], cur)}",
                reference,
            )
        others = [
            f"{name} in {row[f'{name}_currency']}"
            for name in ("amount", "authorized_amount", "captured_amount", "refunded_amount")
            if (name == "amount" or row[name] is not None) and row[f"{name}_currency"] != cur
        ]
        if row["foreign_refunds"]:
            others.append("a refund in another currency")
        if others:
            yield Violation(
                "payment.currency_mismatch",
                f"the order is in {cur}, but {', '.join(others)}",
                reference,
            )


@register(
    {
        "payment.multiple_active": (
            "An order has more than one pending, processing or authorized payment."
        ),
    }
)
def active_payments() -> Iterator[Violation]:
    """At most one pending, processing or authorized payment per order."""
    broken = (
        Payment.objects.filter(status__in=Payment.ACTIVE)
        .order_by()
        .values("order__number")
        .annotate(active=Count("pk"))
        .filter(active__gt=1)
        .order_by("order__number")
    )
    for row in stream(broken):
        yield Violation(
            "payment.multiple_active",
            f"{row['active']} payments are pending, processing or authorized at once",
            row["order__number"],
        )


@register({"webhook.duplicate_event": "A webhook event is stored more than once."})
def webhook_rows() -> Iterator[Violation]:
    """A webhook event is stored once per (gateway, event id)."""
    broken = (
        WebhookEvent.objects.order_by()
        .values("gateway", "event_id")
        .annotate(rows=Count("pk"))
        .filter(rows__gt=1)
        .order_by("gateway", "event_id")
    )
    for row in stream(broken):
        yield Violation(
            "webhook.duplicate_event",
            f"stored {row['rows']} times",
            f"{row['gateway']}:{row['event_id']}",
        )


@register({"webhook.applied_twice": "A webhook event drove more than one payment status change."})
def webhook_transitions() -> Iterator[Violation]:
    """A webhook event moves a payment's status at most once.

    The payment services write one :class:`~commerce.payments.models.PaymentEvent`
    per status change, with both statuses set; when a webhook drove it (directly, or
    a refund applied once its capture arrived), its ``data`` holds the provider's
    ``webhook_event_id``. Two such rows for one event id of one gateway mean the
    event was applied twice.
    """
    broken = (
        PaymentEvent.objects.exclude(from_status="")
        .exclude(to_status="")
        .filter(data__has_key=PaymentEvent.WEBHOOK_EVENT_KEY)
        .annotate(event_id=KT(f"data__{PaymentEvent.WEBHOOK_EVENT_KEY}"))
        .order_by()
        .values("payment__gateway", "event_id")
        .annotate(transitions=Count("pk"))
        .filter(transitions__gt=1)
        .order_by("payment__gateway", "event_id")
    )
    for row in stream(broken):
        yield Violation(
            "webhook.applied_twice",
            f"drove {row['transitions']} payment status changes",
            f"{row['payment__gateway']}:{row['event_id']}",
        )


@register(
    {
        "refund.line_exceeds_cost": (
            "An order line's refunds (those that did not fail) give back more units than "
            "it had, or more than it cost."
        ),
    }
)
def refund_lines() -> Iterator[Violation]:
    """No order line is refunded more units than it had, nor more money than it cost."""
    counted = ~Q(refund_lines__refund__status=Refund.Status.FAILED)
    broken = (
        OrderLine.objects.filter(refund_lines__isnull=False)
        .order_by()
        .values(
            "pk",
            "sku",
            "quantity",
            number=F("order__number"),
            currency=F("order__currency"),
            cost_r=rounded(F("total")),
        )
        .annotate(
            units=Coalesce(Sum("refund_lines__quantity", filter=counted), Value(0)),
            given_r=rounded(
                Coalesce(Sum("refund_lines__amount", filter=counted), Value(Decimal(0)))
            ),
        )
        .filter(Q(units__gt=F("quantity")) | Q(given_r__gt=F("cost_r")))
        .order_by("number", "sku")
    )
    for row in stream(broken):
        cur = row["currency"]
        yield Violation(
            "refund.line_exceeds_cost",
            f"line {row['sku']}: {row['units']} of {row['quantity']} units refunded, "
            f"{format_amount(row['given_r'], cur)} of {format_amount(row['cost_r'], cur)}",
            row["number"],
        )
