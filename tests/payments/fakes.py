"""Fakes shared by the payment tests: a payment the gateways can read without a
database, and the smallest concrete gateway (for tests of the base class)."""

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
