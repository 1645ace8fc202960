"""Correctly signed webhooks (and provider answers) whose values the database cannot
hold never cost a 500.

Each case is signed as its provider signs (Stripe's ``t=,v1=`` HMAC-SHA256 scheme,
verified by the ``stripe`` SDK; Paystack's HMAC-SHA512 of the body with the secret
key; the dummy's own scheme) and posted to the real webhook endpoint. The module
runs on SQLite and on PostgreSQL (NUL characters and lone surrogates fail only
there; ``test_postgresql_refuses_what_the_payload_sanitising_removes`` proves it).
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import DataError, connection, transaction
from djmoney.money import Money
from rest_framework.test import APIClient

from commerce.core.money import to_minor_units
from commerce.payments import services
from commerce.payments.exceptions import WebhookVerificationError
from commerce.payments.gateways.base import (
    PROBLEMS_KEY,
    EventType,
    GatewayEvent,
    InitiateResult,
    OperationResult,
    Outcome,
)
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, WebhookEvent
from tests.payments import paystack_fakes, stripe_fakes

pytestmark = pytest.mark.django_db

UNKNOWN_REFERENCE = "ref_that_no_payment_has"
TOO_BIG = 10**15  # minor units: 10**13 USD, past the money columns' 11 whole digits


# --- each provider's signed "captured" event ------------------------------------------------


def dummy_event(
    *, event_id="evt_values_1", reference=UNKNOWN_REFERENCE, amount=1250, currency="USD", extra=None
):
    data = {
        "id": event_id,
        "type": "captured",
        "reference": reference,
        "amount": amount,
        "currency": currency,
        "created": int(time.time()),
        **(extra or {}),
    }
    body = json.dumps(data).encode()
    return body, get_gateway("dummy").sign(body)


def stripe_event(
    *, event_id="evt_values_1", reference=UNKNOWN_REFERENCE, amount=1250, currency="usd", extra=None
):
    intent = stripe_fakes.payment_intent(
        id=reference,
        status="succeeded",
        amount_received=amount,
        currency=currency,
        **(extra or {}),
    )
    body, _ = stripe_fakes.event_body("payment_intent.succeeded", intent, event_id=event_id)
    secret = get_gateway("stripe").webhook_secret
    return body, {"Stripe-Signature": stripe_fakes.sign(body, secret=secret)}


def paystack_event(
    *, event_id=None, reference=UNKNOWN_REFERENCE, amount=1250, currency="USD", extra=None
):
    assert event_id is None, "Paystack sends no event id: commerce derives one"
    payload = json.loads(json.dumps(paystack_fakes.CHARGE_SUCCESS))
    payload["data"].update(reference=reference, amount=amount, currency=currency, **(extra or {}))
    body = json.dumps(payload).encode()
    secret = get_gateway("paystack").options["secret_key"]
    return body, {"X-Paystack-Signature": paystack_fakes.sign(body, secret=secret)}


EVENTS = {"dummy": dummy_event, "stripe": stripe_event, "paystack": paystack_event}
WITH_EVENT_IDS = ["dummy", "stripe"]  # Paystack's ids are derived (a sha256 hex digest)


def post(alias: str, body: bytes, headers: dict[str, str]):
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return APIClient().post(
        f"/api/v1/payments/webhooks/{alias}/", data=body, content_type="application/json", **meta
    )


def recorded(alias: str) -> WebhookEvent:
    (record,) = WebhookEvent.objects.filter(gateway=alias)
    return record


# --- an event id commerce cannot store: 400, nothing stored ----------------------------------


@pytest.mark.parametrize("alias", WITH_EVENT_IDS)
@pytest.mark.parametrize(
    "event_id", ["evt_\x00nul", "e" * 256, ""], ids=["nul", "too-long", "empty"]
)
def test_an_unstorable_event_id_is_a_400_and_nothing_is_stored(alias, event_id):
    response = post(alias, *EVENTS[alias](event_id=event_id))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("alias", WITH_EVENT_IDS)
def test_the_longest_storable_event_id_is_recorded(alias):
    response = post(alias, *EVENTS[alias](event_id="e" * 255))
    assert response.status_code == 200, response.content
    assert recorded(alias).event_id == "e" * 255


# --- values that do not fit: recorded, never applied -----------------------------------------


@pytest.mark.parametrize("alias", EVENTS)
@pytest.mark.parametrize(
    "reference", ["pi_\x00nul", "r" * 256, "pi_\ud800"], ids=["nul", "too-long", "surrogate"]
)
def test_a_reference_no_payment_could_have_is_recorded_as_naming_none(alias, reference):
    response = post(alias, *EVENTS[alias](reference=reference))
    assert response.status_code == 200, response.content
    record = recorded(alias)
    assert record.result == WebhookEvent.Result.UNKNOWN_PAYMENT
    assert record.gateway_reference == ""
    assert record.payload[PROBLEMS_KEY][0].startswith("gateway_reference:")


@pytest.mark.parametrize("alias", EVENTS)
def test_an_amount_past_the_money_columns_is_recorded_as_unknown(alias):
    response = post(alias, *EVENTS[alias](amount=TOO_BIG))
    assert response.status_code == 200, response.content
    record = recorded(alias)
    assert (record.type, record.amount) == (EventType.UNKNOWN, None)
    assert "does not fit a money column" in record.payload[PROBLEMS_KEY][0]


@pytest.mark.parametrize("alias", ["dummy", "stripe"])
@pytest.mark.parametrize(
    ("amount", "currency"),
    [(1250.5, "USD"), ("1250", "USD"), (True, "USD"), (1250, "usdollars"), (1250, "U\x00D")],
    ids=["float", "string", "bool", "not-3-letters", "nul-currency"],
)
def test_an_amount_that_is_not_integer_minor_units_is_recorded_as_unknown(alias, amount, currency):
    response = post(alias, *EVENTS[alias](amount=amount, currency=currency))
    assert response.status_code == 200, response.content
    record = recorded(alias)
    assert (record.type, record.amount) == (EventType.UNKNOWN, None)
    assert record.payload[PROBLEMS_KEY][0].startswith("amount:")
    assert "\x00" not in json.dumps(record.payload[PROBLEMS_KEY])


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("12.5", "USD"), (1250.5, "USD"), (True, "USD"), (None, "USD"), (1250, "usdollars")],
    ids=["decimal-string", "float", "bool", "missing", "not-a-currency"],
)
def test_paystack_records_an_unreadable_amount_as_unknown(amount, currency):
    response = post("paystack", *paystack_event(amount=amount, currency=currency))
    assert response.status_code == 200, response.content
    record = recorded("paystack")
    assert (record.type, record.amount) == (EventType.UNKNOWN, None)
    assert record.payload[PROBLEMS_KEY][0].startswith("amount:")


@pytest.mark.parametrize("alias", EVENTS)
def test_nul_and_lone_surrogates_in_the_payload_are_replaced_before_jsonb(alias):
    extra = {"note\x00key": "a\x00b", "nested": [{"deep\ud800": ["\x00", "\udfff"]}]}
    response = post(alias, *EVENTS[alias](extra=extra))
    assert response.status_code == 200, response.content
    stored = recorded(alias).payload
    data = stored["data"]["object"] if alias == "stripe" else stored.get("data", stored)
    assert data["note\ufffdkey"] == "a\ufffdb"
    assert data["nested"] == [{"deep\ufffd": ["\ufffd", "\ufffd"]}]
    assert "NUL characters" in stored[PROBLEMS_KEY][0]


@pytest.mark.parametrize("alias", EVENTS)
def test_a_payload_nested_past_the_recursion_limit_is_a_400(alias):
    body = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000
    if alias == "dummy":
        headers = get_gateway("dummy").sign(body)
    elif alias == "stripe":
        headers = {"Stripe-Signature": stripe_fakes.sign(body, secret="whsec_commerce_tests")}
    else:
        secret = get_gateway("paystack").options["secret_key"]
        headers = {"X-Paystack-Signature": paystack_fakes.sign(body, secret=secret)}
    response = post(alias, body, headers)
    assert response.status_code == 400, response.content
    assert not WebhookEvent.objects.exists()


def test_an_unfit_capture_never_touches_the_payment_it_names(order):
    started = services.start_payment(order, "dummy")
    payment = started.payment
    response = post("dummy", *dummy_event(reference=payment.gateway_reference, amount=TOO_BIG))
    assert response.status_code == 200, response.content
    record = recorded("dummy")
    assert record.payment_id == payment.pk
    assert record.type == EventType.UNKNOWN
    # Recorded and flagged for staff, never applied.
    assert record.result == WebhookEvent.Result.FLAGGED
    assert "does not fit a money column" in record.reason
    payment = Payment.objects.select_related("order").get(pk=payment.pk)
    assert payment.flagged
    assert payment.flag_reason == record.reason
    assert payment.status == Payment.Status.PROCESSING
    assert payment.captured_amount is None
    assert payment.order.status == "pending"


def test_a_capture_whose_payload_lost_a_nul_is_applied_and_flags_the_payment(order):
    # The customer paid: a NUL replaced somewhere in the payload must not keep the
    # order pending (and expiring); staff are asked to look at it.
    payment = services.start_payment(order, "dummy").payment
    body, headers = dummy_event(
        reference=payment.gateway_reference,
        amount=to_minor_units(payment.amount),
        extra={"note": "a\x00b"},
    )
    response = post("dummy", body, headers)
    assert response.status_code == 200, response.content
    record = recorded("dummy")
    assert record.result == WebhookEvent.Result.APPLIED
    assert record.payload["note"] == "a\ufffdb"
    payment = Payment.objects.select_related("order").get(pk=payment.pk)
    assert payment.status == Payment.Status.CAPTURED
    assert payment.order.status == "paid"
    assert payment.flagged
    assert "values commerce cannot store" in payment.flag_reason


def test_a_clean_event_carries_no_problems():
    response = post("dummy", *dummy_event())
    assert response.status_code == 200, response.content
    assert PROBLEMS_KEY not in recorded("dummy").payload


# --- GatewayEvent itself, whichever gateway builds it ------------------------------------


def event(**fields: Any) -> GatewayEvent:
    values = {
        "event_id": "evt_1",
        "type": EventType.CAPTURED,
        "gateway_reference": "pi_1",
        "amount": Money(Decimal("12.50"), "USD"),
        "occurred_at": None,
        "raw": {},
        **fields,
    }
    return GatewayEvent(**values)


@pytest.mark.parametrize(
    "amount",
    [
        Money(Decimal("100000000000"), "USD"),  # 12 whole digits
        Money(Decimal("1.2345"), "KWD"),  # 4 places
        Money(Decimal("-1"), "USD"),
        Money(Decimal("NaN"), "USD"),
        Money(Decimal("1"), "XXX"),  # ISO's "no currency", which commerce refuses
        "12.50 USD",
    ],
)
def test_an_amount_the_columns_cannot_hold_makes_the_event_unknown(amount):
    built = event(amount=amount)
    assert (built.type, built.amount) == (EventType.UNKNOWN, None)
    assert built.problems
    assert built.raw[PROBLEMS_KEY] == list(built.problems)


def test_the_largest_amount_the_columns_hold_is_kept():
    largest = Money(Decimal("99999999999.999"), "KWD")
    assert event(amount=largest).amount == largest
    assert event(amount=largest).problems == ()


@pytest.mark.parametrize("event_id", [None, 42, "", "x" * 256, "a\x00", "\udc80"])
def test_an_event_id_that_cannot_be_stored_refuses_the_event(event_id):
    with pytest.raises(WebhookVerificationError):
        event(event_id=event_id)


def test_nan_and_infinity_in_the_payload_become_strings():
    built = event(raw={"a": float("nan"), "b": [float("inf")], "c": Decimal("1.5")})
    assert (built.raw["a"], built.raw["b"], built.raw["c"]) == ("nan", ["inf"], "1.5")


def test_the_limits_are_the_columns_limits():
    from commerce.payments.gateways import base

    webhook = {field.name: field for field in WebhookEvent._meta.get_fields()}
    assert webhook["event_id"].max_length == base.MAX_EVENT_ID_LENGTH
    assert webhook["gateway_reference"].max_length == base.MAX_REFERENCE_LENGTH
    assert Payment._meta.get_field("gateway_reference").max_length == base.MAX_REFERENCE_LENGTH
    amount = webhook["amount"]
    assert (amount.max_digits, amount.decimal_places) == (
        base.MONEY_MAX_DIGITS,
        base.MONEY_DECIMAL_PLACES,
    )


def test_normalizing_again_changes_nothing():
    # The services rebuild an event with dataclasses.replace (a confirmed amount).
    from dataclasses import replace

    built = event(
        gateway_reference="r" * 300, amount=Money(Decimal("-1"), "USD"), raw={"a\x00": "b"}
    )
    again = replace(built, occurred_at=None)
    assert again == built
    assert len(again.problems) == 3


def test_a_type_given_as_text_is_normalized():
    assert event(type="refunded").type == EventType.REFUNDED
    assert event(type="chargeback").type == EventType.UNKNOWN


@pytest.mark.postgres
def test_postgresql_refuses_what_the_payload_sanitising_removes():
    """Without the sanitising, these payloads would be a 500 on PostgreSQL."""
    assert connection.vendor == "postgresql"
    for payload in ({"a": "\x00"}, {"\x00": 1}):
        with pytest.raises(DataError), transaction.atomic():
            WebhookEvent.objects.create(
                gateway="dummy",
                event_id="evt_raw",
                type="captured",
                payload=payload,
                result=WebhookEvent.Result.IGNORED,
            )


# --- provider answers (InitiateResult, OperationResult) are checked the same way -------------


def test_an_operation_result_that_cannot_be_stored_is_unknown_without_it():
    result = OperationResult(
        Outcome.SUCCEEDED,
        "r" * 256,
        amount=Money(Decimal("1e12"), "USD"),
        captured=True,
        raw={"why\x00": "x"},
    )
    assert (result.outcome, result.gateway_reference, result.amount) == (Outcome.UNKNOWN, "", None)
    assert result.message.startswith("The provider's answer held values commerce cannot store")
    assert [problem.split(":")[0] for problem in result.raw[PROBLEMS_KEY]] == [
        "gateway_reference",
        "amount",
        "payload",
    ]
    assert "why\ufffd" in result.raw


def test_a_failed_operation_keeps_its_outcome_and_cleans_its_message():
    result = OperationResult(
        Outcome.FAILED, "pi_1", amount=Money(Decimal("-5"), "USD"), message="no\x00pe"
    )
    assert (result.outcome, result.amount, result.message) == (Outcome.FAILED, None, "no\ufffdpe")


@pytest.mark.parametrize(
    "field",
    [{"gateway_reference": "pi\x00"}, {"client_secret": "s" * 256}, {"redirect_url": "u" * 2001}],
)
def test_an_initiate_result_the_payment_cannot_hold_is_unknown_without_it(field):
    values = {"gateway_reference": "pi_1", "client_secret": "pi_1_secret", "redirect_url": ""}
    result = InitiateResult(Outcome.PENDING, **{**values, **field})
    (name,) = field
    assert result.outcome == Outcome.UNKNOWN
    assert getattr(result, name) == ""
    assert result.raw[PROBLEMS_KEY][0].startswith(f"{name}:")


def test_a_clean_answer_is_unchanged():
    raw = {"id": "pi_1", "amount": 2500, "nested": [{"a": None}]}
    result = OperationResult(Outcome.SUCCEEDED, "pi_1", amount=Money("25", "USD"), raw=raw)
    assert (result.outcome, result.raw, result.message) == (Outcome.SUCCEEDED, raw, "")
