"""The order lookup every app's endpoints share: owner, staff, or a guest's access token."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from commerce.core.exceptions import NotFoundError
from commerce.orders import selectors, services
from commerce.orders.models import Order

pytestmark = pytest.mark.django_db


def test_the_owner_and_staff_open_an_order_without_a_token(customer, staff_user, customer_order):
    number = customer_order.order.number
    assert selectors.find_order(number, user=customer, token=None) == customer_order.order
    assert selectors.find_order(number, user=staff_user, token=None) == customer_order.order


def test_staff_can_be_left_out(staff_user, customer_order):
    with pytest.raises(NotFoundError):
        selectors.find_order(customer_order.order.number, user=staff_user, token=None, staff=False)


@pytest.mark.parametrize("token", [None, "", "not-the-token"], ids=["none", "empty", "wrong"])
def test_anyone_else_needs_the_orders_token(customer_b, customer_order, token):
    number = customer_order.order.number
    for user in (AnonymousUser(), customer_b):
        with pytest.raises(NotFoundError):
            selectors.find_order(number, user=user, token=token)


def test_the_token_opens_the_order_for_a_guest_and_for_another_customer(customer_b, guest_order):
    order, token = guest_order.order, guest_order.access_token
    assert selectors.find_order(order.number, user=AnonymousUser(), token=token) == order
    assert selectors.find_order(order.number, user=customer_b, token=token, staff=False) == order


def test_a_token_opens_only_its_own_order(customer_order, guest_order):
    with pytest.raises(NotFoundError):
        selectors.find_order_for_guest(customer_order.order.number, guest_order.access_token)


def test_an_unknown_number_is_the_same_404(staff_user, guest_order):
    with pytest.raises(NotFoundError):
        selectors.find_order("NOPE", user=staff_user, token=guest_order.access_token)


def test_a_token_made_with_a_retired_secret_key_still_opens_the_order(settings, guest_order):
    order = guest_order.order
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert services.order_access_token(order) != guest_order.access_token
    assert selectors.find_order_for_guest(order.number, guest_order.access_token) == order
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(NotFoundError):
        selectors.find_order_for_guest(order.number, guest_order.access_token)


def test_the_callers_queryset_is_what_is_read(customer, customer_order, guest_order):
    none = Order.objects.none()
    with pytest.raises(NotFoundError):
        selectors.find_order(customer_order.order.number, user=customer, token=None, queryset=none)
    with pytest.raises(NotFoundError):
        selectors.find_order(
            guest_order.order.number, user=customer, token=guest_order.access_token, queryset=none
        )
