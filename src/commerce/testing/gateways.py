"""A conformance test suite for payment gateways, for plugin authors and for commerce itself.

Subclass :class:`GatewayContract` in a test module (pytest collects its
``test_*`` methods), implement the hooks with your gateway's HTTP layer
intercepted, and your gateway is checked against what commerce relies on:
minor-unit conversion, result shapes, the requests it sends, unsupported
capabilities, and webhook signature rejection. A check that does not apply
to your gateway (webhook checks for a gateway without
:attr:`~commerce.payments.gateways.base.Capability.WEBHOOKS`) is reported as
skipped with the reason, never as passed; the minor-unit cases and the
unrepresentable amount are required, and a test class without them fails.
Add :class:`TimestampedWebhookContract` when the provider's signature scheme
carries a timestamp::

    from commerce.testing.gateways import GatewayContract, TimestampedWebhookContract

    class TestAcmeContract(GatewayContract, TimestampedWebhookContract):
        minor_units = [(Money("12.50", "USD"), 1250)]
        unrepresentable = Money("1.005", "USD")

        def make_gateway(self): ...
        # and the other hooks

The three built-in gateways pass it in commerce's own test run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest
from djmoney.money import Money

from commerce.payments.exceptions import (
    GatewayUnsupportedFeature,
    UnsupportedAmountError,
    WebhookVerificationError,
)
from commerce.payments.gateways.base import (
    Capability,
    EventType,
    Outcome,
    PaymentGateway,
    PaymentInfo,
)

__all__ = ["GatewayContract", "TimestampedWebhookContract"]


class GatewayContract:
    """The checks every gateway must pass. Implement the hooks; keep the network intercepted."""

    #: ``(amount, provider integer)`` pairs the gateway must convert exactly, both ways.
    #: Required: declare at least one per kind of currency the gateway takes (two
    #: decimals, zero, three, and the provider's own exceptions).
    minor_units: Sequence[tuple[Money, int]] = ()
    #: An amount the provider cannot represent (refused before any request).
    unrepresentable: Money | None = None

    # --- hooks ----------------------------------------------------------------------------

    def make_gateway(self) -> PaymentGateway:
        """A fresh gateway whose HTTP layer answers from your fakes, never the network."""
        raise NotImplementedError

    def make_payment(self) -> PaymentInfo:
        """A payment in a currency the gateway accepts."""
        raise NotImplementedError

    def arrange_initiate(self, gateway: PaymentGateway, payment: PaymentInfo) -> None:
        """Make the provider answer the next initiate request with success."""
        raise NotImplementedError

    def requests_sent(self, gateway: PaymentGateway) -> int:
        """How many requests the gateway has sent its provider so far (HTTP requests
        seen by your fake transport; the dummy gateway lists its own in ``requests``)."""
        raise NotImplementedError

    def captured_webhook(self, payment: PaymentInfo) -> tuple[bytes, str]:
        """A provider event saying ``payment`` was paid in full, as raw bytes (unsigned),
        and the ``gateway_reference`` the gateway should report for it."""
        raise NotImplementedError

    def sign(self, body: bytes, *, wrong_secret: bool = False) -> dict[str, str]:
        """Headers signing ``body`` as the provider does (with another secret if asked)."""
        raise NotImplementedError

    # --- the contract ----------------------------------------------------------------------

    def test_declares_a_name_and_known_capabilities(self):
        gateway = self.make_gateway()
        assert gateway.name
        assert all(isinstance(capability, Capability) for capability in gateway.capabilities)

    def test_minor_units_round_trip(self):
        if not self.minor_units:
            pytest.fail(
                f"{type(self).__name__} declares no minor-unit cases: set `minor_units` to "
                "(Money, provider integer) pairs, e.g. [(Money('12.50', 'USD'), 1250)], one "
                "for each kind of currency the gateway takes."
            )
        gateway = self.make_gateway()
        for money, minor in self.minor_units:
            assert gateway.to_minor_units(money) == minor
            assert gateway.from_minor_units(minor, str(money.currency)) == money

    def test_an_unrepresentable_amount_is_refused_before_any_request(self):
        if self.unrepresentable is None:
            pytest.fail(
                f"{type(self).__name__} declares no `unrepresentable` amount: set it to one "
                "the provider cannot take, e.g. Money('1.005', 'USD')."
            )
        gateway = self.make_gateway()
        payment = _with_amount(self.make_payment(), self.unrepresentable)
        with pytest.raises(UnsupportedAmountError):
            gateway.initiate(payment, idempotency_key="contract-unrepresentable")
        assert self.requests_sent(gateway) == 0

    def test_missing_capabilities_raise_before_any_request(self):
        gateway = self.make_gateway()
        payment = self.make_payment()
        calls = {
            Capability.CAPTURE: lambda: gateway.capture(payment, idempotency_key="c"),
            Capability.VOID: lambda: gateway.void(payment, idempotency_key="v"),
            Capability.REFUND: lambda: gateway.refund(payment, idempotency_key="r"),
            Capability.WEBHOOKS: lambda: gateway.parse_webhook(b"{}", {}),
        }
        missing = [capability for capability in calls if not gateway.supports(capability)]
        if not missing:
            pytest.skip(f"{gateway.name} lacks none of {', '.join(map(str, calls))}")
        for capability in missing:
            with pytest.raises(GatewayUnsupportedFeature):
                calls[capability]()
        assert self.requests_sent(gateway) == 0

    def test_initiate_returns_a_reference_and_what_the_client_needs(self):
        gateway = self.make_gateway()
        payment = self.make_payment()
        self.arrange_initiate(gateway, payment)
        result = gateway.initiate(payment, idempotency_key="contract-initiate", return_url="/x")
        assert self.requests_sent(gateway) == 1, "initiate should send exactly one request"
        assert result.outcome in (Outcome.PENDING, Outcome.SUCCEEDED)
        assert result.gateway_reference
        assert result.client_secret or result.redirect_url
        json.dumps(dict(result.raw))  # JSON-safe: it goes into the payment's history

    def test_a_signed_webhook_verifies_and_normalizes(self):
        gateway = self.make_gateway()
        _skip_without_webhooks(gateway)
        payment = self.make_payment()
        body, reference = self.captured_webhook(payment)
        headers = self.sign(body)
        gateway.verify_webhook(body, headers)
        events = gateway.parse_webhook(body, headers)
        assert events, "a payment event parsed to no events"
        (event,) = [event for event in events if event.type == EventType.CAPTURED]
        assert event.event_id
        assert isinstance(event.event_id, str)
        assert event.gateway_reference == reference
        assert event.amount == payment.amount
        assert not event.problems, (
            f"the event lost values the database cannot hold: {event.problems}"
        )
        json.dumps(dict(event.raw))

    def test_a_redelivered_webhook_keeps_its_event_id(self):
        gateway = self.make_gateway()
        _skip_without_webhooks(gateway)
        body, _ = self.captured_webhook(self.make_payment())
        first = [event.event_id for event in gateway.parse_webhook(body, self.sign(body))]
        again = [event.event_id for event in gateway.parse_webhook(body, self.sign(body))]
        assert first == again

    def test_forged_webhooks_are_refused(self):
        gateway = self.make_gateway()
        _skip_without_webhooks(gateway)
        body, _ = self.captured_webhook(self.make_payment())
        headers = self.sign(body)
        forgeries: list[tuple[bytes, Mapping[str, str]]] = [
            (body.replace(b"}", b' ,"tampered": true}', 1), headers),  # tampered body
            (body, self.sign(body, wrong_secret=True)),  # wrong secret
            (body, {}),  # no signature
        ]
        for forged_body, forged_headers in forgeries:
            with pytest.raises(WebhookVerificationError):
                gateway.verify_webhook(forged_body, forged_headers)


class TimestampedWebhookContract:
    """For signature schemes that carry a timestamp: a stale one is refused."""

    def stale_signature(self, body: bytes) -> dict[str, str]:
        """Headers signing ``body`` correctly but with a timestamp an hour old."""
        raise NotImplementedError

    def test_a_stale_signature_is_refused(self):
        gateway = self.make_gateway()
        _skip_without_webhooks(gateway)
        body, _ = self.captured_webhook(self.make_payment())
        with pytest.raises(WebhookVerificationError):
            gateway.verify_webhook(body, self.stale_signature(body))


def _skip_without_webhooks(gateway: PaymentGateway) -> None:
    if not gateway.supports(Capability.WEBHOOKS):
        pytest.skip(f"{gateway.name} does not declare Capability.WEBHOOKS")


def _with_amount(payment: PaymentInfo, amount: Money) -> PaymentInfo:
    from dataclasses import is_dataclass, replace

    if is_dataclass(payment):
        return replace(payment, amount=amount)
    payment.amount = amount
    return payment
