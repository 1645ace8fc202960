"""Fixtures for the payment tests (helpers live in ``fakes.py`` and ``flows.py``)."""

from __future__ import annotations

import pytest

from tests.payments.fakes import FakePayment


@pytest.fixture
def payment() -> FakePayment:
    return FakePayment()


# --- database-backed fixtures for the payment services and endpoints -----------------

from commerce.orders.models import Order  # noqa: E402
from commerce.payments.gateways.registry import get_gateway  # noqa: E402
from tests.helpers import money  # noqa: E402
from tests.orders.helpers import place  # noqa: E402


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
