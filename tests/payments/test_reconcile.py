"""Reconciliation: the service, ``manage.py commerce_reconcile_payments`` and the task.

The dummy provider keeps its state in the cache: ``confirm`` changes it and
returns the webhook bodies it would send. Not delivering them is a webhook
that never came, which only reconciliation (``fetch_status``) can settle.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commerce.catalog.models import StockRecord
from commerce.orders.models import Order
from commerce.orders.services import cancel_order
from commerce.payments import services, tasks
from commerce.payments.exceptions import GatewayError
from commerce.payments.gateways.base import OperationResult, Outcome
from commerce.payments.gateways.dummy import DummyGateway
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, PaymentEvent
from tests.helpers import money
from tests.orders.helpers import place
from tests.payments.flows import deliver

pytestmark = pytest.mark.django_db


NO_REFUNDS = {"refunds_checked": 0, "refunds_settled": 0, "refunds_unsettled": 0}


def start(order, alias: str = "dummy") -> Payment:
    payment = services.start_payment(order, alias).payment
    assert payment.status == Payment.Status.PROCESSING
    return payment


def status(payment) -> str:
    return Payment.objects.get(pk=payment.pk).status


def order_status(payment) -> str:
    return Order.objects.get(pk=payment.order_id).status


def run_command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("commerce_reconcile_payments", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def second_order(customer, shirt):
    return place(customer, {shirt: 1}).order


@pytest.fixture
def failing_for(monkeypatch):
    """``failing_for(payment)``: the dummy provider's status API breaks for that payment only."""

    def make(payment):
        original = DummyGateway.fetch_status

        def fetch_status(self, info):
            if info.reference == payment.reference:
                raise GatewayError("The provider is down for this one.")
            return original(self, info)

        monkeypatch.setattr(DummyGateway, "fetch_status", fetch_status)

    return make


# --- the service -----------------------------------------------------------------------------


def test_a_capture_whose_webhook_never_came_is_settled(order, dummy, shirt):
    payment = start(order)
    bodies = dummy.confirm(payment.gateway_reference, "succeed")
    assert bodies  # the provider captured and would have told us; the message is lost
    assert status(payment) == "processing"

    report = services.reconcile_payments(older_than=0)

    assert (report.checked, report.settled, report.unsettled, report.errors) == (1, 1, 0, [])
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == "captured"
    assert payment.captured_amount == payment.amount
    assert order_status(payment) == Order.Status.PAID
    record = StockRecord.objects.get(variant=shirt)
    assert (record.quantity, record.reserved) == (8, 0)
    kinds = list(payment.events.values_list("kind", flat=True))
    assert kinds[-2:] == ["fetch_status", "capture"]
    # Reconciliation is a system action: nobody is named as its actor.
    assert not payment.events.filter(actor__isnull=False).exists()


def test_a_failure_whose_webhook_never_came_is_settled(order, dummy):
    payment = start(order)
    dummy.confirm(payment.gateway_reference, "fail")
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.settled, report.unsettled) == (1, 1, 0)
    assert status(payment) == "failed"
    assert order_status(payment) == Order.Status.PENDING


def test_an_authorization_whose_webhook_never_came_is_settled(order):
    payment = start(order, "dummy_manual")
    get_gateway("dummy_manual").confirm(payment.gateway_reference, "succeed")
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.settled) == (1, 1)
    assert status(payment) == "authorized"


def test_a_capture_whose_answer_was_lost_is_settled(order, monkeypatch):
    gateway = get_gateway("dummy_manual")
    payment = start(order, "dummy_manual")
    deliver(gateway, gateway.confirm(payment.gateway_reference, "succeed"))
    real_capture = DummyGateway.capture

    def capture_then_time_out(self, *args, **kwargs):
        real_capture(self, *args, **kwargs)  # the provider captured; its answer is lost
        return OperationResult(Outcome.UNKNOWN, payment.gateway_reference)

    monkeypatch.setattr(DummyGateway, "capture", capture_then_time_out)
    services.capture_payment(Payment.objects.get(pk=payment.pk))
    assert status(payment) == "authorized"
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.settled, report.unsettled) == (1, 1, 0)
    assert status(payment) == "captured"
    assert order_status(payment) == "paid"


def test_an_authorization_waiting_for_staff_stays_unsettled(order):
    gateway = get_gateway("dummy_manual")
    payment = start(order, "dummy_manual")
    deliver(gateway, gateway.confirm(payment.gateway_reference, "succeed"))
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.settled, report.unsettled) == (1, 0, 1)
    assert status(payment) == "authorized"


@pytest.mark.parametrize("gateway_alias", ["dummy", "dummy_manual"])
def test_payments_of_a_cancelled_order_are_cancelled_and_voided(order, gateway_alias):
    gateway = get_gateway(gateway_alias)
    payment = start(order, gateway_alias)
    if gateway_alias == "dummy_manual":  # an authorization: a hold on the customer's card
        deliver(gateway, gateway.confirm(payment.gateway_reference, "succeed"))
    cancel_order(order)
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.cancelled, report.errors) == (1, 1, [])
    assert status(payment) == "cancelled"
    assert gateway.provider_state(payment.gateway_reference)["status"] == "cancelled"
    # Done once: the next run has nothing to look at.
    assert services.reconcile_payments(older_than=0).checked == 0


def test_a_payment_still_waiting_for_the_customer_stays_unsettled(order):
    payment = start(order)
    report = services.reconcile_payments(older_than=0)
    assert (report.checked, report.settled, report.unsettled, report.errors) == (1, 0, 1, [])
    assert status(payment) == "processing"
    assert PaymentEvent.objects.filter(payment=payment, kind="fetch_status").count() == 1


def test_a_young_payment_is_left_alone_by_default(order, dummy, settings):
    assert settings.COMMERCE.get("PAYMENT_RECONCILE_AFTER") is None  # the default: 600 s
    payment = start(order)
    dummy.confirm(payment.gateway_reference, "succeed")

    report = services.reconcile_payments()
    assert (report.checked, report.settled, report.unsettled) == (0, 0, 0)
    assert status(payment) == "processing"
    assert not PaymentEvent.objects.filter(payment=payment, kind="fetch_status").exists()

    report = services.reconcile_payments(now=timezone.now() + timedelta(seconds=599))
    assert report.checked == 0
    report = services.reconcile_payments(now=timezone.now() + timedelta(seconds=601))
    assert (report.checked, report.settled) == (1, 1)
    assert status(payment) == "captured"


def test_the_setting_moves_the_threshold(order, dummy, settings):
    settings.COMMERCE = {**settings.COMMERCE, "PAYMENT_RECONCILE_AFTER": 30}
    payment = start(order)
    dummy.confirm(payment.gateway_reference, "succeed")
    assert services.reconcile_payments(now=timezone.now() + timedelta(seconds=20)).checked == 0
    assert services.reconcile_payments(now=timezone.now() + timedelta(seconds=31)).settled == 1


def test_settled_payments_are_not_asked_about(order, dummy):
    payment = start(order)
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    assert status(payment) == "captured"
    report = services.reconcile_payments(older_than=0)
    assert report.checked == 0


def test_one_failing_payment_does_not_stop_the_others(order, second_order, dummy, failing_for):
    broken, fine = start(order), start(second_order)
    for payment in (broken, fine):
        dummy.confirm(payment.gateway_reference, "succeed")
    failing_for(broken)

    report = services.reconcile_payments(older_than=0)

    assert (report.checked, report.settled, report.unsettled) == (2, 1, 0)
    assert report.errors == [f"{broken.reference}: The provider is down for this one."]
    assert status(broken) == "processing"
    assert status(fine) == "captured"
    assert order_status(fine) == Order.Status.PAID


# --- the command -----------------------------------------------------------------------------


def test_the_command_settles_and_reports(order, second_order, dummy):
    settled, waiting = start(order), start(second_order)
    dummy.confirm(settled.gateway_reference, "succeed")
    out, err = run_command("--older-than", "0")
    assert (
        out.strip()
        == "Checked 2 payment(s): 1 settled, 1 still unsettled, 0 cancelled, 0 error(s)."
    )
    assert err == ""
    assert (status(settled), status(waiting)) == ("captured", "processing")


def test_the_command_uses_the_setting_by_default(order, dummy):
    payment = start(order)
    dummy.confirm(payment.gateway_reference, "succeed")
    out, _ = run_command()
    assert (
        out.strip()
        == "Checked 0 payment(s): 0 settled, 0 still unsettled, 0 cancelled, 0 error(s)."
    )
    assert status(payment) == "processing"


def test_the_command_reports_each_error_and_exits_non_zero(order, second_order, dummy, failing_for):
    broken, fine = start(order), start(second_order)
    dummy.confirm(fine.gateway_reference, "succeed")
    failing_for(broken)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"^1 payment\(s\) could not be reconciled\.$"):
        call_command("commerce_reconcile_payments", "--older-than=0", stdout=out, stderr=err)
    assert out.getvalue().strip() == (
        "Checked 2 payment(s): 1 settled, 0 still unsettled, 0 cancelled, 1 error(s)."
    )
    assert err.getvalue().strip() == (
        f"Could not reconcile {broken.reference}: The provider is down for this one."
    )
    assert status(fine) == "captured"


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_the_command_refuses_a_bad_threshold(value):
    with pytest.raises(CommandError):
        call_command("commerce_reconcile_payments", f"--older-than={value}", stdout=StringIO())


# --- the task --------------------------------------------------------------------------------


@pytest.fixture
def reload_tasks():
    """``reload_tasks(celery_module)``: re-import ``commerce.payments.tasks`` as if ``celery``
    were that module (``None``: not installed); the real import is restored afterwards."""
    missing = object()
    saved = sys.modules.get("celery", missing)

    def reload(celery_module):
        sys.modules["celery"] = celery_module
        return importlib.reload(tasks)

    yield reload
    if saved is missing:
        sys.modules.pop("celery", None)
    else:
        sys.modules["celery"] = saved
    importlib.reload(tasks)


def test_without_celery_the_task_is_a_plain_function(reload_tasks, order, dummy):
    module = reload_tasks(None)  # ``import celery`` raises ImportError
    task = module.reconcile_payments_task
    assert isinstance(task, types.FunctionType)
    assert task.__name__ == "reconcile_payments_task"
    payment = start(order)
    dummy.confirm(payment.gateway_reference, "succeed")
    assert task() == {
        "checked": 0,
        "settled": 0,
        "unsettled": 0,
        "cancelled": 0,
        **NO_REFUNDS,
        "errors": [],
    }
    assert task(older_than=0) == {
        "checked": 1,
        "settled": 1,
        "unsettled": 0,
        "cancelled": 0,
        **NO_REFUNDS,
        "errors": [],
    }
    assert status(payment) == "captured"


def test_with_celery_the_task_is_a_shared_task(reload_tasks, order, dummy):
    registered = []

    class FakeTask:
        """Just enough of a Celery task: callable directly, like the real one."""

        def __init__(self, func):
            self.run = func
            self.name = f"{func.__module__}.{func.__name__}"

        def __call__(self, *args, **kwargs):
            return self.run(*args, **kwargs)

    def shared_task(func):
        registered.append(func.__name__)
        return FakeTask(func)

    fake_celery = types.ModuleType("celery")
    fake_celery.shared_task = shared_task
    module = reload_tasks(fake_celery)

    task = module.reconcile_payments_task
    assert isinstance(task, FakeTask)
    assert registered == ["reconcile_payments_task"]
    assert task.name == "commerce.payments.tasks.reconcile_payments_task"
    payment = start(order)
    dummy.confirm(payment.gateway_reference, "succeed")
    assert task(older_than=0) == {
        "checked": 1,
        "settled": 1,
        "unsettled": 0,
        "cancelled": 0,
        **NO_REFUNDS,
        "errors": [],
    }
    assert status(payment) == "captured"


def test_the_task_reports_errors_as_json_types(order, dummy, failing_for):
    payment = start(order)
    failing_for(payment)
    result = tasks.reconcile_payments_task(older_than=0)
    assert json.loads(json.dumps(result)) == {
        "checked": 1,
        "settled": 0,
        "unsettled": 0,
        "cancelled": 0,
        **NO_REFUNDS,
        "errors": [f"{payment.reference}: The provider is down for this one."],
    }


# --- refunds whose answer was lost -------------------------------------------------------


def lose_refund_answers(monkeypatch):
    """The dummy provider refunds, but its answer never arrives."""
    real_refund = DummyGateway.refund

    def refund_then_time_out(self, payment, amount=None, *, idempotency_key):
        real_refund(self, payment, amount, idempotency_key=idempotency_key)
        return OperationResult(Outcome.UNKNOWN, payment.gateway_reference)

    monkeypatch.setattr(DummyGateway, "refund", refund_then_time_out)
    return real_refund


def captured(order, dummy) -> Payment:
    payment = start(order)
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    return Payment.objects.get(pk=payment.pk)


def test_a_refund_whose_answer_was_lost_is_sent_again_and_refunds_once(order, dummy, monkeypatch):
    payment = captured(order, dummy)
    real_refund = lose_refund_answers(monkeypatch)
    refund = services.refund_payment(payment, money("10.00"), reason="Damaged")
    assert refund.status == "pending"
    monkeypatch.setattr(DummyGateway, "refund", real_refund)

    report = services.reconcile_payments(older_than=0)
    assert (report.refunds_checked, report.refunds_settled, report.refunds_unsettled) == (1, 1, 0)
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == "succeeded"
    assert payment.refunded_amount == money("10.00")
    # The provider refunded once: the resend carried the same idempotency key.
    assert dummy.provider_state(payment.gateway_reference)["refunded"] == 1000
    assert services.reconcile_payments(older_than=0).refunds_checked == 0


def test_a_pending_refund_outside_the_retry_window_is_left_for_staff(order, dummy, monkeypatch):
    payment = captured(order, dummy)
    lose_refund_answers(monkeypatch)
    refund = services.refund_payment(payment, money("10.00"))
    long_ago = timezone.now() - timedelta(days=30)
    type(refund).objects.filter(pk=refund.pk).update(created_at=long_ago, updated_at=long_ago)
    calls = []
    monkeypatch.setattr(DummyGateway, "refund", lambda *a, **k: calls.append(a))
    report = services.reconcile_payments(older_than=0)
    assert (report.refunds_checked, report.refunds_settled, report.refunds_unsettled) == (1, 0, 1)
    assert calls == []
    out, _ = run_command("--older-than=0")
    assert "Checked 1 pending refund(s): 0 settled, 1 still pending." in out


def test_a_gateway_without_a_retry_window_never_gets_a_refund_twice(order, dummy, monkeypatch):
    payment = captured(order, dummy)
    lose_refund_answers(monkeypatch)
    services.refund_payment(payment, money("10.00"))
    monkeypatch.setattr(DummyGateway, "refund_retry_window", 0)  # like Paystack
    calls = []
    monkeypatch.setattr(DummyGateway, "refund", lambda *a, **k: calls.append(a))
    report = services.reconcile_payments(older_than=0)
    assert (report.refunds_checked, report.refunds_unsettled) == (1, 1)
    assert calls == []


def test_a_pending_refund_of_a_removed_gateway_is_left_for_staff(
    order, dummy, monkeypatch, settings
):
    payment = captured(order, dummy)
    lose_refund_answers(monkeypatch)
    services.refund_payment(payment, money("10.00"))
    gateways = settings.COMMERCE["PAYMENT_GATEWAYS"]
    # Gone from the settings; a broken entry next to it is never built for this refund.
    settings.COMMERCE = {
        **settings.COMMERCE,
        "PAYMENT_GATEWAYS": {
            **{alias: entry for alias, entry in gateways.items() if alias != "dummy"},
            "broken": {"BACKEND": "nope.Gateway"},
        },
    }
    report = services.reconcile_payments(older_than=0)
    assert (report.refunds_checked, report.refunds_settled, report.refunds_unsettled) == (1, 0, 1)
