"""Payments under concurrent webhooks, staff operations and expiry, on real row locks (PostgreSQL).

Each test commits its data (``transaction=True``) and runs the services from
several threads, each on its own database connection (closed when the thread
ends), all released at the same moment by a barrier. The dummy provider keeps
its state in the LocMem cache, which every thread of the process shares.

Where the winner of a race decides the outcome, the test accepts each outcome
the rules in ``commerce.payments.services.observations.apply_observation`` allow and
checks that the whole state agrees with the one that happened: payments,
webhook records, order history, stock and its movements.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from commerce.catalog.models import StockMovement, StockRecord
from commerce.orders import services as order_services
from commerce.orders import signals as order_signals
from commerce.orders.exceptions import InvalidTransitionError
from commerce.orders.models import Order, OrderEvent
from commerce.payments import services
from commerce.payments import signals as payment_signals
from commerce.payments.exceptions import (
    OrderNotPayableError,
    PaymentDeclinedError,
    RefundExceedsCapturedError,
)
from commerce.payments.gateways.base import EventType
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent
from tests.helpers import money
from tests.orders.helpers import stock
from tests.payments.flows import deliver
from tests.threads import results_or_raise, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = Payment.Status
Result = WebhookEvent.Result


# --- helpers ---------------------------------------------------------------------------


def outcomes(results) -> Counter:
    """``{"ok": n, "<ExceptionName>": m}`` for the results of :func:`run_in_threads`."""
    return Counter("ok" if kind == "ok" else type(value).__name__ for kind, value in results)


def unexpected(results, *allowed: type[Exception]) -> list:
    return [value for kind, value in results if kind == "error" and not isinstance(value, allowed)]


#: Leads (seconds) given to one side of a race: 0 is a dead heat at the barrier; the
#: others sweep the race window so that each side wins in some runs, not by luck.
HEAD_STARTS = (0, 0.01, 0.1)
race_params = pytest.mark.parametrize("head_start", HEAD_STARTS)


def race(calls: dict[str, Callable[[], Any]], first: str, head_start: float) -> dict[str, tuple]:
    """Run ``calls`` at once, the one named ``first`` ``head_start`` seconds ahead of the rest.

    Returns the :func:`run_in_threads` outcome of each call by name.
    """

    def later(call):
        def run():
            time.sleep(head_start)
            return call()

        return run

    names = [first, *(name for name in calls if name != first)]
    wrapped = [calls[first], *(later(calls[name]) for name in names[1:])]
    return dict(zip(names, run_in_threads(wrapped), strict=True))


def ok(outcome: tuple):
    """The result of one raced call, re-raising what it raised."""
    return results_or_raise([outcome])[0]


def paid_events(order: Order) -> int:
    return OrderEvent.objects.filter(order=order, to_status=Order.Status.PAID).count()


def movements(order: Order) -> Counter:
    return Counter(
        StockMovement.objects.filter(reference=order.number).values_list("kind", flat=True)
    )


def assert_stock_is_sane():
    for quantity, reserved in StockRecord.objects.values_list("quantity", "reserved"):
        assert 0 <= reserved <= quantity
    for quantity, reserved in StockMovement.objects.values_list("quantity_after", "reserved_after"):
        assert 0 <= reserved <= quantity


def start(order: Order, **kwargs) -> Payment:
    """A processing dummy payment for ``order``."""
    payment = services.start_payment(order, "dummy", **kwargs).payment
    assert payment.status == Status.PROCESSING
    return payment


def webhook(gateway, body: bytes):
    """A delivery of ``body``, signed now, as the endpoint would hand it to the service."""
    headers = gateway.sign(body)
    return lambda: services.handle_webhook(gateway.alias, body, headers)


@pytest.fixture
def sent():
    """Counts the domain signals sent (on commit, from any thread) while the test runs."""
    counts: Counter = Counter()
    lock = threading.Lock()
    watched = {
        "payment_captured": payment_signals.payment_captured,
        "payment_refunded": payment_signals.payment_refunded,
        "order_paid": order_signals.order_paid,
        "order_cancelled": order_signals.order_cancelled,
        "order_refunded": order_signals.order_refunded,
    }
    receivers = {}
    for name, signal in watched.items():

        def receiver(sender, name=name, **kwargs):
            with lock:
                counts[name] += 1

        receivers[name] = receiver
        signal.connect(receiver, weak=False, dispatch_uid=f"concurrency-test-{name}")
    yield counts
    for name, signal in watched.items():
        signal.disconnect(dispatch_uid=f"concurrency-test-{name}")


# --- 1. one event delivered twenty times at once ---------------------------------------


def test_one_webhook_delivered_twenty_times_at_once_changes_state_once(order, dummy, shirt, sent):
    payment = start(order)
    [body] = dummy.confirm(payment.gateway_reference, "succeed")
    assert stock(shirt) == (10, 2)

    results = results_or_raise(run_in_threads([webhook(dummy, body) for _ in range(20)]))

    records = [record for batch in results for record in batch]
    assert len(records) == 20
    assert Counter(record.duplicate for record in records) == {False: 1, True: 19}
    assert len({record.pk for record in records}) == 1
    assert WebhookEvent.objects.count() == 1
    record = WebhookEvent.objects.get()
    assert (record.result, record.payment_id) == (Result.APPLIED, payment.pk)
    payment.refresh_from_db()
    assert payment.status == Status.CAPTURED
    assert payment.captured_amount == money("25.00")
    assert not payment.flagged
    assert PaymentEvent.objects.filter(payment=payment, kind="capture").count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert paid_events(order) == 1
    assert stock(shirt) == (8, 0)
    assert movements(order) == {"reserve": 1, "commit": 1}
    assert sent == {"payment_captured": 1, "order_paid": 1}
    assert_stock_is_sane()


# --- 2. distinct events for one payment at once ----------------------------------------


@race_params
@pytest.mark.parametrize("first", ["capture", "failure"])
def test_a_capture_and_a_failure_at_once_end_in_one_consistent_state(
    order, dummy, shirt, sent, first, head_start
):
    payment = start(order)
    reference = payment.gateway_reference
    captured = dummy.event_body(EventType.CAPTURED, reference, 2500, "USD")
    failed = dummy.event_body(EventType.FAILED, reference, 2500, "USD")

    outcome = race(
        {"capture": webhook(dummy, captured), "failure": webhook(dummy, failed)}, first, head_start
    )

    [capture_record], [failure_record] = ok(outcome["capture"]), ok(outcome["failure"])

    assert WebhookEvent.objects.count() == 2
    capture_record.refresh_from_db()
    failure_record.refresh_from_db()
    payment.refresh_from_db()
    order.refresh_from_db()
    if payment.status == Status.CAPTURED:
        # The capture came first: the failure is an out-of-order event, ignored.
        assert (capture_record.result, failure_record.result) == (Result.APPLIED, Result.IGNORED)
        assert not payment.flagged
        assert order.status == Order.Status.PAID
        assert paid_events(order) == 1
        assert stock(shirt) == (8, 0)
        assert movements(order) == {"reserve": 1, "commit": 1}
        assert sent == {"payment_captured": 1, "order_paid": 1}
    else:
        # The failure came first: money taken on a failed payment is flagged, nothing paid.
        assert payment.status == Status.FAILED
        assert (capture_record.result, failure_record.result) == (Result.FLAGGED, Result.APPLIED)
        assert payment.flagged
        assert order.status == Order.Status.PENDING
        assert paid_events(order) == 0
        assert stock(shirt) == (10, 2)
        assert movements(order) == {"reserve": 1}
        assert sent == {}
    assert PaymentEvent.objects.filter(payment=payment, kind__in=["capture", "fail"]).count() == 1
    assert_stock_is_sane()


def stripe_event(kind: str, obj: dict) -> bytes:
    """A Stripe event body shaped like the API reference's (only what matters here)."""
    event = {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }
    return json.dumps(event).encode()


def stripe_delivery(body: bytes):
    """A delivery of ``body`` signed as Stripe signs (HMAC-SHA256 of ``"t.body"``)."""
    gateway = get_gateway("stripe")
    timestamp = int(time.time())
    secret = gateway.options["webhook_secret"].encode()
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={timestamp},v1={digest}"}
    return lambda: services.handle_webhook("stripe", body, headers)


@race_params
@pytest.mark.parametrize("first", ["capture", "refund"])
@pytest.mark.parametrize("refunded", ["10.00", "25.00"])
def test_a_capture_and_its_refund_at_once_apply_both_in_order(
    order, shirt, sent, refunded, first, head_start
):
    """Stripe delivers ``charge.refunded`` (a running total) racing ``payment_intent.succeeded``.

    Whichever is applied first, the refund waits for the capture (``deferred``)
    or follows it: both end applied, once.
    """
    intent_id = f"pi_{secrets.token_hex(12)}"
    payment = Payment.objects.create(
        order=order, gateway="stripe", amount=order.total, gateway_reference=intent_id
    )
    payment.mark_processing()
    payment.save()
    succeeded = stripe_event(
        "payment_intent.succeeded",
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": 2500,
            "amount_received": 2500,
            "currency": "usd",
            "status": "succeeded",
        },
    )
    minor = int(money(refunded).amount * 100)
    charge_refunded = stripe_event(
        "charge.refunded",
        {
            "id": f"ch_{secrets.token_hex(12)}",
            "object": "charge",
            "amount": 2500,
            "amount_captured": 2500,
            "amount_refunded": minor,
            "currency": "usd",
            "payment_intent": intent_id,
            "refunded": minor == 2500,
            "status": "succeeded",
        },
    )

    outcome = race(
        {"capture": stripe_delivery(succeeded), "refund": stripe_delivery(charge_refunded)},
        first,
        head_start,
    )

    assert [len(ok(outcome[name])) for name in ("capture", "refund")] == [1, 1]
    records = WebhookEvent.objects.filter(payment=payment)
    assert sorted(records.values_list("type", "result")) == [
        ("captured", Result.APPLIED),
        ("refunded", Result.APPLIED),
    ]
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.captured_amount == money("25.00")
    assert payment.refunded_amount == money(refunded)
    assert not payment.flagged
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.status, refund.amount) == (Refund.Status.SUCCEEDED, money(refunded))
    assert PaymentEvent.objects.filter(payment=payment, kind="capture").count() == 1
    assert paid_events(order) == 1
    # Stock was sold once and is not put back by a refund (RESTOCK_ON_REFUND is off).
    assert stock(shirt) == (8, 0)
    assert movements(order) == {"reserve": 1, "commit": 1}
    if refunded == "25.00":
        assert payment.status == Status.REFUNDED
        assert order.status == Order.Status.REFUNDED
        assert OrderEvent.objects.filter(order=order, to_status="refunded").count() == 1
        assert sent == {
            "payment_captured": 1,
            "order_paid": 1,
            "payment_refunded": 1,
            "order_refunded": 1,
        }
    else:
        assert payment.status == Status.PARTIALLY_REFUNDED
        assert order.status == Order.Status.PAID
        assert sent == {"payment_captured": 1, "order_paid": 1, "payment_refunded": 1}
    assert_stock_is_sane()


# --- 3. concurrent starts --------------------------------------------------------------


def test_ten_starts_with_one_request_key_create_one_payment(order, dummy):
    results = results_or_raise(
        run_in_threads(
            [
                lambda: services.start_payment(order, "dummy", request_key="checkout-1")
                for _ in range(10)
            ]
        )
    )

    payment = Payment.objects.get()
    assert {started.payment.pk for started in results} == {payment.pk}
    assert Counter(started.created for started in results) == {True: 1, False: 9}
    assert {started.payment.status for started in results} == {Status.PROCESSING}
    assert payment.status == Status.PROCESSING
    assert payment.gateway_reference == f"dummy_{payment.reference}"
    assert dummy.provider_state(payment.gateway_reference)["status"] == "requires_confirmation"
    kinds = Counter(PaymentEvent.objects.filter(payment=payment).values_list("kind", flat=True))
    assert kinds["created"] == 1
    assert kinds["mark_processing"] == 1
    # A retry that found the payment before its start was answered asks again, with the
    # same provider idempotency key: the provider holds one payment either way.
    assert 1 <= kinds["initiate"] <= 10


def test_ten_starts_with_different_keys_leave_one_active_payment(order, dummy, shirt, sent):
    results = results_or_raise(
        run_in_threads(
            [
                lambda n=n: services.start_payment(order, "dummy", request_key=f"attempt-{n}")
                for n in range(10)
            ]
        )
    )

    assert all(started.created for started in results)
    assert Payment.objects.filter(order=order).count() == 10
    statuses = Counter(Payment.objects.values_list("status", flat=True))
    assert statuses == {Status.CANCELLED: 9, Status.PROCESSING: 1}
    active = Payment.objects.get(status=Status.PROCESSING)
    assert active.gateway_reference
    superseded = Payment.objects.filter(status=Status.CANCELLED)
    assert (
        PaymentEvent.objects.filter(
            kind="cancel", reason="Superseded by a new payment", payment__in=superseded
        ).count()
        == 9
    )

    # Each superseded payment that reached the provider is released there once: by the
    # start that superseded it, or (when it was superseded before the provider had
    # answered) by its own start, once the answer is in. One superseded before its
    # start was sent is never sent.
    for old in superseded:
        voids = PaymentEvent.objects.filter(payment=old, kind="void")
        if not old.gateway_reference:
            assert not PaymentEvent.objects.filter(payment=old, kind="initiate").exists()
            assert not voids.exists()
            continue
        assert dummy.provider_state(old.gateway_reference)["status"] == "cancelled"
        assert list(voids.values_list("reason", flat=True)) == [
            "Release at the provider: succeeded"
        ]
        # So the customer can no longer complete a superseded page: nothing is captured.
        assert dummy.confirm(old.gateway_reference, "succeed") == []
    assert not Payment.objects.filter(flagged=True).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING

    # The one active payment pays the order, once.
    [record] = deliver(dummy, dummy.confirm(active.gateway_reference, "succeed"))
    assert record.result == Result.APPLIED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.filter(status=Status.CAPTURED).get() == active
    assert paid_events(order) == 1
    assert stock(shirt) == (8, 0)
    assert sent == {"payment_captured": 1, "order_paid": 1}


# --- 4. concurrent refunds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "refunded", "status"),
    [("10.00", "20.00", Status.PARTIALLY_REFUNDED), (None, "25.00", Status.REFUNDED)],
)
def test_five_refunds_at_once_never_refund_more_than_captured(
    order, dummy, sent, asked, refunded, status
):
    payment = start(order)
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    payment.refresh_from_db()
    assert payment.captured_amount == money("25.00")
    amount = money(asked) if asked else None

    results = run_in_threads(
        [
            lambda n=n: services.refund_payment(payment, amount, reason=f"Request {n}")
            for n in range(5)
        ]
    )

    # Once a payment is refunded in full, a late request is refused for its status instead.
    assert unexpected(results, RefundExceedsCapturedError, InvalidTransitionError) == []
    winners = 2 if asked else 1
    assert outcomes(results)["ok"] == winners
    refunds = [value for kind, value in results if kind == "ok"]
    assert {refund.status for refund in refunds} == {Refund.Status.SUCCEEDED}
    payment.refresh_from_db()
    assert payment.status == status
    assert payment.refunded_amount == money(refunded)
    succeeded = Refund.objects.filter(payment=payment, status=Refund.Status.SUCCEEDED)
    assert succeeded.count() == Refund.objects.count() == winners
    assert sum(refund.amount for refund in succeeded) == payment.refunded_amount
    assert PaymentEvent.objects.filter(payment=payment, kind="refund_requested").count() == winners
    assert sent["payment_refunded"] == winners
    order.refresh_from_db()
    expected = Order.Status.PAID if asked else Order.Status.REFUNDED
    assert order.status == expected
    assert sent["order_refunded"] == (0 if asked else 1)


# --- 5. a capture racing reservation expiry --------------------------------------------


@race_params
@pytest.mark.parametrize("first", ["webhook", "expiry"])
def test_a_capture_racing_expiry_either_pays_or_flags_never_both(
    order, dummy, shirt, sent, first, head_start
):
    payment = start(order)
    [body] = dummy.confirm(payment.gateway_reference, "succeed")
    Order.objects.filter(pk=order.pk).update(
        reservation_expires_at=timezone.now() - timedelta(minutes=1)
    )

    # Two expiry runs (two workers of the task runner) and the provider's webhook.
    outcome = race(
        {
            "webhook": webhook(dummy, body),
            "expiry": order_services.expire_orders,
            "expiry again": order_services.expire_orders,
        },
        first,
        head_start,
    )

    [record] = ok(outcome["webhook"])
    expired = [ok(outcome["expiry"]), ok(outcome["expiry again"])]
    record.refresh_from_db()
    payment.refresh_from_db()
    order.refresh_from_db()
    # The provider took the money either way: commerce records it.
    assert payment.status == Status.CAPTURED
    assert payment.captured_amount == money("25.00")
    assert OrderEvent.objects.filter(order=order).exclude(from_status="").count() == 1
    if order.status == Order.Status.PAID:
        assert sum(expired) == 0
        assert record.result == Result.APPLIED
        assert not payment.flagged
        assert stock(shirt) == (8, 0)
        assert movements(order) == {"reserve": 1, "commit": 1}
        assert sent == {"payment_captured": 1, "order_paid": 1}
    else:
        assert order.status == Order.Status.CANCELLED
        assert sum(expired) == 1
        assert record.result == Result.FLAGGED
        assert payment.flagged
        assert "cancelled" in payment.flag_reason
        assert stock(shirt) == (10, 0)
        assert movements(order) == {"reserve": 1, "release": 1}
        assert sent == {"payment_captured": 1, "order_cancelled": 1}
    assert_stock_is_sane()


# --- 6. a capture racing a superseding payment or a cancellation -----------------------


@race_params
@pytest.mark.parametrize("first", ["webhook", "new payment"])
def test_a_capture_racing_a_new_payment_pays_the_order_once(
    order, dummy, shirt, sent, first, head_start
):
    old = start(order, request_key="first")
    [body] = dummy.confirm(old.gateway_reference, "succeed")

    def pay_again():
        second = services.start_payment(order, "dummy", request_key="second").payment
        return deliver(dummy, dummy.confirm(second.gateway_reference, "succeed"))

    outcome = race({"webhook": webhook(dummy, body), "new payment": pay_again}, first, head_start)

    [late_record] = ok(outcome["webhook"])
    again = outcome["new payment"]
    late_record.refresh_from_db()
    old.refresh_from_db()
    order.refresh_from_db()
    if again[0] == "error":
        # The first capture won: the order was paid before the new payment could start.
        assert isinstance(again[1], OrderNotPayableError), again
        assert Payment.objects.count() == 1
        assert old.status == Status.CAPTURED
        assert late_record.result == Result.APPLIED
        assert not old.flagged
    else:
        # The new payment superseded the first; the first's capture is flagged for a refund.
        [record] = again[1]
        assert record.result == Result.APPLIED
        second = Payment.objects.exclude(pk=old.pk).get()
        assert second.status == Status.CAPTURED
        assert old.status == Status.CANCELLED
        assert late_record.result == Result.FLAGGED
        assert old.flagged
        assert "cancelled" in old.flag_reason
    assert Payment.objects.filter(status=Status.CAPTURED).count() == 1
    assert order.status == Order.Status.PAID
    assert paid_events(order) == 1
    assert stock(shirt) == (8, 0)
    assert movements(order) == {"reserve": 1, "commit": 1}
    assert sent == {"payment_captured": 1, "order_paid": 1}
    assert_stock_is_sane()


@race_params
@pytest.mark.parametrize("first", ["customer", "staff"])
def test_a_customer_paying_while_staff_cancel_ends_paid_or_cancelled(
    order, dummy, shirt, sent, first, head_start
):
    payment = start(order)

    def customer_pays():
        return deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))

    def staff_cancels():
        return services.cancel_payment(payment, reason="Customer asked on the phone")

    outcome = race({"customer": customer_pays, "staff": staff_cancels}, first, head_start)

    records = ok(outcome["customer"])
    cancelled = outcome["staff"]
    # The provider refuses the void of a payment it already captured (402), or the
    # capture was applied before the cancellation looked (409).
    assert unexpected([cancelled], PaymentDeclinedError, InvalidTransitionError) == []
    payment.refresh_from_db()
    order.refresh_from_db()
    assert WebhookEvent.objects.count() == len(records) <= 1
    if payment.status == Status.CAPTURED:
        [record] = records
        assert record.result == Result.APPLIED
        assert not payment.flagged
        assert order.status == Order.Status.PAID
        assert paid_events(order) == 1
        assert stock(shirt) == (8, 0)
        assert movements(order) == {"reserve": 1, "commit": 1}
        assert sent == {"payment_captured": 1, "order_paid": 1}
    else:
        assert payment.status == Status.CANCELLED
        assert cancelled[0] == "ok"
        assert order.status == Order.Status.PENDING
        assert paid_events(order) == 0
        assert stock(shirt) == (10, 2)
        assert movements(order) == {"reserve": 1}
        assert sent == {}
        # Money the provider took anyway (its void and the capture crossed) is flagged.
        if records:
            [record] = records
            record.refresh_from_db()
            assert record.result == Result.FLAGGED
            assert payment.flagged
    assert_stock_is_sane()
