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


# --- database-backed fixtures for the payment services and endpoints -----------------

from commerce.orders.models import Order  # noqa: E402
from commerce.payments.gateways.registry import get_gateway  # noqa: E402
from tests.orders.conftest import money, place  # noqa: E402 - re-exported


@pytest.fixture
def shirt(vendor):
    """12.50, 10 in stock."""
    from commerce.testing.factories import ProductFactory, VariantFactory

    product = ProductFactory(vendor=vendor, name="Plain shirt", slug="plain-shirt")
    return VariantFactory(product=product, sku="SHIRT-M", price=money("12.50"))


@pytest.fixture
def order(customer, shirt) -> Order:
    """Customer A's pending order: 2 shirts, 25.00 (no shipping or tax configured)."""
    return place(customer, {shirt: 2}).order


@pytest.fixture
def guest_placed(shirt):
    """A guest's pending order (1 shirt) and its access token."""
    return place(None, {shirt: 1})


@pytest.fixture
def dummy():
    return get_gateway("dummy")


def deliver(gateway, bodies: list[bytes]):
    """Hand webhook bodies to the service as the endpoint would, signed by the dummy provider."""
    from commerce.payments import services

    records = []
    for body in bodies:
        records += services.handle_webhook(gateway.alias, body, gateway.sign(body))
    return records
