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

A scope whose rate is ``None``, ``""``, ``"off"`` or ``"none"`` (or missing) is not
throttled; any other rate is ``"<number>/<period>"``, the period one of
``second``, ``minute``, ``hour``, ``day`` (DRF reads the first letter only).
A rate outside that form is a system check error (``commerce.E023``); should
the checks not have run, the request is let through and the mistake logged,
never a 500. DRF's own ``ScopedRateThrottle`` raises
``ImproperlyConfigured`` for a scope without a rate, so a host that lists it in
``DEFAULT_THROTTLE_CLASSES`` would get a 500 from every commerce endpoint it
did not give a rate; commerce's views therefore throttle their scope with
:class:`ScopedRateThrottle` below and leave out any other scoped throttle
(which would also count each request twice, under the same cache key). The
host's other throttles (``AnonRateThrottle``, ``UserRateThrottle``, its own)
still apply. ``manage.py check --deploy`` warns about commerce scopes left
without a rate (``commerce.W012``).

An exceeded rate is a 429 in the error envelope with a ``Retry-After`` header.

**Who is "a client".** DRF identifies an anonymous client by the
``X-Forwarded-For`` header whenever ``REST_FRAMEWORK["NUM_PROXIES"]`` is
``None`` (its default), and that header is whatever the client sends: each
request could pick a fresh identity. Commerce's throttle reads ``None`` as
``0`` (no proxy: the connection's address, ``REMOTE_ADDR``) and, behind
``NUM_PROXIES = N`` proxies, takes the address the N-th proxy from the end
appended to ``X-Forwarded-For``, falling back to ``REMOTE_ADDR`` when that is
not an IP address. ``check --deploy`` warns about ``NUM_PROXIES = None``
while ``DEFAULT_THROTTLE_CLASSES`` lists throttles (``commerce.W024``): DRF's
throttles still trust the header. :class:`ClientAddressMixin` gives a host's
own throttles commerce's reading.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger("commerce.throttling")

#: The scopes commerce's views use, and what each one throttles.
CHECKOUT_SCOPE = "commerce_checkout"
PAYMENT_SCOPE = "commerce_payment"
WEBHOOK_SCOPE = "commerce_webhook"
SCOPES = {
    CHECKOUT_SCOPE: ("commerce.orders", "placing an order (POST /checkout/)"),
    PAYMENT_SCOPE: ("commerce.payments", "starting a payment (POST /orders/{number}/payments/)"),
    WEBHOOK_SCOPE: ("commerce.payments", "payment webhooks (POST /payments/webhooks/{alias}/)"),
}


#: Values that turn a scope off (compared stripped and case-insensitively).
OFF_VALUES = frozenset({"", "off", "none"})
#: A rate: a positive whole number of requests per second, minute, hour or day. DRF
#: reads only a period's first letter, so "30/month" would be 30 a minute: refused.
RATE_PATTERN = re.compile(
    r"^\s*([1-9][0-9]{0,8})\s*/\s*"
    r"(s|sec|second|seconds|m|min|minute|minutes|h|hour|hours|d|day|days)\s*$",
    re.IGNORECASE,
)
PERIODS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def is_off(rate: object) -> bool:
    """Whether ``rate`` turns its scope off: ``None``, ``""``, ``"off"`` or ``"none"``."""
    return rate is None or (isinstance(rate, str) and rate.strip().lower() in OFF_VALUES)


def rate_problem(rate: object) -> str | None:
    """Why ``rate`` is not a valid scope rate, or ``None`` when it is (or turns the scope off)."""
    if is_off(rate):
        return None
    if not isinstance(rate, str) or not RATE_PATTERN.match(rate):
        return (
            f"{rate!r} is not a rate: use '<number>/<period>' with the period one of "
            "second, minute, hour, day (for example '30/minute'), or 'off'"
        )
    return None


def configured_rate(scope: str) -> str | None:
    """The rate set for ``scope`` in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, or
    ``None`` when the scope is off (no rate, ``None``, ``""``, ``"off"``) or its rate is invalid.
    """
    rates = api_settings.DEFAULT_THROTTLE_RATES or {}
    rate = rates.get(scope)
    if is_off(rate):
        return None
    problem = rate_problem(rate)
    if problem is not None:
        # The checks (commerce.E023) report it at start-up; a request is never a 500 for it.
        logger.error("Throttle scope %r is not throttled: %s.", scope, problem)
        return None
    number, period = RATE_PATTERN.match(rate).groups()
    # DRF splits on "/" and reads the period's first letter: give it exactly that form.
    return f"{number}/{PERIODS[period[0].lower()]}"


def client_address(request) -> str:
    """The address a throttle counts an anonymous request under.

    ``REMOTE_ADDR`` with no proxy (``NUM_PROXIES`` ``0`` or ``None``); behind ``N``
    proxies, the entry the outermost of them appended to ``X-Forwarded-For``, when it
    is an IP address. A client can add entries to the header but never choose this one.
    """
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    try:
        num_proxies = int(api_settings.NUM_PROXIES or 0)
    except (TypeError, ValueError):
        num_proxies = 0  # not a number: trust no header rather than fail the request
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies <= 0 or not forwarded:
        return remote_addr
    entries = forwarded.split(",")
    candidate = entries[-min(num_proxies, len(entries))].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


class ClientAddressMixin:
    """For a DRF throttle: identify anonymous clients by :func:`client_address`."""

    def get_ident(self, request) -> str:
        return client_address(request)


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    """DRF's ``ScopedRateThrottle``, with the rate read when a request arrives, a
    scope without a rate left unthrottled instead of raising ``ImproperlyConfigured``,
    and anonymous clients identified by :func:`client_address`.

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
