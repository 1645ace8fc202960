"""Cart fixtures: a few variants in every state the cart cares about, and the cast of shoppers."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from commerce.cart import services
from commerce.catalog import services as catalog
from commerce.catalog.models import Product
from commerce.testing.factories import ProductFactory, UserFactory, VariantFactory
from tests.catalog.conftest import assert_error, money
from tests.conftest import client_for

__all__ = [
    "CAST",
    "SIGNED_IN",
    "UNAVAILABLE",
    "assert_error",
    "make_variant",
    "money",
    "token_client",
]

#: Everyone the cart API must answer correctly. "anonymous_with_token" owns ``anonymous_cart``.
CAST = [
    "anonymous",
    "anonymous_with_token",
    "customer",
    "customer_b",
    "vendor_member",
    "staff_user",
]

SIGNED_IN = ["customer", "customer_b", "vendor_member", "staff_user"]


def make_variant(sku: str, price: str = "12.50", *, currency: str = "USD", quantity=10, **kw):
    """A published product of a verified vendor with one variant ``sku``."""
    product = ProductFactory(slug=sku.lower(), name=f"Product {sku}", **kw)
    return VariantFactory(
        product=product,
        sku=sku,
        name=f"Variant {sku}",
        options={"size": "M"},
        price=money(price, currency),
        quantity=quantity,
    )


def token_client(token: str, user=None) -> APIClient:
    """A client that sends ``X-Cart-Token: token`` (signed in as ``user`` if given)."""
    client = client_for(user)
    client.credentials(HTTP_X_CART_TOKEN=token)
    return client


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


#: Fixture names of variants the cart must refuse as ``variant_unavailable``.
UNAVAILABLE = [
    "inactive_variant",
    "draft_variant",
    "archived_variant",
    "deleted_variant",
    "unverified_variant",
]


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
    """``client_as("customer")``: an API client for one member of :data:`CAST`.

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
