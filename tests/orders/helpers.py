"""Orders test helpers: endpoints, addresses, the cast, and orders placed through the services."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from commerce.catalog.models import StockMovement, StockRecord
from commerce.orders import services
from commerce.orders.models import Order, OrderAddress, OrderEvent, OrderLine
from tests.cart.helpers import fill_cart

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


def order_url(order_or_number, suffix: str = "") -> str:
    number = getattr(order_or_number, "number", order_or_number)
    return f"{ORDERS}{number}/{suffix}"


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


def count_queries(call) -> int:
    """How many queries ``call()`` makes; its response must be a 200 or a 201."""
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code in (200, 201), response.json()
    return len(queries)
