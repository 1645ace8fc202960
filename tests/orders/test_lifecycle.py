"""The order state machine: API actions, services, events, signals, stock, and expiry."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone
from django_fsm import ConcurrentTransition

from commerce.catalog.models import StockMovement
from commerce.orders import services, signals
from commerce.orders.exceptions import InvalidTransitionError
from commerce.orders.models import Order, OrderEvent
from commerce.testing.factories import UserFactory
from tests.helpers import assert_error, client_for
from tests.orders.helpers import order_url, pay, place, stock
from tests.statements import batch_size, recording

pytestmark = pytest.mark.django_db

SIGNALS = {
    "order_placed": signals.order_placed,
    "order_paid": signals.order_paid,
    "order_shipped": signals.order_shipped,
    "order_delivered": signals.order_delivered,
    "order_cancelled": signals.order_cancelled,
    "order_refunded": signals.order_refunded,
}

#: status -> the transitions the API reports as allowed from it.
ALLOWED = {
    "pending": ["cancel", "mark_paid"],
    "paid": ["mark_refunded", "ship"],
    "shipped": ["deliver", "mark_refunded"],
    "delivered": ["mark_refunded"],
    "cancelled": [],
    "refunded": [],
}

SHIPMENT = {"carrier": "DHL", "tracking_number": "JD0123456789"}


@pytest.fixture
def sent():
    """Every order signal sent, as ``(signal name, order number, actor, reason)``.

    Signals go out on commit: wrap the call in ``committed()``.
    """
    log = []
    receivers = {}
    for name, signal in SIGNALS.items():

        def receiver(sender, order, actor, reason, _name=name, **kwargs):
            assert sender is Order
            log.append((_name, order.number, actor, reason))

        receivers[name] = receiver
        signal.connect(receiver)
    yield log
    for name, signal in SIGNALS.items():
        signal.disconnect(receivers[name])


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...`` runs the block's on-commit callbacks when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def events(order) -> list[tuple[str, str]]:
    return list(
        OrderEvent.objects.filter(order=order)
        .order_by("created_at")
        .values_list("from_status", "to_status")
    )


def releases(order) -> int:
    return StockMovement.objects.filter(reference=order.number, kind="release").count()


def move_to(order, status: str, staff=None) -> Order:
    """Drive ``order`` (pending) to ``status`` through the services."""
    path = {
        "pending": [],
        "paid": ["pay"],
        "shipped": ["pay", "ship"],
        "delivered": ["pay", "ship", "deliver"],
        "cancelled": ["cancel"],
        "refunded": ["pay", "refund"],
    }[status]
    for step in path:
        if step == "pay":
            order = services.mark_order_paid(order)
        elif step == "ship":
            order = services.ship_order(order, actor=staff, **SHIPMENT)
        elif step == "deliver":
            order = services.deliver_order(order, actor=staff)
        elif step == "cancel":
            order = services.cancel_order(order)
        else:
            order = services.mark_order_refunded(order)
    assert order.status == status
    return order


# --- the model -------------------------------------------------------------------------------


def test_status_cannot_be_assigned(customer_order):
    order = customer_order.order
    with pytest.raises(AttributeError):
        order.status = Order.Status.PAID


def test_saving_a_stale_copy_is_refused(customer_order):
    order = customer_order.order
    stale = Order.objects.get(pk=order.pk)
    services.cancel_order(order)
    stale.mark_paid()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Order.objects.get(pk=order.pk).status == "cancelled"


@pytest.mark.parametrize("status", ALLOWED)
def test_allowed_transitions_per_status(customer_order, status):
    assert move_to(customer_order.order, status).allowed_transitions() == ALLOWED[status]


# --- cancel ----------------------------------------------------------------------------------


def test_owner_cancels_a_pending_order(customer, customer_order, shirt, sent, committed):
    order = customer_order.order
    assert stock(shirt) == (10, 2)
    with committed():
        response = client_for(customer).post(
            order_url(order, "cancel/"), {"reason": "Changed my mind"}, format="json"
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["cancelled_at"]
    assert body["allowed_transitions"] == []
    assert stock(shirt) == (10, 0)
    assert releases(order) == 1
    event = OrderEvent.objects.get(order=order, to_status="cancelled")
    assert (event.from_status, event.actor, event.reason) == (
        "pending",
        customer,
        "Changed my mind",
    )
    assert sent == [("order_cancelled", order.number, customer, "Changed my mind")]


def test_cancelling_twice_releases_stock_once(customer, customer_order, shirt):
    order = customer_order.order
    client = client_for(customer)
    assert client.post(order_url(order, "cancel/")).status_code == 200
    error = assert_error(client.post(order_url(order, "cancel/")), 409, "invalid_transition")
    assert error["details"] == {"status": "cancelled", "allowed": []}
    assert stock(shirt) == (10, 0)
    assert releases(order) == 1
    assert events(order) == [("", "pending"), ("pending", "cancelled")]


def test_cancel_reasons_default_by_who_cancels(customer, staff_user, shirt):
    mine = place(customer, {shirt: 1}).order
    client_for(customer).post(order_url(mine, "cancel/"))
    theirs = place(customer, {shirt: 1}).order
    client_for(staff_user).post(order_url(theirs, "cancel/"))
    guest = place(None, {shirt: 1})
    client_for(None).post(order_url(guest.order, "cancel/"), HTTP_X_ORDER_TOKEN=guest.access_token)
    reasons = {
        event.order_id: (event.actor, event.reason)
        for event in OrderEvent.objects.filter(to_status="cancelled")
    }
    assert reasons == {
        mine.pk: (customer, "Cancelled by customer"),
        theirs.pk: (staff_user, "Cancelled by staff"),
        guest.order.pk: (None, "Cancelled by customer"),
    }


def test_a_cancel_reason_is_at_most_255_characters(customer, customer_order):
    response = client_for(customer).post(
        order_url(customer_order.order, "cancel/"), {"reason": "x" * 256}, format="json"
    )
    assert "reason" in assert_error(response, 400, "invalid")["details"]
    assert Order.objects.get().status == "pending"


@pytest.mark.parametrize("status", ["paid", "shipped", "delivered", "refunded"])
def test_only_a_pending_order_can_be_cancelled(customer, customer_order, shirt, status):
    order = move_to(customer_order.order, status)
    before = stock(shirt)
    error = assert_error(
        client_for(customer).post(order_url(order, "cancel/")), 409, "invalid_transition"
    )
    assert error["details"] == {"status": status, "allowed": ALLOWED[status]}
    assert stock(shirt) == before
    assert Order.objects.get(pk=order.pk).status == status


def test_a_stale_instance_is_rechecked_under_the_lock(customer_order):
    stale = customer_order.order
    services.mark_order_paid(Order.objects.get(pk=stale.pk))
    assert stale.status == "pending"
    with pytest.raises(InvalidTransitionError) as caught:
        services.cancel_order(stale)
    assert caught.value.details == {"status": "paid", "allowed": ["mark_refunded", "ship"]}
    assert caught.value.status_code == 409


# --- payment transitions (called by the payments app) ----------------------------------------


def test_mark_order_paid_commits_the_reserved_stock(customer_order, shirt, sent, committed):
    order = customer_order.order
    assert stock(shirt) == (10, 2)
    with committed():
        paid = services.mark_order_paid(order, reason="Captured pi_123")
    assert paid.status == "paid"
    assert paid.paid_at is not None
    assert stock(shirt) == (8, 0)
    commit = StockMovement.objects.get(reference=order.number, kind="commit")
    assert (commit.quantity_change, commit.reserved_change) == (-2, -2)
    event = OrderEvent.objects.get(order=order, to_status="paid")
    assert (event.from_status, event.actor, event.reason) == ("pending", None, "Captured pi_123")
    assert sent == [("order_paid", order.number, None, "Captured pi_123")]


def test_a_cancelled_order_cannot_be_paid(customer_order, shirt, sent, committed):
    with committed():
        order = services.cancel_order(customer_order.order)
    with committed(), pytest.raises(InvalidTransitionError) as caught:
        services.mark_order_paid(order)
    assert caught.value.details == {"status": "cancelled", "allowed": []}
    assert stock(shirt) == (10, 0)
    assert [name for name, *_ in sent] == ["order_cancelled"]


@pytest.mark.parametrize("status", ["paid", "shipped", "delivered"])
def test_mark_order_refunded(customer_order, shirt, staff_user, sent, committed, status):
    order = move_to(customer_order.order, status, staff=staff_user)
    with committed():
        refunded = services.mark_order_refunded(order, actor=staff_user)
    assert refunded.status == "refunded"
    assert refunded.allowed_transitions() == []
    event = OrderEvent.objects.get(order=order, to_status="refunded")
    assert (event.from_status, event.actor, event.reason) == (
        status,
        staff_user,
        "Refunded in full",
    )
    assert sent == [("order_refunded", order.number, staff_user, "Refunded in full")]
    # Refunded goods are not put back on sale automatically: restocking is a stock adjustment.
    assert stock(shirt) == (8, 0)


@pytest.mark.parametrize("status", ["pending", "cancelled", "refunded"])
def test_mark_order_refunded_refuses(customer_order, status):
    order = move_to(customer_order.order, status)
    with pytest.raises(InvalidTransitionError) as caught:
        services.mark_order_refunded(order)
    assert caught.value.details["status"] == status


def test_signals_wait_for_the_commit(customer_order, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs["order"].status)

    signals.order_paid.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.mark_order_paid(customer_order.order)
        assert received == []
        for callback in callbacks:
            callback()
        assert received == ["paid"]
    finally:
        signals.order_paid.disconnect(receiver)


# --- ship and deliver ------------------------------------------------------------------------


def test_staff_ship_and_deliver_a_paid_order(staff_user, customer_order, sent, committed):
    order = pay(customer_order.order)
    client = client_for(staff_user)
    with committed():
        response = client.post(order_url(order, "ship/"), SHIPMENT, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["carrier"], body["tracking_number"]) == (
        "shipped",
        "DHL",
        "JD0123456789",
    )
    assert body["shipped_at"]
    shipped = OrderEvent.objects.get(order=order, to_status="shipped")
    assert (shipped.actor, shipped.data) == (staff_user, SHIPMENT)

    with committed():
        response = client.post(order_url(order, "deliver/"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "delivered"
    assert response.json()["delivered_at"]
    assert events(order) == [
        ("", "pending"),
        ("pending", "paid"),
        ("paid", "shipped"),
        ("shipped", "delivered"),
    ]
    assert [(name, actor) for name, _, actor, _ in sent] == [
        ("order_shipped", staff_user),
        ("order_delivered", staff_user),
    ]


def test_shipping_a_pending_order_is_a_409(staff_user, customer_order):
    order = customer_order.order
    error = assert_error(
        client_for(staff_user).post(order_url(order, "ship/"), SHIPMENT, format="json"),
        409,
        "invalid_transition",
    )
    assert error["details"] == {"status": "pending", "allowed": ["cancel", "mark_paid"]}
    assert "pending" in error["message"]
    order.refresh_from_db()
    assert (order.status, order.carrier) == ("pending", "")
    assert events(order) == [("", "pending")]


def test_delivering_twice_is_a_409(staff_user, customer_order):
    order = move_to(customer_order.order, "delivered", staff=staff_user)
    error = assert_error(
        client_for(staff_user).post(order_url(order, "deliver/")), 409, "invalid_transition"
    )
    assert error["details"] == {"status": "delivered", "allowed": ["mark_refunded"]}
    assert len(events(order)) == 4


def test_delivering_an_unshipped_order_is_a_409(staff_user, customer_order):
    order = pay(customer_order.order)
    error = assert_error(
        client_for(staff_user).post(order_url(order, "deliver/")), 409, "invalid_transition"
    )
    assert error["details"] == {"status": "paid", "allowed": ["mark_refunded", "ship"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "carrier"),
        ({"carrier": "DHL"}, "tracking_number"),
        ({"carrier": "", "tracking_number": "1"}, "carrier"),
        ({"carrier": "x" * 101, "tracking_number": "1"}, "carrier"),
    ],
)
def test_shipping_needs_a_carrier_and_tracking_number(staff_user, customer_order, body, field):
    order = pay(customer_order.order)
    error = assert_error(
        client_for(staff_user).post(order_url(order, "ship/"), body, format="json"),
        400,
        "invalid",
    )
    assert field in error["details"]
    assert Order.objects.get(pk=order.pk).status == "paid"


def test_an_unknown_order_number_is_a_404_for_staff(staff_user):
    for suffix in ["", "events/"]:
        assert_error(client_for(staff_user).get(order_url("NOPE", suffix)), 404, "not_found")
    for suffix in ["cancel/", "deliver/"]:
        assert_error(client_for(staff_user).post(order_url("NOPE", suffix)), 404, "not_found")


# --- events ----------------------------------------------------------------------------------


def test_events_tell_the_history(customer, staff_user, customer_order):
    order = move_to(customer_order.order, "shipped", staff=staff_user)
    response = client_for(customer).get(order_url(order, "events/"))
    assert response.status_code == 200
    history = [
        (e["from_status"], e["to_status"], e["actor"], e["reason"], e["data"])
        for e in response.json()
    ]
    assert history == [
        ("", "pending", "customer", "Order placed", {}),
        ("pending", "paid", None, "Payment captured", {}),
        ("paid", "shipped", "staff", "Shipped", SHIPMENT),
    ]
    assert all(e["id"] and e["created_at"] for e in response.json())


# --- reservation expiry ----------------------------------------------------------------------


def expire_all():
    return services.expire_orders(now=timezone.now() + timedelta(hours=1))


def test_a_reservation_lasts_reservation_ttl(customer, shirt, settings):
    with override_settings(COMMERCE={**settings.COMMERCE, "RESERVATION_TTL": 600}):
        before = timezone.now()
        order = place(customer, {shirt: 1}).order
    assert timedelta(seconds=600) <= order.reservation_expires_at - before <= timedelta(seconds=601)


def test_a_registered_hold_keeps_matching_orders_from_expiring(customer, shirt, monkeypatch):
    # Only this test's hold: the installed apps' own (payments') stay out of it.
    holds = []
    monkeypatch.setattr(services, "_EXPIRY_HOLDS", holds)
    kept = place(customer, {shirt: 1}, email="keep@example.com").order
    expiring = place(None, {shirt: 1}).order

    def keep():
        return Q(email="keep@example.com")

    assert services.hold_expiry(keep) is keep
    services.hold_expiry(keep)  # a second registration changes nothing
    assert holds == [keep]
    assert expire_all() == 1
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {kept.pk: "pending", expiring.pk: "cancelled"}


def test_expiry_cancels_only_expired_pending_orders(
    customer, customer_b, shirt, mug, sent, committed
):
    expired = place(customer, {shirt: 2}).order
    paid = pay(place(customer_b, {shirt: 1}).order)
    cancelled = services.cancel_order(place(None, {mug: 1}).order)
    fresh = place(None, {mug: 2}).order
    Order.objects.filter(pk__in=[expired.pk, paid.pk, cancelled.pk]).update(
        reservation_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with committed():
        assert services.expire_orders() == 1
    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses == {
        expired.number: "cancelled",
        paid.number: "paid",
        cancelled.number: "cancelled",
        fresh.number: "pending",
    }
    assert stock(shirt) == (9, 0)
    assert stock(mug) == (5, 2)
    event = OrderEvent.objects.get(order=expired, to_status="cancelled")
    assert (event.actor, event.reason) == (None, "Reservation expired")
    assert sent == [("order_cancelled", expired.number, None, "Reservation expired")]


def test_expiring_twice_cancels_once(customer, shirt):
    order = place(customer, {shirt: 3}).order
    assert expire_all() == 1
    assert expire_all() == 0
    assert stock(shirt) == (10, 0)
    assert releases(order) == 1
    assert events(order) == [("", "pending"), ("pending", "cancelled")]


def test_expiry_reads_expired_orders_in_batches(customer, shirt):
    orders = [place(customer, {shirt: 1}).order for _ in range(5)]
    with batch_size(2), recording() as statements:
        assert expire_all() == 5
    assert set(Order.objects.filter(status="cancelled").values_list("pk", flat=True)) == {
        order.pk for order in orders
    }
    assert stock(shirt) == (10, 0)
    # Pages of at most two candidates: 2 + 2 + 1, then an empty one.
    pages = [sql for sql, _ in statements.sent if sql.endswith("LIMIT 2")]
    assert len(pages) == 4


def test_the_expire_command(customer, shirt):
    order = place(customer, {shirt: 1}).order
    place(customer, {shirt: 1})
    Order.objects.filter(pk=order.pk).update(
        reservation_expires_at=timezone.now() - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("commerce_expire_orders", stdout=out)
    assert out.getvalue().strip() == "Cancelled 1 expired order(s)."
    out = StringIO()
    call_command("commerce_expire_orders", stdout=out)
    assert out.getvalue().strip() == "Cancelled 0 expired order(s)."
    assert stock(shirt) == (10, 1)
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def in_fulfilment_team(user) -> bool:
    """A host's own STAFF_CHECK: staff are the fulfilment team, not ``is_staff`` users."""
    return bool(user and user.is_authenticated and user.email.endswith("@fulfilment.example"))


def test_events_name_staff_whatever_the_staff_check(customer, customer_order, settings):
    clerk = UserFactory(email="clerk@fulfilment.example")
    order = pay(customer_order.order)
    commerce = {
        **settings.COMMERCE,
        "STAFF_CHECK": "tests.orders.test_lifecycle.in_fulfilment_team",
    }
    with override_settings(COMMERCE=commerce):
        response = client_for(clerk).post(order_url(order, "ship/"), SHIPMENT, format="json")
        assert response.status_code == 200, response.json()
        history = client_for(clerk).get(order_url(order, "events/")).json()
    assert [(e["to_status"], e["actor"]) for e in history] == [
        ("pending", "customer"),
        ("paid", None),
        ("shipped", "staff"),
    ]


def test_actions_refuse_unknown_fields(customer, staff_user, customer_order):
    order = customer_order.order
    error = assert_error(
        client_for(customer).post(order_url(order, "cancel/"), {"refund": True}, format="json"),
        400,
        "invalid",
    )
    assert "refund" in error["details"]
    pay(order)
    error = assert_error(
        client_for(staff_user).post(
            order_url(order, "ship/"), {**SHIPMENT, "notify": False}, format="json"
        ),
        400,
        "invalid",
    )
    assert "notify" in error["details"]
    assert Order.objects.get(pk=order.pk).status == "paid"
