"""Fakes shared by the payment tests: a payment the gateways can read without a
database, the smallest concrete gateway (for tests of the base class), and the
HTTP client of the how-to's example gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from djmoney.money import Money

from commerce.payments.gateways.base import (
    Capability,
    InitiateResult,
    OperationResult,
    Outcome,
    PaymentGateway,
)


@dataclass(frozen=True)
class FakePayment:
    """Satisfies ``commerce.payments.gateways.base.PaymentInfo`` without a database."""

    reference: str = "pay_ref_0001"
    amount: Money = field(default_factory=lambda: Money(Decimal("12.50"), "USD"))
    gateway_reference: str = ""
    captured_amount: Money | None = None
    email: str = "ada@example.com"
    order_number: str = "261122-ABCDEF"


class BareGateway(PaymentGateway):
    """A gateway that implements only what the base class requires and takes webhooks."""

    name = "bare"
    capabilities = frozenset({Capability.WEBHOOKS})

    def initiate(self, payment, *, idempotency_key, return_url=""):
        return InitiateResult(Outcome.PENDING, gateway_reference=f"bare_{payment.reference}")

    def fetch_status(self, payment):
        return OperationResult(Outcome.UNKNOWN, payment.gateway_reference)


class FakeAcmeClient:
    """Acme Pay's API as the example gateway's tests see it: canned answers by path."""

    def __init__(self, responses):
        self.responses = responses
        self.requests = []

    def post(self, path, body, *, idempotency_key):
        self.requests.append(("POST", path, body, idempotency_key))
        return self._answer(path)

    def get(self, path):
        self.requests.append(("GET", path, None, None))
        return self._answer(path)

    def _answer(self, path):
        answer = self.responses[path]
        if isinstance(answer, Exception):
            raise answer
        return answer
