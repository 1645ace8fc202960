"""The payment endpoints: start, read, refresh, staff operations, webhooks, the dummy's page."""

from __future__ import annotations

import json
import time

import pytest
from rest_framework.test import APIClient

from commerce.catalog.models import StockRecord
from commerce.orders.models import Order
from commerce.orders.services import mark_order_paid
from commerce.payments import services
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, PaymentEvent, WebhookEvent
from commerce.testing.factories import UserFactory
from tests.helpers import assert_error, client_for, money
from tests.payments.flows import deliver

pytestmark = pytest.mark.django_db


def start_url(order) -> str:
    return f"/api/v1/orders/{order.number}/payments/"


def payment_url(payment, suffix: str = "") -> str:
    return f"/api/v1/payments/{payment.reference}/{suffix}"


def start(client, order, body=None, **headers):
    body = {"gateway": "dummy"} if body is None else body
    return client.post(start_url(order), body, format="json", **headers)


def confirm(payment, choice="succeed"):
    return APIClient().post(
        f"/api/v1/payments/dummy/{payment.gateway_reference}/confirm/",
        {"choice": choice},
        format="json",
    )


# --- starting a payment -----------------------------------------------------------------


def test_the_owner_starts_a_payment_for_the_server_computed_total(customer, order):
    response = start(
        client_for(customer), order, {"gateway": "dummy", "return_url": "https://shop.test/done"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["order"] == order.number
    assert body["status"] == "processing"
    assert body["amount"] == {"amount": "25.00", "currency": "USD"}
    assert body["next_action"]["client_secret"] == ""
    assert body["next_action"]["redirect_url"].startswith(
        f"/api/v1/payments/dummy/dummy_{body['reference']}/confirm/?return_url="
    )
    assert "flagged" not in body
    assert "gateway_reference" not in body


def test_a_guest_starts_a_payment_with_the_order_token(guest_placed):
    order = guest_placed.order
    response = start(APIClient(), order, HTTP_X_ORDER_TOKEN=guest_placed.access_token)
    assert response.status_code == 201, response.content
    assert Payment.objects.get().order == order


@pytest.mark.parametrize("who", ["anonymous", "customer_b", "staff_user", "wrong_token"])
def test_nobody_else_can_start_a_payment(request, order, who):
    if who == "anonymous":
        response = start(APIClient(), order)
    elif who == "wrong_token":
        response = start(APIClient(), order, HTTP_X_ORDER_TOKEN="0" * 64)
    else:
        user = UserFactory() if who == "customer_b" else request.getfixturevalue(who)
        response = start(client_for(user), order)
    assert_error(response, 404, "not_found")
    assert not Payment.objects.exists()


def test_an_idempotency_key_replays_the_same_payment(customer, order):
    client = client_for(customer)
    first = start(client, order, HTTP_IDEMPOTENCY_KEY="pay-1")
    second = start(client, order, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["reference"] == second.json()["reference"]
    assert Payment.objects.count() == 1
    other = start(client, order, {"gateway": "dummy_manual"}, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert_error(other, 422, "idempotency_key_reused")
    assert_error(start(client, order, HTTP_IDEMPOTENCY_KEY=" "), 400)
    assert_error(start(client, order, HTTP_IDEMPOTENCY_KEY="k" * 256), 400)


def test_a_new_payment_cancels_the_pending_one(customer, order):
    client = client_for(customer)
    first = start(client, order).json()
    second = start(client, order, {"gateway": "dummy_manual"}).json()
    assert first["reference"] != second["reference"]
    statuses = dict(Payment.objects.values_list("reference", "status"))
    assert statuses == {first["reference"]: "cancelled", second["reference"]: "processing"}
    # The dummy provider released the old one: confirming it now does nothing.
    old = Payment.objects.get(reference=first["reference"])
    assert get_gateway("dummy").provider_state(old.gateway_reference)["status"] == "cancelled"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"gateway": "nope"}, "unknown_gateway"),
        ({}, "invalid"),
        ({"gateway": "dummy", "amount": "1.00"}, "invalid"),
        ({"gateway": "dummy", "return_url": "not a url"}, "invalid"),
    ],
)
def test_bad_start_requests_are_400s(customer, order, body, code):
    assert_error(start(client_for(customer), order, body), 400, code)
    assert not Payment.objects.exists()


def test_a_gateway_that_refuses_the_currency_is_a_400(customer, order):
    # Paystack does not take EUR... nor anything but its own list; USD it does.
    order.currency = "EUR"
    Order.objects.filter(pk=order.pk).update(currency="EUR")
    response = start(client_for(customer), order, {"gateway": "paystack"})
    assert_error(response, 400, "unsupported_amount")
    assert not Payment.objects.exists()


def test_a_paid_order_is_not_payable(customer, order):
    mark_order_paid(order)
    assert_error(start(client_for(customer), order), 409, "order_not_payable")


def test_an_authorized_payment_blocks_another(customer, order):
    client = client_for(customer)
    payment = Payment.objects.get(
        reference=start(client, order, {"gateway": "dummy_manual"}).json()["reference"]
    )
    deliver(
        get_gateway("dummy_manual"),
        get_gateway("dummy_manual").confirm(payment.gateway_reference, "succeed"),
    )
    assert_error(start(client, order), 409, "order_not_payable")


# --- reading and refreshing --------------------------------------------------------------


@pytest.fixture
def payment(order) -> Payment:
    return services.start_payment(order, "dummy").payment


def test_the_owner_guest_token_and_staff_read_a_payment(payment, customer, staff_user, order):
    assert client_for(customer).get(payment_url(payment)).status_code == 200
    staff_body = client_for(staff_user).get(payment_url(payment)).json()
    assert staff_body["gateway_reference"] == payment.gateway_reference
    assert staff_body["flagged"] is False


def test_others_get_404_for_a_payment(payment):
    assert_error(client_for(UserFactory()).get(payment_url(payment)), 404)
    assert_error(APIClient().get(payment_url(payment)), 404)
    assert_error(APIClient().get(payment_url(payment), HTTP_X_ORDER_TOKEN="x"), 404)
    assert_error(APIClient().get("/api/v1/payments/pay_nope/"), 404)


def test_a_guest_reads_with_the_order_token(guest_placed):
    payment = services.start_payment(guest_placed.order, "dummy").payment
    response = APIClient().get(payment_url(payment), HTTP_X_ORDER_TOKEN=guest_placed.access_token)
    assert response.status_code == 200
    assert response.json()["reference"] == payment.reference


def test_refresh_pulls_the_outcome_when_the_webhook_never_came(payment, customer, order, dummy):
    dummy.confirm(payment.gateway_reference, "succeed")  # the webhook bodies are dropped
    response = client_for(customer).post(payment_url(payment, "refresh/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "captured"
    assert response.json()["next_action"] is None
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


# --- the dummy's confirmation page -----------------------------------------------------------


def test_confirming_on_the_dummy_page_pays_the_order(payment, order, shirt):
    page = APIClient().get(f"/api/v1/payments/dummy/{payment.gateway_reference}/confirm/")
    assert page.status_code == 200
    assert b'value="succeed"' in page.content
    assert b"25.00 USD" in page.content
    response = confirm(payment)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "captured"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    stock = StockRecord.objects.get(variant=shirt)
    assert (stock.quantity, stock.reserved) == (8, 0)
    assert WebhookEvent.objects.get().result == WebhookEvent.Result.APPLIED


def test_the_dummy_page_from_a_browser_links_back_only_to_this_site(payment):
    url = f"/api/v1/payments/dummy/{payment.gateway_reference}/confirm/"
    evil = APIClient().post(
        url, {"choice": "fail", "return_url": "https://evil.example/"}, HTTP_ACCEPT="text/html"
    )
    assert evil.status_code == 200
    assert b"evil.example" not in evil.content
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED


def test_the_dummy_page_refuses_bad_choices_and_unknown_payments(payment):
    assert_error(confirm(payment, "maybe"), 400)
    assert_error(APIClient().get("/api/v1/payments/dummy/dummy_nope/confirm/"), 404)


def test_the_dummy_page_does_not_serve_other_gateways_payments(order):
    payment = Payment.objects.create(
        order=order, gateway="stripe", amount=order.total, gateway_reference="pi_123"
    )
    assert_error(APIClient().get("/api/v1/payments/dummy/pi_123/confirm/"), 404)
    assert payment.status == Payment.Status.PENDING


# --- webhooks ------------------------------------------------------------------------------


def webhook(alias, body: bytes, headers: dict, client=None):
    client = client or APIClient()
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(
        f"/api/v1/payments/webhooks/{alias}/", data=body, content_type="application/json", **extra
    )


def test_a_signed_webhook_is_applied_once(payment, dummy, order):
    (body,) = dummy.confirm(payment.gateway_reference, "succeed")
    client = APIClient(enforce_csrf_checks=True)
    first = webhook("dummy", body, dummy.sign(body), client)
    assert first.status_code == 200, first.content
    assert first.json()["events"][0]["result"] == "applied"
    assert first.json()["events"][0]["duplicate"] is False
    again = webhook("dummy", body, dummy.sign(body), client)
    assert again.status_code == 200
    assert again.json()["events"][0]["duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert PaymentEvent.objects.filter(kind="capture").count() == 1


@pytest.mark.parametrize("attack", ["forged", "tampered", "stale", "unsigned"])
def test_unverified_webhooks_are_400_and_store_nothing(payment, dummy, order, attack):
    (body,) = dummy.confirm(payment.gateway_reference, "succeed")
    headers = dummy.sign(body)
    if attack == "forged":
        headers = {"X-Dummy-Signature": f"t={int(time.time())},v1={'0' * 64}"}
    elif attack == "tampered":
        data = json.loads(body)
        data["amount"] = 1
        body = json.dumps(data, separators=(",", ":")).encode()
    elif attack == "stale":
        headers = dummy.sign(body, timestamp=int(time.time()) - 3600)
    else:
        headers = {}
    events_before = PaymentEvent.objects.count()
    response = webhook("dummy", body, headers)
    assert_error(response, 400, "invalid_webhook")
    assert not WebhookEvent.objects.exists()
    assert PaymentEvent.objects.count() == events_before
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PROCESSING


def test_a_webhook_for_an_unknown_alias_is_404(dummy):
    body = b"{}"
    assert_error(webhook("nope", body, dummy.sign(body)), 404)


def test_a_webhook_for_an_unknown_payment_is_a_recorded_no_op(dummy):
    body = dummy.event_body("captured", "dummy_pay_unknown", 2500, "USD")
    response = webhook("dummy", body, dummy.sign(body))
    assert response.status_code == 200
    assert response.json()["events"][0]["result"] == "unknown_payment"
    assert WebhookEvent.objects.get().result == WebhookEvent.Result.UNKNOWN_PAYMENT


def test_a_webhook_for_less_than_the_total_does_not_pay_the_order(payment, dummy, order):
    body = dummy.event_body("captured", payment.gateway_reference, 1000, "USD")
    response = webhook("dummy", body, dummy.sign(body))
    assert response.json()["events"][0]["result"] == "flagged"
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert payment.captured_amount == money("10.00")
    assert payment.flagged
    assert order.status == Order.Status.PENDING


def test_a_failure_after_the_capture_is_ignored(payment, dummy, order):
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    body = dummy.event_body("failed", payment.gateway_reference, 2500, "USD")
    response = webhook("dummy", body, dummy.sign(body))
    assert response.json()["events"][0]["result"] == "ignored"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED


# --- staff operations ------------------------------------------------------------------------


@pytest.fixture
def authorized(order) -> Payment:
    gateway = get_gateway("dummy_manual")
    payment = services.start_payment(order, "dummy_manual").payment
    deliver(gateway, gateway.confirm(payment.gateway_reference, "succeed"))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED
    return payment


def test_staff_capture_in_part(authorized, staff_user, order):
    response = client_for(staff_user).post(
        payment_url(authorized, "capture/"),
        {"amount": {"amount": "20.00", "currency": "USD"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "captured"
    assert body["captured_amount"] == {"amount": "20.00", "currency": "USD"}
    assert body["flagged"] is True  # less than the order total: staff decide
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_staff_capture_in_full_pays_the_order(authorized, staff_user, order):
    response = client_for(staff_user).post(payment_url(authorized, "capture/"), {}, format="json")
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_capture_checks_amount_and_state(authorized, staff_user):
    client = client_for(staff_user)
    too_much = client.post(
        payment_url(authorized, "capture/"),
        {"amount": {"amount": "30.00", "currency": "USD"}},
        format="json",
    )
    assert_error(too_much, 400, "invalid_amount")
    euros = client.post(
        payment_url(authorized, "capture/"),
        {"amount": {"amount": "5.00", "currency": "EUR"}},
        format="json",
    )
    assert_error(euros, 400, "currency_mismatch")
    client.post(payment_url(authorized, "capture/"), {}, format="json")
    again = client.post(payment_url(authorized, "capture/"), {}, format="json")
    error = assert_error(again, 409, "invalid_transition")
    assert error["details"]["status"] == "captured"


@pytest.mark.parametrize("action", ["capture/", "cancel/", "refunds/"])
def test_staff_operations_are_staff_only(authorized, customer, action):
    response = client_for(customer).post(payment_url(authorized, action), {}, format="json")
    assert_error(response, 403)
    assert_error(APIClient().post(payment_url(authorized, action), {}, format="json"), 401)


def test_staff_cancel_voids_at_the_provider(authorized, staff_user):
    response = client_for(staff_user).post(payment_url(authorized, "cancel/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    state = get_gateway("dummy_manual").provider_state(authorized.gateway_reference)
    assert state["status"] == "cancelled"


def test_staff_refunds_and_never_beyond_the_capture(payment, dummy, staff_user, order):
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    client = client_for(staff_user)
    url = payment_url(payment, "refunds/")
    partial = client.post(
        url, {"amount": {"amount": "5.00", "currency": "USD"}, "reason": "Scratch"}, format="json"
    )
    assert partial.status_code == 201, partial.content
    assert partial.json()["status"] == "succeeded"
    too_much = client.post(
        url, {"amount": {"amount": "20.01", "currency": "USD"}, "reason": "x"}, format="json"
    )
    error = assert_error(too_much, 400, "refund_exceeds_captured")
    assert error["details"]["refundable"] == "20.00"
    assert_error(client.post(url, {}, format="json"), 400)  # a reason is required
    rest = client.post(url, {"reason": "Returned"}, format="json")
    assert rest.status_code == 201
    assert rest.json()["amount"] == {"amount": "20.00", "currency": "USD"}
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    detail = client.get(payment_url(payment)).json()
    assert detail["status"] == "refunded"
    assert [r["amount"]["amount"] for r in detail["refunds"]] == ["5.00", "20.00"]


def test_refunding_an_uncaptured_payment_is_a_409(payment, staff_user):
    response = client_for(staff_user).post(
        payment_url(payment, "refunds/"), {"reason": "x"}, format="json"
    )
    assert_error(response, 409, "invalid_transition")


def test_a_refund_retried_with_its_idempotency_key_refunds_once(payment, dummy, staff_user):
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    client = client_for(staff_user)
    url = payment_url(payment, "refunds/")
    body = {"amount": {"amount": "5.00", "currency": "USD"}, "reason": "Scratch"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["reference"] == again.json()["reference"]
    assert payment.refunds.count() == 1
    assert dummy.provider_state(payment.gateway_reference)["refunded"] == 500
    other = {"amount": {"amount": "6.00", "currency": "USD"}, "reason": "Scratch"}
    reused = client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    assert_error(reused, 422, "idempotency_key_reused")
    # Another key is another refund.
    second = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-2")
    assert second.status_code == 201
    assert payment.refunds.count() == 2
