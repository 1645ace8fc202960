"""Reading the provider's state: refreshing one payment, reconciling what was left behind."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from commerce.conf import commerce_settings
from commerce.orders.models import Order
from commerce.payments.gateways.base import EventType, OperationResult, Outcome
from commerce.payments.gateways.registry import UnknownGatewayError, get_gateway
from commerce.payments.models import Payment, Refund
from commerce.payments.services._common import Status, lock_payment, record_result
from commerce.payments.services.observations import apply_observation
from commerce.payments.services.operations import cancel_payment, send_refund
from commerce.payments.services.starting import initiate

logger = logging.getLogger(__name__)


def refresh_payment(payment: Payment, *, actor=None) -> Payment:
    """Ask the provider where an unsettled payment stands and apply the answer.

    A payment whose start never got an answer (no gateway reference yet) is
    started again with the same idempotency key first, unless another request
    is starting it right now.
    """
    return _refresh(payment, actor=actor)


def _refresh(payment: Payment, *, actor=None, stale_before=None) -> Payment:
    gateway = get_gateway(payment.gateway)
    if payment.status in (Status.PENDING, Status.PROCESSING) and not payment.gateway_reference:
        payment = initiate(gateway, payment, actor=actor, stale_before=stale_before)
    if payment.status not in Payment.ACTIVE:
        return payment
    result = gateway.fetch_status(payment)
    with transaction.atomic():
        payment = lock_payment(payment)
        record_result(payment, "fetch_status", result, actor=actor)
        observed = _observed_type(result)
        if observed is not None:
            apply_observation(
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
            # A start claimed before the cutoff lost its worker (or outlived it): take it over.
            refreshed = _refresh(payment, stale_before=cutoff)
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
        try:
            gateway = get_gateway(refund.payment.gateway)
        except UnknownGatewayError:
            gateway = None  # removed from the settings: left for staff
        window = gateway.refund_retry_window if gateway is not None else 0
        if not window or refund.created_at < now - timedelta(seconds=window):
            report.refunds_unsettled += 1
            continue
        try:
            result = send_refund(gateway, refund.payment, refund)
        except Exception as exc:  # one broken refund must not stop the rest
            logger.exception("Could not reconcile refund %s", refund.reference)
            report.errors.append(f"{refund.reference}: {exc}")
            continue
        if result.outcome in (Outcome.SUCCEEDED, Outcome.FAILED):
            report.refunds_settled += 1
        else:
            report.refunds_unsettled += 1
