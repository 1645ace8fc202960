"""Shared helpers for the gateway tests: a plain payment the gateways can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from djmoney.money import Money


@dataclass(frozen=True)
class FakePayment:
    """Satisfies ``commerce.payments.gateways.base.PaymentInfo`` without a database."""

    reference: str = "pay_ref_0001"
    amount: Money = field(default_factory=lambda: Money(Decimal("12.50"), "USD"))
    gateway_reference: str = ""
    captured_amount: Money | None = None
    email: str = "ada@example.com"
    order_number: str = "261122-ABCDEF"


@pytest.fixture
def payment() -> FakePayment:
    return FakePayment()
