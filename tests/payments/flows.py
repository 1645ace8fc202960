"""Shared pieces of the end-to-end payment flow tests (``test_flows_*.py``).

Those tests drive :mod:`commerce.payments.services` with a real gateway whose
HTTP layer is faked, configured through ``COMMERCE["PAYMENT_GATEWAYS"]`` so the
registry builds it exactly as a host's settings would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.test import override_settings

from commerce.catalog.models import StockMovement
from commerce.orders.models import Order
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent
from tests.orders.conftest import stock


@contextmanager
def payment_gateways(**configs: dict[str, Any]) -> Iterator[None]:
    """The test settings' gateways plus (or replaced by) ``configs``, keyed by alias."""
    commerce = settings.COMMERCE
    gateways = {**commerce["PAYMENT_GATEWAYS"], **configs}
    with override_settings(COMMERCE={**commerce, "PAYMENT_GATEWAYS": gateways}):
        yield


def fresh(payment: Payment) -> tuple[Payment, Order]:
    """The payment and its order as the database has them now."""
    payment = Payment.objects.select_related("order").get(pk=payment.pk)
    return payment, payment.order


def snapshot(payment: Payment, variant) -> dict[str, Any]:
    """Everything a webhook or an operation could change, to prove that one changed nothing."""
    payment, order = fresh(payment)
    return {
        "webhook_events": WebhookEvent.objects.count(),
        "payment_events": PaymentEvent.objects.count(),
        "refunds": list(Refund.objects.values_list("status", "amount")),
        "stock_movements": StockMovement.objects.count(),
        "payment": (
            payment.status,
            payment.authorized_amount,
            payment.captured_amount,
            payment.refunded_amount,
            payment.gateway_reference,
            payment.flagged,
        ),
        "order": order.status,
        "stock": stock(variant),
    }


def kinds(payment: Payment, kind: str | None = None) -> list[str]:
    """The payment's history as event kinds, oldest first (only ``kind`` when given)."""
    events = PaymentEvent.objects.filter(payment=payment).order_by("created_at", "pk")
    if kind is not None:
        events = events.filter(kind=kind)
    return list(events.values_list("kind", flat=True))


def deliver(gateway, bodies: list[bytes]):
    """Hand webhook bodies to the service as the endpoint would, signed by the dummy provider."""
    from commerce.payments import services

    records = []
    for body in bodies:
        records += services.handle_webhook(gateway.alias, body, gateway.sign(body))
    return records
