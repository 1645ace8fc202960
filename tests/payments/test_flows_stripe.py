"""The payment services end to end with Stripe: the real SDK, HTTP faked at its hook.

The gateways are built by the registry from ``COMMERCE["PAYMENT_GATEWAYS"]`` with
the SDK's ``http_client`` option set to a recording ``stripe.HTTPClient``, so every
request the SDK would send (method, path, form parameters, ``Idempotency-Key``) is
checked. Webhook bodies are shaped like Stripe's documented events and signed as
Stripe signs them (``t=...,v1=HMAC-SHA256("{t}.{body}")``), then handed to
:func:`commerce.payments.services.handle_webhook` as the endpoint would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from commerce.orders.signals import order_paid
from commerce.payments import services, signals
from commerce.payments.exceptions import RefundExceedsCapturedError, WebhookVerificationError
from commerce.payments.models import Payment, Refund, WebhookEvent
from tests.orders.conftest import money, stock
from tests.payments.flows import fresh, kinds, payment_gateways, snapshot
from tests.payments.test_stripe import (
    CHARGE_ID,
    PI_ID,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeHTTPClient,
    charge_object,
    dispute_object,
    event_body,
    payment_intent,
    refund_object,
    sign,
    timeout_error,
)

pytestmark = pytest.mark.django_db

Status = Payment.Status
Result = WebhookEvent.Result
RETURN_URL = "https://shop.example/checkout/done"


class StripeAPI(FakeHTTPClient):
    """The recording SDK client, plus ``in_flight``: actions run while the next request
    is on its way (before it is answered), to deliver a webhook that overtakes it."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight: list[Callable[[], object]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        while self.in_flight:
            self.in_flight.pop(0)()
        return super().request(method, url, headers, post_data, _usage=_usage)


@pytest.fixture
def http() -> StripeAPI:
    """The SDK's HTTP layer for the ``stripe`` and ``stripe_manual`` gateways."""
    client = StripeAPI()
    options = {
        "secret_key": SECRET_KEY,
        "publishable_key": PUBLISHABLE_KEY,
        "webhook_secret": WEBHOOK_SECRET,
        "http_client": client,
        "max_network_retries": 0,
    }
    backend = "commerce.payments.gateways.stripe.StripeGateway"
    with payment_gateways(
        stripe={"BACKEND": backend, "OPTIONS": options},
        stripe_manual={"BACKEND": backend, "OPTIONS": {**options, "capture_method": "manual"}},
    ):
        yield client


# --- Stripe objects for the 25.00 USD order ----------------------------------------------


def intent(payment: Payment | None = None, **fields: Any) -> dict[str, Any]:
    """A PaymentIntent for the order's 25.00 USD (naming ``payment`` once it exists)."""
    base: dict[str, Any] = {"amount": 2500}
    if payment is not None:
        base["metadata"] = {
            "commerce_reference": payment.reference,
            "order_number": payment.order.number,
        }
        base["receipt_email"] = payment.order.email
    return payment_intent(**{**base, **fields})


def succeeded(payment: Payment, **fields: Any) -> dict[str, Any]:
    fields = {"status": "succeeded", "amount_received": 2500, "latest_charge": CHARGE_ID, **fields}
    return intent(payment, **fields)


def charge(payment: Payment, **fields: Any) -> dict[str, Any]:
    metadata = {"commerce_reference": payment.reference, "order_number": payment.order.number}
    return charge_object(amount=2500, amount_captured=2500, metadata=metadata, **fields)


def deliver(
    kind: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    alias: str = "stripe",
) -> list[WebhookEvent]:
    """Sign a Stripe event as Stripe does and hand it to the service."""
    body, _ = event_body(kind, obj, event_id=event_id or f"evt_{kind.replace('.', '_')}")
    return services.handle_webhook(alias, body, {"Stripe-Signature": sign(body)})


def start(order, http: FakeHTTPClient, alias: str = "stripe") -> Payment:
    capture_method = "manual" if alias == "stripe_manual" else "automatic"
    http.respond(200, intent(capture_method=capture_method))
    payment = services.start_payment(order, alias, return_url=RETURN_URL).payment
    assert payment.status == Status.PROCESSING
    http.requests.clear()
    return payment


def paid(order, http: FakeHTTPClient) -> Payment:
    payment = start(order, http)
    [record] = deliver("payment_intent.succeeded", succeeded(payment))
    assert record.result == Result.APPLIED
    payment, order = fresh(payment)
    assert (payment.status, order.status) == (Status.CAPTURED, "paid")
    return payment


def key(payment: Payment, operation: str) -> str:
    return f"{payment.reference}:{operation}"


# --- the happy paths ---------------------------------------------------------------------


def test_a_payment_intent_then_its_success_webhook_pays_the_order(
    order, shirt, http, django_capture_on_commit_callbacks
):
    sent: list[tuple[str, Any]] = []

    def on_captured(sender, payment, **kwargs):
        sent.append(("payment_captured", payment.reference))

    def on_paid(sender, order, **kwargs):
        sent.append(("order_paid", order.number))

    signals.payment_captured.connect(on_captured)
    order_paid.connect(on_paid)
    try:
        http.respond(200, intent())
        with django_capture_on_commit_callbacks(execute=True):
            started = services.start_payment(order, "stripe", return_url=RETURN_URL)
        payment = started.payment
        assert started.created

        [request] = http.requests
        assert (request.method, request.path) == ("post", "/v1/payment_intents")
        assert request.header("Idempotency-Key") == f"{payment.reference}:initiate"
        assert request.params == {
            "amount": "2500",
            "currency": "usd",
            "capture_method": "automatic",
            "automatic_payment_methods[enabled]": "true",
            "metadata[commerce_reference]": payment.reference,
            "metadata[order_number]": order.number,
            "receipt_email": order.email,
        }
        assert payment.status == Status.PROCESSING
        assert payment.gateway_reference == PI_ID
        assert payment.client_secret == f"{PI_ID}_secret_YrKJUKribcBjcG8HVhfZluoGH"
        assert stock(shirt) == (10, 2)
        assert sent == []

        with django_capture_on_commit_callbacks(execute=True):
            [record] = deliver("payment_intent.succeeded", succeeded(payment))
    finally:
        signals.payment_captured.disconnect(on_captured)
        order_paid.disconnect(on_paid)

    assert len(http.requests) == 1  # the webhook needed no call to Stripe
    assert (record.result, record.duplicate) == (Result.APPLIED, False)
    assert (record.type, record.payment_id, record.amount) == ("captured", payment.pk, money("25"))
    payment, order = fresh(payment)
    assert payment.status == Status.CAPTURED
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


def test_manual_capture_authorizes_then_captures_with_a_stable_key(order, shirt, http):
    payment = start(order, http, alias="stripe_manual")
    [record] = deliver(
        "payment_intent.amount_capturable_updated",
        intent(payment, status="requires_capture", capture_method="manual", amount_capturable=2500),
        alias="stripe_manual",
    )
    assert record.result == Result.APPLIED
    payment, order = fresh(payment)
    assert payment.status == Status.AUTHORIZED
    assert payment.authorized_amount == money("25.00")
    assert payment.captured_amount is None
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)

    http.respond(200, succeeded(payment, capture_method="manual"))
    payment = services.capture_payment(payment)

    [request] = http.requests
    assert (request.method, request.path) == ("post", f"/v1/payment_intents/{PI_ID}/capture")
    assert request.header("Idempotency-Key") == key(payment, "capture")
    assert request.params == {}  # the whole authorization
    payment, order = fresh(payment)
    assert payment.status == Status.CAPTURED
    assert payment.captured_amount == money("25.00")
    assert order.status == "paid"
    assert stock(shirt) == (8, 0)

    # Stripe then sends payment_intent.succeeded for the capture: nothing more happens.
    [late] = deliver("payment_intent.succeeded", succeeded(payment), alias="stripe_manual")
    assert late.result == Result.IGNORED
    assert kinds(payment, "capture") == ["capture", "capture"]  # the call's answer + transition
    assert fresh(payment)[0].captured_amount == money("25.00")
    assert stock(shirt) == (8, 0)


def test_a_new_payment_supersedes_the_open_one_which_can_no_longer_pay(order, shirt, http):
    first = start(order, http)
    http.respond(200, intent(first, status="canceled", cancellation_reason="abandoned"))
    http.respond(200, intent(id="pi_second", client_secret="pi_second_secret_abc"))
    second = services.start_payment(order, "stripe", return_url=RETURN_URL).payment

    void, create = http.requests
    assert (void.method, void.path) == ("post", f"/v1/payment_intents/{PI_ID}/cancel")
    assert void.header("Idempotency-Key") == key(first, "void")
    assert (create.method, create.path) == ("post", "/v1/payment_intents")
    assert create.header("Idempotency-Key") == key(second, "initiate")
    assert fresh(first)[0].status == Status.CANCELLED
    assert (second.status, second.gateway_reference) == (Status.PROCESSING, "pi_second")

    # The customer still completes the first one somewhere: flagged, never a second payment.
    [late] = deliver("payment_intent.succeeded", succeeded(first), event_id="evt_first")
    assert late.result == Result.FLAGGED
    first, order = fresh(first)
    assert (first.status, first.flagged, order.status) == (Status.CANCELLED, True, "pending")
    assert "refund it at the provider" in first.flag_reason

    [record] = deliver("payment_intent.succeeded", succeeded(second, id="pi_second"))
    assert record.result == Result.APPLIED
    second, order = fresh(second)
    assert (second.status, order.status) == (Status.CAPTURED, "paid")
    assert stock(shirt) == (8, 0)


# --- webhooks that must not count ----------------------------------------------------------


@pytest.mark.parametrize("case", ["forged", "tampered", "stale"])
def test_a_bad_webhook_is_rejected_and_stores_nothing(order, shirt, http, case):
    payment = start(order, http)
    before = snapshot(payment, shirt)
    body, _ = event_body("payment_intent.succeeded", succeeded(payment))
    header = sign(body)
    if case == "forged":
        header = sign(body, secret="whsec_an_attacker_guessing")
    elif case == "tampered":  # signed for one amount, delivered with another
        tampered = body.replace(b'"amount_received": 2500', b'"amount_received": 1')
        assert tampered != body
        body = tampered
    elif case == "stale":  # a replay older than the 300 s tolerance
        header = sign(body, timestamp=int(time.time()) - 301)

    with pytest.raises(WebhookVerificationError):
        services.handle_webhook("stripe", body, {"Stripe-Signature": header})

    assert snapshot(payment, shirt) == before
    assert WebhookEvent.objects.count() == 0
    assert fresh(payment)[0].status == Status.PROCESSING
    assert http.requests == []


def test_the_same_event_delivered_twice_changes_state_once(order, shirt, http):
    payment = start(order, http)
    [first] = deliver("payment_intent.succeeded", succeeded(payment))
    after_first = snapshot(payment, shirt)
    [second] = deliver("payment_intent.succeeded", succeeded(payment))

    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.pk == first.pk
    assert second.result == Result.APPLIED
    assert snapshot(payment, shirt) == after_first
    assert WebhookEvent.objects.count() == 1
    assert kinds(payment, "capture") == ["capture"]
    assert stock(shirt) == (8, 0)
    assert http.requests == []


def test_a_success_in_another_amount_is_flagged_and_never_pays_the_order(order, shirt, http):
    payment = start(order, http)
    [record] = deliver(
        "payment_intent.succeeded", succeeded(payment, amount=2000, amount_received=2000)
    )
    assert record.result == Result.FLAGGED
    payment, order = fresh(payment)
    # The money moved, so it is recorded as captured; the order is not paid.
    assert payment.status == Status.CAPTURED
    assert payment.captured_amount == money("20.00")
    assert payment.flagged
    assert payment.flag_reason == "Captured $20.00 of $25.00; the order is not paid"
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)


def test_a_success_in_another_currency_changes_nothing_and_is_flagged(order, shirt, http):
    payment = start(order, http)
    [record] = deliver("payment_intent.succeeded", succeeded(payment, currency="eur"))
    assert record.result == Result.FLAGGED
    payment, order = fresh(payment)
    assert payment.status == Status.PROCESSING
    assert payment.captured_amount is None
    assert payment.flagged
    assert "EUR" in payment.flag_reason
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)


def test_a_dispute_flags_the_payment(order, shirt, http):
    payment = paid(order, http)
    [record] = deliver("charge.dispute.created", dispute_object(amount=2500))
    assert record.result == Result.FLAGGED
    payment, order = fresh(payment)
    assert payment.flagged
    assert "dispute" in payment.flag_reason
    assert (payment.status, order.status) == (Status.CAPTURED, "paid")
    assert kinds(payment, "flagged") == ["flagged"]


def test_a_declined_attempt_then_another_card_pays_the_order(order, shirt, http):
    # Stripe's payment_failed is one declined attempt: the intent goes back to
    # requires_payment_method and the customer tries another card on the same form.
    payment = start(order, http)
    [declined] = deliver(
        "payment_intent.payment_failed",
        intent(
            payment,
            status="requires_payment_method",
            last_payment_error={"code": "card_declined", "type": "card_error"},
        ),
    )
    assert declined.result == Result.IGNORED
    payment, order = fresh(payment)
    assert payment.status == Status.PROCESSING
    assert stock(shirt) == (10, 2)

    [paid] = deliver("payment_intent.succeeded", succeeded(payment))
    assert paid.result == Result.APPLIED
    payment, order = fresh(payment)
    assert (payment.status, payment.flagged, order.status) == (Status.CAPTURED, False, "paid")
    assert stock(shirt) == (8, 0)


def test_a_failure_then_a_late_success_never_pays_the_order(order, shirt, http):
    payment = start(order, http)
    [failed] = deliver(
        "payment_intent.payment_failed",
        intent(payment, status="canceled", cancellation_reason="automatic"),
    )
    assert failed.result == Result.APPLIED
    payment, order = fresh(payment)
    assert payment.status == Status.FAILED
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)

    [late] = deliver("payment_intent.succeeded", succeeded(payment))
    assert late.result == Result.FLAGGED
    payment, order = fresh(payment)
    assert payment.status == Status.FAILED
    assert payment.flagged
    assert order.status == "pending"


# --- a refund seen before the capture ----------------------------------------------------


@pytest.mark.parametrize(
    ("refunded", "payment_status", "order_status"),
    [(1000, Status.PARTIALLY_REFUNDED, "paid"), (2500, Status.REFUNDED, "refunded")],
)
def test_a_refund_before_the_capture_waits_then_applies_once(
    order, shirt, http, refunded, payment_status, order_status
):
    payment = start(order, http)
    refund_charge = charge(payment, amount_refunded=refunded, refunded=refunded == 2500)
    [early] = deliver("charge.refunded", refund_charge, event_id="evt_refund_1")
    assert early.result == Result.DEFERRED
    payment, order = fresh(payment)
    assert (payment.status, payment.refunded_amount, order.status) == (
        Status.PROCESSING,
        None,
        "pending",
    )
    assert Refund.objects.count() == 0

    [capture] = deliver("payment_intent.succeeded", succeeded(payment))
    assert capture.result == Result.APPLIED
    payment, order = fresh(payment)
    amount = money(str(refunded / 100))
    assert payment.status == payment_status
    assert payment.captured_amount == money("25.00")
    assert payment.refunded_amount == amount
    assert order.status == order_status
    assert stock(shirt) == (8, 0)  # sold; a refund does not restock by default
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.status, refund.amount, refund.reason) == (
        Refund.Status.SUCCEEDED,
        amount,
        "Refunded at the provider",
    )
    early.refresh_from_db()
    assert early.result == Result.APPLIED
    assert early.applied_at is not None

    # Redelivered, and the same running total under another event id: nothing more.
    settled = snapshot(payment, shirt)
    [again] = deliver("charge.refunded", refund_charge, event_id="evt_refund_1")
    assert (again.duplicate, again.pk) == (True, early.pk)
    [other] = deliver("charge.refunded", refund_charge, event_id="evt_refund_1_again")
    assert other.result == Result.IGNORED
    assert snapshot(payment, shirt) == {**settled, "webhook_events": 3}
    assert http.requests == []


# --- refunds through the service -----------------------------------------------------------


def test_a_partial_refund_then_the_rest(order, shirt, http):
    payment = paid(order, http)

    http.respond(200, refund_object(id="re_first", amount=1000, status="succeeded"))
    first = services.refund_payment(payment, money("10.00"), reason="Damaged")
    [request] = http.requests
    assert (request.method, request.path) == ("post", "/v1/refunds")
    assert request.params == {"payment_intent": PI_ID, "amount": "1000"}
    assert request.header("Idempotency-Key") == first.reference
    assert (first.status, first.amount, first.gateway_reference) == (
        Refund.Status.SUCCEEDED,
        money("10.00"),
        "re_first",
    )
    payment, order = fresh(payment)
    assert payment.status == Status.PARTIALLY_REFUNDED
    assert payment.refunded_amount == money("10.00")
    assert order.status == "paid"

    http.requests.clear()
    http.respond(200, refund_object(id="re_rest", amount=1500, status="succeeded"))
    rest = services.refund_payment(payment, reason="Returned")
    [request] = http.requests
    assert request.params == {"payment_intent": PI_ID, "amount": "1500"}
    assert request.header("Idempotency-Key") == rest.reference != first.reference
    assert (rest.status, rest.amount) == (Refund.Status.SUCCEEDED, money("15.00"))
    payment, order = fresh(payment)
    assert payment.status == Status.REFUNDED
    assert payment.refunded_amount == money("25.00")
    assert order.status == "refunded"
    assert stock(shirt) == (8, 0)

    # Stripe's charge.refunded for that running total adds nothing.
    settled = snapshot(payment, shirt)
    [record] = deliver("charge.refunded", charge(payment, amount_refunded=2500, refunded=True))
    assert record.result == Result.IGNORED
    assert snapshot(payment, shirt) == {**settled, "webhook_events": settled["webhook_events"] + 1}
    assert Refund.objects.count() == 2


def test_a_refund_without_an_answer_stays_pending_until_the_webhook(order, shirt, http):
    payment = paid(order, http)
    http.fail(timeout_error())
    refund = services.refund_payment(payment, money("25.00"))
    assert refund.status == Refund.Status.PENDING
    [request] = http.requests
    assert request.header("Idempotency-Key") == refund.reference
    payment, order = fresh(payment)
    assert (payment.status, payment.refunded_amount, order.status) == (
        Status.CAPTURED,
        None,
        "paid",
    )

    [record] = deliver("charge.refunded", charge(payment, amount_refunded=2500, refunded=True))
    assert record.result == Result.APPLIED
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert Refund.objects.count() == 1
    payment, order = fresh(payment)
    assert (payment.status, payment.refunded_amount) == (Status.REFUNDED, money("25.00"))
    assert order.status == "refunded"


def test_charge_refunded_overtaking_the_refund_calls_answer_counts_once(order, shirt, http):
    payment = paid(order, http)
    webhooks: list[WebhookEvent] = []
    http.in_flight.append(
        lambda: webhooks.extend(deliver("charge.refunded", charge(payment, amount_refunded=1000)))
    )
    http.respond(200, refund_object(id="re_fast", amount=1000, status="succeeded"))
    refund = services.refund_payment(payment, money("10.00"))

    [record] = webhooks
    assert record.result == Result.APPLIED
    assert (refund.status, refund.gateway_reference) == (Refund.Status.SUCCEEDED, "re_fast")
    assert Refund.objects.count() == 1
    payment, order = fresh(payment)
    assert (payment.status, payment.refunded_amount) == (
        Status.PARTIALLY_REFUNDED,
        money("10.00"),
    )
    assert kinds(payment, "refund_partially") == ["refund_partially"]
    assert order.status == "paid"


def test_a_refund_beyond_what_is_left_is_refused_and_sends_nothing(order, shirt, http):
    payment = paid(order, http)
    with pytest.raises(RefundExceedsCapturedError):
        services.refund_payment(payment, money("25.01"))
    assert http.requests == []
    assert Refund.objects.count() == 0

    http.respond(200, refund_object(amount=1000, status="succeeded"))
    services.refund_payment(payment, money("10.00"))
    http.requests.clear()
    before = snapshot(payment, shirt)
    with pytest.raises(RefundExceedsCapturedError) as caught:
        services.refund_payment(payment, money("15.01"))
    details = caught.value.details
    assert (Decimal(details["refundable"]), details["currency"]) == (Decimal("15.00"), "USD")
    assert http.requests == []
    assert snapshot(payment, shirt) == before


def test_a_pending_refund_is_settled_by_the_charge_refunded_webhook(order, shirt, http):
    payment = paid(order, http)
    http.respond(200, refund_object(id="re_slow", amount=1000, status="pending"))
    refund = services.refund_payment(payment, money("10.00"))
    assert refund.status == Refund.Status.PENDING
    assert refund.gateway_reference == "re_slow"
    payment, _ = fresh(payment)
    assert (payment.status, payment.refunded_amount) == (Status.CAPTURED, None)

    # What is being refunded already counts against what is left.
    http.requests.clear()
    with pytest.raises(RefundExceedsCapturedError):
        services.refund_payment(payment, money("15.01"))
    assert http.requests == []

    [record] = deliver("charge.refunded", charge(payment, amount_refunded=1000))
    assert record.result == Result.APPLIED
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert Refund.objects.count() == 1  # the pending one settled, no extra row
    payment, order = fresh(payment)
    assert payment.status == Status.PARTIALLY_REFUNDED
    assert payment.refunded_amount == money("10.00")
    assert order.status == "paid"


def test_pending_refunds_settled_out_of_order_each_match_their_own_amount(order, shirt, http):
    payment = paid(order, http)
    http.respond(200, refund_object(id="re_small", amount=500, status="pending"))
    small = services.refund_payment(payment, money("5.00"))
    http.respond(200, refund_object(id="re_big", amount=1000, status="pending"))
    big = services.refund_payment(payment, money("10.00"))

    # Stripe processes the 10.00 first: the running total says 10.00, which is the big one.
    deliver("charge.refunded", charge(payment, amount_refunded=1000), event_id="evt_first")
    small.refresh_from_db()
    big.refresh_from_db()
    assert (small.status, big.status) == (Refund.Status.PENDING, Refund.Status.SUCCEEDED)
    deliver("charge.refunded", charge(payment, amount_refunded=1500), event_id="evt_second")
    small.refresh_from_db()
    assert small.status == Refund.Status.SUCCEEDED
    assert Refund.objects.count() == 2  # no "refunded at the provider" rows invented
    payment, _ = fresh(payment)
    assert payment.refunded_amount == money("15.00")
    # Nothing pending holds back the last 10.00.
    http.respond(200, refund_object(id="re_rest", amount=1000, status="succeeded"))
    assert services.refund_payment(payment).amount == money("10.00")


# --- timeouts and reconciliation -------------------------------------------------------------


def test_a_timed_out_start_stays_processing_until_reconciliation_settles_it(order, shirt, http):
    http.fail(timeout_error())
    payment = services.start_payment(order, "stripe", return_url=RETURN_URL).payment

    payment, order = fresh(payment)
    assert payment.status == Status.PROCESSING
    assert (payment.gateway_reference, payment.client_secret) == ("", "")
    assert payment.captured_amount is None
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)
    initiate_key = key(payment, "initiate")
    assert [r.header("Idempotency-Key") for r in http.requests] == [initiate_key]

    # Stripe did create the intent; the customer paid it while we were not listening.
    http.requests.clear()
    http.respond(200, intent(payment))
    http.respond(200, succeeded(payment))
    report = services.reconcile_payments(older_than=0)

    assert (report.checked, report.settled, report.unsettled, report.errors) == (1, 1, 0, [])
    create, retrieve = http.requests
    assert (create.method, create.path) == ("post", "/v1/payment_intents")
    assert create.header("Idempotency-Key") == initiate_key  # the same intent, never a second
    assert (retrieve.method, retrieve.path) == ("get", f"/v1/payment_intents/{PI_ID}")
    payment, order = fresh(payment)
    assert payment.status == Status.CAPTURED
    assert payment.gateway_reference == PI_ID
    assert payment.captured_amount == money("25.00")
    assert order.status == "paid"
    assert stock(shirt) == (8, 0)

    # Nothing is left to reconcile.
    http.requests.clear()
    report = services.reconcile_payments(older_than=0)
    assert report.checked == 0
    assert http.requests == []


def test_a_success_webhook_overtaking_the_capture_calls_answer_captures_once(order, shirt, http):
    payment = start(order, http, alias="stripe_manual")
    deliver(
        "payment_intent.amount_capturable_updated",
        intent(payment, status="requires_capture", capture_method="manual", amount_capturable=2500),
        alias="stripe_manual",
    )
    webhooks: list[WebhookEvent] = []
    captured = succeeded(payment, capture_method="manual")
    http.in_flight.append(
        lambda: webhooks.extend(
            deliver("payment_intent.succeeded", captured, alias="stripe_manual")
        )
    )
    http.respond(200, captured)
    services.capture_payment(fresh(payment)[0])

    [record] = webhooks
    assert record.result == Result.APPLIED
    payment, order = fresh(payment)
    assert (payment.status, payment.captured_amount) == (Status.CAPTURED, money("25.00"))
    assert not payment.flagged
    assert order.status == "paid"
    assert stock(shirt) == (8, 0)
    assert [e.to_status for e in payment.events.filter(kind="capture")] == ["captured", ""]


def test_a_timed_out_capture_leaves_the_payment_authorized(order, shirt, http):
    payment = start(order, http, alias="stripe_manual")
    deliver(
        "payment_intent.amount_capturable_updated",
        intent(payment, status="requires_capture", capture_method="manual", amount_capturable=2500),
        alias="stripe_manual",
    )
    http.fail(timeout_error())
    services.capture_payment(fresh(payment)[0])

    payment, order = fresh(payment)
    assert payment.status == Status.AUTHORIZED
    assert payment.captured_amount is None
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)
    [answer] = payment.events.filter(kind="capture")
    assert answer.data["outcome"] == "unknown"

    # Trying again sends the same key, so Stripe captures at most once.
    http.respond(200, succeeded(payment, capture_method="manual"))
    services.capture_payment(payment)
    first, second = http.requests
    assert first.path == second.path == f"/v1/payment_intents/{PI_ID}/capture"
    assert first.header("Idempotency-Key") == second.header("Idempotency-Key")
    assert first.header("Idempotency-Key") == key(payment, "capture")
    payment, order = fresh(payment)
    assert (payment.status, payment.captured_amount) == (Status.CAPTURED, money("25.00"))
    assert order.status == "paid"
    assert stock(shirt) == (8, 0)
