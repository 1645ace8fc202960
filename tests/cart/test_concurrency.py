"""Concurrent writes to one cart, on real row locks (PostgreSQL only).

Each test commits its data (``transaction=True``) and sends requests from
several threads, each on its own database connection, closed at the end.
"""

from __future__ import annotations

import pytest
from django.db import connection

from commerce.cart import services
from commerce.cart.models import Cart, CartLine
from commerce.testing.factories import UserFactory
from tests.cart.helpers import make_variant, token_client
from tests.helpers import client_for
from tests.threads import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LINES = "/api/v1/cart/lines/"
MERGE = "/api/v1/cart/merge/"
THREADS = 8


def statuses(results) -> list:
    return [value.status_code if kind == "ok" else repr(value) for kind, value in results]


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_concurrent_adds_to_one_anonymous_cart_add_up():
    variant = make_variant("RACE", "5.00", quantity=100)
    cart, token = services.create_anonymous_cart()

    def add():
        return token_client(token).post(
            LINES, {"variant": str(variant.pk), "quantity": 2}, format="json"
        )

    results = run_in_threads([add for _ in range(THREADS)])

    assert statuses(results) == [201] * THREADS
    line = CartLine.objects.get(cart=cart)
    assert line.quantity == 2 * THREADS
    assert Cart.objects.get(pk=cart.pk).revision == THREADS
    assert Cart.objects.count() == 1


def test_concurrent_first_adds_of_a_signed_in_user_make_one_cart(customer):
    variants = [make_variant(f"RACE-{n}", "5.00", quantity=100) for n in range(THREADS)]

    def adder(variant):
        # Half add the same variant, half their own: line creation and growth race too.
        target = variants[0] if variants.index(variant) % 2 else variant
        return lambda: client_for(customer).post(
            LINES, {"variant": str(target.pk), "quantity": 1}, format="json"
        )

    results = run_in_threads([adder(variant) for variant in variants])

    assert statuses(results) == [201] * THREADS
    cart = Cart.objects.get(user=customer)
    assert Cart.objects.count() == 1
    assert cart.revision == THREADS
    quantities = dict(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))
    assert sum(quantities.values()) == THREADS
    assert quantities["RACE-0"] == 1 + THREADS // 2
    assert all(body["item_count"] <= THREADS for body in (value.json() for _, value in results))


def test_concurrent_adds_never_exceed_stock():
    variant = make_variant("SCARCE", "5.00", quantity=5)
    cart, token = services.create_anonymous_cart()

    def add():
        return token_client(token).post(LINES, {"variant": str(variant.pk)}, format="json")

    results = run_in_threads([add for _ in range(THREADS)])

    assert sorted(statuses(results)) == [201] * 5 + [400] * (THREADS - 5)
    for _, response in results:
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "insufficient_stock"
    assert CartLine.objects.get(cart=cart).quantity == 5


def test_one_anonymous_cart_merged_by_several_users_at_once_moves_once():
    variant = make_variant("MERGE-ME", "5.00", quantity=100)
    cart, token = services.create_anonymous_cart()
    services.add_line(cart, variant_id=variant.pk, quantity=3)
    users = [UserFactory(email=f"racer{n}@example.com") for n in range(4)]

    def merge(user):
        return lambda: client_for(user).post(MERGE, {"token": token}, format="json")

    results = run_in_threads([merge(user) for user in users])

    # The losers find the cart gone once the winner commits: a clean 404, not a 500.
    assert sorted(statuses(results)) == [200, 404, 404, 404]
    for _, response in results:
        if response.status_code == 404:
            assert response.json()["error"]["code"] == "cart_not_found"
    assert not Cart.objects.filter(pk=cart.pk).exists()
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [3]
