"""Gateway options are read one way (``PaymentGateway.option``), and ``manage.py check``
reports a gateway whose webhooks could never verify (``commerce.E014``)."""

from __future__ import annotations

import re

import httpx
import pytest
import stripe
from django.conf import settings
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from commerce.checks import check_commerce_settings
from commerce.payments.exceptions import GatewayConfigurationError
from commerce.payments.gateways.base import (
    NON_NEGATIVE_INTEGER,
    POSITIVE_INTEGER,
    POSITIVE_NUMBER,
    TEXT,
    Capability,
    currency_codes,
    instance_of,
    one_of,
)
from commerce.payments.gateways.dummy import DummyGateway
from commerce.payments.gateways.paystack import PaystackGateway
from commerce.payments.gateways.stripe import StripeGateway
from tests.payments.fakes import BareGateway

STRIPE = "commerce.payments.gateways.stripe.StripeGateway"
PAYSTACK = "commerce.payments.gateways.paystack.PaystackGateway"
DUMMY = "commerce.payments.gateways.dummy.DummyGateway"
SK = "sk_test_options_0000000000000000"


def message(alias: str, option: str, must_be: str, got: str) -> str:
    """The one error format every gateway's options use."""
    return (
        f'COMMERCE["PAYMENT_GATEWAYS"][{alias!r}]["OPTIONS"][{option!r}] '
        f"must be {must_be} (got {got})."
    )


# --- PaymentGateway.option ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (TEXT, "abc", "abc"),
        (POSITIVE_INTEGER, 3, 3),
        (NON_NEGATIVE_INTEGER, 0, 0),
        (POSITIVE_NUMBER, 0.5, 0.5),
        (one_of("a", "b"), "b", "b"),
        (currency_codes, ["usd", "EUR"], frozenset({"USD", "EUR"})),
        (instance_of(int, "an int"), 7, 7),
    ],
)
def test_an_option_is_checked_and_converted(kind, value, expected):
    gateway = BareGateway(alias="acme", options={"x": value})
    assert gateway.option("x", kind) == expected


@pytest.mark.parametrize(
    ("kind", "value", "must_be"),
    [
        (TEXT, "   ", "a non-empty string"),
        (TEXT, 42, "a non-empty string"),
        (POSITIVE_INTEGER, 0, "a positive whole number"),
        (POSITIVE_INTEGER, True, "a positive whole number"),
        (POSITIVE_INTEGER, 1.5, "a positive whole number"),
        (NON_NEGATIVE_INTEGER, -1, "a whole number >= 0"),
        (POSITIVE_NUMBER, -0.1, "a positive number"),
        (POSITIVE_NUMBER, "10", "a positive number"),
        (one_of("a", "b"), "c", "one of 'a', 'b'"),
        (currency_codes, "USD", "a list of ISO 4217 currency codes"),
        (currency_codes, ["USD", "XYZ"], "a list of ISO 4217 currency codes"),
        (instance_of(int, "an int"), "7", "an int"),
    ],
)
def test_a_bad_option_is_one_configuration_error_naming_alias_and_option(kind, value, must_be):
    gateway = BareGateway(alias="acme", options={"x": value})
    expected = message("acme", "x", must_be, repr(value))
    with pytest.raises(GatewayConfigurationError, match=re.escape(expected)):
        gateway.option("x", kind)


def test_a_missing_option_is_its_default_or_required():
    gateway = BareGateway(alias="acme", options={"blank": "", "none": None})
    assert gateway.option("absent", TEXT, "fallback") == "fallback"
    # An unset environment variable ("") or None counts as not set.
    assert gateway.option("blank", POSITIVE_INTEGER, 5) == 5
    assert gateway.option("none", TEXT, None) is None
    expected = message("acme", "blank", "a non-empty string", "nothing: it is required")
    with pytest.raises(GatewayConfigurationError, match=re.escape(expected)):
        gateway.option("blank", TEXT)


def test_a_secret_is_never_echoed_in_the_error():
    gateway = BareGateway(alias="acme", options={"secret_key": ["sk_live_do_not_show"]})
    with pytest.raises(GatewayConfigurationError) as caught:
        gateway.option("secret_key", TEXT)
    assert "sk_live_do_not_show" not in str(caught.value)
    assert str(caught.value) == message("acme", "secret_key", "a non-empty string", "a list")


# --- every built-in gateway reads its options that way -----------------------------------


@pytest.mark.parametrize(
    ("backend", "options", "option", "must_be", "got"),
    [
        (StripeGateway, {}, "secret_key", "a non-empty string", "nothing: it is required"),
        (StripeGateway, {"secret_key": SK, "timeout": -1}, "timeout", "a positive number", "-1"),
        (
            StripeGateway,
            {"secret_key": SK, "capture_method": "later"},
            "capture_method",
            "one of 'automatic', 'manual'",
            "'later'",
        ),
        (
            StripeGateway,
            {"secret_key": SK, "http_client": "x"},
            "http_client",
            "a stripe.HTTPClient instance",
            "'x'",
        ),
        (PaystackGateway, {"secret_key": 42}, "secret_key", "a non-empty string", "a int"),
        (
            PaystackGateway,
            {"secret_key": SK, "timeout": 0},
            "timeout",
            "a positive number",
            "0",
        ),
        (
            PaystackGateway,
            {"secret_key": SK, "transport": object},
            "transport",
            "an httpx.BaseTransport",
            "<class 'object'>",
        ),
        (
            DummyGateway,
            {"capture_method": "later"},
            "capture_method",
            "one of 'automatic', 'manual'",
            "'later'",
        ),
        (
            DummyGateway,
            {"webhook_tolerance": "300"},
            "webhook_tolerance",
            "a positive whole number",
            "'300'",
        ),
        (
            DummyGateway,
            {"confirm_url": "/pay/"},
            "confirm_url",
            'a URL template containing "{reference}"',
            "'/pay/'",
        ),
    ],
)
def test_built_in_gateways_report_bad_options_in_the_one_format(
    backend, options, option, must_be, got
):
    with pytest.raises(GatewayConfigurationError) as caught:
        backend(alias="mine", options=options)
    assert str(caught.value) == message("mine", option, must_be, got)


def test_good_options_are_read_into_the_gateway():
    client = stripe.RequestsClient()
    gateway = StripeGateway(
        alias="stripe",
        options={
            "secret_key": SK,
            "webhook_secret": "whsec_x",
            "publishable_key": "",
            "capture_method": "manual",
            "currencies": ["usd"],
            "http_client": client,
        },
    )
    assert (gateway.capture_method, gateway.webhook_secret) == ("manual", "whsec_x")
    assert gateway.currencies == frozenset({"USD"})
    assert gateway.public_config() == {"capture_method": "manual"}
    paystack = PaystackGateway(
        alias="paystack",
        options={"secret_key": SK, "transport": httpx.MockTransport(lambda r: None)},
    )
    assert paystack.public_config() == {}
    dummy = DummyGateway(alias="dummy", options={"confirm_url": "/pay/{reference}/"})
    assert dummy.confirm_url == "/pay/{reference}/"


# --- commerce.E014: a webhook that could never verify -------------------------------------


def gateways_with(**entries):
    return override_settings(COMMERCE={**settings.COMMERCE, "PAYMENT_GATEWAYS": entries})


def e014(errors) -> list[Error]:
    return [error for error in errors if error.id == "commerce.E014"]


def test_stripe_without_a_webhook_secret_is_reported():
    with gateways_with(shop_stripe={"BACKEND": STRIPE, "OPTIONS": {"secret_key": SK}}):
        (error,) = e014(check_commerce_settings())
    assert isinstance(error, Error)
    assert "'shop_stripe'" in error.msg
    assert '"webhook_secret"' in error.msg
    assert "payments/webhooks/shop_stripe/" in error.hint


@pytest.mark.parametrize("blank", ["", None])
def test_a_blank_webhook_secret_from_the_environment_is_reported_too(blank):
    options = {"secret_key": SK, "webhook_secret": blank}
    with gateways_with(stripe={"BACKEND": STRIPE, "OPTIONS": options}):
        assert len(e014(check_commerce_settings())) == 1


def test_configured_built_in_gateways_pass():
    with gateways_with(
        stripe={"BACKEND": STRIPE, "OPTIONS": {"secret_key": SK, "webhook_secret": "whsec_1"}},
        # Paystack signs webhooks with the secret key it cannot be built without.
        paystack={"BACKEND": PAYSTACK, "OPTIONS": {"secret_key": SK}},
        # The dummy signs with a secret derived from SECRET_KEY when given none.
        dummy={"BACKEND": DUMMY},
    ):
        assert e014(check_commerce_settings()) == []


def test_paystack_without_its_secret_key_is_unbuildable_not_unverifiable():
    with gateways_with(paystack={"BACKEND": PAYSTACK, "OPTIONS": {}}):
        errors = check_commerce_settings()
    assert e014(errors) == []
    assert [error.id for error in errors if error.id.startswith("commerce.E01")] == [
        "commerce.E011"
    ]


class SignedPluginGateway(BareGateway):
    """A plugin gateway that declares what its webhooks are verified with."""

    webhook_secret_options = ("signing_key",)


class NoWebhooksPluginGateway(SignedPluginGateway):
    capabilities = frozenset({Capability.REFUND})


def test_a_plugin_gateway_declares_its_webhook_secrets_and_gets_the_same_check():
    backend = f"{__name__}.SignedPluginGateway"
    with gateways_with(acme={"BACKEND": backend}):
        (error,) = e014(check_commerce_settings())
    assert '"signing_key"' in error.msg
    with gateways_with(acme={"BACKEND": backend, "OPTIONS": {"signing_key": "k"}}):
        assert e014(check_commerce_settings()) == []


def test_a_gateway_without_webhooks_needs_no_webhook_secret():
    with gateways_with(acme={"BACKEND": f"{__name__}.NoWebhooksPluginGateway"}):
        assert e014(check_commerce_settings()) == []


@pytest.mark.django_db
def test_a_missing_webhook_secret_fails_manage_py_check():
    with (
        gateways_with(stripe={"BACKEND": STRIPE, "OPTIONS": {"secret_key": SK}}),
        pytest.raises(SystemCheckError, match=r"commerce\.E014"),
    ):
        call_command("check")
