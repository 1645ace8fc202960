"""The payments admin: read-only pages, and buttons that act only through the services."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.core.exceptions import CommerceValidationError
from commerce.orders.models import Order
from commerce.payments import services
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent
from commerce.testing.factories import StaffUserFactory, UserFactory
from tests.helpers import money
from tests.orders.helpers import place
from tests.payments.flows import deliver
from tests.payments.helpers import action_url, admin_url, buttons, fresh, messages_of, press

pytestmark = pytest.mark.django_db

PAYMENT_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "commerce_payments"
]


@pytest.fixture
def manual():
    return get_gateway("dummy_manual")


@pytest.fixture
def payments(customer, shirt, dummy, manual) -> dict[str, Payment]:
    """A payment in each status the admin acts on, each for its own order."""
    processing = services.start_payment(place(customer, {shirt: 1}).order, "dummy").payment
    authorized = services.start_payment(place(customer, {shirt: 1}).order, "dummy_manual").payment
    deliver(manual, manual.confirm(authorized.gateway_reference, "succeed"))
    captured = services.start_payment(place(None, {shirt: 2}).order, "dummy").payment
    deliver(dummy, dummy.confirm(captured.gateway_reference, "succeed"))
    found = [fresh(p) for p in [processing, authorized, captured]]
    return {payment.status: payment for payment in found}


# --- pages -----------------------------------------------------------------------------------


def test_registered_models():
    assert {model.__name__ for model in PAYMENT_MODELS} == {"Payment", "Refund", "WebhookEvent"}


@pytest.mark.parametrize("model", PAYMENT_MODELS, ids=lambda model: model.__name__)
def test_changelist_and_change_page_load(admin_client, payments, model):
    services.refund_payment(payments["captured"], money("5.00"), reason="Scratched")
    assert model._default_manager.exists()
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200, response.content[:500]
    for obj in model._default_manager.all():
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, response.content[:500]


def test_the_payment_page_shows_amounts_history_refunds_and_webhooks(admin_client, payments):
    payment = payments["captured"]
    services.refund_payment(payment, money("5.00"), reason="Scratched")
    page = admin_client.get(admin_url(payment, "change", payment.pk)).content.decode()
    for text in [payment.reference, payment.gateway_reference, "$25.00", "$5.00", "Scratched"]:
        assert text in page
    for kind in ["created", "initiate", "capture", "refund_requested", "refund_partially"]:
        assert f"<p>{kind}</p>" in page
    assert payment.webhook_events.get().event_id in page
    assert "client_secret" not in page
    # Nothing to save by hand: the only submit buttons are the services'.
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "authorized"}, ["authorized"]),
        ({"gateway": "dummy"}, ["processing", "captured"]),
        ({"flagged__exact": "1"}, ["processing"]),
        ({"q": "guest@example"}, ["captured"]),
    ],
)
def test_filters_and_search(admin_client, payments, query, expected):
    Payment.objects.filter(pk=payments["processing"].pk).update(flagged=True, flag_reason="x")
    response = admin_client.get(admin_url(Payment, "changelist"), query)
    assert response.status_code == 200
    assert {p.pk for p in response.context["cl"].result_list} == {
        payments[name].pk for name in expected
    }


@pytest.mark.parametrize("field", ["reference", "gateway_reference", "order_number"])
def test_search_by_reference_and_order_number(admin_client, payments, field):
    payment = payments["authorized"]
    response = admin_client.get(admin_url(Payment, "changelist"), {"q": getattr(payment, field)})
    assert [p.pk for p in response.context["cl"].result_list] == [payment.pk]


def test_the_changelist_runs_a_constant_number_of_queries(admin_client, customer, shirt):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(admin_url(Payment, "changelist")).status_code == 200
        return len(queries)

    services.start_payment(place(customer, {shirt: 1}).order, "dummy")
    before = count()
    for _ in range(4):
        services.start_payment(place(customer, {shirt: 1}).order, "dummy")
    assert count() == before


@pytest.mark.parametrize("model", PAYMENT_MODELS, ids=lambda model: model.__name__)
def test_nothing_is_added_or_deleted_by_hand(admin_client, payments, model):
    services.refund_payment(payments["captured"], money("5.00"), reason="Scratched")
    obj = model._default_manager.first()
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.get(admin_url(obj, "delete", obj.pk)).status_code == 403
    assert admin_client.post(admin_url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403
    response = admin_client.get(admin_url(model, "changelist"))
    model_admin = response.context["cl"].model_admin
    assert "delete_selected" not in model_admin.get_actions(response.wsgi_request)
    assert model._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", [Refund, WebhookEvent], ids=lambda model: model.__name__)
def test_refunds_and_webhook_events_are_view_only(admin_client, payments, model):
    services.refund_payment(payments["captured"], money("5.00"), reason="Scratched")
    obj = model._default_manager.first()
    page = admin_client.get(admin_url(obj, "change", obj.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(admin_url(obj, "change", obj.pk), {"reason": "x"}).status_code == 403


def test_the_webhook_payload_is_shown_pretty_and_escaped(admin_client, payments):
    event = WebhookEvent.objects.get(payment=payments["captured"])
    WebhookEvent.objects.filter(pk=event.pk).update(payload={**event.payload, "note": "<b>x</b>"})
    page = admin_client.get(admin_url(event, "change", event.pk)).content.decode()
    line = f'\n  "reference": "{payments["captured"].gateway_reference}",\n'  # indented, one a line
    assert html.escape(line) in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"gateway": "dummy_manual"}, ["authorized"]),
        ({"result": "applied", "type": "captured"}, ["captured"]),
        ({"type": "authorized"}, ["authorized"]),
    ],
)
def test_webhook_event_filters(admin_client, payments, query, expected):
    response = admin_client.get(admin_url(WebhookEvent, "changelist"), query)
    assert response.status_code == 200
    assert {e.payment_id for e in response.context["cl"].result_list} == {
        payments[name].pk for name in expected
    }


@pytest.mark.parametrize("field", ["event_id", "gateway_reference"])
def test_webhook_event_search(admin_client, payments, field):
    event = WebhookEvent.objects.get(payment=payments["authorized"])
    response = admin_client.get(admin_url(WebhookEvent, "changelist"), {"q": getattr(event, field)})
    assert [e.pk for e in response.context["cl"].result_list] == [event.pk]


def test_non_staff_are_sent_to_the_login_page(payments, customer):
    client = Client()
    client.force_login(customer)
    payment = payments["authorized"]
    for url in [
        admin_url(Payment, "changelist"),
        admin_url(payment, "change", payment.pk),
        action_url(payment, "capture"),
        admin_url(WebhookEvent, "changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    response = client.post(action_url(payment, "capture"), {"amount": ""})
    assert response.status_code == 302
    assert fresh(payment).status == "authorized"


# --- buttons ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        ("processing", ["cancel", "refresh"]),
        ("authorized", ["capture", "cancel", "refresh"]),
        ("captured", ["refund_fully", "refund_partially", "refund_lines"]),
    ],
)
def test_the_buttons_offered_follow_the_status(admin_client, payments, status, offered):
    payment = payments[status]
    assert buttons(admin_client.get(admin_url(payment, "change", payment.pk))) == offered


def test_a_settled_payment_offers_nothing_until_it_is_flagged(admin_client, payments):
    payment = services.cancel_payment(payments["processing"])
    assert buttons(admin_client.get(admin_url(payment, "change", payment.pk))) == []
    Payment.objects.filter(pk=payment.pk).update(flagged=True, flag_reason="Captured late")
    assert buttons(admin_client.get(admin_url(payment, "change", payment.pk))) == ["clear_flag"]


def test_capture_asks_for_an_amount_then_captures_through_the_service(admin_client, payments):
    payment = payments["authorized"]
    response = press(admin_client, payment, "capture")
    assert response.status_code == 302
    assert response["Location"] == action_url(payment, "capture")
    form = admin_client.get(action_url(payment, "capture"))
    assert form.status_code == 200
    assert "amount" in form.context["transition_form"].fields

    response = admin_client.post(action_url(payment, "capture"), {"amount": ""}, follow=True)
    assert response.status_code == 200
    payment = fresh(payment)
    assert payment.status == "captured"
    assert payment.captured_amount == money("12.50")
    assert payment.order.status == Order.Status.PAID
    requested = PaymentEvent.objects.get(payment=payment, kind="capture_requested")
    assert requested.actor.username == "admin"
    captures = PaymentEvent.objects.filter(payment=payment, kind="capture")
    # The gateway's answer, then the transition it caused: both done by the staff member.
    assert [(e.actor.username, e.to_status) for e in captures] == [
        ("admin", ""),
        ("admin", "captured"),
    ]
    assert any("the payment is captured" in m for m in messages_of(response))


def test_a_partial_capture_takes_the_amount_given(admin_client, payments):
    payment = payments["authorized"]
    admin_client.post(action_url(payment, "capture"), {"amount": "10.00"})
    payment = fresh(payment)
    assert (payment.status, payment.captured_amount) == ("captured", money("10.00"))
    # Less than the total: the order is not paid and staff are told why.
    assert payment.order.status == Order.Status.PENDING
    assert payment.flagged


def test_cancel_asks_for_a_reason_and_voids_at_the_provider(admin_client, payments, manual):
    payment = payments["authorized"]
    assert press(admin_client, payment, "cancel")["Location"] == action_url(payment, "cancel")
    form = admin_client.get(action_url(payment, "cancel"))
    assert form.context["transition_form"].fields["reason"].initial == "Cancelled by staff"
    response = admin_client.post(action_url(payment, "cancel"), {"reason": "Customer called"})
    assert response.status_code == 302
    assert response["Location"] == admin_url(payment, "change", payment.pk)
    payment = fresh(payment)
    assert payment.status == "cancelled"
    assert manual.provider_state(payment.gateway_reference)["status"] == "cancelled"
    event = PaymentEvent.objects.get(payment=payment, kind="cancel")
    assert (event.actor.username, event.to_status) == ("admin", "cancelled")
    assert PaymentEvent.objects.get(payment=payment, kind="void").actor.username == "admin"


def test_refund_the_rest_refunds_everything_left(admin_client, payments):
    payment = payments["captured"]
    services.refund_payment(payment, money("5.00"), reason="Scratched")
    assert press(admin_client, payment, "refund_fully")["Location"] == action_url(
        payment, "refund_fully"
    )
    form = admin_client.get(action_url(payment, "refund_fully"))
    assert list(form.context["transition_form"].fields) == ["reason"]
    response = admin_client.post(
        action_url(payment, "refund_fully"), {"reason": "Returned"}, follow=True
    )
    payment = fresh(payment)
    assert (payment.status, payment.refunded_amount) == ("refunded", money("25.00"))
    assert payment.order.status == Order.Status.REFUNDED
    refund = Refund.objects.get(payment=payment, reason="Returned")
    assert (refund.status, refund.amount, refund.created_by.username) == (
        "succeeded",
        money("20.00"),
        "admin",
    )
    requested = PaymentEvent.objects.get(
        payment=payment, kind="refund_requested", reason="Returned"
    )
    assert requested.actor.username == "admin"
    assert any(f"Refund {refund.reference}" in m for m in messages_of(response))


def test_refund_part_takes_an_amount_and_a_reason(admin_client, payments):
    payment = payments["captured"]
    response = admin_client.post(
        action_url(payment, "refund_partially"), {"amount": "7.50", "reason": "Late delivery"}
    )
    assert response.status_code == 302
    payment = fresh(payment)
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", money("7.50"))
    assert payment.order.status == Order.Status.PAID
    refund = payment.refunds.get()
    assert (refund.amount, refund.reason, refund.status) == (
        money("7.50"),
        "Late delivery",
        "succeeded",
    )


def test_refund_part_needs_an_amount(admin_client, payments):
    payment = payments["captured"]
    response = admin_client.post(action_url(payment, "refund_partially"), {"reason": "x"})
    assert response.status_code == 200
    assert "amount" in response.context["transition_form"].errors
    assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["30.00", "0", "1.001"])
def test_a_refused_refund_is_a_message_not_a_500(admin_client, payments, amount):
    payment = payments["captured"]
    events_before = payment.events.count()
    response = admin_client.post(
        action_url(payment, "refund_partially"), {"amount": amount, "reason": "x"}
    )
    assert response.status_code == 200  # the form again, with the service's reason
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    payment = fresh(payment)
    assert (payment.status, payment.refunded_amount) == ("captured", None)
    assert not Refund.objects.exists()
    assert payment.events.count() == events_before


def test_a_provider_refusal_is_a_message_and_leaves_the_history(admin_client, payments, manual):
    payment = payments["authorized"]
    cache.delete(manual._key(payment.gateway_reference))  # the provider has lost it
    response = admin_client.post(action_url(payment, "capture"), {"amount": ""}, follow=True)
    assert response.status_code == 200
    assert "Nothing to capture." in messages_of(response)
    assert fresh(payment).status == "authorized"
    event = PaymentEvent.objects.get(payment=payment, kind="capture")
    assert (event.actor.username, event.data["outcome"]) == ("admin", "failed")


def test_an_operation_the_status_does_not_allow_is_a_message(admin_client, payments):
    payment = payments["processing"]
    response = admin_client.post(action_url(payment, "capture"), {"amount": ""}, follow=True)
    assert response.status_code == 200
    assert "Cannot capture a payment that is processing." in messages_of(response)
    assert fresh(payment).status == "processing"
    assert not PaymentEvent.objects.filter(payment=payment, kind="capture_requested").exists()


def test_pressing_cancel_twice_cancels_once(admin_client, payments):
    payment = payments["processing"]
    admin_client.post(action_url(payment, "cancel"), {"reason": "Once"})
    response = admin_client.post(action_url(payment, "cancel"), {"reason": "Twice"}, follow=True)
    assert any("Cannot cancel a payment that is cancelled" in m for m in messages_of(response))
    assert PaymentEvent.objects.filter(payment=payment, kind="cancel").count() == 1


@pytest.mark.parametrize("name", ["authorize", "fail", "mark_processing", "nope"])
def test_raw_transitions_cannot_be_forced(admin_client, payments, name):
    payment = payments["processing"]
    events_before = payment.events.count()
    response = press(admin_client, payment, name, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [f"'{name}' is not available here."]
    assert admin_client.get(action_url(payment, name)).status_code == 400
    assert admin_client.post(action_url(payment, name)).status_code == 400
    assert fresh(payment).status == "processing"
    assert payment.events.count() == events_before


def test_refresh_settles_a_payment_whose_webhook_never_came(admin_client, payments, dummy):
    payment = payments["processing"]
    dummy.confirm(payment.gateway_reference, "succeed")  # webhook bodies dropped
    response = press(admin_client, payment, "refresh", follow=True)
    assert response.status_code == 200
    payment = fresh(payment)
    assert payment.status == "captured"
    assert payment.order.status == Order.Status.PAID
    assert PaymentEvent.objects.get(payment=payment, kind="fetch_status").actor.username == "admin"
    assert any("now captured" in m for m in messages_of(response))


@pytest.mark.django_db(transaction=True)
def test_refresh_asks_the_provider_outside_any_database_transaction(
    admin_client, payments, dummy, monkeypatch
):
    from django.db import connection

    from commerce.payments.gateways.dummy import DummyGateway

    seen = []
    fetch_status = DummyGateway.fetch_status

    def recording(self, payment):
        seen.append(connection.in_atomic_block)
        return fetch_status(self, payment)

    monkeypatch.setattr(DummyGateway, "fetch_status", recording)
    payment = payments["processing"]
    dummy.confirm(payment.gateway_reference, "succeed")
    press(admin_client, payment, "refresh", follow=True)
    assert seen == [False]
    assert fresh(payment).status == "captured"


def test_refresh_with_nothing_new_says_so(admin_client, payments):
    payment = payments["processing"]
    response = press(admin_client, payment, "refresh", follow=True)
    assert any("still processing" in m for m in messages_of(response))
    assert fresh(payment).status == "processing"


def test_refresh_of_a_payment_whose_gateway_is_gone_is_a_message(admin_client, payments, settings):
    payment = payments["processing"]
    gateways = {k: v for k, v in settings.COMMERCE["PAYMENT_GATEWAYS"].items() if k != "dummy"}
    settings.COMMERCE = {**settings.COMMERCE, "PAYMENT_GATEWAYS": gateways}
    response = press(admin_client, payment, "refresh", follow=True)
    assert response.status_code == 200
    assert any("No payment gateway is configured as 'dummy'" in m for m in messages_of(response))


def test_the_refresh_action_asks_about_every_unsettled_payment(admin_client, payments, dummy):
    processing, captured = payments["processing"], payments["captured"]
    dummy.confirm(processing.gateway_reference, "succeed")
    response = admin_client.post(
        admin_url(Payment, "changelist"),
        {
            "action": "refresh_selected",
            "_selected_action": [str(p.pk) for p in payments.values()],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Asked the gateways about 2 unsettled payment(s); 1 changed status." in messages_of(
        response
    )
    assert fresh(processing).status == "captured"
    assert fresh(payments["authorized"]).status == "authorized"
    assert not PaymentEvent.objects.filter(payment=captured, kind="fetch_status").exists()


def test_clear_flag_asks_for_a_note_and_records_it(admin_client, payments):
    payment = payments["authorized"]
    admin_client.post(action_url(payment, "capture"), {"amount": "10.00"})  # flags it
    payment = fresh(payment)
    assert payment.flagged
    reason = payment.flag_reason
    assert "clear_flag" in buttons(admin_client.get(admin_url(payment, "change", payment.pk)))
    assert press(admin_client, payment, "clear_flag")["Location"] == action_url(
        payment, "clear_flag"
    )
    response = admin_client.post(action_url(payment, "clear_flag"), {"note": ""})
    assert "note" in response.context["transition_form"].errors

    response = admin_client.post(
        action_url(payment, "clear_flag"), {"note": "Customer agreed to 10.00"}, follow=True
    )
    payment = fresh(payment)
    assert (payment.flagged, payment.flag_reason, payment.status) == (False, "", "captured")
    event = PaymentEvent.objects.get(payment=payment, kind="unflagged")
    assert (event.actor.username, event.reason, event.data) == (
        "admin",
        "Customer agreed to 10.00",
        {"flag_reason": reason},
    )
    assert any("flag cleared" in m for m in messages_of(response))

    # A second tab clears nothing twice.
    response = admin_client.post(action_url(payment, "clear_flag"), {"note": "Again"}, follow=True)
    assert any("is not flagged" in m for m in messages_of(response))
    assert PaymentEvent.objects.filter(payment=payment, kind="unflagged").count() == 1


def test_a_view_only_staff_member_cannot_act(payments):
    viewer = StaffUserFactory(email="viewer@example.com")
    viewer.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client = Client()
    client.force_login(viewer)
    payment = payments["authorized"]
    page = client.get(admin_url(payment, "change", payment.pk))
    assert page.status_code == 200
    assert buttons(page) == []
    data = {"_fsm_transition_to": "capture"}
    assert client.post(admin_url(payment, "change", payment.pk), data).status_code == 403
    assert client.get(action_url(payment, "capture")).status_code == 403
    assert client.post(action_url(payment, "capture"), {"amount": ""}).status_code == 403
    assert client.post(action_url(payment, "refresh")).status_code == 403
    response = client.get(admin_url(Payment, "changelist"))
    assert "refresh_selected" not in response.context["cl"].model_admin.get_actions(
        response.wsgi_request
    )
    assert fresh(payment).status == "authorized"


# --- the clear_flag service ------------------------------------------------------------------


def test_clear_flag_needs_a_note(payments):
    payment = payments["processing"]
    Payment.objects.filter(pk=payment.pk).update(flagged=True, flag_reason="Disputed")
    with pytest.raises(CommerceValidationError):
        services.clear_flag(payment, note="  ", actor=UserFactory())
    assert fresh(payment).flagged


def test_amounts_show_at_the_currencys_exponent(admin_client, payments):
    captured = payments["captured"]
    services.refund_payment(captured, None, reason="Returned")
    pages = [
        admin_client.get(admin_url(Payment, "changelist")),
        admin_client.get(admin_url(captured, "change", captured.pk)),
        admin_client.get(admin_url(Refund, "changelist")),
        admin_client.get(admin_url(WebhookEvent, "changelist")),
    ]
    refund = Refund.objects.get(payment=captured)
    pages.append(admin_client.get(admin_url(refund, "change", refund.pk)))
    expected = f"${captured.amount.amount:.2f}"
    for page in pages:
        content = page.content.decode()
        amounts = re.findall(r"\$[\d,]+(?:\.\d+)?", content)
        assert expected in amounts, page.request["PATH_INFO"]
        # Two places for dollars, never the column's three ("$59.000").
        assert all(re.fullmatch(r"\$[\d,]+\.\d\d", amount) for amount in amounts), amounts
