"""The orders admin: pages load, and every transition button goes through the services."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.orders import services
from commerce.orders.models import Address, Order, OrderEvent
from commerce.testing.factories import StaffUserFactory
from tests.orders.helpers import ADDRESS, BILLING, pay, place, stock

pytestmark = pytest.mark.django_db

ORDER_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "commerce_orders"
]
SHIPMENT = {"carrier": "DHL", "tracking_number": "JD0123456789"}


def admin_url(model_or_obj, view: str, *args) -> str:
    opts = model_or_obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def transition_url(order, name: str) -> str:
    return reverse("admin:commerce_orders_order_transition", args=[order.pk, name])


def buttons(response) -> list[str]:
    return re.findall(r'name="_fsm_transition_to"\s+value="(\w+)"', response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def press(client, order, transition: str, **follow):
    """Press a transition button on the order's change page, as the browser posts it."""
    data = {"_fsm_transition_to": transition}
    for prefix, rows in [
        ("lines", order.lines.all()),
        ("adjustments", order.adjustments.all()),
        ("tax_lines", order.tax_lines.all()),
        ("events", order.events.all()),
    ]:
        rows = list(rows)
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(rows)),
                f"{prefix}-INITIAL_FORMS": str(len(rows)),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for n, row in enumerate(rows):
            data.update({f"{prefix}-{n}-id": str(row.pk), f"{prefix}-{n}-order": str(order.pk)})
    return client.post(admin_url(order, "change", order.pk), data, **follow)


@pytest.fixture
def orders(customer, shirt, mug, staff_user):
    """One order in each status the admin acts on."""
    pending = place(customer, {shirt: 2}).order
    paid = pay(place(None, {mug: 1}).order)
    shipped = services.ship_order(pay(place(customer, {shirt: 1}).order), **SHIPMENT)
    delivered = services.deliver_order(
        services.ship_order(pay(place(customer, {mug: 1}).order), **SHIPMENT)
    )
    services.create_address(customer, **ADDRESS, is_default_shipping=True)
    return {"pending": pending, "paid": paid, "shipped": shipped, "delivered": delivered}


# --- pages -----------------------------------------------------------------------------------


def test_registered_models():
    assert {model.__name__ for model in ORDER_MODELS} == {"Order", "Address"}


@pytest.mark.parametrize("model", ORDER_MODELS, ids=lambda model: model.__name__)
def test_changelist_and_change_page_load(admin_client, orders, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200, response.content[:500]
    for obj in model._default_manager.all():
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, response.content[:500]


def test_the_change_page_shows_lines_events_and_addresses(admin_client, orders):
    order = orders["shipped"]
    html = admin_client.get(admin_url(order, "change", order.pk)).content.decode()
    for text in ["SHIRT-M", "Plain shirt", "1 Loop Road", "Shipped", "DHL", order.number]:
        assert text in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"status__exact": "paid"}, ["paid"]), ({"q": "MUG-1"}, ["paid", "delivered"])],
)
def test_filters_and_search(admin_client, orders, query, expected):
    response = admin_client.get(admin_url(Order, "changelist"), query)
    assert response.status_code == 200
    assert {o.number for o in response.context["cl"].result_list} == {
        orders[name].number for name in expected
    }


def test_search_by_number_and_email(admin_client, orders):
    number = orders["pending"].number
    response = admin_client.get(admin_url(Order, "changelist"), {"q": number})
    assert [o.number for o in response.context["cl"].result_list] == [number]
    response = admin_client.get(admin_url(Order, "changelist"), {"q": "guest@example"})
    assert [o.number for o in response.context["cl"].result_list] == [orders["paid"].number]


def test_the_changelist_runs_a_constant_number_of_queries(admin_client, customer, shirt):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(admin_url(Order, "changelist")).status_code == 200
        return len(queries)

    place(customer, {shirt: 1})
    before = count()
    for _ in range(4):
        place(customer, {shirt: 1})
    assert count() == before


def test_no_add_no_delete(admin_client, orders):
    order = orders["pending"]
    assert admin_client.get(admin_url(Order, "add")).status_code == 403
    assert admin_client.get(admin_url(order, "delete", order.pk)).status_code == 403
    assert admin_client.post(admin_url(order, "delete", order.pk), {"post": "yes"}).status_code == (
        403
    )
    response = admin_client.get(admin_url(Order, "changelist"))
    assert "delete_selected" not in response.context["cl"].model_admin.get_actions(
        response.wsgi_request
    )
    assert Order.objects.filter(pk=order.pk).exists()


# --- transition buttons ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "offered"),
    [("pending", ["cancel"]), ("paid", ["ship"]), ("shipped", ["deliver"]), ("delivered", [])],
)
def test_only_the_allowed_non_payment_transitions_are_offered(
    admin_client, orders, status, offered
):
    order = orders[status]
    assert buttons(admin_client.get(admin_url(order, "change", order.pk))) == offered


def test_deliver_button_calls_the_service(admin_client, orders):
    order = orders["shipped"]
    response = press(admin_client, order, "deliver", follow=True)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "delivered"
    event = OrderEvent.objects.get(order=order, to_status="delivered")
    assert (event.actor.username, event.reason) == ("admin", "Delivered")
    assert any("deliver done" in message for message in messages_of(response))


def test_cancel_asks_for_a_reason_and_releases_stock(admin_client, orders, shirt):
    order = orders["pending"]
    assert stock(shirt) == (9, 2)  # one shirt sold (shipped order), two reserved
    response = press(admin_client, order, "cancel")
    assert response.status_code == 302
    assert response["Location"] == transition_url(order, "cancel")
    form = admin_client.get(transition_url(order, "cancel"))
    assert form.status_code == 200
    assert form.context["transition_form"].fields["reason"].initial == "Cancelled by staff"

    response = admin_client.post(transition_url(order, "cancel"), {"reason": "Out of business"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert stock(shirt) == (9, 0)
    event = OrderEvent.objects.get(order=order, to_status="cancelled")
    assert (event.actor.username, event.reason) == ("admin", "Out of business")

    # Pressing it again (a second tab) releases nothing twice.
    response = admin_client.post(transition_url(order, "cancel"), {"reason": "Again"}, follow=True)
    assert any("cancel an order that is cancelled" in m for m in messages_of(response))
    assert stock(shirt) == (9, 0)
    assert OrderEvent.objects.filter(order=order, to_status="cancelled").count() == 1


def test_ship_form_records_carrier_and_tracking(admin_client, orders):
    order = orders["paid"]
    response = press(admin_client, order, "ship")
    assert response["Location"] == transition_url(order, "ship")

    response = admin_client.post(transition_url(order, "ship"), {"carrier": "DHL"})
    assert response.status_code == 200
    assert "tracking_number" in response.context["transition_form"].errors
    order.refresh_from_db()
    assert order.status == "paid"

    response = admin_client.post(transition_url(order, "ship"), SHIPMENT)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (
        "shipped",
        "DHL",
        "JD0123456789",
    )
    event = OrderEvent.objects.get(order=order, to_status="shipped")
    assert (event.actor.username, event.data) == ("admin", SHIPMENT)


@pytest.mark.parametrize("transition", ["mark_paid", "mark_refunded"])
def test_payment_transitions_cannot_be_forced(admin_client, orders, transition):
    order = orders["pending"] if transition == "mark_paid" else orders["paid"]
    status = order.status
    events_before = OrderEvent.objects.filter(order=order).count()
    response = press(admin_client, order, transition, follow=True)
    assert response.status_code == 200
    assert any("not available here" in m for m in messages_of(response))
    assert admin_client.get(transition_url(order, transition)).status_code == 400
    order.refresh_from_db()
    assert order.status == status
    assert OrderEvent.objects.filter(order=order).count() == events_before


def test_an_illegal_transition_is_a_message_not_a_500(admin_client, orders, shirt):
    order = orders["pending"]
    response = press(admin_client, order, "deliver", follow=True)
    assert response.status_code == 200
    assert any("Cannot deliver an order that is pending" in m for m in messages_of(response))
    order.refresh_from_db()
    assert order.status == "pending"


def test_a_view_only_staff_member_cannot_transition(orders, shirt):
    viewer = StaffUserFactory(email="viewer@example.com")
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client = Client()
    client.force_login(viewer)
    order = orders["pending"]
    page = client.get(admin_url(order, "change", order.pk))
    assert page.status_code == 200
    assert buttons(page) == []
    assert press(client, order, "cancel").status_code == 403
    assert client.get(transition_url(order, "cancel")).status_code == 403
    assert client.post(transition_url(order, "cancel"), {"reason": "x"}).status_code == 403
    order.refresh_from_db()
    assert order.status == "pending"
    assert stock(shirt) == (9, 2)


# --- address book ----------------------------------------------------------------------------


def address_form(customer, **overrides) -> dict[str, str]:
    data = {"user": str(customer.pk), **ADDRESS, "company": "", "line2": "", "region": ""}
    data.update({"phone": "", "_save": "Save"})
    data.update(overrides)
    return data


def test_admin_adds_a_new_default_address(admin_client, customer):
    services.create_address(customer, **BILLING, is_default_shipping=True)
    response = admin_client.post(
        admin_url(Address, "add"), address_form(customer, is_default_shipping="on")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Address.objects.get(is_default_shipping=True).line1 == "1 Loop Road"


def test_admin_refuses_an_invalid_country(admin_client, customer):
    response = admin_client.post(admin_url(Address, "add"), address_form(customer, country="XX"))
    assert response.status_code == 200
    assert "country" in response.context["adminform"].form.errors
    assert not Address.objects.exists()


# --- what a person reads ---------------------------------------------------------------------


def money_amounts(html: str, currency_sign: str = "$") -> list[str]:
    """Every amount shown with ``currency_sign``, as printed ("$59.00")."""
    return re.findall(re.escape(currency_sign) + r"[\d,]+(?:\.\d+)?", html)


def test_amounts_show_at_the_currencys_exponent(admin_client, orders):
    order = orders["pending"]
    listed = admin_client.get(admin_url(Order, "changelist")).content.decode()
    page = admin_client.get(admin_url(order, "change", order.pk)).content.decode()

    assert f"${order.total.amount:.2f}" in listed
    for amount in (order.subtotal, order.total, order.lines.first().unit_price):
        assert f"${amount.amount:.2f}" in page
    for html in (listed, page):
        amounts = money_amounts(html)
        assert amounts
        # Two places for dollars, never the column's three ("$59.000").
        assert all(re.fullmatch(r"\$[\d,]+\.\d\d", amount) for amount in amounts), amounts
    # The amounts are shown, never offered as form fields.
    assert 'name="total_0"' not in page


@pytest.mark.parametrize("transition", ["ship", "cancel"])
def test_transition_forms_explain_the_transition_and_print_no_none(
    admin_client, orders, transition
):
    order = orders["paid" if transition == "ship" else "pending"]
    change_page = admin_client.get(admin_url(order, "change", order.pk)).content.decode()
    form_page = admin_client.get(transition_url(order, transition)).content.decode()

    assert 'title="None"' not in change_page
    assert "<p>None</p>" not in form_page
    assert "None" not in re.sub(r"<script.*?</script>", "", form_page, flags=re.DOTALL)
    help_text = {"ship": "tracking number", "cancel": "release its reserved stock"}[transition]
    assert help_text in form_page
