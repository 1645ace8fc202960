"""Paystack as the tests see it: its API answers and webhook payloads as Paystack
documents them, a fake ``httpx`` transport that records requests, and HMAC-SHA512
signatures made with the secret key."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from commerce.payments.gateways.paystack import (
    PaystackGateway,
)

SECRET = "sk_test_0123456789abcdef0123456789abcdef01234567"
REFERENCE = "cmrc-pay-0001"


class FakePaystack:
    """An ``httpx.MockTransport`` handler that records every request it receives."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        return response

    @property
    def only_request(self) -> httpx.Request:
        assert len(self.requests) == 1, f"expected one request, got {len(self.requests)}"
        return self.requests[0]


def ok(data, message="OK"):
    return httpx.Response(200, json={"status": True, "message": message, "data": data})


def refused(message, status=400, **extra):
    return httpx.Response(status, json={"status": False, "message": message, **extra})


def build(fake=None, **options) -> PaystackGateway:
    options.setdefault("secret_key", SECRET)
    if fake is not None:
        options["transport"] = httpx.MockTransport(fake)
    return PaystackGateway(alias="paystack", options=options)


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def signed(payload) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"X-Paystack-Signature": sign(body)}


def verify_data(status="success", amount=150050, currency="NGN", **extra):
    """``data`` of GET /transaction/verify, as Paystack documents it."""
    return {
        "id": 690075529,
        "domain": "test",
        "status": status,
        "reference": REFERENCE,
        "amount": amount,
        "message": None,
        "gateway_response": "Successful" if status == "success" else "Declined",
        "paid_at": "2026-11-20T12:30:56.000Z" if status == "success" else None,
        "created_at": "2026-11-20T12:26:44.000Z",
        "channel": "card",
        "currency": currency,
        "metadata": {"commerce_reference": REFERENCE, "order_number": "261122-ABCDEF"},
        "fees": 300,
        "customer": {"email": "ada@example.com", "customer_code": "CUS_xxxxxxxxxxx"},
        "requested_amount": amount,
        **extra,
    }


def refund_data(status="pending", amount=150050, refund_id=3018284):
    """``data`` of POST /refund, as Paystack documents it."""
    return {
        "transaction": {"id": 690075529, "reference": REFERENCE, "amount": 150050},
        "integration": 412829,
        "deducted_amount": 0,
        "channel": None,
        "merchant_note": "commerce refund refund-key-1",
        "customer_note": f"Refund for transaction {REFERENCE}",
        "status": status,
        "refunded_by": "ops@example.com",
        "expected_at": "2026-12-07T09:21:17.016Z",
        "currency": "NGN",
        "domain": "test",
        "amount": amount,
        "fully_deducted": False,
        "id": refund_id,
        "createdAt": "2026-11-22T09:21:17.122Z",
        "updatedAt": "2026-11-22T09:21:17.122Z",
    }


CHARGE_SUCCESS = {
    "event": "charge.success",
    "data": {
        "id": 302961,
        "domain": "live",
        "status": "success",
        "reference": REFERENCE,
        "amount": 150050,
        "message": None,
        "gateway_response": "Approved by Financial Institution",
        "paid_at": "2026-11-22T21:10:19.000Z",
        "created_at": "2026-11-22T21:09:56.000Z",
        "channel": "card",
        "currency": "NGN",
        "ip_address": "41.242.49.37",
        "metadata": {"commerce_reference": REFERENCE, "order_number": "261122-ABCDEF"},
        "fees": None,
        "customer": {
            "id": 68324,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "customer_code": "CUS_qo38as2hpsgk2r0",
            "phone": None,
            "metadata": None,
            "risk_action": "default",
        },
        "authorization": {
            "authorization_code": "AUTH_f5rnfq9p",
            "bin": "539999",
            "last4": "8877",
            "exp_month": "08",
            "exp_year": "2030",
            "card_type": "mastercard DEBIT",
            "bank": "Guaranty Trust Bank",
            "country_code": "NG",
            "brand": "mastercard",
            "account_name": "Ada Lovelace",
        },
        "plan": {},
    },
}


def refund_event(event, status, amount, refund_reference=None):
    return {
        "event": event,
        "data": {
            "status": status,
            "transaction_reference": REFERENCE,
            "refund_reference": refund_reference,
            "amount": amount,
            "currency": "NGN",
            "processor": "instant-transfer",
            "customer": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
            "integration": 412829,
            "domain": "live",
        },
    }


DISPUTE_CREATE = {
    "event": "charge.dispute.create",
    "data": {
        "id": 358950,
        "refund_amount": 150050,
        "currency": "NGN",
        "status": "awaiting-merchant-feedback",
        "resolution": None,
        "domain": "live",
        "transaction": {
            "id": 896467688,
            "status": "success",
            "reference": REFERENCE,
            "amount": 150050,
            "currency": "NGN",
            "paid_at": "2026-11-22T13:45:57.000Z",
        },
        "transaction_reference": None,
        "category": "chargeback",
        "customer": {"email": "ada@example.com"},
        "dueAt": "2026-11-25T18:00:00.000Z",
        "history": [{"status": "pending", "by": "ada@example.com"}],
        "created_at": "2026-11-24T13:46:57.000Z",
        "updated_at": "2026-11-24T18:00:02.000Z",
    },
}
