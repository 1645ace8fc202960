"""The payment services with the dummy gateway: start, confirm, capture, refund, reconcile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from djmoney.money import Money

from commerce.catalog.models import StockRecord
from commerce.orders.models import Order
from commerce.payments import services
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent
from tests.helpers import money
from tests.payments.flows import deliver

pytestmark = pytest.mark.django_db


def test_the_dummy_path_pays_the_order_and_commits_stock(order, dummy, shirt):
    started = services.start_payment(order, "dummy", return_url="https://shop.example/done")
    payment = started.payment
    assert started.created
    assert payment.status == Payment.Status.PROCESSING
    assert payment.amount == money("25.00")
    assert payment.redirect_url.startswith("/api/v1/payments/dummy/dummy_pay_")
    records = deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    assert [r.result for r in records] == [WebhookEvent.Result.APPLIED]
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert payment.captured_amount == money("25.00")
    assert order.status == Order.Status.PAID
    record = StockRecord.objects.get(variant=shirt)
    assert (record.quantity, record.reserved) == (8, 0)
    kinds = list(payment.events.values_list("kind", flat=True))
    assert kinds == ["created", "initiate_requested", "initiate", "mark_processing", "capture"]


def test_refund_in_full_marks_the_order_refunded(order, dummy):
    payment = services.start_payment(order, "dummy").payment
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    refund = services.refund_payment(payment, money("10.00"), reason="Damaged")
    assert refund.status == Refund.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    refund = services.refund_payment(payment, reason="Rest")
    assert refund.amount == money("15.00")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert order.status == Order.Status.REFUNDED


def test_manual_capture(order):
    from commerce.payments.gateways.registry import get_gateway

    gateway = get_gateway("dummy_manual")
    payment = services.start_payment(order, "dummy_manual").payment
    deliver(gateway, gateway.confirm(payment.gateway_reference, "succeed"))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED
    payment = services.capture_payment(payment)
    assert payment.status == Payment.Status.CAPTURED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert PaymentEvent.objects.filter(payment=payment, kind="capture_requested").exists()


def test_a_start_the_gateway_refuses_outright_fails_the_payment(order, monkeypatch):
    from commerce.payments.exceptions import UnsupportedAmountError
    from commerce.payments.gateways.dummy import DummyGateway

    def refuse(self, payment, **kwargs):
        raise UnsupportedAmountError("The provider cannot represent 25.00 USD.")

    monkeypatch.setattr(DummyGateway, "initiate", refuse)
    with pytest.raises(UnsupportedAmountError):
        services.start_payment(order, "dummy")
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.FAILED
    assert "cannot represent" in payment.failure_message
    # Nothing left for reconciliation to retry forever.
    assert services.reconcile_payments(older_than=0).checked == 0


def test_webhook_driven_transitions_record_their_event_id_and_amount(order, dummy):
    # The payments invariants find "applied twice" webhook events by this data key.
    payment = services.start_payment(order, "dummy").payment
    (record,) = deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    capture = PaymentEvent.objects.get(payment=payment, kind="capture")
    assert capture.data[PaymentEvent.WEBHOOK_EVENT_KEY] == record.event_id
    assert Money(capture.data["amount"], capture.data["currency"]) == payment.amount
    # Status changes no webhook drove carry no webhook event id.
    started = PaymentEvent.objects.get(payment=payment, kind="mark_processing")
    assert PaymentEvent.WEBHOOK_EVENT_KEY not in started.data


def test_a_payment_holding_money_keeps_its_order_from_expiring(order):
    from commerce.orders.services import expire_orders
    from commerce.payments.gateways.registry import get_gateway

    later = timezone.now() + timedelta(days=1)
    payment = services.start_payment(order, "dummy_manual").payment
    provider = get_gateway("dummy_manual")
    deliver(provider, provider.confirm(payment.gateway_reference, "succeed"))
    payment.refresh_from_db()
    assert payment.status in Payment.HOLDS_MONEY
    assert expire_orders(now=later) == 0
    payment = services.cancel_payment(payment)
    assert payment.status not in Payment.HOLDS_MONEY
    assert expire_orders(now=later) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
