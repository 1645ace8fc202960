"""Who may do what to which order, address and vendor order: every endpoint, every kind of user.

Someone who may not know an order or address exists gets 404, never 403, so
existence does not leak. Staff-only actions answer 401/403 before looking the
order up, so they say nothing about existence either.
"""

from __future__ import annotations

import pytest

from commerce.cart.models import CartLine
from commerce.orders import services
from commerce.orders.models import Address, Order, OrderEvent
from tests.helpers import assert_error, client_for
from tests.orders.helpers import (
    ADDRESS,
    ADDRESSES,
    CAST,
    ORDERS,
    VENDOR_ORDERS,
    checkout,
    fill_cart,
    order_url,
    pay,
    place,
    stock,
)

pytestmark = pytest.mark.django_db

SHIPMENT = {"carrier": "DHL", "tracking_number": "JD0123456789"}

#: Whose order -> who may read it, read its events and cancel it ("ok"), and what
#: everyone else gets. The order's access token works whoever placed it: it is
#: a bearer capability handed out once, by checkout, to whoever placed the order.
CUSTOMER_ACCESS = {
    "customer_order": {
        "anonymous": 404,
        "customer": "ok",
        "customer_b": 404,
        "guest_with_token": "ok",
        "guest_without_token": 404,
        "vendor_member": 404,
        "other_vendor_member": 404,
        "staff_user": "ok",
    },
    "guest_order": {
        "anonymous": 404,
        "customer": 404,
        "customer_b": 404,
        "guest_with_token": "ok",
        "guest_without_token": 404,
        "vendor_member": 404,
        "other_vendor_member": 404,
        "staff_user": "ok",
    },
}

#: Staff-only actions: anonymous callers (with or without a token) 401, other users 403.
STAFF_ONLY = {
    "anonymous": 401,
    "customer": 403,
    "customer_b": 403,
    "guest_with_token": 401,
    "guest_without_token": 401,
    "vendor_member": 403,
    "other_vendor_member": 403,
    "staff_user": "ok",
}


def history(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True))


# --- order detail, events, cancel ------------------------------------------------------------


@pytest.mark.parametrize("target", CUSTOMER_ACCESS)
@pytest.mark.parametrize("who", CAST)
def test_read_an_order(request, actor_client, who, target):
    placed = request.getfixturevalue(target)
    client = actor_client(who, placed)
    expected = CUSTOMER_ACCESS[target][who]
    for suffix in ["", "events/"]:
        response = client.get(order_url(placed.order, suffix))
        if expected == "ok":
            assert response.status_code == 200, response.json()
        else:
            assert_error(response, expected, "not_found")
    if expected == "ok":
        body = client.get(order_url(placed.order)).json()
        assert body["number"] == placed.order.number
        assert body["email"] == placed.order.email
        assert "access_token" not in body


@pytest.mark.parametrize("target", CUSTOMER_ACCESS)
@pytest.mark.parametrize("who", CAST)
def test_cancel_an_order(request, actor_client, shirt, who, target):
    placed = request.getfixturevalue(target)
    before = stock(shirt)
    response = actor_client(who, placed).post(order_url(placed.order, "cancel/"))
    order = Order.objects.get(pk=placed.order.pk)
    if CUSTOMER_ACCESS[target][who] == "ok":
        assert response.status_code == 200, response.json()
        assert order.status == "cancelled"
        assert stock(shirt) == (10, 0)
    else:
        assert_error(response, CUSTOMER_ACCESS[target][who], "not_found")
        assert order.status == "pending"
        assert stock(shirt) == before
        assert history(order) == ["pending"]


@pytest.mark.parametrize("who", CAST)
def test_ship_an_order(actor_client, customer_order, who):
    order = pay(customer_order.order)
    response = actor_client(who, customer_order).post(
        order_url(order, "ship/"), SHIPMENT, format="json"
    )
    order.refresh_from_db()
    if STAFF_ONLY[who] == "ok":
        assert response.status_code == 200, response.json()
        assert order.status == "shipped"
    else:
        assert_error(response, STAFF_ONLY[who])
        assert (order.status, order.carrier) == ("paid", "")
        assert history(order) == ["pending", "paid"]


@pytest.mark.parametrize("who", CAST)
def test_deliver_an_order(actor_client, customer_order, staff_user, who):
    order = services.ship_order(pay(customer_order.order), actor=staff_user, **SHIPMENT)
    response = actor_client(who, customer_order).post(order_url(order, "deliver/"))
    order.refresh_from_db()
    if STAFF_ONLY[who] == "ok":
        assert response.status_code == 200, response.json()
        assert order.status == "delivered"
    else:
        assert_error(response, STAFF_ONLY[who])
        assert order.status == "shipped"


@pytest.mark.parametrize("who", [name for name in CAST if STAFF_ONLY[name] != "ok"])
@pytest.mark.parametrize("action", ["ship/", "deliver/"])
def test_staff_actions_do_not_reveal_whether_an_order_exists(
    actor_client, customer_order, who, action
):
    client = actor_client(who, customer_order)
    real = client.post(order_url(customer_order.order, action), SHIPMENT, format="json")
    missing = client.post(order_url("000000-NOPE00", action), SHIPMENT, format="json")
    assert real.status_code == missing.status_code == STAFF_ONLY[who]
    assert real.json() == missing.json()


def test_a_token_for_one_order_opens_no_other(api_client, shirt):
    first = place(None, {shirt: 1})
    second = place(None, {shirt: 1})
    response = api_client.get(order_url(second.order), HTTP_X_ORDER_TOKEN=first.access_token)
    assert_error(response, 404, "not_found")
    response = api_client.post(
        order_url(second.order, "cancel/"), HTTP_X_ORDER_TOKEN=first.access_token
    )
    assert_error(response, 404, "not_found")
    assert Order.objects.get(pk=second.order.pk).status == "pending"


def test_an_unknown_number_with_a_token_is_a_404(api_client, guest_order):
    response = api_client.get(
        order_url("000000-NOPE00"), HTTP_X_ORDER_TOKEN=guest_order.access_token
    )
    assert_error(response, 404, "not_found")


# --- order list ------------------------------------------------------------------------------

#: who -> which of the orders below they list (None: 401).
LISTED = {
    "anonymous": None,
    "guest_with_token": None,
    "guest_without_token": None,
    "customer": {"a1", "a2"},
    "customer_b": {"b"},
    "vendor_member": set(),
    "other_vendor_member": set(),
    "staff_user": {"a1", "a2", "b", "guest"},
}


@pytest.mark.parametrize("who", CAST)
def test_list_orders(actor_client, customer, customer_b, shirt, who):
    orders = {
        "a1": place(customer, {shirt: 1}),
        "a2": place(customer, {shirt: 1}),
        "b": place(customer_b, {shirt: 1}),
        "guest": place(None, {shirt: 1}),
    }
    response = actor_client(who, orders["guest"]).get(ORDERS)
    if LISTED[who] is None:
        assert_error(response, 401, "not_authenticated")
        return
    assert response.status_code == 200, response.json()
    numbers = {row["number"] for row in response.json()["results"]}
    assert numbers == {orders[name].order.number for name in LISTED[who]}
    for row in response.json()["results"]:
        assert set(row) == {"number", "status", "email", "total", "created_at"}


def test_the_list_is_newest_first_and_paginated(customer, shirt):
    numbers = [place(customer, {shirt: 1}).order.number for _ in range(3)]
    client = client_for(customer)
    first = client.get(ORDERS, {"page_size": 2}).json()
    assert [row["number"] for row in first["results"]] == numbers[::-1][:2]
    second = client.get(first["next"]).json()
    assert [row["number"] for row in second["results"]] == numbers[:1]
    assert second["next"] is None


# --- vendor orders ---------------------------------------------------------------------------

#: who -> the SKUs they see on the mixed order (None: 401, "404": not theirs).
VENDOR_VIEW = {
    "anonymous": None,
    "guest_with_token": None,
    "guest_without_token": None,
    "customer": "404",
    "customer_b": "404",
    "vendor_member": ["SHIRT-M"],
    "other_vendor_member": ["MUG-1"],
    "staff_user": "404",
}


@pytest.mark.parametrize("who", CAST)
def test_vendor_order_list(actor_client, mixed_order, shirt, who):
    place(None, {shirt: 1})  # a guest's shirt order: Acme's only
    response = actor_client(who, mixed_order).get(VENDOR_ORDERS)
    expected = VENDOR_VIEW[who]
    if expected is None:
        assert_error(response, 401, "not_authenticated")
        return
    assert response.status_code == 200, response.json()
    rows = response.json()["results"]
    if expected == "404":
        assert rows == []
        return
    mixed = [row for row in rows if row["number"] == mixed_order.order.number]
    assert [line["sku"] for line in mixed[0]["lines"]] == expected
    assert len(rows) == (2 if who == "vendor_member" else 1)


@pytest.mark.parametrize("who", CAST)
def test_vendor_order_detail(actor_client, mixed_order, who):
    response = actor_client(who, mixed_order).get(f"{VENDOR_ORDERS}{mixed_order.order.number}/")
    expected = VENDOR_VIEW[who]
    if expected is None:
        assert_error(response, 401, "not_authenticated")
    elif expected == "404":
        assert_error(response, 404, "not_found")
    else:
        assert response.status_code == 200, response.json()
        body = response.json()
        assert set(body) == {
            "number",
            "status",
            "lines",
            "shipping_address",
            "created_at",
            "shipped_at",
        }
        assert [line["sku"] for line in body["lines"]] == expected
        assert body["shipping_address"]["line1"] == ADDRESS["line1"]


def test_a_vendor_does_not_see_orders_without_its_lines(
    customer, mug, other_vendor_member, vendor_member, shirt
):
    shirt_only = place(customer, {shirt: 1}).order
    assert_error(
        client_for(other_vendor_member).get(f"{VENDOR_ORDERS}{shirt_only.number}/"),
        404,
        "not_found",
    )
    assert client_for(other_vendor_member).get(VENDOR_ORDERS).json()["results"] == []
    assert client_for(vendor_member).get(VENDOR_ORDERS).json()["results"][0]["number"] == (
        shirt_only.number
    )


def test_vendor_orders_are_read_only(vendor_member, mixed_order):
    client = client_for(vendor_member)
    url = f"{VENDOR_ORDERS}{mixed_order.order.number}/"
    assert_error(client.post(VENDOR_ORDERS, {}, format="json"), 405)
    assert_error(client.patch(url, {"status": "shipped"}, format="json"), 405)
    assert_error(client.delete(url), 405)


# --- address book ----------------------------------------------------------------------------

#: who -> what they get for customer A's address.
ADDRESS_ACCESS = {
    "anonymous": 401,
    "guest_with_token": 401,
    "guest_without_token": 401,
    "customer": "ok",
    "customer_b": 404,
    "vendor_member": 404,
    "other_vendor_member": 404,
    "staff_user": 404,
}


@pytest.fixture
def a_address(customer):
    return services.create_address(customer, **ADDRESS, is_default_shipping=True)


@pytest.mark.parametrize("who", CAST)
def test_address_book_access(actor_client, guest_order, a_address, customer_b, who):
    services.create_address(customer_b, **ADDRESS)
    client = actor_client(who, guest_order)
    url = f"{ADDRESSES}{a_address.pk}/"
    expected = ADDRESS_ACCESS[who]
    listing = client.get(ADDRESSES)
    if expected == 401:
        for response in [
            listing,
            client.get(url),
            client.post(ADDRESSES, ADDRESS, format="json"),
            client.patch(url, {"city": "Abuja"}, format="json"),
            client.delete(url),
        ]:
            assert_error(response, 401, "not_authenticated")
        assert Address.objects.count() == 2
        return
    assert listing.status_code == 200
    ids = [row["id"] for row in listing.json()]
    if expected == "ok":
        assert ids == [str(a_address.pk)]
        assert client.get(url).json()["city"] == "Lagos"
        assert client.patch(url, {"city": "Abuja"}, format="json").status_code == 200
        assert client.delete(url).status_code == 204
        assert not Address.objects.filter(pk=a_address.pk).exists()
        return
    assert str(a_address.pk) not in ids
    for response in [
        client.get(url),
        client.patch(url, {"city": "Abuja"}, format="json"),
        client.put(url, ADDRESS, format="json"),
        client.delete(url),
    ]:
        if response.status_code == 405:  # PUT is not offered to anyone
            continue
        assert_error(response, 404, "not_found")
    a_address.refresh_from_db()
    assert (a_address.city, a_address.is_default_shipping) == ("Lagos", True)


# --- checkout --------------------------------------------------------------------------------

SIGNED_IN = ["customer", "customer_b", "vendor_member", "other_vendor_member", "staff_user"]


@pytest.mark.parametrize("who", SIGNED_IN)
def test_anyone_signed_in_checks_out_their_own_cart(request, who, shirt):
    user = request.getfixturevalue(who)
    fill_cart(user, {shirt: 1})
    response = checkout(client_for(user), {"shipping_address": ADDRESS})
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert (order.user, order.email) == (user, user.email)


@pytest.mark.parametrize("who", SIGNED_IN)
def test_nobody_checks_out_someone_elses_anonymous_cart(request, who, shirt):
    """A signed-in user's checkout is of their own cart, whatever cart token they send."""
    cart, token = fill_cart(None, {shirt: 2})
    response = checkout(
        client_for(request.getfixturevalue(who)), {"shipping_address": ADDRESS}, token=token
    )
    assert_error(response, 400, "empty_cart")
    assert CartLine.objects.filter(cart=cart).count() == 1
    assert not Order.objects.exists()
    assert stock(shirt) == (10, 0)
