"""``manage.py commerce_expire_carts``."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from commerce.cart import services
from commerce.cart.models import Cart, CartLine
from commerce.core.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def run() -> str:
    out = io.StringIO()
    call_command("commerce_expire_carts", stdout=out)
    return out.getvalue()


def key(name: str, *, expires_in: int) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        scope="user:1",
        key=name,
        fingerprint="0" * 64,
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


def test_expire_carts_deletes_old_anonymous_carts_and_expired_keys(settings, customer, shirt):
    settings.COMMERCE = {**settings.COMMERCE, "CART_TTL": 600}
    old_carts = []
    for _ in range(2):
        cart, _ = services.create_anonymous_cart()
        services.add_line(cart, variant_id=shirt.pk, quantity=1)
        old_carts.append(cart)
    fresh, token = services.create_anonymous_cart()
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=1)
    long_ago = timezone.now() - timedelta(seconds=601)
    Cart.objects.filter(pk__in=[c.pk for c in old_carts] + [user_cart.pk]).update(
        updated_at=long_ago
    )
    key("spent", expires_in=-1)
    live = key("live", expires_in=3600)

    assert run() == "Deleted 2 expired cart(s) and 1 idempotency key(s).\n"

    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh.pk, user_cart.pk}
    assert CartLine.objects.filter(cart=user_cart).count() == 1
    assert list(IdempotencyKey.objects.all()) == [live]
    assert services.find_cart(token=token) == fresh


def test_expire_carts_is_safe_to_run_again(db):
    assert run() == "Deleted 0 expired cart(s) and 0 idempotency key(s).\n"
    assert run() == "Deleted 0 expired cart(s) and 0 idempotency key(s).\n"
