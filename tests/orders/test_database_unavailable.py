"""A database connection that drops in the middle of a checkout.

The answer is a 503 in the error envelope, and the transaction is rolled
back: no order, no lines, no address or history rows, no stock reserved, the
cart untouched; a retry with the same ``Idempotency-Key`` then places the
order once. Each test commits its data (``transaction=True``) so checkout's
own transaction is the outermost one, as it is in production.
"""

from __future__ import annotations

import logging

import pytest
from django.db import InterfaceError, OperationalError, connection, connections

from commerce.cart.models import CartLine
from commerce.orders.models import Order, OrderEvent, OrderLine
from commerce.testing.factories import UserFactory, VariantFactory
from tests.helpers import assert_error, client_for
from tests.orders.helpers import ADDRESS, checkout, counts, fill_cart, stock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shopper():
    """A signed-in shopper with 2 of a 10-in-stock variant in the cart."""
    user = UserFactory()
    variant = VariantFactory(quantity=10)
    fill_cart(user, {variant: 2})
    return user, variant


def assert_nothing_written(before: dict, variant, user) -> None:
    assert counts() == before
    assert stock(variant) == (10, 0)
    assert CartLine.objects.filter(cart__user=user, variant=variant, quantity=2).exists()


@pytest.mark.parametrize(
    ("manager", "method", "error"),
    [
        # After the order row and the stock reservation, before its lines.
        (OrderLine.objects, "bulk_create", InterfaceError("connection already closed")),
        # After the order, its lines and the reservation, before its history row.
        (OrderEvent.objects, "create", OperationalError("server closed the connection")),
    ],
    ids=["interface-error-before-lines", "operational-error-after-lines"],
)
def test_a_dropped_connection_mid_checkout_is_a_503_and_writes_nothing(
    shopper, monkeypatch, caplog, manager, method, error
):
    user, variant = shopper
    before = counts()
    original = getattr(manager, method)
    reached = []

    def fail(*args, **kwargs):
        reached.append(Order.objects.count())  # the order row exists, uncommitted
        raise error

    monkeypatch.setattr(manager, method, fail)
    with caplog.at_level(logging.ERROR, logger="commerce.errors"):
        response = checkout(client_for(user), {"shipping_address": ADDRESS}, key="checkout-1")

    error_body = assert_error(response, 503, "service_unavailable")
    assert error_body["details"] == {}
    assert str(error) not in response.content.decode()  # no driver text to the client
    assert reached == [1]
    assert_nothing_written(before, variant, user)
    assert "Database unavailable" in caplog.text

    # The database is back: the retry with the same key places the order, once.
    monkeypatch.setattr(manager, method, original)
    retry = checkout(client_for(user), {"shipping_address": ADDRESS}, key="checkout-1")
    assert retry.status_code == 201, retry.content
    assert Order.objects.count() == 1
    assert stock(variant) == (10, 2)


@pytest.mark.postgres
def test_a_postgres_backend_terminated_mid_checkout_is_a_503_and_writes_nothing(
    shopper, monkeypatch
):
    """The real thing: another connection kills the request's server process
    (``pg_terminate_backend``) after the order, its lines and the reservation
    were written, inside the still-open transaction."""
    user, variant = shopper
    before = counts()
    original = OrderEvent.objects.create
    terminated = []

    def terminate_then_create(*args, **kwargs):
        pid = connection.connection.info.backend_pid
        killer = connections.create_connection("default")
        try:
            with killer.cursor() as cursor:
                # The timeout makes it wait until the backend has really gone.
                cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
                terminated.append(cursor.fetchone()[0])
        finally:
            killer.close()
        return original(*args, **kwargs)

    monkeypatch.setattr(OrderEvent.objects, "create", terminate_then_create)
    response = checkout(client_for(user), {"shipping_address": ADDRESS})

    assert terminated == [True]
    assert_error(response, 503, "service_unavailable")
    monkeypatch.setattr(OrderEvent.objects, "create", original)
    # Django dropped the dead connection; the next query opens a new one.
    assert_nothing_written(before, variant, user)
    retry = checkout(client_for(user), {"shipping_address": ADDRESS})
    assert retry.status_code == 201, retry.content
    assert stock(variant) == (10, 2)
