"""Orders fixtures: two vendors' products, carts to check out, and placed orders.

Customer A is the root ``customer`` fixture; ``customer_b`` is the other
signed-in shopper who must never see or change anything of A's.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from commerce.orders import services
from commerce.testing.factories import ProductFactory, UserFactory, VariantFactory
from tests.helpers import client_for, money
from tests.orders.helpers import place


@pytest.fixture
def customer_b(db):
    return UserFactory(email="b@example.com")


@pytest.fixture
def shirt(vendor):
    """Acme's shirt: 12.50, 10 in stock."""
    product = ProductFactory(vendor=vendor, name="Plain shirt", slug="plain-shirt")
    return VariantFactory(
        product=product, sku="SHIRT-M", name="Medium", options={"size": "M"}, price=money("12.50")
    )


@pytest.fixture
def mug(other_vendor):
    """Globex's mug: 8.00, 5 in stock."""
    product = ProductFactory(vendor=other_vendor, name="Mug", slug="mug")
    return VariantFactory(product=product, sku="MUG-1", price=money("8.00"), quantity=5)


@pytest.fixture
def customer_order(customer, shirt):
    """Customer A's pending order: 2 shirts."""
    return place(customer, {shirt: 2})


@pytest.fixture
def guest_order(shirt):
    """A guest's pending order: 1 shirt."""
    return place(None, {shirt: 1})


@pytest.fixture
def mixed_order(customer, shirt, mug):
    """Customer A's order with a line from each vendor."""
    return place(customer, {shirt: 1, mug: 2})


@pytest.fixture
def actor_client(request):
    """``actor_client(name, placed)``: a client for a member of
    :data:`tests.orders.helpers.CAST`.

    ``placed`` (a :class:`~commerce.orders.services.PlacedOrder`) gives the
    guests their token.
    """

    def make(name: str, placed: services.PlacedOrder | None = None) -> APIClient:
        if name == "anonymous":
            return APIClient()
        if name == "guest_with_token":
            client = APIClient()
            client.credentials(HTTP_X_ORDER_TOKEN=placed.access_token)
            return client
        if name == "guest_without_token":
            client = APIClient()
            client.credentials(HTTP_X_ORDER_TOKEN="not-the-token")
            return client
        return client_for(request.getfixturevalue(name))

    return make
