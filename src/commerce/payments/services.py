"""Payment operations, webhook handling and reconciliation.

Every operation follows one pattern, so a provider call never runs while a
database transaction (and its row locks) is open:

1. a short transaction locks the order and the payment, checks the request,
   and records what is about to happen (a :class:`PaymentEvent`, a pending
   :class:`Refund`) together with the stable idempotency key the provider
   will see (``<payment reference>:<operation>``, or the refund's reference);
2. the gateway is called, outside any transaction;
3. a second short transaction locks the rows again and applies the answer.

An ``unknown`` answer (a timeout, a 5xx) changes no status:
:func:`reconcile_payments` asks the provider later. Every observation of
the provider's state, whether an operation's answer, a webhook or a status
fetch, goes through one function, :func:`_apply_observation`, so the rules
for amounts, ordering and duplicates are the same whichever arrives first.
Locks are always taken order first, then payment, as the order services do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from djmoney.money import Money

from commerce.catalog import services as catalog_services
from commerce.catalog.services import validate_money
from commerce.conf import commerce_settings
from commerce.core.exceptions import (
    CommerceError,
    CommerceValidationError,
    ConflictError,
    CurrencyMismatchError,
    InvalidAmountError,
    NotFoundError,
)
from commerce.core.idempotency import IdempotencyKeyReusedError
from commerce.core.money import from_minor_units, to_minor_units
from commerce.orders import services as order_services
from commerce.orders.exceptions import InvalidTransitionError
from commerce.orders.models import Order
from commerce.payments import signals
from commerce.payments.exceptions import (
    GatewayError,
    OrderNotPayableError,
    PaymentDeclinedError,
    RefundExceedsCapturedError,
)
from commerce.payments.gateways.base import (
    Capability,
    EventType,
    GatewayEvent,
    OperationResult,
    Outcome,
    PaymentGateway,
)
from commerce.payments.gateways.registry import UnknownGatewayError, gateways, get_gateway
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent

__all__ = [
    "ReconciliationReport",
    "StartedPayment",
    "apply_webhook_event",
    "cancel_payment",
    "capture_payment",
    "clear_flag",
    "handle_webhook",
    "reconcile_payments",
    "refresh_payment",
    "refund_payment",
    "start_payment",
]

logger = logging.getLogger(__name__)

Status = Payment.Status
Result = WebhookEvent.Result

#: Signals sent (on commit) after a payment transition.
SIGNALS = {
    "authorize": signals.payment_authorized,
    "capture": signals.payment_captured,
    "fail": signals.payment_failed,
}


# --- small helpers ---------------------------------------------------------------------


def gateway_for(alias: str) -> PaymentGateway:
    """The configured gateway ``alias``, or a 400 naming the configured ones."""
    try:
        return get_gateway(alias)
    except UnknownGatewayError as exc:
        raise CommerceValidationError(
            f"No payment gateway is configured as {alias!r}.",
            code="unknown_gateway",
            details={"gateway": [f"Choose one of: {', '.join(_aliases()) or 'none configured'}."]},
        ) from exc


def _aliases() -> list[str]:
    return sorted(commerce_settings.PAYMENT_GATEWAYS)


def _jsonable(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A provider payload as plain JSON types (it may hold Decimals or datetimes)."""
    return json.loads(json.dumps(dict(data or {}), cls=DjangoJSONEncoder, default=str))


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock(payment: Payment) -> Payment:
    """Lock the payment's order, then the payment (the order services lock orders first)."""
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    locked.order = order
    return locked


def _record(
    payment: Payment,
    kind: str,
    *,
    actor=None,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
    from_status: str = "",
    to_status: str = "",
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        actor=_actor(actor),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:255],
        gateway_reference=payment.gateway_reference,
        data=_jsonable(data),
    )


def _transition(
    payment: Payment,
    name: str,
    *,
    actor=None,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Apply transition ``name`` to a locked payment, save it, write the event, signal on commit."""
    from_status = payment.status
    getattr(payment, name)(**kwargs)
    payment.save()
    _record(
        payment,
        name,
        actor=actor,
        reason=reason,
        data=data,
        from_status=from_status,
        to_status=payment.status,
    )
    signal = SIGNALS.get(name)
    if signal is not None:
        actor = _actor(actor)
        transaction.on_commit(lambda: signal.send(sender=Payment, payment=payment, actor=actor))


def _flag(payment: Payment, reason: str) -> None:
    """Mark the payment for staff attention; the first reason is kept, later ones logged."""
    logger.warning("Payment %s flagged: %s", payment.reference, reason)
    if not payment.flagged:
        payment.flagged = True
        payment.flag_reason = reason[:255]
        payment.save(update_fields=["flagged", "flag_reason", "updated_at"])
    _record(payment, "flagged", reason=reason)


def _not_allowed(payment: Payment, action: str) -> InvalidTransitionError:
    return InvalidTransitionError(
        f"Cannot {action} a payment that is {payment.status}.",
        details={"status": payment.status, "allowed": payment.allowed_transitions()},
    )


def _key(payment: Payment, operation: str) -> str:
    """The idempotency key the provider sees for ``operation``: stable across retries."""
    return f"{payment.reference}:{operation}"


def _check_amount(payment: Payment, amount: Money, field_name: str = "amount") -> None:
    if not isinstance(amount, Money):
        raise InvalidAmountError(f"{field_name} must be a Money value.")
    if str(amount.currency) != str(payment.amount.currency):
        raise CurrencyMismatchError(
            f"The payment is in {payment.amount.currency}, not {amount.currency}.",
            details={field_name: [f"Must be in {payment.amount.currency}."]},
        )
    validate_money(amount, field_name)
    if amount.amount <= 0:
        raise InvalidAmountError(
            f"{field_name} must be more than zero.", details={field_name: ["Must be positive."]}
        )


# --- starting a payment ----------------------------------------------------------------


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
    chosen = gateway_for(gateway)
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
                _transition(previous, "cancel", actor=actor, reason="Superseded by a new payment")
                superseded.append(previous)
            payment = Payment.objects.create(
                order=locked_order,
                gateway=gateway,
                amount=locked_order.total,
                request_key=request_key,
                return_url=return_url,
            )
            _record(
                payment,
                "created",
                actor=actor,
                to_status=payment.status,
                data={"idempotency_key": _key(payment, "initiate")},
            )
        payment.order = locked_order
    for previous in superseded:
        _void_quietly(previous, actor=actor)
    if payment.status in (Status.PENDING, Status.PROCESSING) and not payment.gateway_reference:
        payment = _initiate(chosen, payment, actor=actor)
    return StartedPayment(payment=payment, created=created)


def _initiate(gateway: PaymentGateway, payment: Payment, *, actor=None) -> Payment:
    try:
        result = gateway.initiate(
            payment, idempotency_key=_key(payment, "initiate"), return_url=payment.return_url
        )
    except CommerceError as exc:
        # A definite refusal before or by the provider (an amount it cannot represent, a
        # missing email, a bad request or key): nothing was created there. Failing the
        # payment keeps reconciliation from starting it again and again.
        with transaction.atomic():
            payment = _lock(payment)
            _record(payment, "initiate", actor=actor, reason=exc.message, data=exc.details)
            if payment.status in (Status.PENDING, Status.PROCESSING):
                _transition(payment, "fail", actor=actor, reason=exc.message, message=exc.message)
        raise
    with transaction.atomic():
        payment = _lock(payment)
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
        _record(
            payment,
            "initiate",
            actor=actor,
            reason=f"Gateway answered {result.outcome}",
            data={"outcome": str(result.outcome), "raw": result.raw},
        )
        if result.outcome == Outcome.FAILED:
            if payment.status in Payment.ACTIVE:
                _transition(payment, "fail", actor=actor, reason="Declined at start")
        elif payment.status == Status.PENDING:
            # Pending, unknown or succeeded: the provider has it (or may have it); the
            # customer's confirmation, a webhook or reconciliation says how it ends.
            _transition(payment, "mark_processing", actor=actor, reason="Sent to the gateway")
    if payment.status == Status.CANCELLED:
        # Superseded while the provider was answering: whoever cancelled it saw no
        # gateway reference to void, so release it at the provider now.
        _void_quietly(payment, actor=actor)
    return payment


def _void_quietly(payment: Payment, *, actor=None) -> None:
    """Best effort: release a superseded payment at the provider (it is cancelled here already).

    If the customer still completes it, the capture arrives for a cancelled
    payment and is flagged for a refund; nothing is marked paid twice.
    """
    gateway = get_gateway(payment.gateway) if payment.gateway in _aliases() else None
    if gateway is None or not payment.gateway_reference or not gateway.supports(Capability.VOID):
        return
    try:
        result = gateway.void(payment, idempotency_key=_key(payment, "void"))
    except GatewayError as exc:
        result = OperationResult(Outcome.FAILED, payment.gateway_reference, message=exc.message)
    with transaction.atomic():
        _record(
            _lock(payment),
            "void",
            actor=actor,
            reason=f"Release at the provider: {result.outcome}",
            data={"outcome": str(result.outcome), "message": result.message, "raw": result.raw},
        )


# --- staff operations ------------------------------------------------------------------


def _operation_result(payment: Payment, operation: str, result: OperationResult, *, actor) -> None:
    _record(
        payment,
        operation,
        actor=actor,
        reason=result.message or f"Gateway answered {result.outcome}",
        data={"outcome": str(result.outcome), "raw": result.raw},
    )


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
    gateway = gateway_for(payment.gateway)
    gateway.require(Capability.CAPTURE)
    with transaction.atomic():
        payment = _lock(payment)
        if payment.status != Status.AUTHORIZED:
            raise _not_allowed(payment, "capture")
        authorized = payment.authorized_amount or payment.amount
        if amount is not None:
            _check_amount(payment, amount)
            if amount > authorized:
                raise InvalidAmountError(
                    f"Cannot capture more than the {authorized} authorized.",
                    details={"amount": [f"At most {authorized}."]},
                )
            if amount < authorized:
                gateway.require(Capability.PARTIAL_CAPTURE)
        _record(
            payment,
            "capture_requested",
            actor=actor,
            data={"amount": str(amount or authorized), "idempotency_key": _key(payment, "capture")},
        )
    result = gateway.capture(payment, amount, idempotency_key=_key(payment, "capture"))
    with transaction.atomic():
        payment = _lock(payment)
        _operation_result(payment, "capture", result, actor=actor)
        if result.outcome == Outcome.SUCCEEDED:
            _apply_observation(
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
    gateway = gateway_for(payment.gateway)
    with transaction.atomic():
        payment = _lock(payment)
        if payment.status not in Payment.ACTIVE:
            raise _not_allowed(payment, "cancel")
        can_void = gateway.supports(Capability.VOID) and bool(payment.gateway_reference)
        if not can_void:
            if payment.status == Status.AUTHORIZED:
                gateway.require(Capability.VOID)
            # Nothing at the provider to release (or no way to): cancel here.
            _transition(payment, "cancel", actor=actor, reason=reason)
            return payment
    result = gateway.void(payment, idempotency_key=_key(payment, "void"))
    with transaction.atomic():
        payment = _lock(payment)
        _operation_result(payment, "void", result, actor=actor)
        if result.outcome == Outcome.SUCCEEDED:
            _apply_observation(
                payment, EventType.CANCELLED, None, gateway=gateway, actor=actor, source="void"
            )
    if result.outcome == Outcome.FAILED:
        raise _declined(payment, "cancel", result)
    return payment


def refund_payment(
    payment: Payment,
    amount: Money | None = None,
    *,
    reason: str = "",
    request_key: str = "",
    actor=None,
) -> Refund:
    """Refund ``amount`` (default: all that is left) of a captured payment.

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
    gateway = gateway_for(payment.gateway)
    gateway.require(Capability.REFUND)
    with transaction.atomic():
        payment = _lock(payment)
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
            raise _not_allowed(payment, "refund")
        pending = payment.refunds.filter(status=Refund.Status.PENDING).aggregate(
            total=Sum("amount")
        )["total"]
        available = payment.refundable_amount - Money(pending or 0, payment.amount.currency)
        if amount is None:
            amount = available
        else:
            _check_amount(payment, amount)
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
            created_by=_actor(actor),
        )
        _record(
            payment,
            "refund_requested",
            actor=actor,
            reason=reason,
            data={"refund": refund.reference, "amount": str(amount.amount)},
        )
    result = _send_refund(gateway, payment, refund, actor=actor)
    if result.outcome == Outcome.FAILED:
        raise _declined(payment, "refund", result)
    refund.refresh_from_db()
    refund.replayed = False
    return refund


def _send_refund(
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
        payment = _lock(payment)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        _operation_result(payment, "refund", result, actor=actor)
        provider_id = str(result.raw.get("id") or result.gateway_reference or "")
        if provider_id and provider_id != payment.gateway_reference:
            refund.gateway_reference = provider_id[:255]
            refund.save(update_fields=["gateway_reference", "updated_at"])
        if refund.status == Refund.Status.PENDING:  # a webhook may have settled it already
            if result.outcome == Outcome.SUCCEEDED:
                _apply_refunded_total(
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


# --- reading the provider's state ------------------------------------------------------


def refresh_payment(payment: Payment, *, actor=None) -> Payment:
    """Ask the provider where an unsettled payment stands and apply the answer.

    A payment whose start never got an answer (no gateway reference yet) is
    started again with the same idempotency key first.
    """
    gateway = gateway_for(payment.gateway)
    if payment.status in (Status.PENDING, Status.PROCESSING) and not payment.gateway_reference:
        payment = _initiate(gateway, payment, actor=actor)
    if payment.status not in Payment.ACTIVE:
        return payment
    result = gateway.fetch_status(payment)
    with transaction.atomic():
        payment = _lock(payment)
        _operation_result(payment, "fetch_status", result, actor=actor)
        observed = _observed_type(result)
        if observed is not None:
            _apply_observation(
                payment, observed, result.amount, gateway=gateway, actor=actor, source="status"
            )
    return payment


def _observed_type(result: OperationResult) -> EventType | None:
    if result.outcome == Outcome.SUCCEEDED:
        return EventType.CAPTURED if result.captured else EventType.AUTHORIZED
    if result.outcome == Outcome.FAILED:
        return EventType.FAILED
    return None  # pending or unknown: nothing to apply yet


@dataclass
class ReconciliationReport:
    """What :func:`reconcile_payments` did."""

    checked: int = 0
    settled: int = 0
    unsettled: int = 0
    #: Active payments of cancelled (or expired) orders, cancelled and voided.
    cancelled: int = 0
    #: Refunds left pending: sent again where the gateway makes that safe.
    refunds_checked: int = 0
    refunds_settled: int = 0
    refunds_unsettled: int = 0
    errors: list[str] = field(default_factory=list)


def reconcile_payments(*, older_than: int | None = None, now=None) -> ReconciliationReport:
    """Settle payments that the provider's answers or webhooks left behind.

    Looks at payments unchanged for ``older_than`` seconds (default:
    ``COMMERCE["PAYMENT_RECONCILE_AFTER"]``):

    * ``pending`` and ``processing`` ones (a start that timed out, a webhook
      that never came) and ``authorized`` ones (a capture whose answer was
      lost, a hold the provider let expire): each is refreshed from its gateway;
    * any of those whose order was cancelled (expired, say): cancelled, and
      voided at the provider when the gateway can, so no hold outlives its order;
    * refunds left ``pending`` (their answer was lost): sent again with the same
      idempotency key where the gateway's ``refund_retry_window`` makes that
      safe, otherwise counted as unsettled for staff to check.

    A gateway that fails for one payment does not stop the others; its error
    is reported.
    """
    seconds = commerce_settings.PAYMENT_RECONCILE_AFTER if older_than is None else older_than
    cutoff = (now or timezone.now()) - timedelta(seconds=seconds)
    report = ReconciliationReport()
    stuck = Payment.objects.filter(
        status__in=Payment.ACTIVE, updated_at__lte=cutoff
    ).select_related("order")
    for payment in stuck.iterator():
        report.checked += 1
        try:
            refreshed = refresh_payment(payment)
            if (
                refreshed.status in Payment.ACTIVE
                and refreshed.order.status == Order.Status.CANCELLED
            ):
                refreshed = cancel_payment(refreshed, reason="The order was cancelled")
        except Exception as exc:  # one broken payment or gateway must not stop the rest
            logger.exception("Could not reconcile payment %s", payment.reference)
            report.errors.append(f"{payment.reference}: {exc}")
            continue
        if (
            refreshed.status == Status.CANCELLED
            and refreshed.order.status == Order.Status.CANCELLED
        ):
            report.cancelled += 1
        elif refreshed.status == payment.status:
            report.unsettled += 1  # still waiting: for the customer, or for staff to capture
        else:
            report.settled += 1
    _reconcile_refunds(cutoff, now or timezone.now(), report)
    return report


def _reconcile_refunds(cutoff, now, report: ReconciliationReport) -> None:
    """Send again refunds left pending, where the gateway makes that safe.

    A refund stays pending when its answer was lost (a timeout, a worker that
    died before the call). Resending it with the same idempotency key refunds
    at most once, but only inside the gateway's ``refund_retry_window``;
    outside it (or for a gateway without one, like Paystack) it waits for the
    provider's refund webhook and is counted as unsettled for staff to check.
    """
    pending = Refund.objects.filter(
        status=Refund.Status.PENDING, updated_at__lte=cutoff
    ).select_related("payment__order")
    for refund in pending.iterator():
        report.refunds_checked += 1
        gateway = gateways.all().get(refund.payment.gateway)
        window = gateway.refund_retry_window if gateway is not None else 0
        if not window or refund.created_at < now - timedelta(seconds=window):
            report.refunds_unsettled += 1
            continue
        try:
            result = _send_refund(gateway, refund.payment, refund)
        except Exception as exc:  # one broken refund must not stop the rest
            logger.exception("Could not reconcile refund %s", refund.reference)
            report.errors.append(f"{refund.reference}: {exc}")
            continue
        if result.outcome in (Outcome.SUCCEEDED, Outcome.FAILED):
            report.refunds_settled += 1
        else:
            report.refunds_unsettled += 1


# --- webhooks --------------------------------------------------------------------------


def handle_webhook(alias: str, body: bytes, headers: Mapping[str, str]) -> list[WebhookEvent]:
    """Verify a webhook delivery on its raw body, then record and apply each event once.

    An unknown alias is a :class:`NotFoundError`; a bad signature, a stale
    timestamp or a malformed body raises
    :class:`~commerce.payments.exceptions.WebhookVerificationError` before
    anything is stored.
    """
    if alias not in _aliases():
        raise NotFoundError(f"No payment gateway is configured as {alias!r}.")
    gateway = get_gateway(alias)
    gateway.require(Capability.WEBHOOKS)
    gateway.verify_webhook(body, headers)
    records = []
    for event in gateway.parse_webhook(body, headers):
        event, denied = _confirmed(gateway, event)
        records.append(apply_webhook_event(gateway, event, denied=denied))
    return records


def _confirmed(gateway: PaymentGateway, event: GatewayEvent) -> tuple[GatewayEvent, str]:
    """``event`` with a capture confirmed by the provider's API when the gateway asks for it,
    and why the API denies it (``""`` when it does not).

    The confirmed amount replaces the webhook's. A capture the API denies is
    recorded and flagged, never applied; one the API cannot answer for now
    raises :class:`GatewayError` (502) before anything is stored, so the
    provider delivers it again later.
    """
    if event.type != EventType.CAPTURED or not gateway.confirm_webhook_captures:
        return event, ""
    if WebhookEvent.objects.filter(gateway=gateway.alias, event_id=event.event_id).exists():
        return event, ""  # a redelivery: recorded already, nothing to confirm
    payment = (
        Payment.objects.select_related("order")
        .filter(gateway=gateway.alias, gateway_reference=event.gateway_reference)
        .first()
        if event.gateway_reference
        else None
    )
    if payment is None:
        return event, ""
    result = gateway.fetch_status(payment)
    if result.outcome == Outcome.SUCCEEDED and result.captured:
        return replace(event, amount=result.amount or event.amount), ""
    if result.outcome == Outcome.FAILED:
        return event, f"the provider's API denies this capture ({result.message or 'failed'})"
    raise GatewayError(
        "The payment provider could not confirm the capture now; deliver the webhook again.",
        details={"gateway": gateway.alias, "event_id": event.event_id},
    )


def apply_webhook_event(
    gateway: PaymentGateway, event: GatewayEvent, *, denied: str = ""
) -> WebhookEvent:
    """Record ``event`` once (unique on gateway alias and event id) and apply it.

    ``denied`` (why the provider's API contradicts the event) records the
    event and flags its payment instead of applying it.

    A redelivered event returns the first record, marked ``duplicate`` on the
    instance, and changes nothing. Concurrent deliveries of one event are
    serialized by the unique constraint: the second waits for the first to
    commit, then finds it.
    """
    with transaction.atomic():
        found = None
        if event.gateway_reference:
            found = (
                Payment.objects.filter(
                    gateway=gateway.alias, gateway_reference=event.gateway_reference
                )
                .values_list("pk", "order_id")
                .first()
            )
        payment_id = found[0] if found else None
        record = WebhookEvent(
            gateway=gateway.alias,
            event_id=event.event_id[:255],
            type=str(event.type),
            gateway_reference=event.gateway_reference[:255],
            payment_id=payment_id,
            amount=event.amount,
            occurred_at=event.occurred_at,
            payload=_jsonable(event.raw),
            result=Result.IGNORED,
        )
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            existing = WebhookEvent.objects.get(gateway=gateway.alias, event_id=record.event_id)
            existing.duplicate = True
            return existing
        record.duplicate = False
        if payment_id is None:
            record.result = Result.UNKNOWN_PAYMENT
            record.reason = "No payment has this gateway reference."
        elif denied:
            payment = _lock(Payment(pk=found[0], order_id=found[1]))
            record.result, record.reason = Result.FLAGGED, f"webhook {event.event_id}: {denied}"
            _flag(payment, record.reason)
        else:
            payment = _lock(Payment(pk=found[0], order_id=found[1]))
            record.result, record.reason = _apply_observation(
                payment,
                event.type,
                event.amount,
                gateway=gateway,
                source=f"webhook {event.event_id}",
            )
        if record.result == Result.APPLIED:
            record.applied_at = timezone.now()
        record.reason = record.reason[:255]
        record.save(update_fields=["result", "reason", "applied_at", "updated_at"])
    return record


# --- applying what the provider says ---------------------------------------------------


def _apply_observation(
    payment: Payment,
    kind: EventType,
    amount: Money | None,
    *,
    gateway: PaymentGateway,
    actor=None,
    source: str,
) -> tuple[str, str]:
    """Apply one fact from the provider to a locked payment; return (result, reason).

    Rules: a currency that differs from the payment's changes nothing and
    flags it; an amount that differs never marks the order paid and flags
    it; an event the payment is past (a success after a refund, a failure
    after a capture) is ignored with a reason; a refund seen before the
    capture waits (``deferred``) and is applied right after the capture.
    """
    if amount is not None and str(amount.currency) != str(payment.amount.currency):
        expected = payment.amount.currency
        reason = f"{source}: {kind} in {amount.currency}, but the payment is in {expected}"
        _flag(payment, reason)
        return Result.FLAGGED, reason
    status = payment.status
    active = status in Payment.ACTIVE
    data = {"source": source, "amount": str(amount.amount) if amount is not None else None}

    if kind == EventType.AUTHORIZED:
        if status not in (Status.PENDING, Status.PROCESSING):
            return Result.IGNORED, f"The payment is already {status}."
        amount = amount or payment.amount
        if amount != payment.amount:
            reason = f"{source}: authorized {amount}, expected {payment.amount}"
            _flag(payment, reason)
            return Result.FLAGGED, reason
        _transition(payment, "authorize", actor=actor, reason=source, data=data, amount=amount)
        return Result.APPLIED, "Authorized."

    if kind == EventType.CAPTURED:
        if status in (Status.CANCELLED, Status.FAILED):
            reason = (
                f"{source}: the provider captured {amount or payment.amount} on a payment "
                f"commerce has as {status}; refund it at the provider"
            )
            _flag(payment, reason)
            return Result.FLAGGED, reason
        if not active:
            return Result.IGNORED, f"The payment is already {status}."
        amount = amount or payment.authorized_amount or payment.amount
        _transition(payment, "capture", actor=actor, reason=source, data=data, amount=amount)
        result, reason = _settle_order_after_capture(payment, actor=actor)
        _apply_deferred(payment, gateway=gateway)
        return result, reason

    if kind in (EventType.FAILED, EventType.CANCELLED):
        if not active:
            return Result.IGNORED, f"A {kind} event after the payment was {status}."
        name = "fail" if kind == EventType.FAILED else "cancel"
        extra = {"message": f"Reported by the provider ({source})"} if name == "fail" else {}
        _transition(payment, name, actor=actor, reason=source, data=data, **extra)
        return Result.APPLIED, f"Payment {payment.status}."

    if kind == EventType.REFUNDED:
        if amount is None:
            return Result.IGNORED, "A refund event without an amount."
        if active:
            return Result.DEFERRED, "A refund seen before the capture; applied once it is captured."
        if status not in (Status.CAPTURED, Status.PARTIALLY_REFUNDED, Status.REFUNDED):
            reason = f"{source}: a refund on a payment commerce has as {status}"
            _flag(payment, reason)
            return Result.FLAGGED, reason
        if gateway.refund_amounts_are_cumulative:
            return _apply_refunded_total(payment, amount, actor=actor, source=source)
        return _apply_single_refund(payment, amount, actor=actor, source=source)

    if kind == EventType.REFUND_FAILED:
        refund = _pending_refund(payment, amount)
        if refund is None:
            return Result.IGNORED, "No pending refund of that amount."
        refund.fail(message=f"Reported by the provider ({source})")
        refund.save()
        _record(payment, "refund_failed", reason=source, data={"refund": refund.reference})
        return Result.APPLIED, f"Refund {refund.reference} failed."

    if kind == EventType.DISPUTE_OPENED:
        reason = f"{source}: the customer opened a dispute"
        _flag(payment, reason)
        return Result.FLAGGED, reason

    return Result.IGNORED, f"Commerce does not act on {kind} events."


def _settle_order_after_capture(payment: Payment, *, actor=None) -> tuple[str, str]:
    """Mark the order paid if this capture covers exactly its total; otherwise flag why not."""
    order = payment.order
    if payment.captured_amount != payment.amount:
        reason = f"Captured {payment.captured_amount} of {payment.amount}; the order is not paid"
        _flag(payment, reason)
        return Result.FLAGGED, reason
    if order.status == Order.Status.PENDING and payment.amount == order.total:
        order_services.mark_order_paid(
            order, actor=actor, reason=f"Payment {payment.reference} captured"
        )
        payment.order.refresh_from_db()
        return Result.APPLIED, "Captured; the order is paid."
    reason = f"Captured a payment for an order that is {order.status}; refund it"
    _flag(payment, reason)
    return Result.FLAGGED, reason


def _apply_deferred(payment: Payment, *, gateway: PaymentGateway) -> None:
    """Apply refund events that arrived before the capture, in the order they happened."""
    deferred = payment.webhook_events.filter(result=Result.DEFERRED).order_by(
        "occurred_at", "created_at"
    )
    for record in deferred:
        record.result, reason = _apply_observation(
            payment,
            EventType(record.type),
            record.amount,
            gateway=gateway,
            source=f"webhook {record.event_id} (deferred)",
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
    payment: Payment, amount: Money, *, actor=None, source: str
) -> tuple[str, str]:
    """A provider whose refund events carry one refund's amount (not a running total)."""
    refund = _pending_refund(payment, amount)
    if refund is not None:
        total = (payment.refunded_amount or payment.zero) + amount
        return _apply_refunded_total(payment, total, actor=actor, source=source, first=refund)
    if payment.refunds.filter(status=Refund.Status.SUCCEEDED, amount=amount).exists():
        return Result.IGNORED, "A refund of this amount is already recorded."
    reason = f"{source}: a refund of {amount} that was not started in commerce"
    _flag(payment, reason)
    return Result.FLAGGED, reason


def _apply_refunded_total(
    payment: Payment,
    total: Money,
    *,
    actor=None,
    source: str,
    first: Refund | None = None,
) -> tuple[str, str]:
    """Bring the payment's refunded amount up to ``total`` (a running total).

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
        _flag(payment, reason)
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
    _transition(payment, name, actor=actor, reason=source, refunded=total)
    actor = _actor(actor)
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
        for line in order.lines.filter(variant__isnull=False).select_related("variant"):
            catalog_services.adjust_stock(
                line.variant,
                line.quantity,
                reason="Restocked after a full refund",
                reference=order.number,
                actor=_actor(actor),
            )


# --- staff attention -------------------------------------------------------------------


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
        payment = _lock(payment)
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
        _record(payment, "unflagged", actor=actor, reason=note, data={"flag_reason": flag_reason})
    return payment
