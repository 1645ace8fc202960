"""A provider that creates a new object for every start and records each call (concurrency tests).

Like a provider with no idempotency at all, :class:`RecordingGateway` answers
each ``initiate`` with a new provider object (its own reference and client
secret), so a second call is visible twice over: in :attr:`calls`, and as a
reference and a secret that do not belong together if the services mix two
answers. Each call waits :attr:`delay` seconds first, so a concurrent
request really arrives while the first is with the provider.
"""

from __future__ import annotations

import itertools
import threading
import time

from commerce.payments.gateways.base import InitiateResult, OperationResult, Outcome, PaymentGateway


class RecordingGateway(PaymentGateway):
    name = "recording"

    #: Seconds each ``initiate`` takes (the provider's answer time).
    delay = 0.0
    #: Every ``initiate`` call, as ``(payment reference, idempotency key)``, in every thread.
    calls: list[tuple[str, str]] = []
    #: Runs inside ``initiate`` before it answers, when a test sets it (re-entrant retries).
    during_call = None
    _numbers = itertools.count(1)
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.calls = []
            cls.during_call = None
            cls.delay = 0.0
            cls._numbers = itertools.count(1)

    def initiate(self, payment, *, idempotency_key: str, return_url: str = "") -> InitiateResult:
        with self._lock:
            self.calls.append((payment.reference, idempotency_key))
            number = next(self._numbers)
        time.sleep(self.delay)
        hook = type(self).during_call  # read on the class: a plain function, not a method
        if hook is not None:
            hook()
        return InitiateResult(
            outcome=Outcome.PENDING,
            gateway_reference=f"obj_{number}",
            client_secret=f"obj_{number}_secret",
            raw={"id": f"obj_{number}"},
        )

    def fetch_status(self, payment) -> OperationResult:
        return OperationResult(Outcome.PENDING, payment.gateway_reference)
