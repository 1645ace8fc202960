"""Staff operations on a payment: capture, cancel (void), refund, and clearing a flag."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Sum
from djmoney.money import Money

from commerce.core.exceptions import CommerceValidationError, ConflictError, InvalidAmountError
from commerce.core.idempotency import IdempotencyKeyReusedError
from commerce.core.money import from_minor_units, to_minor_units
from commerce.payments.exceptions import (
    GatewayError,
    PaymentDeclinedError,
    RefundExceedsCapturedError,
)
from commerce.payments.gateways.base import (
    Capability,
    EventType,
    OperationResult,
    Outcome,
    PaymentGateway,
)
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, Refund, RefundLine
from commerce.payments.services._common import (
    Status,
    actor_or_none,
    check_amount,
    lock_payment,
    not_allowed,
    operation_key,
    record_event,
    record_result,
    transition,
)
from commerce.payments.services.observations import apply_observation, apply_refunded_total
from commerce.payments.services.refund_lines import line_refund_parts


def _declined(payment: Payment, operation: str, result: OperationResult) -> PaymentDeclinedError:
    return PaymentDeclinedError(
        result.message or f"The provider refused to {operation} the payment.",
        details={"payment": payment.reference, "status": payment.status},
    )


def capture_payment(payment: Payment, amount: Money | None = None, *, actor=None) -> Payment:
    """Capture an authorized payment, all of it or ``amount`` (the rest is released).

    A definite refusal raises :class:`PaymentDeclinedError` (402); an unknown
    answer leaves the payment authorized for reconciliation.
    """
    gateway = get_gateway(payment.gateway)
    gateway.require(Capability.CAPTURE)
    with transaction.atomic():
        payment = lock_payment(payment)
        if payment.status != Status.AUTHORIZED:
            raise not_allowed(payment, "capture")
        authorized = payment.authorized_amount or payment.amount
        if amount is not None:
            check_amount(payment, amount)
            if amount > authorized:
                raise InvalidAmountError(
                    f"Cannot capture more than the {authorized} authorized.",
                    details={"amount": [f"At most {authorized}."]},
                )
            if amount < authorized:
                gateway.require(Capability.PARTIAL_CAPTURE)
        record_event(
            payment,
            "capture_requested",
            actor=actor,
            data={
                "amount": str(amount or authorized),
                "idempotency_key": operation_key(payment, "capture"),
            },
        )
    result = gateway.capture(payment, amount, idempotency_key=operation_key(payment, "capture"))
    with transaction.atomic():
        payment = lock_payment(payment)
        record_result(payment, "capture", result, actor=actor)
        if result.outcome == Outcome.SUCCEEDED:
            apply_observation(
                payment,
                EventType.CAPTURED,
                result.amount or amount or authorized,
                gateway=gateway,
                actor=actor,
                source="capture",
            )
    if result.outcome == Outcome.FAILED:
        raise _declined(payment, "capture", result)
    return payment


def cancel_payment(payment: Payment, *, actor=None, reason: str = "Cancelled") -> Payment:
    """Cancel a payment that has not been captured, voiding it at the provider when it can."""
    gateway = get_gateway(payment.gateway)
    with transaction.atomic():
        payment = lock_payment(payment)
        if payment.status not in Payment.ACTIVE:
            raise not_allowed(payment, "cancel")
        can_void = gateway.supports(Capability.VOID) and bool(payment.gateway_reference)
        if not can_void:
            if payment.status == Status.AUTHORIZED:
                gateway.require(Capability.VOID)
            # Nothing at the provider to release (or no way to): cancel here.
            transition(payment, "cancel", actor=actor, reason=reason)
            return payment
    result = gateway.void(payment, idempotency_key=operation_key(payment, "void"))
    with transaction.atomic():
        payment = lock_payment(payment)
        record_result(payment, "void", result, actor=actor)
        if result.outcome == Outcome.SUCCEEDED:
            apply_observation(
                payment, EventType.CANCELLED, None, gateway=gateway, actor=actor, source="void"
            )
    if result.outcome == Outcome.FAILED:
        raise _declined(payment, "cancel", result)
    return payment


def refund_payment(
    payment: Payment,
    amount: Money | None = None,
    *,
    lines: Mapping[Any, int] | None = None,
    shipping: bool = False,
    reason: str = "",
    request_key: str = "",
    actor=None,
) -> Refund:
    """Refund ``amount`` (default: all that is left) of a captured payment, or what
    ``lines`` (order line id -> units) and, with ``shipping``, the shipping cost.

    By lines, each unit gives back its share of what the order charged for its line
    (after discounts, with its tax), so refunding every line and the shipping, in any
    number of refunds, gives back the order's total exactly; see
    :mod:`~commerce.payments.services.refund_lines`. Lines and an ``amount`` together
    are a 400; bad lines are a 400 ``invalid_refund_lines``.

    More than what was captured, less what is refunded or being refunded, is
    a :class:`RefundExceedsCapturedError` (400) and nothing is sent. The
    refund's reference is the provider's idempotency key. A definite refusal
    marks the refund failed and raises :class:`PaymentDeclinedError`; an
    unknown answer leaves it pending until a webhook or
    :func:`reconcile_payments` settles it.

    With ``request_key`` (the client's ``Idempotency-Key``) a retried request
    returns the refund the first one made (``refund.replayed`` is true) and
    sends nothing; the same key for another amount or reason is a 422.
    """
    gateway = get_gateway(payment.gateway)
    gateway.require(Capability.REFUND)
    with transaction.atomic():
        payment = lock_payment(payment)
        if request_key:
            earlier = payment.refunds.filter(request_key=request_key).first()
            if earlier is not None:
                if (amount is not None and amount != earlier.amount) or (
                    reason[:255] != earlier.reason
                ):
                    raise IdempotencyKeyReusedError(details={"key": request_key})
                earlier.replayed = True
                return earlier
        if payment.status not in (Status.CAPTURED, Status.PARTIALLY_REFUNDED):
            raise not_allowed(payment, "refund")
        parts = []
        if lines or shipping:
            if amount is not None:
                raise CommerceValidationError(
                    "Refund an amount or lines, not both.",
                    details={"amount": ["Leave it out when refunding lines."]},
                )
            parts = line_refund_parts(payment.order, lines or {}, shipping=shipping)
            amount = from_minor_units(sum(part.amount for part in parts), payment.order.currency)
        pending = payment.refunds.filter(status=Refund.Status.PENDING).aggregate(
            total=Sum("amount")
        )["total"]
        available = payment.refundable_amount - Money(pending or 0, payment.amount.currency)
        if amount is None:
            amount = available
        else:
            check_amount(payment, amount)
        if amount.amount <= 0 or amount > available:
            currency = str(available.currency)
            raise RefundExceedsCapturedError(
                f"At most {available} can be refunded now.",
                details={
                    "refundable": str(from_minor_units(to_minor_units(available), currency).amount),
                    "currency": currency,
                },
            )
        if amount < payment.refundable_amount:
            gateway.require(Capability.PARTIAL_REFUND)
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason[:255],
            request_key=request_key,
            created_by=actor_or_none(actor),
        )
        RefundLine.objects.bulk_create(
            [
                RefundLine(
                    refund=refund,
                    order_line=part.order_line,
                    quantity=part.quantity,
                    amount=from_minor_units(part.amount, payment.order.currency),
                )
                for part in parts
            ]
        )
        record_event(
            payment,
            "refund_requested",
            actor=actor,
            reason=reason,
            data={"refund": refund.reference, "amount": str(amount.amount)},
        )
    result = send_refund(gateway, payment, refund, actor=actor)
    if result.outcome == Outcome.FAILED:
        raise _declined(payment, "refund", result)
    refund.refresh_from_db()
    refund.replayed = False
    return refund


def send_refund(
    gateway: PaymentGateway, payment: Payment, refund: Refund, *, actor=None
) -> OperationResult:
    """Ask the provider for ``refund`` (its reference is the idempotency key), apply the answer."""
    partial = gateway.supports(Capability.PARTIAL_REFUND)
    try:
        result = gateway.refund(
            payment, refund.amount if partial else None, idempotency_key=refund.reference
        )
    except GatewayError as exc:
        result = OperationResult(Outcome.FAILED, "", message=exc.message)
    with transaction.atomic():
        payment = lock_payment(payment)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        record_result(payment, "refund", result, actor=actor)
        provider_id = str(result.raw.get("id") or result.gateway_reference or "")
        if provider_id and provider_id != payment.gateway_reference:
            refund.gateway_reference = provider_id[:255]
            refund.save(update_fields=["gateway_reference", "updated_at"])
        if refund.status == Refund.Status.PENDING:  # a webhook may have settled it already
            if result.outcome == Outcome.SUCCEEDED:
                apply_refunded_total(
                    payment,
                    (payment.refunded_amount or payment.zero) + refund.amount,
                    actor=actor,
                    source="refund",
                    first=refund,
                )
            elif result.outcome == Outcome.FAILED:
                refund.fail(message=result.message)
                refund.save()
    return result


def clear_flag(payment: Payment, *, note: str, actor=None) -> Payment:
    """Clear the staff flag on ``payment`` once someone has dealt with what raised it.

    ``note`` (required) says what was done; it is kept, with the reason the
    payment was flagged, in an ``unflagged`` :class:`PaymentEvent`. Clearing a
    payment that is not flagged (someone else cleared it) is a
    :class:`~commerce.core.exceptions.ConflictError` (409). The status and
    amounts are not touched.
    """
    note = (note or "").strip()
    if not note:
        raise CommerceValidationError(
            "Say what was done about the flag.", details={"note": ["This field is required."]}
        )
    with transaction.atomic():
        payment = lock_payment(payment)
        if not payment.flagged:
            raise ConflictError(
                f"Payment {payment.reference} is not flagged.",
                code="not_flagged",
                details={"status": payment.status, "flagged": False},
            )
        flag_reason = payment.flag_reason
        payment.flagged = False
        payment.flag_reason = ""
        payment.save(update_fields=["flagged", "flag_reason", "updated_at"])
        record_event(
            payment, "unflagged", actor=actor, reason=note, data={"flag_reason": flag_reason}
        )
    return payment
