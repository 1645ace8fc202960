"""Shared pieces of the end-to-end payment flow tests (``test_flows_*.py``).

Those tests drive :mod:`commerce.payments.services` with a real gateway whose
HTTP layer is faked, configured through ``COMMERCE["PAYMENT_GATEWAYS"]`` so the
registry builds it exactly as a host's settings would. :class:`FlowContract` is
the flow every provider follows; each ``test_flows_*.py`` runs it with its
provider's hooks and adds what only that provider does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.test import override_settings

from commerce.catalog.models import StockMovement
from commerce.orders.models import Order
from commerce.orders.signals import order_paid
from commerce.payments import services
from commerce.payments import signals as payment_signals
from commerce.payments.exceptions import RefundExceedsCapturedError, WebhookVerificationError
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent
from tests.helpers import money
from tests.orders.helpers import stock


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
    records = []
    for body in bodies:
        records += services.handle_webhook(gateway.alias, body, gateway.sign(body))
    return records


class FlowContract:
    """The payment flow every provider-backed gateway follows, run against each one.

    ``TestStripeFlows`` and ``TestPaystackFlows`` subclass it and fill in the hooks
    with their provider's faked API and signed webhooks; the checks below are then
    the same for both instead of mirrored copies. Each subclass provides an autouse
    fixture that configures its gateway under :attr:`alias` and sets ``self.api``.
    Amounts are minor units of the 25.00 USD order (``order`` fixture).
    """

    alias: ClassVar[str]
    #: The request a refund sends, as ``(METHOD, path)``.
    refund_request: ClassVar[tuple[str, str]]

    # --- hooks ------------------------------------------------------------------------

    def start(self, order: Order) -> Payment:
        """Start paying ``order`` with the provider answering success; forget the requests."""
        raise NotImplementedError

    def capture_webhook(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        """A signed "paid in full" event for ``payment`` (signed anew at each call)."""
        raise NotImplementedError

    def arrange_capture_confirmation(self, payment: Payment) -> None:
        """Queue what the provider's API answers when a capture webhook is confirmed."""

    def capture_confirmation_requests(self, payment: Payment) -> list[tuple[str, str]]:
        """The requests one capture webhook costs (none unless the gateway confirms)."""
        return []

    def bad_webhook(self, payment: Payment, case: str) -> tuple[bytes, dict[str, str]]:
        """A capture event that must not verify: ``forged`` (another secret), ``tampered``
        (another amount under the original signature) or ``unsigned``."""
        raise NotImplementedError

    def dispute_webhook(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        """A signed "the customer opened a dispute for the whole amount" event."""
        raise NotImplementedError

    def arrange_refund(self, payment: Payment, amount: int, *, settled: bool) -> str:
        """Queue the answer to one refund of ``amount`` (settled or pending at the
        provider); return the refund's provider id as commerce stores it."""
        raise NotImplementedError

    def arrange_refund_timeout(self) -> None:
        """Make the next refund request time out."""
        raise NotImplementedError

    def refund_webhook(
        self, payment: Payment, amount: int, *, total: int
    ) -> tuple[bytes, dict[str, str]]:
        """A signed "refund of ``amount`` done" event (``total`` refunded so far)."""
        raise NotImplementedError

    def sent(self) -> list[tuple[str, str]]:
        """The requests the provider received, as ``(METHOD, path)``."""
        raise NotImplementedError

    def clear_requests(self) -> None:
        raise NotImplementedError

    def while_in_flight(self, action: Callable[[], object]) -> None:
        """Run ``action`` while the next request is on its way, before it is answered."""
        raise NotImplementedError

    # --- helpers ------------------------------------------------------------------------

    def receive(self, body: bytes, headers: dict[str, str]) -> list[WebhookEvent]:
        """What the webhook endpoint does with a delivery."""
        return services.handle_webhook(self.alias, body, headers)

    def paid(self, order: Order) -> Payment:
        payment = self.start(order)
        self.arrange_capture_confirmation(payment)
        [record] = self.receive(*self.capture_webhook(payment))
        assert record.result == WebhookEvent.Result.APPLIED
        payment, order = fresh(payment)
        assert (payment.status, order.status) == (Payment.Status.CAPTURED, "paid")
        self.clear_requests()
        return payment

    # --- the contract -------------------------------------------------------------------

    def test_a_signed_success_pays_the_order(
        self, order, shirt, django_capture_on_commit_callbacks
    ):
        sent: list[tuple[str, str]] = []

        def on_captured(sender, payment, **kwargs):
            sent.append(("payment_captured", payment.reference))

        def on_paid(sender, order, **kwargs):
            sent.append(("order_paid", order.number))

        payment_signals.payment_captured.connect(on_captured)
        order_paid.connect(on_paid)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                payment = self.start(order)
            assert payment.status == Payment.Status.PROCESSING
            assert stock(shirt) == (10, 2)
            assert sent == []
            self.arrange_capture_confirmation(payment)
            with django_capture_on_commit_callbacks(execute=True):
                [record] = self.receive(*self.capture_webhook(payment))
        finally:
            payment_signals.payment_captured.disconnect(on_captured)
            order_paid.disconnect(on_paid)

        assert self.sent() == self.capture_confirmation_requests(payment)
        assert (record.result, record.duplicate) == (WebhookEvent.Result.APPLIED, False)
        assert (record.type, record.payment_id, record.amount) == (
            "captured",
            payment.pk,
            money("25"),
        )
        payment, order = fresh(payment)
        assert payment.status == Payment.Status.CAPTURED
        assert payment.captured_amount == money("25.00")
        assert not payment.flagged
        assert order.status == "paid"
        assert stock(shirt) == (8, 0)
        assert kinds(payment) == [
            "created",
            "initiate_requested",
            "initiate",
            "mark_processing",
            "capture",
        ]
        assert sent == [("payment_captured", payment.reference), ("order_paid", order.number)]

    @pytest.mark.parametrize("case", ["forged", "tampered", "unsigned"])
    def test_a_bad_webhook_is_refused_before_any_call_and_stores_nothing(self, order, shirt, case):
        self.assert_refused(order, shirt, lambda payment: self.bad_webhook(payment, case))

    def assert_refused(self, order, shirt, webhook) -> None:
        payment = self.start(order)
        before = snapshot(payment, shirt)
        body, headers = webhook(payment)
        with pytest.raises(WebhookVerificationError):
            self.receive(body, headers)
        assert self.sent() == []  # not even a confirmation call
        assert snapshot(payment, shirt) == before
        assert WebhookEvent.objects.count() == 0

    def test_the_same_event_delivered_twice_changes_state_once(self, order, shirt):
        payment = self.start(order)
        self.arrange_capture_confirmation(payment)
        [first] = self.receive(*self.capture_webhook(payment))
        after_first = snapshot(payment, shirt)
        [second] = self.receive(*self.capture_webhook(payment))

        assert (first.duplicate, second.duplicate) == (False, True)
        assert second.pk == first.pk
        assert second.result == WebhookEvent.Result.APPLIED
        # A redelivery costs no call to the provider.
        assert self.sent() == self.capture_confirmation_requests(payment)
        assert snapshot(payment, shirt) == after_first
        assert WebhookEvent.objects.count() == 1
        assert kinds(payment, "capture") == ["capture"]
        assert stock(shirt) == (8, 0)

    def test_a_dispute_flags_the_payment(self, order, shirt):
        payment = self.paid(order)
        [record] = self.receive(*self.dispute_webhook(payment))
        assert record.result == WebhookEvent.Result.FLAGGED
        payment, order = fresh(payment)
        assert payment.flagged
        assert "dispute" in payment.flag_reason
        assert (payment.status, order.status) == (Payment.Status.CAPTURED, "paid")
        assert kinds(payment, "flagged") == ["flagged"]
        assert self.sent() == []

    def test_a_refund_without_an_answer_stays_pending_until_the_webhook(self, order, shirt):
        payment = self.paid(order)
        self.arrange_refund_timeout()
        refund = services.refund_payment(payment, money("25.00"))
        assert refund.status == Refund.Status.PENDING
        assert self.sent() == [self.refund_request]  # once: never resent blindly
        payment, order = fresh(payment)
        assert (payment.status, payment.refunded_amount, order.status) == (
            Payment.Status.CAPTURED,
            None,
            "paid",
        )

        [record] = self.receive(*self.refund_webhook(payment, 2500, total=2500))
        assert record.result == WebhookEvent.Result.APPLIED
        refund.refresh_from_db()
        assert refund.status == Refund.Status.SUCCEEDED
        assert Refund.objects.count() == 1
        payment, order = fresh(payment)
        assert (payment.status, payment.refunded_amount) == (
            Payment.Status.REFUNDED,
            money("25.00"),
        )
        assert order.status == "refunded"

    def test_a_refund_webhook_overtaking_the_refund_calls_answer_counts_once(self, order, shirt):
        payment = self.paid(order)
        webhooks: list[WebhookEvent] = []
        self.while_in_flight(
            lambda: webhooks.extend(self.receive(*self.refund_webhook(payment, 1000, total=1000)))
        )
        provider_id = self.arrange_refund(payment, 1000, settled=True)
        refund = services.refund_payment(payment, money("10.00"))

        [record] = webhooks
        assert record.result == WebhookEvent.Result.APPLIED
        assert (refund.status, refund.gateway_reference) == (Refund.Status.SUCCEEDED, provider_id)
        assert Refund.objects.count() == 1
        payment, order = fresh(payment)
        assert (payment.status, payment.refunded_amount) == (
            Payment.Status.PARTIALLY_REFUNDED,
            money("10.00"),
        )
        assert kinds(payment, "refund_partially") == ["refund_partially"]
        assert order.status == "paid"

    def test_a_refund_beyond_what_is_left_is_refused_and_sends_nothing(self, order, shirt):
        payment = self.paid(order)
        with pytest.raises(RefundExceedsCapturedError):
            services.refund_payment(payment, money("25.01"))
        assert self.sent() == []
        assert Refund.objects.count() == 0

        self.arrange_refund(payment, 2000, settled=False)
        services.refund_payment(payment, money("20.00"))
        self.clear_requests()
        before = snapshot(payment, shirt)
        with pytest.raises(RefundExceedsCapturedError) as caught:
            services.refund_payment(payment, money("5.01"))  # 20.00 of 25.00 is being refunded
        details = caught.value.details
        assert (Decimal(details["refundable"]), details["currency"]) == (Decimal("5.00"), "USD")
        assert self.sent() == []
        assert snapshot(payment, shirt) == before


class TimestampedFlowContract:
    """Add to :class:`FlowContract` when the provider's signatures carry a timestamp."""

    def stale_webhook(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        """The capture event, correctly signed but older than the tolerance."""
        raise NotImplementedError

    def test_a_stale_webhook_is_refused_and_stores_nothing(self, order, shirt):
        self.assert_refused(order, shirt, self.stale_webhook)
