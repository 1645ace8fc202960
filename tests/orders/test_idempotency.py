"""``Idempotency-Key`` on checkout: replays, reuse with another body, scopes, expiry, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from commerce.catalog import services as catalog_services
from commerce.core.idempotency import REPLAY_HEADER, delete_expired_keys
from commerce.core.models import IdempotencyKey
from commerce.orders.models import Order
from tests.helpers import assert_error, client_for
from tests.orders.helpers import ADDRESS, checkout, counts, fill_cart, stock

pytestmark = pytest.mark.django_db

BODY = {"shipping_address": ADDRESS}
GUEST_BODY = {"shipping_address": ADDRESS, "email": "guest@example.com"}


def test_a_replay_returns_the_first_response_and_creates_nothing(customer, shirt):
    fill_cart(customer, {shirt: 2})
    client = client_for(customer)
    first = checkout(client, BODY, key="order-1")
    assert first.status_code == 201
    assert REPLAY_HEADER not in first
    before = counts()

    # The cart is empty now: without the key this would be a 400.
    again = checkout(client, BODY, key="order-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again[REPLAY_HEADER] == "true"
    assert counts() == before
    assert Order.objects.count() == 1
    assert stock(shirt) == (10, 2)


def test_a_replayed_guest_checkout_returns_the_access_token(api_client, shirt):
    _, token = fill_cart(None, {shirt: 1})
    first = checkout(api_client, GUEST_BODY, token=token, key="guest-1").json()
    again = checkout(api_client, GUEST_BODY, token=token, key="guest-1").json()
    assert again["access_token"] == first["access_token"]
    response = api_client.get(
        f"/api/v1/orders/{again['number']}/", HTTP_X_ORDER_TOKEN=again["access_token"]
    )
    assert response.status_code == 200
    # The stored response never holds the credential; the replay recomputes it.
    stored = IdempotencyKey.objects.get(key="guest-1")
    assert "access_token" not in stored.response_body
    assert first["access_token"] not in str(stored.response_body)


def test_the_body_is_compared_as_data_not_as_text(customer, shirt):
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    first = checkout(client, {"note": "", **BODY}, key="k")
    again = checkout(client, {**BODY, "note": ""}, key="k")
    assert again.status_code == 201
    assert again.json()["number"] == first.json()["number"]


def test_the_same_key_with_another_body_is_a_422(customer, shirt):
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    checkout(client, BODY, key="order-1")
    fill_cart(customer, {shirt: 1})
    before = counts()
    error = assert_error(
        checkout(client, {**BODY, "note": "Leave at the door"}, key="order-1"),
        422,
        "idempotency_key_reused",
    )
    assert error["details"] == {"key": "order-1"}
    assert counts() == before
    assert Order.objects.count() == 1


def test_a_key_without_whitespace_is_the_same_key(customer, shirt):
    fill_cart(customer, {shirt: 1})
    client = client_for(customer)
    first = checkout(client, BODY, key="order-1")
    again = checkout(client, BODY, key="  order-1  ")
    assert again[REPLAY_HEADER] == "true"
    assert again.json() == first.json()


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_a_key_must_be_1_to_255_characters(customer, shirt, key):
    fill_cart(customer, {shirt: 1})
    before = counts()
    error = assert_error(checkout(client_for(customer), BODY, key=key), 400, "invalid")
    assert "Idempotency-Key" in error["details"]
    assert counts() == before
    assert not IdempotencyKey.objects.exists()


def test_a_key_of_255_characters_is_accepted(customer, shirt):
    fill_cart(customer, {shirt: 1})
    response = checkout(client_for(customer), BODY, key="k" * 255)
    assert response.status_code == 201
    assert IdempotencyKey.objects.get().key == "k" * 255


# --- scopes ----------------------------------------------------------------------------------


def test_keys_are_scoped_to_the_user(customer, customer_b, shirt):
    fill_cart(customer, {shirt: 1})
    fill_cart(customer_b, {shirt: 1})
    a = checkout(client_for(customer), BODY, key="same")
    b = checkout(client_for(customer_b), BODY, key="same")
    assert (a.status_code, b.status_code) == (201, 201)
    assert REPLAY_HEADER not in b
    assert a.json()["number"] != b.json()["number"]
    assert Order.objects.get(number=b.json()["number"]).user == customer_b
    assert IdempotencyKey.objects.count() == 2


def test_keys_are_scoped_to_the_anonymous_cart(api_client, customer, shirt):
    fill_cart(customer, {shirt: 1})
    _, token_1 = fill_cart(None, {shirt: 1})
    _, token_2 = fill_cart(None, {shirt: 1})
    numbers = {
        checkout(client_for(customer), GUEST_BODY, key="same").json()["number"],
        checkout(api_client, GUEST_BODY, token=token_1, key="same").json()["number"],
        checkout(api_client, GUEST_BODY, token=token_2, key="same").json()["number"],
    }
    assert len(numbers) == 3
    assert stock(shirt) == (10, 3)


def test_a_user_cannot_replay_a_guests_response(api_client, customer, shirt):
    """A signed-in user sending a guest's cart token is scoped to the user, not the cart."""
    _, token = fill_cart(None, {shirt: 1})
    guest = checkout(api_client, GUEST_BODY, token=token, key="k").json()
    fill_cart(customer, {shirt: 1})
    mine = checkout(client_for(customer), GUEST_BODY, token=token, key="k")
    assert mine.status_code == 201
    assert REPLAY_HEADER not in mine
    assert mine.json()["access_token"] != guest["access_token"]


# --- expiry and failures ---------------------------------------------------------------------


def test_an_expired_key_can_be_used_again(customer, shirt, settings):
    client = client_for(customer)
    fill_cart(customer, {shirt: 1})
    with override_settings(COMMERCE={**settings.COMMERCE, "IDEMPOTENCY_KEY_TTL": 60}):
        first = checkout(client, BODY, key="k").json()
        record = IdempotencyKey.objects.get()
        assert timedelta(seconds=59) < record.expires_at - timezone.now() <= timedelta(seconds=60)
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    fill_cart(customer, {shirt: 1})
    # A different body is not a 422 any more: the old key is forgotten.
    again = checkout(client, {**BODY, "note": "second"}, key="k")
    assert again.status_code == 201, again.json()
    assert REPLAY_HEADER not in again
    assert again.json()["number"] != first["number"]
    assert IdempotencyKey.objects.count() == 1
    assert Order.objects.count() == 2


def test_keys_are_kept_for_the_configured_ttl_by_default(customer, shirt):
    fill_cart(customer, {shirt: 1})
    checkout(client_for(customer), BODY, key="k")
    lifetime = IdempotencyKey.objects.get().expires_at - timezone.now()
    assert timedelta(hours=23, minutes=59) < lifetime <= timedelta(hours=24)


def test_delete_expired_keys(customer, customer_b, shirt):
    fill_cart(customer, {shirt: 1})
    fill_cart(customer_b, {shirt: 1})
    checkout(client_for(customer), BODY, key="old")
    checkout(client_for(customer_b), BODY, key="new")
    IdempotencyKey.objects.filter(key="old").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert delete_expired_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert delete_expired_keys(now=timezone.now() + timedelta(days=2)) == 1
    assert not IdempotencyKey.objects.exists()


def test_a_failed_checkout_does_not_keep_the_key(customer, shirt, mug):
    fill_cart(customer, {shirt: 1, mug: 5})
    catalog_services.set_stock(mug, 4, reason="Breakage")
    client = client_for(customer)
    assert_error(checkout(client, BODY, key="k"), 409, "insufficient_stock")
    assert not IdempotencyKey.objects.exists()

    catalog_services.set_stock(mug, 5, reason="Found it")
    retry = checkout(client, BODY, key="k")
    assert retry.status_code == 201, retry.json()
    assert REPLAY_HEADER not in retry
    assert Order.objects.count() == 1


def test_an_invalid_request_does_not_keep_the_key(api_client, shirt):
    _, token = fill_cart(None, {shirt: 1})
    assert_error(checkout(api_client, BODY, token=token, key="k"), 400, "invalid")
    assert not IdempotencyKey.objects.exists()
    response = checkout(api_client, GUEST_BODY, token=token, key="k")
    assert response.status_code == 201, response.json()


def test_no_key_means_no_record(customer, shirt):
    fill_cart(customer, {shirt: 1})
    assert checkout(client_for(customer), BODY).status_code == 201
    assert not IdempotencyKey.objects.exists()
