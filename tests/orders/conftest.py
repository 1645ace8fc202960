"""Orders fixtures: two vendors' products, carts to check out, and placed orders.

Customer A is the root ``customer`` fixture; ``customer_b`` is the other
signed-in shopper who must never see or change anything of A's.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money
from rest_framework.test import APIClient

from commerce.cart import services as cart_services
from commerce.catalog.models import StockMovement, StockRecord
from commerce.orders import services
from commerce.orders.models import Order, OrderAddress, OrderEvent, OrderLine
from commerce.testing.factories import ProductFactory, UserFactory, VariantFactory
from tests.catalog.conftest import assert_error  # noqa: F401 - re-exported for the tests
from tests.conftest import client_for

CHECKOUT = "/api/v1/checkout/"
ORDERS = "/api/v1/orders/"
VENDOR_ORDERS = "/api/v1/vendor/orders/"
ADDRESSES = "/api/v1/addresses/"

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Loop Road",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}
BILLING = {
    "full_name": "Ada Accounts",
    "company": "Analytical Ltd",
    "line1": "2 Engine Street",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}

#: Everyone the order endpoints must answer correctly. ``guest_with_token`` is an
#: anonymous client sending the order's ``X-Order-Token``; ``guest_without_token``
#: one sending a wrong token.
CAST = [
    "anonymous",
    "customer",
    "customer_b",
    "guest_with_token",
    "guest_without_token",
    "vendor_member",
    "other_vendor_member",
    "staff_user",
]


def money(amount: str, currency: str = "USD") -> Money:
    return Money(Decimal(amount), currency)


def order_url(order_or_number, suffix: str = "") -> str:
    number = getattr(order_or_number, "number", order_or_number)
    return f"{ORDERS}{number}/{suffix}"


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


def fill_cart(user=None, lines=None):
    """A cart holding ``lines`` (``{variant: quantity}``); returns ``(cart, token)``.

    ``token`` is ``None`` for a signed-in user's cart.
    """
    cart, token = cart_services.get_or_create_cart(user=user)
    for variant, quantity in (lines or {}).items():
        cart = cart_services.add_line(cart, variant_id=variant.pk, quantity=quantity)
    return cart, token


def checkout(client: APIClient, body: dict, *, token: str | None = None, key: str | None = None):
    headers = {}
    if token:
        headers["HTTP_X_CART_TOKEN"] = token
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(CHECKOUT, body, format="json", **headers)


def place(user=None, lines=None, **kwargs) -> services.PlacedOrder:
    """Place an order through the service (A's if ``user`` is A, a guest's if ``None``)."""
    cart, _ = fill_cart(user, lines)
    kwargs.setdefault("shipping_address", ADDRESS)
    if user is None:
        kwargs.setdefault("email", "guest@example.com")
    return services.place_order(cart=cart, user=user, **kwargs)


def pay(order: Order) -> Order:
    return services.mark_order_paid(order)


def stock(variant) -> tuple[int, int]:
    """``(quantity, reserved)`` of a variant, fresh from the database."""
    record = StockRecord.objects.get(variant=variant)
    return record.quantity, record.reserved


def counts() -> dict[str, int]:
    """Row counts of everything checkout writes, to prove a refusal wrote nothing."""
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "addresses": OrderAddress.objects.count(),
        "events": OrderEvent.objects.count(),
        "movements": StockMovement.objects.count(),
        "reserved": sum(StockRecord.objects.values_list("reserved", flat=True)),
    }


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
    """``actor_client(name, placed)``: a client for a member of :data:`CAST`.

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
