"""Starting a payment: the customer's first step, and releasing one that was superseded."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from commerce.core.exceptions import CommerceError
from commerce.core.idempotency import IdempotencyKeyReusedError
from commerce.orders.models import Order
from commerce.payments.exceptions import GatewayError, OrderNotPayableError
from commerce.payments.gateways.base import Capability, OperationResult, Outcome, PaymentGateway
from commerce.payments.gateways.registry import UnknownGatewayError, get_gateway
from commerce.payments.models import Payment
from commerce.payments.services._common import (
    Status,
    lock_payment,
    operation_key,
    record_event,
    transition,
)


@dataclass
class StartedPayment:
    """The payment :func:`start_payment` started, or found for a replayed request key."""

    payment: Payment
    created: bool


def start_payment(
    order: Order,
    gateway: str,
    *,
    return_url: str = "",
    request_key: str = "",
    actor=None,
) -> StartedPayment:
    """Start paying ``order``'s total through the gateway configured as ``gateway``.

    A pending or processing payment the order already has is cancelled (an
    order has at most one active payment); an authorized or captured one
    makes this a 409. With ``request_key`` (the client's ``Idempotency-Key``)
    a retried request returns the payment the first one started, and a
    payment whose start never got an answer is started again with the same
    provider idempotency key, so the provider creates nothing twice.
    """
    chosen = get_gateway(gateway)
    chosen.check_currency(order.currency)
    superseded: list[Payment] = []
    with transaction.atomic():
        locked_order = Order.objects.select_for_update().get(pk=order.pk)
        payment = None
        if request_key:
            payment = Payment.objects.filter(order=locked_order, request_key=request_key).first()
            if payment is not None and (payment.gateway, payment.return_url) != (
                gateway,
                return_url,
            ):
                raise IdempotencyKeyReusedError(details={"key": request_key})
        created = payment is None
        if created:
            if locked_order.status != Order.Status.PENDING:
                raise OrderNotPayableError(
                    f"The order is {locked_order.status}; only a pending order can be paid.",
                    details={"status": locked_order.status},
                )
            if locked_order.payments.filter(status__in=Payment.HOLDS_MONEY).exists():
                raise OrderNotPayableError(
                    "The order already has an authorized or captured payment.",
                    details={"status": locked_order.status},
                )
            for previous in locked_order.payments.select_for_update().filter(
                status__in=[Status.PENDING, Status.PROCESSING]
            ):
                previous.order = locked_order
                transition(previous, "cancel", actor=actor, reason="Superseded by a new payment")
                superseded.append(previous)
            payment = Payment.objects.create(
                order=locked_order,
                gateway=gateway,
                amount=locked_order.total,
                request_key=request_key,
                return_url=return_url,
            )
            record_event(
                payment,
                "created",
                actor=actor,
                to_status=payment.status,
                data={"idempotency_key": operation_key(payment, "initiate")},
            )
        payment.order = locked_order
    for previous in superseded:
        void_quietly(previous, actor=actor)
    if payment.status in (Status.PENDING, Status.PROCESSING) and not payment.gateway_reference:
        payment = initiate(chosen, payment, actor=actor)
    return StartedPayment(payment=payment, created=created)


def initiate(gateway: PaymentGateway, payment: Payment, *, actor=None) -> Payment:
    try:
        result = gateway.initiate(
            payment,
            idempotency_key=operation_key(payment, "initiate"),
            return_url=payment.return_url,
        )
    except CommerceError as exc:
        # A definite refusal before or by the provider (an amount it cannot represent, a
        # missing email, a bad request or key): nothing was created there. Failing the
        # payment keeps reconciliation from starting it again and again.
        with transaction.atomic():
            payment = lock_payment(payment)
            record_event(payment, "initiate", actor=actor, reason=exc.message, data=exc.details)
            if payment.status in (Status.PENDING, Status.PROCESSING):
                transition(payment, "fail", actor=actor, reason=exc.message, message=exc.message)
        raise
    with transaction.atomic():
        payment = lock_payment(payment)
        changed = []
        if result.gateway_reference and not payment.gateway_reference:
            payment.gateway_reference = result.gateway_reference
            changed.append("gateway_reference")
        for name in ("client_secret", "redirect_url"):
            value = getattr(result, name)
            if value and value != getattr(payment, name):
                setattr(payment, name, value)
                changed.append(name)
        if changed:
            payment.save(update_fields=[*changed, "updated_at"])
        record_event(
            payment,
            "initiate",
            actor=actor,
            reason=f"Gateway answered {result.outcome}",
            data={"outcome": str(result.outcome), "raw": result.raw},
        )
        if result.outcome == Outcome.FAILED:
            if payment.status in Payment.ACTIVE:
                transition(payment, "fail", actor=actor, reason="Declined at start")
        elif payment.status == Status.PENDING:
            # Pending, unknown or succeeded: the provider has it (or may have it); the
            # customer's confirmation, a webhook or reconciliation says how it ends.
            transition(payment, "mark_processing", actor=actor, reason="Sent to the gateway")
    if payment.status == Status.CANCELLED:
        # Superseded while the provider was answering: whoever cancelled it saw no
        # gateway reference to void, so release it at the provider now.
        void_quietly(payment, actor=actor)
    return payment


def void_quietly(payment: Payment, *, actor=None) -> None:
    """Best effort: release a superseded payment at the provider (it is cancelled here already).

    If the customer still completes it, the capture arrives for a cancelled
    payment and is flagged for a refund; nothing is marked paid twice.
    """
    try:
        gateway = get_gateway(payment.gateway)
    except UnknownGatewayError:
        return  # the gateway was removed from the settings: nothing to call
    if not payment.gateway_reference or not gateway.supports(Capability.VOID):
        return
    try:
        result = gateway.void(payment, idempotency_key=operation_key(payment, "void"))
    except GatewayError as exc:
        result = OperationResult(Outcome.FAILED, payment.gateway_reference, message=exc.message)
    with transaction.atomic():
        record_event(
            lock_payment(payment),
            "void",
            actor=actor,
            reason=f"Release at the provider: {result.outcome}",
            data={"outcome": str(result.outcome), "message": result.message, "raw": result.raw},
        )
