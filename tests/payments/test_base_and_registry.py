"""The gateway interface's shared behaviour, and the registry built from settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from djmoney.money import Money

from commerce.checks import check_commerce_settings
from commerce.core.exceptions import CommerceError
from commerce.payments.exceptions import (
    GatewayConfigurationError,
    GatewayUnsupportedFeature,
    UnsupportedAmountError,
)
from commerce.payments.gateways.base import (
    Capability,
    InitiateResult,
    OperationResult,
    Outcome,
    PaymentGateway,
)
from commerce.payments.gateways.dummy import DummyGateway
from commerce.payments.gateways.registry import (
    UnknownGatewayError,
    build_gateway,
    gateways,
    get_gateway,
    installed_gateway_classes,
)


class MinimalGateway(PaymentGateway):
    """What a plugin author must write at the least: initiate and fetch_status."""

    name = "minimal"
    currencies = frozenset({"USD", "JPY", "KWD"})

    def initiate(self, payment, *, idempotency_key, return_url=""):
        return InitiateResult(Outcome.PENDING, gateway_reference="m_1")

    def fetch_status(self, payment):
        return OperationResult(Outcome.PENDING, gateway_reference="m_1")


def commerce_with(gateways_setting):
    return override_settings(COMMERCE={**settings.COMMERCE, "PAYMENT_GATEWAYS": gateways_setting})


def test_missing_capabilities_raise_a_named_error(payment):
    gateway = MinimalGateway(alias="mini")
    for call in (
        lambda: gateway.capture(payment, idempotency_key="k"),
        lambda: gateway.void(payment, idempotency_key="k"),
        lambda: gateway.refund(payment, idempotency_key="k"),
        lambda: gateway.verify_webhook(b"{}", {}),
        lambda: gateway.parse_webhook(b"{}", {}),
    ):
        with pytest.raises(GatewayUnsupportedFeature) as caught:
            call()
        assert caught.value.details["gateway"] == "mini"
        assert caught.value.status_code == 400
    assert not gateway.supports(Capability.REFUND)


@pytest.mark.parametrize(
    ("money", "minor"),
    [
        (Money(Decimal("1000"), "JPY"), 1000),
        (Money(Decimal("12.50"), "USD"), 1250),
        (Money(Decimal("1.234"), "KWD"), 1234),
    ],
)
def test_minor_units_follow_iso_4217_by_default(money, minor):
    gateway = MinimalGateway(alias="mini")
    assert gateway.to_minor_units(money) == minor
    assert gateway.from_minor_units(minor, str(money.currency)) == money


@pytest.mark.parametrize(
    "money",
    [Money(Decimal("12.505"), "USD"), Money(Decimal("1.5"), "JPY"), Money(Decimal("5"), "EUR")],
)
def test_unrepresentable_amounts_are_refused_before_any_call(money):
    with pytest.raises(UnsupportedAmountError):
        MinimalGateway(alias="mini").to_minor_units(money)


def test_the_registry_builds_each_alias_once_and_forgets_on_settings_change():
    config = {"demo": {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"}}
    with commerce_with(config):
        first = get_gateway("demo")
        assert isinstance(first, DummyGateway)
        assert first.alias == "demo"
        assert get_gateway("demo") is first
        assert gateways.aliases() == ["demo"]
        assert set(gateways.all()) == {"demo"}
    options = {"demo": {**config["demo"], "OPTIONS": {"capture_method": "manual"}}}
    with commerce_with(options):
        rebuilt = get_gateway("demo")
        assert rebuilt is not first
        assert rebuilt.manual_capture


def test_an_unknown_alias_is_a_configuration_error():
    with commerce_with({}), pytest.raises(UnknownGatewayError, match="'nope'"):
        get_gateway("nope")


def test_an_unknown_alias_is_a_400_naming_the_configured_gateways():
    config = {
        alias: {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"}
        for alias in ("card", "bank")
    }
    with commerce_with(config), pytest.raises(UnknownGatewayError) as raised:
        get_gateway("nope")
    error = raised.value
    assert isinstance(error, CommerceError)
    assert isinstance(error, GatewayConfigurationError)
    assert (error.status_code, error.code, error.alias) == (400, "unknown_gateway", "nope")
    assert error.details == {"gateway": ["Choose one of: bank, card."]}


def test_build_gateway_builds_a_fresh_gateway_from_one_entry():
    entry = {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway", "OPTIONS": {"x": 1}}
    first, second = build_gateway("demo", entry), build_gateway("demo", entry)
    assert isinstance(first, DummyGateway)
    assert (first.alias, first.options) == ("demo", {"x": 1})
    assert first is not second


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({}, "BACKEND"),
        ("commerce.payments.gateways.dummy.DummyGateway", "BACKEND"),
        ({"BACKEND": "commerce.payments.gateways.nope.Gateway"}, "Cannot import"),
        ({"BACKEND": "commerce.core.money.Money"}, "not a PaymentGateway"),
    ],
)
def test_bad_entries_are_refused_by_the_registry_and_the_system_check(entry, message):
    with commerce_with({"bad": entry}):
        with pytest.raises(GatewayConfigurationError, match=message):
            get_gateway("bad")
        errors = [e for e in check_commerce_settings() if e.id == "commerce.E011"]
        assert len(errors) == 1
        assert message in errors[0].msg


@pytest.mark.django_db
def test_a_bad_gateway_fails_manage_py_check():
    with (
        commerce_with({"bad": {"BACKEND": "nope.Gateway"}}),
        pytest.raises(SystemCheckError, match=r"commerce\.E011"),
    ):
        call_command("check")


def test_a_well_configured_gateway_passes_the_check():
    with commerce_with({"demo": {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"}}):
        assert not [e for e in check_commerce_settings() if e.id == "commerce.E011"]


def test_payment_gateways_must_be_a_dict():
    with commerce_with(["dummy"]):
        assert [e.id for e in check_commerce_settings()] == ["commerce.E011"]


def test_installed_plugins_are_listed_from_entry_points(monkeypatch):
    class EntryPoint:
        name = "acme"
        value = "acme_pay.gateway:AcmeGateway"

    monkeypatch.setattr(
        "commerce.payments.gateways.registry.entry_points",
        lambda group: [EntryPoint()] if group == "commerce.payment_gateways" else [],
    )
    assert installed_gateway_classes() == {"acme": "acme_pay.gateway:AcmeGateway"}
