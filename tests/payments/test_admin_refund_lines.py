"""The payment admin's "Refund lines": the order's lines with what each unit gives
back, a preview, and a refund through the service."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commerce.core.money import allocate, to_minor_units
from commerce.payments import services
from commerce.payments.models import Payment, Refund, RefundLine
from commerce.testing.factories import StaffUserFactory
from tests.payments.helpers import action_url, admin_url, buttons, fresh, messages_of, press

pytestmark = pytest.mark.django_db


def form_data(*units, shipping=False, reason="Returned", preview=False) -> dict[str, str]:
    """``units`` are ``(order line, units)`` pairs."""
    data = {f"line_{line.pk}": str(quantity) for line, quantity in units}
    data["reason"] = reason
    if shipping:
        data["shipping"] = "on"
    if preview:
        data["_preview"] = "Preview"
    return data


def shares(line) -> list[int]:
    return allocate(to_minor_units(line.total), [1] * line.quantity)


def dollars(minor_units: int) -> str:
    return f"${minor_units // 100}.{minor_units % 100:02d}"


def test_a_captured_payment_offers_refund_lines(admin_client, paid):
    _order, payment, _small, _large = paid
    assert "refund_lines" in buttons(admin_client.get(admin_url(payment, "change", payment.pk)))
    assert press(admin_client, payment, "refund_lines")["Location"] == action_url(
        payment, "refund_lines"
    )


def test_the_form_lists_the_lines_with_what_a_unit_gives_back(admin_client, paid):
    _order, payment, small, large = paid
    services.refund_payment(payment, lines={small.pk: 1}, reason="One")
    response = admin_client.get(action_url(payment, "refund_lines"))
    assert response.status_code == 200
    rows = {row["line"].pk: row for row in response.context["transition_form"].rows}
    assert (rows[small.pk]["refunded"], rows[small.pk]["refundable"]) == (1, 2)
    assert (rows[large.pk]["refunded"], rows[large.pk]["refundable"]) == (0, 1)
    # The next units' shares, as the service will give them back.
    left = sorted(set(shares(small)[1:]))
    assert rows[small.pk]["unit_amount"] == " or ".join(dollars(a) for a in left)
    content = response.content.decode()
    for text in [small.sku, large.sku, f'name="line_{small.pk}"', 'name="shipping"']:
        assert text in content
    assert Refund.objects.count() == 1


def test_the_shipping_is_not_offered_once_refunded(admin_client, paid):
    _order, payment, _small, _large = paid
    services.refund_payment(payment, shipping=True, reason="Late")
    content = admin_client.get(action_url(payment, "refund_lines")).content.decode()
    assert 'name="shipping"' not in content
    assert "The shipping is refunded already, or there was none." in content


def test_preview_shows_the_amount_and_refunds_nothing(admin_client, paid):
    order, payment, small, large = paid
    response = admin_client.post(
        action_url(payment, "refund_lines"),
        form_data((small, 2), (large, 1), shipping=True, preview=True),
    )
    assert response.status_code == 200
    expected = sum(
        part.amount
        for part in services.line_refund_parts(order, {small.pk: 2, large.pk: 1}, shipping=True)
    )
    assert response.context["preview"] == dollars(expected)
    assert f"This refund gives back {dollars(expected)}." in response.content.decode()
    assert not Refund.objects.exists()
    assert fresh(payment).status == Payment.Status.CAPTURED


def test_refund_lines_refunds_what_the_service_computes(admin_client, paid):
    _order, payment, small, large = paid
    expected = sum(shares(small)[:2]) + to_minor_units(large.total)
    response = admin_client.post(
        action_url(payment, "refund_lines"), form_data((small, 2), (large, 1)), follow=True
    )
    assert response.status_code == 200
    refund = Refund.objects.get()
    assert to_minor_units(refund.amount) == expected
    assert refund.created_by.username == "admin"
    assert (refund.reason, refund.status) == ("Returned", Refund.Status.SUCCEEDED)
    assert sorted((line.order_line_id, line.quantity) for line in refund.lines.all()) == sorted(
        [(small.pk, 2), (large.pk, 1)]
    )
    assert [m for m in messages_of(response) if refund.reference in m]
    assert fresh(payment).status == Payment.Status.PARTIALLY_REFUNDED


def test_every_line_and_the_shipping_refund_the_payment_fully(admin_client, paid):
    order, payment, small, large = paid
    admin_client.post(
        action_url(payment, "refund_lines"), form_data((small, 3), (large, 1), shipping=True)
    )
    assert fresh(payment).status == Payment.Status.REFUNDED
    assert to_minor_units(Refund.objects.get().amount) == to_minor_units(order.total)


def test_more_units_than_are_left_is_a_message_and_changes_nothing(admin_client, paid):
    _order, payment, small, _large = paid
    services.refund_payment(payment, lines={small.pk: 2}, reason="Two")
    events = payment.events.count()
    response = admin_client.post(action_url(payment, "refund_lines"), form_data((small, 2)))
    assert response.status_code == 200  # the form again
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert f"{small.sku}: Only 1 of 3 left to refund." in messages_of(response)[0]
    assert Refund.objects.count() == 1
    assert RefundLine.objects.count() == 1
    assert payment.events.count() == events
    # The preview refuses the same way, with nothing written.
    response = admin_client.post(
        action_url(payment, "refund_lines"), form_data((small, 2), preview=True)
    )
    assert response.context["preview"] is None
    assert f"{small.sku}: Only 1 of 3 left to refund." in messages_of(response)[0]


@pytest.mark.parametrize("data", [{"reason": "x"}, {"reason": "x", "line_x": "1"}])
def test_nothing_chosen_is_a_form_error(admin_client, paid, data):
    _order, payment, _small, _large = paid
    response = admin_client.post(action_url(payment, "refund_lines"), data)
    assert response.status_code == 200
    assert "Enter units for at least one line, or the shipping." in response.content.decode()
    assert not Refund.objects.exists()


def test_negative_units_are_a_form_error(admin_client, paid):
    _order, payment, small, _large = paid
    response = admin_client.post(action_url(payment, "refund_lines"), form_data((small, -1)))
    assert response.status_code == 200
    assert response.context["transition_form"].errors
    assert not Refund.objects.exists()


def test_an_uncaptured_payment_is_not_offered_refund_lines(admin_client, customer, shirt):
    from tests.orders.helpers import place

    payment = services.start_payment(place(customer, {shirt: 1}).order, "dummy").payment
    assert "refund_lines" not in buttons(admin_client.get(admin_url(payment, "change", payment.pk)))
    line = payment.order.lines.get()
    response = admin_client.post(
        action_url(payment, "refund_lines"), form_data((line, 1)), follow=True
    )
    assert response.status_code == 200
    assert "Cannot refund a payment that is processing." in messages_of(response)
    assert not Refund.objects.exists()


def test_non_staff_are_sent_to_the_login_page(paid, customer):
    _order, payment, small, _large = paid
    client = Client()
    client.force_login(customer)
    for response in [
        client.get(action_url(payment, "refund_lines")),
        client.post(action_url(payment, "refund_lines"), form_data((small, 1))),
        client.post(action_url(payment, "refund_lines"), form_data((small, 1), preview=True)),
    ]:
        assert response.status_code == 302
    assert not Refund.objects.exists()


def test_staff_who_may_only_view_payments_cannot_refund(paid):
    _order, payment, small, _large = paid
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client = Client()
    client.force_login(staff)
    page = client.get(admin_url(payment, "change", payment.pk))
    assert page.status_code == 200
    assert buttons(page) == []
    for response in [
        client.get(action_url(payment, "refund_lines")),
        client.post(action_url(payment, "refund_lines"), form_data((small, 1))),
        client.post(action_url(payment, "refund_lines"), form_data((small, 1), preview=True)),
    ]:
        assert response.status_code == 403
    assert not Refund.objects.exists()


def test_the_form_reads_a_constant_number_of_queries(admin_client, paid, vendor):
    _order, payment, small, _large = paid

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(action_url(payment, "refund_lines")).status_code == 200
        return len(queries)

    before = count()
    services.refund_payment(payment, lines={small.pk: 1}, reason="One")
    assert count() == before


def test_a_provider_refusal_is_a_message_and_the_units_stay_refundable(admin_client, paid, dummy):
    from django.core.cache import cache

    _order, payment, small, _large = paid
    cache.delete(dummy._key(payment.gateway_reference))  # the provider has lost it
    response = admin_client.post(action_url(payment, "refund_lines"), form_data((small, 1)))
    assert response.status_code == 200  # the form again
    assert "Nothing captured." in messages_of(response)
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert fresh(payment).status == Payment.Status.CAPTURED
    # A failed refund's units are offered again.
    rows = admin_client.get(action_url(payment, "refund_lines")).context["transition_form"].rows
    assert {row["line"].pk: row["refundable"] for row in rows}[small.pk] == 3
