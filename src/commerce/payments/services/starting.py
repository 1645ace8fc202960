"""Starting a payment: the customer's first step, and releasing one that was superseded."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commerce.core.exceptions import CommerceError
from commerce.core.idempotency import IdempotencyKeyReusedError
from commerce.orders.models import Order
from commerce.payments.exceptions import (
    GatewayError,
    OrderNotPayableError,
    PaymentStartInProgressError,
)
from commerce.payments.gateways.base import Capability, OperationResult, Outcome, PaymentGateway
from commerce.payments.gateways.registry import UnknownGatewayError, get_gateway
from commerce.payments.models import Payment
from commerce.payments.services._common import (
    Status,
    flag,
    lock_payment,
    operation_key,
    record_event,
    transition,
)

#: Seconds a claimed start holds: longer than a provider takes to answer a start. A
#: claim older than this lost its worker (or its call outlived it) and may be taken
#: over; the same idempotency key keeps the provider from creating anything twice.
START_CLAIM_TTL = 10.0
#: Seconds a start waits for the answer to a call another request is making for the
#: same payment (a double-clicked Pay button, a client's quick retry). Longer than
#: the claim holds, so a retry takes over a dead claim instead of failing; the 409 is
#: left for clocks that disagree.
START_WAIT = 15.0
#: Seconds between looks at whether that answer has been stored.
START_POLL = 0.05


@dataclass
class StartedPayment:
    """The payment :func:`start_payment` started, or found for a replayed request key."""

    payment: Payment
    created: bool


def start_payment(
    order: Order,
    alias: str,
    *,
    return_url: str = "",
    request_key: str = "",
    actor=None,
) -> StartedPayment:
    """Start paying ``order``'s total through the gateway configured as ``alias``.

    A pending or processing payment the order already has is cancelled (an
    order has at most one active payment); an authorized or captured one
    makes this a 409. With ``request_key`` (the client's ``Idempotency-Key``)
    a retried request returns the payment the first one started, and a
    payment whose start never got an answer is started again with the same
    provider idempotency key, so the provider creates nothing twice. A retry
    that arrives while the first request is with the provider calls nothing:
    it waits for that answer and returns it (the reference and the client
    secret stored together). If the first request's worker died, the retry
    sends the start itself after a few seconds; if its wait runs out first, it
    is a :class:`~commerce.payments.exceptions.PaymentStartInProgressError`
    (409), to retry later with the same key.
    """
    gateway = get_gateway(alias)
    gateway.check_currency(order.currency)
    superseded: list[Payment] = []
    with transaction.atomic():
        locked_order = Order.objects.select_for_update().get(pk=order.pk)
        # One read of the payments that matter here: the request key's, those that hold
        # money, those a new payment supersedes (an order has a handful at most).
        wanted = Q(status__in=[*Payment.HOLDS_MONEY, Status.PENDING, Status.PROCESSING])
        if request_key:
            wanted |= Q(request_key=request_key)
        payments = list(locked_order.payments.select_for_update().filter(wanted))
        payment = None
        if request_key:
            payment = next((p for p in payments if p.request_key == request_key), None)
            if payment is not None and (payment.gateway, payment.return_url) != (
                alias,
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
            if any(p.status in Payment.HOLDS_MONEY for p in payments):
                raise OrderNotPayableError(
                    "The order already has an authorized or captured payment.",
                    details={"status": locked_order.status},
                )
            for previous in payments:
                if previous.status not in (Status.PENDING, Status.PROCESSING):
                    continue
                previous.order = locked_order
                transition(previous, "cancel", actor=actor, reason="Superseded by a new payment")
                superseded.append(previous)
            payment = Payment.objects.create(
                order=locked_order,
                gateway=alias,
                amount=locked_order.total,
                request_key=request_key,
                return_url=return_url,
            )
            data = {"idempotency_key": operation_key(payment, "initiate")}
            record_event(payment, "created", actor=actor, to_status=payment.status, data=data)
            # Claimed with its creation: no other request can see the payment before
            # this commits, so none can be sending it to the provider.
            record_event(payment, "initiate_requested", actor=actor, data=data)
        payment.order = locked_order
    for previous in superseded:
        void_quietly(previous, actor=actor)
    if created:
        payment = _call_initiate(gateway, payment, actor=actor)
    elif payment.status in (Status.PENDING, Status.PROCESSING) and not payment.gateway_reference:
        payment = initiate(gateway, payment, actor=actor, wait=START_WAIT)
    return StartedPayment(payment=payment, created=created)


def initiate(
    gateway: PaymentGateway,
    payment: Payment,
    *,
    actor=None,
    wait: float | None = None,
    stale_before: datetime | None = None,
) -> Payment:
    """Send ``payment`` to the provider, unless another request is doing it right now.

    The start is claimed first (an ``initiate_requested`` event, under the
    payment's row lock), so concurrent starts of one payment call the provider
    once. A caller that finds it claimed waits up to ``wait`` seconds for that
    call's answer, then returns the payment as stored (its reference with
    the client secret and redirect URL of the same provider object);
    :class:`PaymentStartInProgressError` (409) if the answer has not come by then.
    With ``wait=None`` it returns the payment as it stands at once. A claim
    made before ``stale_before`` (or :data:`START_CLAIM_TTL` seconds ago, if
    that is later) is taken over.
    """
    deadline = time.monotonic() + (wait or 0)
    while True:
        with transaction.atomic():
            payment = lock_payment(payment)
            if payment.status not in (Status.PENDING, Status.PROCESSING):
                return payment
            if payment.gateway_reference:
                return payment  # answered, by this request's call or another's
            claimed = not _start_in_flight(payment, stale_before)
            if claimed:
                record_event(
                    payment,
                    "initiate_requested",
                    actor=actor,
                    data={"idempotency_key": operation_key(payment, "initiate")},
                )
        if claimed:
            return _call_initiate(gateway, payment, actor=actor)
        if wait is None:
            return payment
        # Look without locks until the other call's answer is stored, then again under them.
        while _start_in_flight(payment, stale_before):
            if time.monotonic() >= deadline:
                raise PaymentStartInProgressError(details={"payment": payment.reference})
            time.sleep(START_POLL)


def _start_in_flight(payment: Payment, stale_before: datetime | None) -> bool:
    """Whether a request claimed the provider call, has not recorded its answer yet, and
    made its claim after ``stale_before`` and less than :data:`START_CLAIM_TTL` seconds ago."""
    expired = timezone.now() - timedelta(seconds=START_CLAIM_TTL)
    stale_before = expired if stale_before is None else max(stale_before, expired)
    latest = (
        payment.events.filter(kind__in=("initiate_requested", "initiate"))
        # On a tie the answer ("initiate") sorts first: it never precedes its claim.
        .order_by("-created_at", "kind")
        .values_list("kind", "created_at")
        .first()
    )
    return latest is not None and latest[0] == "initiate_requested" and latest[1] > stale_before


def _call_initiate(gateway: PaymentGateway, payment: Payment, *, actor=None) -> Payment:
    """Call the provider for a start this request claimed, and apply its answer."""
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
    except Exception as exc:
        # No answer at all: release the claim, so a retry or reconciliation may start it
        # again (same idempotency key) without waiting for the claim to go stale.
        with transaction.atomic():
            record_event(
                lock_payment(payment),
                "initiate",
                actor=actor,
                reason=f"No answer: {type(exc).__name__}",
                data={"outcome": str(Outcome.UNKNOWN)},
            )
        raise
    with transaction.atomic():
        payment = lock_payment(payment)
        record_event(
            payment,
            "initiate",
            actor=actor,
            reason=f"Gateway answered {result.outcome}",
            data={"outcome": str(result.outcome), "raw": result.raw},
        )
        reference = result.gateway_reference
        if reference and payment.gateway_reference and reference != payment.gateway_reference:
            # A start that outlived its claim: another object is stored, with its own
            # client secret. Keep that pair; this one is for staff to release.
            flag(
                payment,
                f"The provider answered a second start with {reference}, but "
                f"{payment.gateway_reference} is the payment's; release {reference} there",
            )
            return payment
        changed = []
        if reference:
            # What the client needs comes only from the provider object that is stored.
            if not payment.gateway_reference:
                payment.gateway_reference = reference
                changed.append("gateway_reference")
            for name in ("client_secret", "redirect_url"):
                value = getattr(result, name)
                if value and value != getattr(payment, name):
                    setattr(payment, name, value)
                    changed.append(name)
        if result.outcome == Outcome.FAILED:
            if payment.status in Payment.ACTIVE:
                # The transition's save writes the reference too: one UPDATE.
                transition(payment, "fail", actor=actor, reason="Declined at start")
                changed = []
        elif payment.status == Status.PENDING:
            # Pending, unknown or succeeded: the provider has it (or may have it); the
            # customer's confirmation, a webhook or reconciliation says how it ends.
            transition(payment, "mark_processing", actor=actor, reason="Sent to the gateway")
            changed = []
        if changed:
            payment.save(update_fields=[*changed, "updated_at"])
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
