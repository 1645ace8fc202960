"""Webhooks: verify a delivery, record each event once, apply it through the observations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.core.exceptions import NotFoundError
from commerce.payments.exceptions import GatewayError
from commerce.payments.gateways.base import (
    Capability,
    EventType,
    GatewayEvent,
    Outcome,
    PaymentGateway,
)
from commerce.payments.gateways.registry import UnknownGatewayError, get_gateway
from commerce.payments.models import Payment, WebhookEvent
from commerce.payments.services._common import (
    Result,
    flag,
    jsonable,
    lock_payment,
)
from commerce.payments.services.observations import apply_observation


def handle_webhook(alias: str, body: bytes, headers: Mapping[str, str]) -> list[WebhookEvent]:
    """Verify a webhook delivery on its raw body, then record and apply each event once.

    An unknown alias is a :class:`NotFoundError`; a bad signature, a stale
    timestamp or a malformed body raises
    :class:`~commerce.payments.exceptions.WebhookVerificationError` before
    anything is stored.
    """
    try:
        gateway = get_gateway(alias)
    except UnknownGatewayError as exc:
        raise NotFoundError(exc.message) from exc
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
            payload=jsonable(event.raw),
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
            payment = lock_payment(Payment(pk=found[0], order_id=found[1]))
            record.result, record.reason = Result.FLAGGED, f"webhook {event.event_id}: {denied}"
            flag(payment, record.reason)
        else:
            payment = lock_payment(Payment(pk=found[0], order_id=found[1]))
            record.result, record.reason = apply_observation(
                payment,
                event.type,
                event.amount,
                gateway=gateway,
                source=f"webhook {event.event_id}",
                webhook_event_id=event.event_id,
            )
            if event.problems:
                # What commerce could not store as sent was dropped or replaced before
                # the event was built (see GatewayEvent): what is left is applied as
                # usual (an unusable amount made it ``unknown``, never a capture), and
                # staff are asked to look at the payment and the stored payload.
                note = f"webhook {event.event_id}: values commerce cannot store: "
                note += "; ".join(event.problems)
                flag(payment, note)
                if record.result != Result.APPLIED:
                    record.result, record.reason = Result.FLAGGED, note
        if record.result == Result.APPLIED:
            record.applied_at = timezone.now()
        record.reason = record.reason[:255]
        record.save(update_fields=["result", "reason", "applied_at", "updated_at"])
    return record
