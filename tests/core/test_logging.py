"""RedactSecretsFilter: what payment code and Django log never carries a secret out."""

from __future__ import annotations

import io
import json
import logging

import pytest

from commerce.core.logging import REDACTED, RedactSecretsFilter, redact

STRIPE_SECRET_KEY = "sk_live_51NzQmLKa8bC3dE4fG5hI6jK7lM8nO9pQ"
STRIPE_PUBLISHABLE_KEY = "pk_live_51NzQmLKa8bC3dE4fG5hI6jK7lM8nO9pR"
STRIPE_RESTRICTED_KEY = "rk_test_51NzQmLKa8bC3dE4fG5hI6jK7lM8nO9pS"
STRIPE_WEBHOOK_SECRET = "whsec_8f3Jk2LmN9pQrS4tUvW6xYz1AbCdEfGh"
PAYSTACK_SECRET_KEY = "sk_test_7c1e9b0a5d3f4e2a8b6c0d1e2f3a4b5c6d7e8f90"
CLIENT_SECRET = "pi_3OaBcD2eZvKYlo2C1xYz9876_secret_QwErTy123UiOp456AsDf"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxLCJleHAiOjE3MDAwMDAwMDB9."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
STRIPE_SIGNATURE = (
    "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,"
    "v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
)
PAYSTACK_SIGNATURE = (
    "a3f1c9e2b4d6f8a0c2e4f6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4f6a8"
    "b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4f6a8b0d2f4a6c8e0b2d4f6a8c0e2"
)
CARDS = ["4242424242424242", "4000 0566 5566 5556", "5555-5555-5555-4444", "378282246310005"]

#: Fragments that must never reach a handler, whatever record carried them.
SECRETS = [
    STRIPE_SECRET_KEY[8:],
    STRIPE_PUBLISHABLE_KEY[8:],
    STRIPE_RESTRICTED_KEY[8:],
    STRIPE_WEBHOOK_SECRET[6:],
    PAYSTACK_SECRET_KEY[8:],
    "QwErTy123UiOp456AsDf",
    JWT.split(".")[2],
    "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
    "6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
    PAYSTACK_SIGNATURE[:40],
    *(card.replace(" ", "").replace("-", "") for card in CARDS),
    *CARDS,
    "4242 4242",
    "hunter2-correct-horse",
    "AUTH_72btv547",
]


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into: {text}"


@pytest.fixture
def capture():
    """A logger whose only handler writes through the filter into a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_gateway_options_and_request_headers_logged_carelessly(capture):
    logger, stream = capture
    logger.info(
        "gateway options %s",
        {"secret_key": STRIPE_SECRET_KEY, "publishable_key": STRIPE_PUBLISHABLE_KEY},
    )
    logger.info(
        "restricted key %s, webhook secret %s", STRIPE_RESTRICTED_KEY, STRIPE_WEBHOOK_SECRET
    )
    logger.debug(
        "Paystack request %(method)s %(headers)r",
        {"method": "POST", "headers": {"Authorization": f"Bearer {PAYSTACK_SECRET_KEY}"}},
    )
    logger.warning("Request headers: %s", {"HTTP_AUTHORIZATION": f"Bearer {JWT}"})
    logger.warning("Authorization: Basic dXNlcjpwYXNzd29yZA==")
    output = stream.getvalue()
    assert_clean(output)
    assert "dXNlcjpwYXNzd29yZA" not in output
    # What is not secret survives, so the log still says what happened.
    assert "pk_live_" in output
    assert "POST" in output
    assert "Paystack request" in output
    assert output.count(REDACTED) >= 6


def test_webhook_deliveries_logged_raw(capture):
    logger, stream = capture
    stripe_body = json.dumps(
        {
            "id": "evt_1",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {"id": "pi_3OaBcD2eZvKYlo2C1xYz9876", "client_secret": CLIENT_SECRET}
            },
        }
    ).encode()
    logger.error(
        "Stripe webhook rejected: body=%r headers=%r",
        stripe_body,
        {"Stripe-Signature": STRIPE_SIGNATURE, "Content-Type": "application/json"},
    )
    paystack_body = json.dumps(
        {
            "event": "charge.success",
            "data": {
                "reference": "ORD-1",
                "authorization": {
                    "authorization_code": "AUTH_72btv547",
                    "bin": "408408",
                    "last4": "4081",
                    "reusable": True,
                },
            },
        }
    )
    logger.error("Paystack webhook %s x-paystack-signature=%s", paystack_body, PAYSTACK_SIGNATURE)
    logger.error("bare signature %s", PAYSTACK_SIGNATURE)
    logger.error("signature header %s", STRIPE_SIGNATURE)
    output = stream.getvalue()
    assert_clean(output)
    assert "pi_3OaBcD2eZvKYlo2C1xYz9876" in output  # the intent id is not a secret
    assert "charge.success" in output
    assert '"last4": "4081"' in output
    assert "t=1700000000" in output


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers(capture, card):
    logger, stream = capture
    logger.info("card %s exp 12/34", card)
    logger.info("customer typed %s into the note", f"please charge {card} thanks")
    output = stream.getvalue()
    assert_clean(output)
    assert "exp 12/34" in output


def test_a_card_number_passed_as_an_integer_is_redacted_without_breaking_the_format(capture):
    logger, stream = capture
    logger.info("card %d", 4242424242424242)
    assert stream.getvalue() == f"INFO tests.redaction: card {REDACTED}\n"


def test_numbers_that_are_not_card_numbers_are_kept():
    # Order amounts, ids, timestamps that fail the Luhn check, short numbers.
    text = "order 1042 total 125.50 at 1700000000001, ref 4242424242424241, phone 08031234567"
    assert redact(text) == text


def test_exception_text_and_stack_are_redacted(capture):
    logger, stream = capture
    try:
        raise ValueError(f"Invalid API Key provided: {STRIPE_SECRET_KEY}")
    except ValueError:
        logger.exception("Could not reconcile payment %s", "PAY-1")
    logger.info("where %s", "here", stack_info=True, extra={"body": f"password={SECRETS[-2]}"})
    output = stream.getvalue()
    assert_clean(output)
    assert "Traceback" in output
    assert "ValueError: Invalid API Key provided: sk_live_" in output


def test_string_extras_are_redacted():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "delivery", (), None)
    record.headers = f"Stripe-Signature: {STRIPE_SIGNATURE}"
    record.attempt = 3
    assert RedactSecretsFilter().filter(record) is True
    assert_clean(record.headers)
    assert record.attempt == 3


def test_a_record_with_nothing_secret_is_left_as_it_was():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "Payment %s flagged: %s", ("P", "r"), None
    )
    RedactSecretsFilter().filter(record)
    assert (record.msg, record.args) == ("Payment %s flagged: %s", ("P", "r"))


def test_a_broken_format_string_does_not_leak_its_arguments(capture, capsys):
    logger, stream = capture
    logger.info("two %s %s", STRIPE_SECRET_KEY)
    output = stream.getvalue() + capsys.readouterr().err
    assert_clean(output)
    assert "two %s %s" in output


def test_redaction_is_idempotent():
    text = f"Authorization: Bearer {JWT} {CLIENT_SECRET} Stripe-Signature: {STRIPE_SIGNATURE}"
    once = redact(text)
    assert redact(once) == once
    assert_clean(once)
