"""The payment services end to end with Paystack: our client, HTTP faked at httpx's transport.

The gateway is built by the registry from ``COMMERCE["PAYMENT_GATEWAYS"]`` with its
``transport`` option set to an ``httpx.MockTransport`` that records every request.
Webhook bodies are shaped like Paystack's documented events and signed as Paystack
signs them (hex HMAC-SHA512 of the raw body with the secret key), then handed to
:func:`commerce.payments.services.handle_webhook` as the endpoint would. Paystack
says to verify every charge with its API before giving value: these tests check
that the service does, and what happens when that API says no or cannot answer.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from commerce.payments import services
from commerce.payments.exceptions import (
    GatewayError,
)
from commerce.payments.models import Payment, Refund, WebhookEvent
from tests.helpers import money
from tests.orders.helpers import stock
from tests.payments.flows import FlowContract, fresh, kinds, payment_gateways, snapshot
from tests.payments.paystack_fakes import (
    CHARGE_SUCCESS,
    DISPUTE_CREATE,
    SECRET,
    FakePaystack,
    ok,
    refund_data,
    refund_event,
    refused,
    signed,
    verify_data,
)
from tests.payments.paystack_fakes import sign as paystack_sign

pytestmark = pytest.mark.django_db

Status = Payment.Status
Result = WebhookEvent.Result
RETURN_URL = "https://shop.example/checkout/done"
CHECKOUT_URL = "https://checkout.paystack.com/0peioxfhpn"


class PaystackAPI(FakePaystack):
    """Paystack's API as a queue of answers; a request nobody expected fails the test.

    ``in_flight`` holds actions run while the next request is on its way (before
    it is answered), to deliver a webhook that overtakes an API call's answer.
    """

    def __init__(self) -> None:
        super().__init__()
        self.in_flight: list[Callable[[], object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert self.responses, f"unexpected request {request.method} {request.url}"
        while self.in_flight:
            self.in_flight.pop(0)()
        return super().__call__(request)

    def answer(self, *responses: httpx.Response | Exception) -> None:
        self.responses.extend(responses)

    def sent(self) -> list[tuple[str, str]]:
        return [(request.method, request.url.path) for request in self.requests]


@pytest.fixture
def api() -> PaystackAPI:
    fake = PaystackAPI()
    options = {"secret_key": SECRET, "transport": httpx.MockTransport(fake)}
    backend = "commerce.payments.gateways.paystack.PaystackGateway"
    with payment_gateways(paystack={"BACKEND": backend, "OPTIONS": options}):
        yield fake


# --- Paystack payloads for the 25.00 USD order -------------------------------------------


def initialized(payment_reference: str = "") -> httpx.Response:
    """POST /transaction/initialize's answer."""
    data = {"authorization_url": CHECKOUT_URL, "access_code": "0peioxfhpn"}
    if payment_reference:
        data["reference"] = payment_reference
    return ok(data, "Authorization URL created")


def verified(payment: Payment, status: str = "success", amount: int = 2500) -> httpx.Response:
    """GET /transaction/verify/{reference}'s answer."""
    metadata = {"commerce_reference": payment.reference, "order_number": payment.order.number}
    data = verify_data(
        status=status, amount=amount, currency="USD", reference=payment.reference, metadata=metadata
    )
    return ok(data, "Verification successful")


def refunded(payment: Payment, status: str, amount: int, refund_id: int) -> httpx.Response:
    """POST /refund's answer."""
    data = refund_data(status=status, amount=amount, refund_id=refund_id)
    data["currency"] = "USD"
    data["transaction"] = {"id": 690075529, "reference": payment.reference, "amount": 2500}
    return ok(data, "Refund has been queued for processing")


def charge_success(payment: Payment, amount: int = 2500) -> dict[str, Any]:
    payload = copy.deepcopy(CHARGE_SUCCESS)
    payload["data"].update(
        reference=payment.reference,
        amount=amount,
        currency="USD",
        metadata={"commerce_reference": payment.reference, "order_number": payment.order.number},
    )
    return payload


def refund_webhook(payment: Payment, event: str, amount: int | str) -> dict[str, Any]:
    status = event.removeprefix("refund.")
    payload = refund_event(event, status, amount, refund_reference=f"rrf_{amount}")
    payload["data"].update(transaction_reference=payment.reference, currency="USD")
    return payload


def deliver(payload: dict[str, Any]) -> list[WebhookEvent]:
    body, headers = signed(payload)
    return services.handle_webhook("paystack", body, headers)


def start(order, api: PaystackAPI) -> Payment:
    api.answer(initialized())
    payment = services.start_payment(order, "paystack", return_url=RETURN_URL).payment
    assert payment.status == Status.PROCESSING
    api.requests.clear()
    return payment


def paid(order, api: PaystackAPI) -> Payment:
    payment = start(order, api)
    api.answer(verified(payment))
    [record] = deliver(charge_success(payment))
    assert record.result == Result.APPLIED
    payment, order = fresh(payment)
    assert (payment.status, order.status) == (Status.CAPTURED, "paid")
    api.requests.clear()
    return payment


def verify_path(payment: Payment) -> tuple[str, str]:
    return ("GET", f"/transaction/verify/{payment.reference}")


# --- the flow every provider follows, and what the start sends -----------------------------


class TestPaystackFlows(FlowContract):
    """The flow every provider follows (:class:`tests.payments.flows.FlowContract`);
    Paystack's captures are confirmed with ``GET /transaction/verify`` first."""

    alias = "paystack"
    refund_request = ("POST", "/refund")

    @pytest.fixture(autouse=True)
    def _paystack(self, api):
        self.api = api

    def start(self, order):
        return start(order, self.api)

    def capture_webhook(self, payment):
        return signed(charge_success(payment))

    def arrange_capture_confirmation(self, payment):
        self.api.answer(verified(payment))

    def capture_confirmation_requests(self, payment):
        return [verify_path(payment)]

    def bad_webhook(self, payment, case):
        body, headers = signed(charge_success(payment))
        if case == "forged":
            headers = {"X-Paystack-Signature": paystack_sign(body, "sk_test_someone_else")}
        elif case == "tampered":  # signed for 25.00, delivered claiming another amount
            tampered = body.replace(b'"amount": 2500', b'"amount": 250000')
            assert tampered != body
            body = tampered
        else:
            headers = {}
        return body, headers

    def dispute_webhook(self, payment):
        payload = copy.deepcopy(DISPUTE_CREATE)
        payload["data"].update(refund_amount=2500, currency="USD")
        payload["data"]["transaction"].update(
            reference=payment.reference, amount=2500, currency="USD"
        )
        return signed(payload)

    def arrange_refund(self, payment, amount, *, settled):
        refund_id = 3018000 + amount
        status = "processed" if settled else "pending"
        self.api.answer(refunded(payment, status, amount, refund_id=refund_id))
        return str(refund_id)

    def arrange_refund_timeout(self):
        self.api.answer(httpx.ReadTimeout("timed out"))

    def refund_webhook(self, payment, amount, *, total):
        # Paystack's refund.processed carries this refund's amount, as a string.
        return signed(refund_webhook(payment, "refund.processed", str(amount)))

    def sent(self):
        return self.api.sent()

    def clear_requests(self):
        self.api.requests.clear()

    def while_in_flight(self, action):
        self.api.in_flight.append(action)


def test_initialize_sends_the_total_under_our_reference(order, shirt, api):
    api.answer(initialized())
    started = services.start_payment(order, "paystack", return_url=RETURN_URL)
    payment = started.payment

    [request] = api.requests
    assert (request.method, request.url.path) == ("POST", "/transaction/initialize")
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert json.loads(request.content) == {
        "email": order.email,
        "amount": 2500,
        "currency": "USD",
        "reference": payment.reference,
        "callback_url": RETURN_URL,
        "metadata": {"commerce_reference": payment.reference, "order_number": order.number},
    }
    assert payment.status == Status.PROCESSING
    assert payment.redirect_url == CHECKOUT_URL
    assert payment.gateway_reference == payment.reference
    assert payment.client_secret == ""
    assert stock(shirt) == (10, 2)


# --- webhooks that must not count ----------------------------------------------------------


# --- charges the verify API does not confirm as they claim ------------------------------------


@pytest.mark.parametrize("claimed", [2000, 2500], ids=["says-20", "says-25"])
def test_a_charge_for_less_than_the_total_is_captured_flagged_and_does_not_pay(
    order, shirt, api, claimed
):
    payment = start(order, api)
    api.answer(verified(payment, amount=2000))  # what Paystack actually charged
    [record] = deliver(charge_success(payment, amount=claimed))

    assert api.sent() == [verify_path(payment)]
    assert record.result == Result.FLAGGED
    assert record.amount == money("20.00")  # the verified amount, not the webhook's claim
    payment, order = fresh(payment)
    assert payment.status == Status.CAPTURED
    assert payment.captured_amount == money("20.00")
    assert payment.flagged
    assert payment.flag_reason == "Captured $20.00 of $25.00; the order is not paid"
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)  # still only reserved


def test_a_charge_the_verify_api_calls_failed_captures_nothing(order, shirt, api):
    payment = start(order, api)
    api.answer(verified(payment, status="failed"))
    [record] = deliver(charge_success(payment))

    assert api.sent() == [verify_path(payment)]
    # Recorded as what it claimed, and flagged for staff: a signed success the API
    # contradicts (a reversal, say) needs a person, and never pays the order.
    assert (record.type, record.result) == ("captured", Result.FLAGGED)
    assert "denies this capture" in record.reason
    payment, order = fresh(payment)
    assert payment.status == Status.PROCESSING
    assert payment.captured_amount is None
    assert payment.flagged
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)
    assert kinds(payment, "capture") == []


@pytest.mark.parametrize(
    "outage",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        refused("Service unavailable", 503),
    ],
    ids=["unreachable", "timeout", "503"],
)
def test_when_the_verify_api_cannot_answer_nothing_is_stored_and_a_redelivery_applies(
    order, shirt, api, outage
):
    payment = start(order, api)
    before = snapshot(payment, shirt)
    api.answer(outage)
    with pytest.raises(GatewayError):
        deliver(charge_success(payment))
    assert api.sent() == [verify_path(payment)]
    assert snapshot(payment, shirt) == before
    assert WebhookEvent.objects.count() == 0

    # Paystack delivers it again later: verified this time, and applied.
    api.answer(verified(payment))
    [record] = deliver(charge_success(payment))
    assert api.sent() == [verify_path(payment)] * 2
    assert (record.result, record.duplicate) == (Result.APPLIED, False)
    payment, order = fresh(payment)
    assert (payment.status, payment.captured_amount) == (Status.CAPTURED, money("25.00"))
    assert order.status == "paid"
    assert stock(shirt) == (8, 0)


# --- refunds -----------------------------------------------------------------------------


def test_a_pending_partial_refund_settled_by_refund_processed_then_the_rest(order, shirt, api):
    payment = paid(order, api)

    api.answer(refunded(payment, "pending", 1000, refund_id=3018284))
    first = services.refund_payment(payment, money("10.00"), reason="Damaged")
    [request] = api.requests
    assert (request.method, request.url.path) == ("POST", "/refund")
    assert json.loads(request.content) == {
        "transaction": payment.reference,
        "amount": 1000,
        "merchant_note": f"commerce refund {first.reference}",
    }
    assert (first.status, first.amount, first.gateway_reference) == (
        Refund.Status.PENDING,
        money("10.00"),
        "3018284",
    )
    payment, _ = fresh(payment)
    assert (payment.status, payment.refunded_amount) == (Status.CAPTURED, None)

    # Paystack's refund.processed carries this refund's amount, as a string.
    [record] = deliver(refund_webhook(payment, "refund.processed", "1000"))
    assert record.result == Result.APPLIED
    first.refresh_from_db()
    assert first.status == Refund.Status.SUCCEEDED
    payment, order = fresh(payment)
    assert payment.status == Status.PARTIALLY_REFUNDED
    assert payment.refunded_amount == money("10.00")
    assert order.status == "paid"

    api.requests.clear()
    api.answer(refunded(payment, "processed", 1500, refund_id=3018285))
    rest = services.refund_payment(payment, reason="Returned")
    assert json.loads(api.requests[0].content)["amount"] == 1500
    assert (rest.status, rest.amount) == (Refund.Status.SUCCEEDED, money("15.00"))
    payment, order = fresh(payment)
    assert payment.status == Status.REFUNDED
    assert payment.refunded_amount == money("25.00")
    assert order.status == "refunded"
    assert stock(shirt) == (8, 0)

    # Its refund.processed arrives afterwards: recorded, not counted again.
    settled = snapshot(payment, shirt)
    [late] = deliver(refund_webhook(payment, "refund.processed", "1500"))
    assert late.result == Result.IGNORED
    assert snapshot(payment, shirt) == {**settled, "webhook_events": settled["webhook_events"] + 1}
    assert Refund.objects.count() == 2


def test_refund_failed_marks_the_pending_refund_failed(order, shirt, api):
    payment = paid(order, api)
    api.answer(refunded(payment, "pending", 2500, refund_id=3018284))
    refund = services.refund_payment(payment, reason="Cancelled by the customer")
    assert refund.status == Refund.Status.PENDING
    assert json.loads(api.requests[0].content)["amount"] == 2500

    [record] = deliver(refund_webhook(payment, "refund.failed", 2500))
    assert record.result == Result.APPLIED
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert refund.failure_message.startswith("Reported by the provider")
    payment, order = fresh(payment)
    assert (payment.status, payment.refunded_amount) == (Status.CAPTURED, None)
    assert order.status == "paid"

    # The money is refundable again.
    api.requests.clear()
    api.answer(refunded(payment, "processed", 2500, refund_id=3018290))
    again = services.refund_payment(payment)
    assert again.status == Refund.Status.SUCCEEDED
    payment, order = fresh(payment)
    assert (payment.status, order.status) == (Status.REFUNDED, "refunded")


# --- reconciliation --------------------------------------------------------------------------


def test_a_verify_timeout_during_reconciliation_leaves_it_processing_until_a_later_run(
    order, shirt, api
):
    payment = start(order, api)
    api.answer(httpx.ReadTimeout("timed out"))
    report = services.reconcile_payments(older_than=0)

    assert (report.checked, report.settled, report.unsettled, report.errors) == (1, 0, 1, [])
    assert api.sent() == [verify_path(payment)]
    payment, order = fresh(payment)
    assert payment.status == Status.PROCESSING
    assert payment.captured_amount is None
    assert order.status == "pending"
    assert stock(shirt) == (10, 2)
    [answer] = payment.events.filter(kind="fetch_status")
    assert answer.data["outcome"] == "unknown"

    api.answer(verified(payment))
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.settled, report.unsettled, report.errors) == (1, 1, 0, [])
    assert api.sent() == [verify_path(payment)] * 2
    payment, order = fresh(payment)
    assert (payment.status, payment.captured_amount) == (Status.CAPTURED, money("25.00"))
    assert order.status == "paid"
    assert stock(shirt) == (8, 0)

    # Paystack's charge.success for it arrives afterwards: verified, then a no-op.
    api.answer(verified(payment))
    [late] = deliver(charge_success(payment))
    assert late.result == Result.IGNORED
    assert api.sent() == [verify_path(payment)] * 3
    assert kinds(payment, "capture") == ["capture"]
    assert stock(shirt) == (8, 0)


def test_a_start_without_an_answer_is_started_again_by_reconciliation(order, shirt, api):
    # Paystack never answered: the transaction may or may not exist, so no reference is kept.
    api.answer(httpx.ReadTimeout("timed out"))
    payment = services.start_payment(order, "paystack", return_url=RETURN_URL).payment
    assert (payment.status, payment.gateway_reference, payment.redirect_url) == (
        Status.PROCESSING,
        "",
        "",
    )
    # It did not exist: reconciliation initializes it (same reference) and the customer
    # can now be sent to Paystack's checkout; nothing is captured yet.
    api.requests.clear()
    api.answer(initialized(), verified(payment, status="abandoned"))
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.unsettled, report.errors) == (1, 1, [])
    assert api.sent() == [("POST", "/transaction/initialize"), verify_path(payment)]
    assert json.loads(api.requests[0].content)["reference"] == payment.reference
    payment, _ = fresh(payment)
    assert (payment.gateway_reference, payment.redirect_url) == (payment.reference, CHECKOUT_URL)


def test_a_start_whose_answer_was_lost_is_found_by_its_reference(order, shirt, api):
    api.answer(httpx.ReadTimeout("timed out"))
    payment = services.start_payment(order, "paystack").payment
    # It did exist (and the customer paid): Paystack refuses the second initialize as a
    # duplicate reference, and verify settles it. Never a second transaction.
    api.requests.clear()
    api.answer(refused("Duplicate Transaction Reference"), verified(payment))
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.settled, report.errors) == (1, 1, [])
    assert api.sent() == [("POST", "/transaction/initialize"), verify_path(payment)]
    payment, order = fresh(payment)
    assert (payment.status, order.status) == (Status.CAPTURED, "paid")
    assert stock(shirt) == (8, 0)
