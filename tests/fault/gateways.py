"""A dummy gateway behind a network that loses the answer to the first start of each payment."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from commerce.payments.gateways.base import InitiateResult, Outcome
from commerce.payments.gateways.dummy import DummyGateway


class TimingOutDummyGateway(DummyGateway):
    """The dummy provider, reached through a client whose first start of each payment times out.

    The first ``initiate`` for an idempotency key waits ``delay`` seconds (the
    client's deadline) and answers ``unknown`` with no gateway reference, as
    the Stripe and Paystack gateways do on a read timeout. For about half of
    the keys the provider did create the payment (the request arrived, the
    answer was lost); for the rest the request never arrived. Any later start
    with the same key (the client's retry, a refresh, reconciliation) gets the
    provider's normal answer. The "first time" is remembered in the shared
    cache, so it holds across the server's worker processes and the test.
    """

    name = "dummy_timeout"

    def initiate(self, payment, *, idempotency_key: str, return_url: str = "") -> InitiateResult:
        first = cache.add(self._key(f"timed-out:{idempotency_key}"), True, timeout=24 * 3600)
        if not first:
            return super().initiate(payment, idempotency_key=idempotency_key, return_url=return_url)
        if hashlib.sha256(idempotency_key.encode()).digest()[0] % 2 == 0:
            super().initiate(payment, idempotency_key=idempotency_key, return_url=return_url)
        time.sleep(float(self.options.get("delay", 0.2)))
        return InitiateResult(
            outcome=Outcome.UNKNOWN,
            gateway_reference="",
            raw={"error": "The provider did not answer before the deadline."},
        )
