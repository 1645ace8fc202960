"""A payment start retried with its Idempotency-Key calls the provider once.

The provider here (:class:`~tests.payments.recording.RecordingGateway`)
creates a new object for every call, so a second call shows up twice: in its
call list, and as a stored reference and a client secret from different
objects. On PostgreSQL the retries really run at the same moment, in
threads with their own connections, while the first is with the provider;
on any database the retry that comes while the start is with the provider is
played re-entrantly, from inside the provider call.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.payments import services
from commerce.payments.exceptions import PaymentStartInProgressError
from commerce.payments.models import Payment, PaymentEvent
from commerce.payments.services import starting
from tests.helpers import client_for
from tests.payments.recording import RecordingGateway
from tests.threads import run_in_threads

Status = Payment.Status


@pytest.fixture
def recording(settings):
    """The recording provider, configured as ``recording``; forgotten after the test."""
    settings.COMMERCE = {
        **settings.COMMERCE,
        "PAYMENT_GATEWAYS": {
            **settings.COMMERCE["PAYMENT_GATEWAYS"],
            "recording": {"BACKEND": "tests.payments.recording.RecordingGateway"},
        },
    }
    RecordingGateway.reset()
    yield RecordingGateway
    RecordingGateway.reset()


def start(order, key: str = "pay-1"):
    return services.start_payment(order, "recording", request_key=key)


def assert_secret_belongs_to_reference(payment: Payment) -> None:
    # The recording provider's secret for object obj_N is obj_N_secret.
    assert payment.gateway_reference
    assert payment.client_secret == f"{payment.gateway_reference}_secret"


def kill_its_worker_mid_call(payment: Payment, recording) -> None:
    """Leave ``payment`` as a worker killed during its provider call would: claimed, no answer."""
    PaymentEvent.objects.filter(payment=payment, kind="initiate").delete()
    Payment.objects.filter(pk=payment.pk).update(gateway_reference="", client_secret="")
    recording.calls.clear()


# --- the same key at the same moment, on real row locks -----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("requests", [2, 4])
def test_simultaneous_starts_with_one_key_call_the_provider_once(
    recording, customer, order, requests
):
    recording.delay = 0.5  # every request arrives while the first is with the provider
    clients = [client_for(customer) for _ in range(requests)]

    def post(client):
        return lambda: client.post(
            f"/api/v1/orders/{order.number}/payments/",
            {"gateway": "recording"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="double-click",
        )

    results = run_in_threads([post(client) for client in clients])
    responses = [value for kind, value in results if kind == "ok"]
    assert len(responses) == requests, results
    assert [response.status_code for response in responses] == [201] * requests

    assert len(recording.calls) == 1
    payment = Payment.objects.get(order=order)
    assert_secret_belongs_to_reference(payment)
    handed_out = {
        (body["reference"], body["next_action"]["client_secret"])
        for body in (response.json() for response in responses)
    }
    # Every client got the stored payment and the secret stored with its reference.
    assert handed_out == {(payment.reference, payment.client_secret)}
    replays = sorted(response.headers.get("Idempotent-Replayed", "") for response in responses)
    assert replays == [""] + ["true"] * (requests - 1)
    assert PaymentEvent.objects.filter(payment=payment, kind="initiate").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_that_waits_too_long_is_a_409_and_calls_nothing(recording, order, monkeypatch):
    recording.delay = 1.0
    monkeypatch.setattr(starting, "START_WAIT", 0.2)
    first, retry = run_in_threads([lambda: start(order), lambda: start(order)])
    outcomes = sorted([first[0], retry[0]])
    assert outcomes == ["error", "ok"]
    error = next(value for kind, value in (first, retry) if kind == "error")
    assert isinstance(error, PaymentStartInProgressError)
    assert (error.status_code, error.code) == (409, "payment_start_in_progress")
    assert len(recording.calls) == 1
    # Retried once the first has its answer: the stored answer, and still one call.
    again = start(order)
    assert not again.created
    assert_secret_belongs_to_reference(again.payment)
    assert len(recording.calls) == 1


# --- sequential retries (any database) ----------------------------------------------------


@pytest.mark.django_db
def test_a_retry_after_the_answer_returns_the_stored_payment_without_a_call(
    recording, customer, order
):
    client = client_for(customer)

    def post():
        return client.post(
            f"/api/v1/orders/{order.number}/payments/",
            {"gateway": "recording"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="pay-1",
        )

    first, second = post(), post()
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert len(recording.calls) == 1
    assert_secret_belongs_to_reference(Payment.objects.get(order=order))


@pytest.mark.django_db
def test_a_retry_while_the_start_is_with_the_provider_calls_nothing(recording, order, monkeypatch):
    monkeypatch.setattr(starting, "START_WAIT", 0)
    retried = []

    def retry():
        with pytest.raises(PaymentStartInProgressError):
            start(order)
        # A refresh meanwhile (the customer's, reconciliation's) starts nothing either.
        payment = services.refresh_payment(Payment.objects.get(order=order))
        assert (payment.status, payment.gateway_reference) == (Status.PENDING, "")
        retried.append(True)

    recording.during_call = retry
    started = start(order)
    assert retried == [True]
    assert started.created
    assert len(recording.calls) == 1
    assert_secret_belongs_to_reference(started.payment)
    assert started.payment.status == Status.PROCESSING


@pytest.mark.django_db
def test_a_start_whose_worker_died_is_sent_again_once_its_claim_is_stale(
    recording, order, monkeypatch
):
    monkeypatch.setattr(starting, "START_WAIT", 0)
    payment = start(order).payment
    kill_its_worker_mid_call(payment, recording)

    with pytest.raises(PaymentStartInProgressError):
        start(order)
    assert recording.calls == []

    PaymentEvent.objects.filter(payment=payment, kind="initiate_requested").update(
        created_at=timezone.now() - timedelta(seconds=starting.START_CLAIM_TTL + 1)
    )
    again = start(order)
    assert not again.created
    # Sent again with the first call's idempotency key: a provider that keeps its keys
    # creates nothing twice.
    assert recording.calls == [(payment.reference, f"{payment.reference}:initiate")]
    assert_secret_belongs_to_reference(again.payment)


@pytest.mark.django_db
def test_a_retry_takes_over_a_claim_whose_worker_died_instead_of_failing(
    recording, order, monkeypatch
):
    monkeypatch.setattr(starting, "START_CLAIM_TTL", 0.3)
    payment = start(order).payment
    kill_its_worker_mid_call(payment, recording)

    began = time.monotonic()
    again = start(order)
    assert 0.2 < time.monotonic() - began < starting.START_WAIT
    assert not again.created
    assert recording.calls == [(payment.reference, f"{payment.reference}:initiate")]
    assert_secret_belongs_to_reference(again.payment)


@pytest.mark.django_db
def test_a_late_answer_from_another_provider_object_never_replaces_the_stored_secret(
    recording, order, monkeypatch
):
    """Two calls can still overlap when the first outlives its claim: the first answer
    stored wins, and the other object is flagged for staff to release."""

    def takeover():
        recording.during_call = None
        PaymentEvent.objects.filter(kind="initiate_requested").update(
            created_at=timezone.now() - timedelta(seconds=starting.START_CLAIM_TTL + 1)
        )
        start(order)  # the claim is stale: this start calls and stores obj_2

    recording.during_call = takeover
    started = start(order)  # obj_1 answers last
    payment = Payment.objects.get(pk=started.payment.pk)
    assert len(recording.calls) == 2
    assert (payment.gateway_reference, payment.client_secret) == ("obj_2", "obj_2_secret")
    assert payment.flagged
    assert "obj_1" in payment.flag_reason
    assert (started.payment.gateway_reference, started.payment.client_secret) == (
        "obj_2",
        "obj_2_secret",
    )
