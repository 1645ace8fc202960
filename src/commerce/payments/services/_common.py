"""What every payment flow shares: locking, recording events, transitions, flags,
the provider's idempotency keys and amount checks."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from djmoney.money import Money

from commerce.core.exceptions import (
    CurrencyMismatchError,
    InvalidAmountError,
)
from commerce.core.money import validate_money
from commerce.orders.exceptions import InvalidTransitionError
from commerce.orders.models import Order
from commerce.payments import signals
from commerce.payments.gateways.base import OperationResult
from commerce.payments.models import Payment, PaymentEvent, WebhookEvent

logger = logging.getLogger(__name__)

Status = Payment.Status
Result = WebhookEvent.Result

#: Signals sent (on commit) after a payment transition.
SIGNALS = {
    "authorize": signals.payment_authorized,
    "capture": signals.payment_captured,
    "fail": signals.payment_failed,
}


def jsonable(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A provider payload as plain JSON types (it may hold Decimals or datetimes)."""
    return json.loads(json.dumps(dict(data or {}), cls=DjangoJSONEncoder, default=str))


def actor_or_none(actor):
    """The user to record as the actor: ``None`` for anonymous callers and the system."""
    return actor if getattr(actor, "is_authenticated", False) else None


def lock_payment(payment: Payment) -> Payment:
    """Lock the payment's order, then the payment (the order services lock orders first)."""
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    locked.order = order
    return locked


def record_event(
    payment: Payment,
    kind: str,
    *,
    actor=None,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
    from_status: str = "",
    to_status: str = "",
) -> PaymentEvent:
    """Write one entry of the payment's history (the gateway reference as it is now)."""
    return PaymentEvent.objects.create(
        payment=payment,
        actor=actor_or_none(actor),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:255],
        gateway_reference=payment.gateway_reference,
        data=jsonable(data),
    )


def transition(
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
    record_event(
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
        actor = actor_or_none(actor)
        transaction.on_commit(lambda: signal.send(sender=Payment, payment=payment, actor=actor))


def flag(payment: Payment, reason: str) -> None:
    """Mark the payment for staff attention; the first reason is kept, later ones logged."""
    logger.warning("Payment %s flagged: %s", payment.reference, reason)
    if not payment.flagged:
        payment.flagged = True
        payment.flag_reason = reason[:255]
        payment.save(update_fields=["flagged", "flag_reason", "updated_at"])
    record_event(payment, "flagged", reason=reason)


def not_allowed(payment: Payment, action: str) -> InvalidTransitionError:
    """The 409 for ``action`` on a payment whose status does not allow it."""
    return InvalidTransitionError(
        f"Cannot {action} a payment that is {payment.status}.",
        details={"status": payment.status, "allowed": payment.allowed_transitions()},
    )


def operation_key(payment: Payment, operation: str) -> str:
    """The idempotency key the provider sees for ``operation``: stable across retries."""
    return f"{payment.reference}:{operation}"


def check_amount(payment: Payment, amount: Money, field_name: str = "amount") -> None:
    """Refuse an amount that is not a positive Money in the payment's currency (400)."""
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


def record_result(payment: Payment, operation: str, result: OperationResult, *, actor) -> None:
    """Record an operation's answer from the provider in the payment's history."""
    record_event(
        payment,
        operation,
        actor=actor,
        reason=result.message or f"Gateway answered {result.outcome}",
        data={"outcome": str(result.outcome), "raw": result.raw},
    )
