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
from typing import Any

import pytest

from commerce.payments import services
from commerce.payments.exceptions import RefundExceedsCapturedError
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent
from tests.helpers import money
from tests.orders.helpers import stock
from tests.payments.flows import (
    FlowContract,
    TimestampedFlowContract,
    fresh,
    kinds,
    payment_gateways,
    snapshot,
)
from tests.payments.stripe_fakes import (
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


# --- the flow every provider follows, and what the start sends -----------------------------


class TestStripeFlows(FlowContract, TimestampedFlowContract):
    """The flow every provider follows (:class:`tests.payments.flows.FlowContract`)."""

    alias = "stripe"
    refund_request = ("POST", "/v1/refunds")

    @pytest.fixture(autouse=True)
    def _stripe(self, http):
        self.api = http

    def start(self, order):
        return start(order, self.api)

    def capture_webhook(self, payment):
        body, _ = event_body("payment_intent.succeeded", succeeded(payment), event_id="evt_paid")
        return body, {"Stripe-Signature": sign(body)}

    def bad_webhook(self, payment, case):
        body, headers = self.capture_webhook(payment)
        if case == "forged":
            headers = {"Stripe-Signature": sign(body, secret="whsec_an_attacker_guessing")}
        elif case == "tampered":  # signed for one amount, delivered with another
            tampered = body.replace(b'"amount_received": 2500', b'"amount_received": 1')
            assert tampered != body
            body = tampered
        else:
            headers = {}
        return body, headers

    def stale_webhook(self, payment):
        body, _ = self.capture_webhook(payment)  # a replay older than the 300 s tolerance
        return body, {"Stripe-Signature": sign(body, timestamp=int(time.time()) - 301)}

    def dispute_webhook(self, payment):
        body, _ = event_body("charge.dispute.created", dispute_object(amount=2500))
        return body, {"Stripe-Signature": sign(body)}

    def arrange_refund(self, payment, amount, *, settled):
        refund_id = f"re_{amount}"
        status = "succeeded" if settled else "pending"
        self.api.respond(200, refund_object(id=refund_id, amount=amount, status=status))
        return refund_id

    def arrange_refund_timeout(self):
        self.api.fail(timeout_error())

    def refund_webhook(self, payment, amount, *, total):
        # Stripe's charge.refunded carries the running total refunded on the charge.
        obj = charge(payment, amount_refunded=total, refunded=total == 2500)
        body, _ = event_body("charge.refunded", obj, event_id=f"evt_refunded_{total}")
        return body, {"Stripe-Signature": sign(body)}

    def sent(self):
        return [(request.method.upper(), request.path) for request in self.api.requests]

    def clear_requests(self):
        self.api.requests.clear()

    def while_in_flight(self, action):
        self.api.in_flight.append(action)


def test_the_start_creates_a_payment_intent_with_a_stable_key(order, shirt, http):
    http.respond(200, intent())
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


def test_a_refund_sends_the_refunds_reference_as_its_idempotency_key(order, shirt, http):
    payment = paid(order, http)
    http.fail(timeout_error())
    refund = services.refund_payment(payment, money("25.00"))
    [request] = http.requests
    assert request.header("Idempotency-Key") == refund.reference


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


# --- answers the database cannot hold ------------------------------------------------------


def test_an_answer_with_nul_characters_is_stored_without_them(order, shirt, http):
    # PostgreSQL's jsonb refuses NUL: the payment's history stores the answer cleaned.
    http.respond(200, intent(description="gift\x00wrap", metadata={"note\x00": "x"}))
    payment = services.start_payment(order, "stripe", return_url=RETURN_URL).payment
    assert (payment.status, payment.gateway_reference) == (Status.PROCESSING, PI_ID)
    [event] = PaymentEvent.objects.filter(payment=payment, kind="initiate")
    raw = event.data["raw"]
    assert raw["description"] == "gift\ufffdwrap"
    assert raw["metadata"] == {"note\ufffd": "x"}
    assert "NUL characters" in raw["_commerce_problems"][0]


def test_a_captured_amount_past_the_money_columns_is_unknown_not_applied(order, shirt, http):
    payment = start(order, http)
    http.respond(200, succeeded(payment, amount_received=10**15))
    payment = services.refresh_payment(payment)
    payment, order = fresh(payment)
    assert (payment.status, payment.captured_amount) == (Status.PROCESSING, None)
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)
