"""The one rule set every fact from the provider goes through.

An operation's answer, a webhook and a status fetch all end in
:func:`apply_observation`, so the rules for amounts, ordering and
duplicates are the same whichever arrives first.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from commerce.catalog import services as catalog_services
from commerce.conf import commerce_settings
from commerce.orders import services as order_services
from commerce.orders.models import Order
from commerce.payments import signals
from commerce.payments.gateways.base import EventType, PaymentGateway
from commerce.payments.models import Payment, PaymentEvent, Refund
from commerce.payments.services._common import (
    Result,
    Status,
    actor_or_none,
    flag,
    record_event,
    transition,
)


def apply_observation(
    payment: Payment,
    kind: EventType,
    amount: Money | None,
    *,
    gateway: PaymentGateway,
    actor=None,
    source: str,
    webhook_event_id: str | None = None,
) -> tuple[str, str]:
    """Apply one fact from the provider to a locked payment; return (result, reason).

    ``source`` says where the fact came from, for people; the status change's
    event row carries it with the amount and, when a webhook drove it, the
    provider's ``webhook_event_id`` as structured data (the invariant checker
    counts transitions per webhook event from it).

    Rules: a currency that differs from the payment's changes nothing and
    flags it; an amount that differs never marks the order paid and flags
    it; an event the payment is past (a success after a refund, a failure
    after a capture) is ignored with a reason; a refund seen before the
    capture waits (``deferred``) and is applied right after the capture.
    """
    if amount is not None and str(amount.currency) != str(payment.amount.currency):
        expected = payment.amount.currency
        reason = f"{source}: {kind} in {amount.currency}, but the payment is in {expected}"
        flag(payment, reason)
        return Result.FLAGGED, reason
    status = payment.status
    active = status in Payment.ACTIVE
    data = {
        "source": source,
        "amount": str(amount.amount) if amount is not None else None,
        "currency": str(amount.currency) if amount is not None else None,
    }
    if webhook_event_id is not None:
        data[PaymentEvent.WEBHOOK_EVENT_KEY] = webhook_event_id

    if kind == EventType.AUTHORIZED:
        if status not in (Status.PENDING, Status.PROCESSING):
            return Result.IGNORED, f"The payment is already {status}."
        amount = amount or payment.amount
        if amount != payment.amount:
            reason = f"{source}: authorized {amount}, expected {payment.amount}"
            flag(payment, reason)
            return Result.FLAGGED, reason
        transition(payment, "authorize", actor=actor, reason=source, data=data, amount=amount)
        return Result.APPLIED, "Authorized."

    if kind == EventType.CAPTURED:
        if status in (Status.CANCELLED, Status.FAILED):
            reason = (
                f"{source}: the provider captured {amount or payment.amount} on a payment "
                f"commerce has as {status}; refund it at the provider"
            )
            flag(payment, reason)
            return Result.FLAGGED, reason
        if not active:
            return Result.IGNORED, f"The payment is already {status}."
        amount = amount or payment.authorized_amount or payment.amount
        transition(payment, "capture", actor=actor, reason=source, data=data, amount=amount)
        result, reason = _settle_order_after_capture(payment, actor=actor)
        _apply_deferred(payment, gateway=gateway)
        return result, reason

    if kind in (EventType.FAILED, EventType.CANCELLED):
        if not active:
            return Result.IGNORED, f"A {kind} event after the payment was {status}."
        name = "fail" if kind == EventType.FAILED else "cancel"
        extra = {"message": f"Reported by the provider ({source})"} if name == "fail" else {}
        transition(payment, name, actor=actor, reason=source, data=data, **extra)
        return Result.APPLIED, f"Payment {payment.status}."

    if kind == EventType.REFUNDED:
        if amount is None:
            return Result.IGNORED, "A refund event without an amount."
        if active:
            return Result.DEFERRED, "A refund seen before the capture; applied once it is captured."
        if status not in (Status.CAPTURED, Status.PARTIALLY_REFUNDED, Status.REFUNDED):
            reason = f"{source}: a refund on a payment commerce has as {status}"
            flag(payment, reason)
            return Result.FLAGGED, reason
        if gateway.refund_amounts_are_cumulative:
            return apply_refunded_total(payment, amount, actor=actor, source=source, data=data)
        return _apply_single_refund(payment, amount, actor=actor, source=source, data=data)

    if kind == EventType.REFUND_FAILED:
        refund = _pending_refund(payment, amount)
        if refund is None:
            return Result.IGNORED, "No pending refund of that amount."
        refund.fail(message=f"Reported by the provider ({source})")
        refund.save()
        record_event(payment, "refund_failed", reason=source, data={"refund": refund.reference})
        return Result.APPLIED, f"Refund {refund.reference} failed."

    if kind == EventType.DISPUTE_OPENED:
        reason = f"{source}: the customer opened a dispute"
        flag(payment, reason)
        return Result.FLAGGED, reason

    return Result.IGNORED, f"Commerce does not act on {kind} events."


def _settle_order_after_capture(payment: Payment, *, actor=None) -> tuple[str, str]:
    """Mark the order paid if this capture covers exactly its total; otherwise flag why not."""
    order = payment.order
    if payment.captured_amount != payment.amount:
        reason = f"Captured {payment.captured_amount} of {payment.amount}; the order is not paid"
        flag(payment, reason)
        return Result.FLAGGED, reason
    if order.status == Order.Status.PENDING and payment.amount == order.total:
        order_services.mark_order_paid(
            order, actor=actor, reason=f"Payment {payment.reference} captured"
        )
        payment.order.refresh_from_db()
        return Result.APPLIED, "Captured; the order is paid."
    reason = f"Captured a payment for an order that is {order.status}; refund it"
    flag(payment, reason)
    return Result.FLAGGED, reason


def _apply_deferred(payment: Payment, *, gateway: PaymentGateway) -> None:
    """Apply refund events that arrived before the capture, in the order they happened."""
    deferred = payment.webhook_events.filter(result=Result.DEFERRED).order_by(
        "occurred_at", "created_at"
    )
    for record in deferred:
        record.result, reason = apply_observation(
            payment,
            EventType(record.type),
            record.amount,
            gateway=gateway,
            source=f"webhook {record.event_id} (deferred)",
            webhook_event_id=record.event_id,
        )
        record.reason = reason[:255]
        if record.result == Result.APPLIED:
            record.applied_at = timezone.now()
        record.save(update_fields=["result", "reason", "applied_at", "updated_at"])


def _pending_refund(payment: Payment, amount: Money | None) -> Refund | None:
    refunds = payment.refunds.select_for_update().filter(status=Refund.Status.PENDING)
    if amount is not None:
        refunds = refunds.filter(amount=amount)
    return refunds.order_by("created_at").first()


def _apply_single_refund(
    payment: Payment, amount: Money, *, actor=None, source: str, data: dict
) -> tuple[str, str]:
    """A provider whose refund events carry one refund's amount (not a running total)."""
    refund = _pending_refund(payment, amount)
    if refund is not None:
        total = (payment.refunded_amount or payment.zero) + amount
        return apply_refunded_total(
            payment, total, actor=actor, source=source, data=data, first=refund
        )
    if payment.refunds.filter(status=Refund.Status.SUCCEEDED, amount=amount).exists():
        return Result.IGNORED, "A refund of this amount is already recorded."
    reason = f"{source}: a refund of {amount} that was not started in commerce"
    flag(payment, reason)
    return Result.FLAGGED, reason


def apply_refunded_total(
    payment: Payment,
    total: Money,
    *,
    actor=None,
    source: str,
    data: dict | None = None,
    first: Refund | None = None,
) -> tuple[str, str]:
    """Bring the payment's refunded amount up to ``total`` (a running total).

    ``data`` is what the status change's event row records (see
    :func:`apply_observation`).

    Pending refunds the increase covers succeed (``first``, then oldest
    first); any rest was refunded at the provider directly and gets a
    refund row of its own. A total beyond the capture is flagged, never applied.
    """
    known = payment.refunded_amount or payment.zero
    captured = payment.captured_amount or payment.zero
    if total <= known:
        return Result.IGNORED, f"Refunds of {known} are already recorded."
    if total > captured:
        reason = f"{source}: refunds of {total} exceed the {captured} captured"
        flag(payment, reason)
        return Result.FLAGGED, reason
    increase = total - known
    pending = list(
        payment.refunds.select_for_update()
        .filter(status=Refund.Status.PENDING)
        .order_by("created_at")
    )
    # The refund this answer is about first, then one of exactly the increase (the
    # provider may settle refunds out of order), then the oldest.
    pending.sort(
        key=lambda refund: (
            first is None or refund.pk != first.pk,
            refund.amount != increase,
            refund.created_at,
        )
    )
    succeeded: list[Refund] = []
    for refund in pending:
        if refund.amount <= increase:
            refund.succeed()
            refund.save()
            increase -= refund.amount
            succeeded.append(refund)
    if increase.amount > 0:
        succeeded.append(
            Refund.objects.create(
                payment=payment,
                amount=increase,
                status=Refund.Status.SUCCEEDED,
                reason="Refunded at the provider",
            )
        )
    name = "refund_fully" if total == captured else "refund_partially"
    transition(payment, name, actor=actor, reason=source, data=data, refunded=total)
    actor = actor_or_none(actor)
    for refund in succeeded:
        transaction.on_commit(
            lambda refund=refund: signals.payment_refunded.send(
                sender=Payment, payment=payment, refund=refund, actor=actor
            )
        )
    if name == "refund_fully":
        _settle_order_after_refund(payment, actor=actor)
    return Result.APPLIED, f"Refunded {total} in all."


def _settle_order_after_refund(payment: Payment, *, actor=None) -> None:
    order = payment.order
    if order.status not in (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.DELIVERED):
        return
    order_services.mark_order_refunded(
        order, actor=actor, reason=f"Payment {payment.reference} refunded in full"
    )
    if commerce_settings.RESTOCK_ON_REFUND:
        # One move, as checkout reserves: every stock row locked in variant order
        # before any product, so a refund and a checkout cannot deadlock.
        lines = order.lines.filter(variant__isnull=False).values_list("variant_id", "quantity")
        catalog_services.restock(
            list(lines),
            reason="Restocked after a full refund",
            reference=order.number,
            actor=actor_or_none(actor),
        )
