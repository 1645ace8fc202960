"""Cart fixtures: a few variants in every state the cart cares about, and the cast of shoppers."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from commerce.cart import services
from commerce.catalog import services as catalog
from commerce.catalog.models import Product
from commerce.testing.factories import ProductFactory, UserFactory, VariantFactory
from tests.cart.helpers import make_variant, token_client
from tests.helpers import client_for, money


@pytest.fixture
def customer_b(db):
    return UserFactory(email="customer-b@example.com")


@pytest.fixture
def shirt(db):
    """USD 12.50, 10 in stock."""
    return make_variant("SHIRT-M", "12.50", quantity=10)


@pytest.fixture
def mug(db):
    """USD 8.00, 3 in stock."""
    return make_variant("MUG", "8.00", quantity=3)


@pytest.fixture
def euro_book(db):
    """EUR 9.00, 5 in stock."""
    return make_variant("BOOK-EUR", "9.00", currency="EUR", quantity=5)


@pytest.fixture
def inactive_variant(db):
    product = ProductFactory(slug="half-off")
    # A second, active variant keeps the product public; only this one is off.
    VariantFactory(product=product, sku="ON", price=money("3.00"))
    variant = VariantFactory(product=product, sku="OFF", price=money("3.00"))
    return catalog.update_variant(variant, is_active=False)


@pytest.fixture
def draft_variant(db):
    return make_variant("DRAFT-1", status=Product.Status.DRAFT)


@pytest.fixture
def archived_variant(db):
    variant = make_variant("ARCHIVED-1")
    catalog.archive_product(variant.product)
    return variant


@pytest.fixture
def deleted_variant(db):
    variant = make_variant("DELETED-1")
    catalog.delete_product(variant.product)
    return variant


@pytest.fixture
def unverified_variant(unverified_vendor):
    return make_variant("UNVERIFIED-1", vendor=unverified_vendor)


@pytest.fixture
def anonymous_cart(shirt):
    """An anonymous cart holding 2 shirts: ``(cart, token)``."""
    cart, token = services.create_anonymous_cart()
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    cart.refresh_from_db()
    return cart, token


@pytest.fixture
def customer_cart(customer, shirt):
    """Customer A's cart holding 1 shirt."""
    cart, _ = services.get_or_create_cart(user=customer)
    return services.add_line(cart, variant_id=shirt.pk, quantity=1)


@pytest.fixture
def client_as(request):
    """``client_as("customer")``: an API client for one member of
    :data:`tests.cart.helpers.CAST`.

    ``anonymous_with_token`` sends the token of the ``anonymous_cart`` fixture.
    """

    def make(name: str) -> APIClient:
        if name == "anonymous":
            return APIClient()
        if name == "anonymous_with_token":
            _, token = request.getfixturevalue("anonymous_cart")
            return token_client(token)
        return client_for(request.getfixturevalue(name))

    return make
