"""The built-in gateways pass the conformance suite plugin authors run.

The suite is ``commerce.testing.gateways``.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import httpx
import pytest
from django.core.cache import cache
from djmoney.money import Money

from commerce.payments.gateways.base import Capability, EventType, PaymentGateway
from commerce.payments.gateways.dummy import DummyGateway
from commerce.testing.gateways import GatewayContract, TimestampedWebhookContract
from tests.payments import paystack_fakes, stripe_fakes
from tests.payments.fakes import FakePayment


class TestDummyContract(GatewayContract, TimestampedWebhookContract):
    minor_units = [
        (Money(Decimal("12.50"), "USD"), 1250),
        (Money(Decimal("1000"), "JPY"), 1000),
        (Money(Decimal("1.234"), "KWD"), 1234),
    ]
    unrepresentable = Money(Decimal("12.505"), "USD")

    @pytest.fixture(autouse=True)
    def _clear_cache(self):
        cache.clear()
        yield
        cache.clear()

    def make_gateway(self):
        return DummyGateway(alias="dummy", options={"webhook_secret": "whsec_contract"})

    def make_payment(self):
        return FakePayment()

    def arrange_initiate(self, gateway, payment):
        pass  # the dummy provider always accepts

    def requests_sent(self, gateway):
        return len(gateway.requests)  # the dummy lists what it sent its provider

    def captured_webhook(self, payment):
        reference = f"dummy_{payment.reference}"
        gateway = self.make_gateway()
        return gateway.event_body(EventType.CAPTURED, reference, 1250, "USD"), reference

    def sign(self, body, *, wrong_secret=False):
        secret = "another" if wrong_secret else "whsec_contract"
        return DummyGateway(alias="dummy", options={"webhook_secret": secret}).sign(body)

    def stale_signature(self, body):
        gateway = self.make_gateway()
        return gateway.sign(body, timestamp=int(time.time()) - 3600)


class TestStripeContract(GatewayContract, TimestampedWebhookContract):
    minor_units = [
        (Money(Decimal("12.50"), "USD"), 1250),
        (Money(Decimal("1000"), "JPY"), 1000),
        (Money(Decimal("1.230"), "KWD"), 1230),
    ]
    unrepresentable = Money(Decimal("1.234"), "KWD")  # Stripe wants the last digit to be 0

    def make_gateway(self):
        return stripe_fakes.make_gateway(stripe_fakes.FakeHTTPClient())

    def make_payment(self):
        return FakePayment()

    def _http(self, gateway):
        return gateway.options["http_client"]

    def arrange_initiate(self, gateway, payment):
        self._http(gateway).respond(200, stripe_fakes.payment_intent())

    def requests_sent(self, gateway):
        return len(self._http(gateway).requests)

    def captured_webhook(self, payment):
        intent = stripe_fakes.payment_intent(status="succeeded", amount_received=1250)
        body, _ = stripe_fakes.event_body("payment_intent.succeeded", intent)
        return body, stripe_fakes.PI_ID

    def sign(self, body, *, wrong_secret=False):
        secret = "whsec_wrong" if wrong_secret else stripe_fakes.WEBHOOK_SECRET
        return {"Stripe-Signature": stripe_fakes.sign(body, secret=secret)}

    def stale_signature(self, body):
        return {"Stripe-Signature": stripe_fakes.sign(body, timestamp=int(time.time()) - 3600)}


class TestPaystackContract(GatewayContract):
    minor_units = [
        (Money(Decimal("1500.50"), "NGN"), 150050),
        (Money(Decimal("12.50"), "USD"), 1250),
    ]
    unrepresentable = Money(Decimal("10.005"), "NGN")

    def make_gateway(self):
        self.fake = paystack_fakes.FakePaystack()
        return paystack_fakes.build(self.fake)

    def make_payment(self):
        return FakePayment(
            reference=paystack_fakes.REFERENCE, amount=Money(Decimal("1500.50"), "NGN")
        )

    def arrange_initiate(self, gateway, payment):
        self.fake.responses.append(
            paystack_fakes.ok(
                {
                    "authorization_url": "https://checkout.paystack.com/0peioxfhpn",
                    "access_code": "0peioxfhpn",
                    "reference": payment.reference,
                }
            )
        )

    def requests_sent(self, gateway):
        return len(self.fake.requests)

    def captured_webhook(self, payment):
        return json.dumps(paystack_fakes.CHARGE_SUCCESS).encode(), paystack_fakes.REFERENCE

    def sign(self, body, *, wrong_secret=False):
        secret = "sk_test_wrong" if wrong_secret else paystack_fakes.SECRET
        return {"X-Paystack-Signature": paystack_fakes.sign(body, secret=secret)}


def test_the_paystack_fake_is_an_httpx_transport():
    # The contract above intercepts Paystack at the HTTP layer, as its own tests do.
    assert isinstance(httpx.MockTransport(paystack_fakes.FakePaystack()), httpx.BaseTransport)


# --- the kit's own checks cannot pass vacuously ------------------------------------------


class WithoutMinorUnits(TestDummyContract):
    """Not collected (no Test prefix): a contract that forgot its minor-unit cases."""

    minor_units = ()
    unrepresentable = None


class WebhooklessDummy(DummyGateway):
    """The dummy without webhooks, as a provider without them would be written."""

    capabilities = frozenset({Capability.CAPTURE, Capability.VOID, Capability.REFUND})
    verify_webhook = PaymentGateway.verify_webhook
    parse_webhook = PaymentGateway.parse_webhook


class WithoutWebhooks(TestDummyContract):
    def make_gateway(self):
        return WebhooklessDummy(alias="dummy", options={"webhook_secret": "whsec_contract"})


def test_a_contract_without_minor_unit_cases_fails_with_a_clear_message():
    with pytest.raises(pytest.fail.Exception, match="declares no minor-unit cases"):
        WithoutMinorUnits().test_minor_units_round_trip()
    with pytest.raises(pytest.fail.Exception, match="declares no `unrepresentable` amount"):
        WithoutMinorUnits().test_an_unrepresentable_amount_is_refused_before_any_request()


@pytest.mark.parametrize(
    "check",
    [
        "test_a_signed_webhook_verifies_and_normalizes",
        "test_a_redelivered_webhook_keeps_its_event_id",
        "test_forged_webhooks_are_refused",
        "test_a_stale_signature_is_refused",
    ],
)
def test_webhook_checks_are_skipped_not_passed_for_a_gateway_without_webhooks(check):
    with pytest.raises(pytest.skip.Exception, match=r"does not declare Capability\.WEBHOOKS"):
        getattr(WithoutWebhooks(), check)()


def test_the_missing_capability_check_is_skipped_when_nothing_is_missing():
    with pytest.raises(pytest.skip.Exception, match="lacks none of"):
        TestDummyContract().test_missing_capabilities_raise_before_any_request()


def test_a_webhookless_gateway_is_checked_for_refusing_webhooks():
    # The same check does run, and passes, when a capability is missing.
    WithoutWebhooks().test_missing_capabilities_raise_before_any_request()


def test_the_kit_counts_the_dummy_gateways_requests():
    contract = TestDummyContract()
    gateway = contract.make_gateway()
    gateway.initiate(FakePayment(), idempotency_key="k")
    assert contract.requests_sent(gateway) == 1
