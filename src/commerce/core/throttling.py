"""Rate limits for the endpoints that cost the most or are abused the most.

Checkout, starting a payment and the payment webhooks each name a throttle
scope, with the meaning of DRF's ``ScopedRateThrottle``: the host sets a rate
per scope and each client (the user, or the address for anonymous requests)
gets that many requests per period::

    REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_RATES": {
            "commerce_checkout": "30/minute",
            "commerce_payment": "30/minute",
            "commerce_webhook": "600/minute",
        },
    }

A scope with no rate is not throttled. DRF's own ``ScopedRateThrottle`` raises
``ImproperlyConfigured`` for a scope without a rate, so a host that lists it in
``DEFAULT_THROTTLE_CLASSES`` would get a 500 from every commerce endpoint it
did not give a rate; commerce's views therefore throttle their scope with
:class:`ScopedRateThrottle` below and leave out any other scoped throttle
(which would also count each request twice, under the same cache key). The
host's other throttles (``AnonRateThrottle``, ``UserRateThrottle``, its own)
still apply. ``manage.py check --deploy`` warns about commerce scopes left
without a rate (``commerce.W012``).

An exceeded rate is a 429 in the error envelope with a ``Retry-After`` header.
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings

#: The scopes commerce's views use, and what each one throttles.
CHECKOUT_SCOPE = "commerce_checkout"
PAYMENT_SCOPE = "commerce_payment"
WEBHOOK_SCOPE = "commerce_webhook"
SCOPES = {
    CHECKOUT_SCOPE: ("commerce.orders", "placing an order (POST /checkout/)"),
    PAYMENT_SCOPE: ("commerce.payments", "starting a payment (POST /orders/{number}/payments/)"),
    WEBHOOK_SCOPE: ("commerce.payments", "payment webhooks (POST /payments/webhooks/{alias}/)"),
}


def configured_rate(scope: str) -> str | None:
    """The rate set for ``scope`` in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, if any."""
    rates = api_settings.DEFAULT_THROTTLE_RATES or {}
    return rates.get(scope)


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's ``ScopedRateThrottle``, with the rate read when a request arrives, and a
    scope without a rate left unthrottled instead of raising ``ImproperlyConfigured``.

    DRF copies ``DEFAULT_THROTTLE_RATES`` into a class attribute at import
    time, so ``override_settings`` never reaches it; this one looks the rate up
    on every request. Hosts may list it in ``DEFAULT_THROTTLE_CLASSES`` too.
    """

    def get_rate(self) -> str | None:
        return configured_rate(self.scope)


class ScopedThrottleMixin:
    """For an ``APIView`` with a ``throttle_scope``: throttle it under that scope.

    The view keeps the host's ``DEFAULT_THROTTLE_CLASSES`` except scoped ones,
    and adds :class:`ScopedRateThrottle` (see the module docstring for why).
    """

    throttle_scope: str

    def get_throttles(self) -> list[throttling.BaseThrottle]:
        throttles = [
            throttle
            for throttle in super().get_throttles()  # type: ignore[misc]
            if not isinstance(throttle, throttling.ScopedRateThrottle)
        ]
        return [*throttles, ScopedRateThrottle()]
