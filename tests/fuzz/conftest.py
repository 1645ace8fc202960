"""Fixtures for fuzzing the API from its own OpenAPI schema (``tox -e fuzz``).

This folder runs only when named on the command line (``pytest tests/fuzz``):
it takes a minute or two and seeds its own shop, so ``pytest tests`` leaves it out.

The shop is seeded once per module and committed; every generated test then
runs in a transaction that is rolled back, so each operation starts from the
same shop whatever the previous one did to it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import stripe
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from tests.fuzz import tally
from tests.fuzz.shop import Shop, seed

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path, config):
    """Leave this folder out unless a command-line argument points into it."""
    if collection_path.parent != HERE or collection_path.name == "conftest.py":
        return None
    for arg in config.args:
        target = Path(arg.split("::")[0]).resolve()
        if target == HERE or HERE in target.parents:
            return None
    return True


def pytest_terminal_summary(terminalreporter):
    if tally.RESPONSES:
        terminalreporter.section("schema fuzzing: responses per operation (all callers)")
        for line in tally.lines():
            terminalreporter.write_line(line)


class UnavailableStripe(stripe.HTTPClient):
    """Stripe's API down: every call is a 503, so nothing leaves the machine."""

    name = "unavailable"

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body = '{"error": {"type": "api_error", "message": "Service unavailable"}}'
        return body, 503, {"request-id": "req_fuzz"}

    def close(self):
        pass


def unavailable_paystack(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"status": False, "message": "Service unavailable"})


def gateway_settings() -> dict:
    """The test settings' gateways, with Stripe and Paystack answering 503 in-process."""
    from django.conf import settings

    commerce = {**settings.COMMERCE}
    gateways = {alias: {**config} for alias, config in commerce["PAYMENT_GATEWAYS"].items()}
    gateways["stripe"]["OPTIONS"] = {
        **gateways["stripe"]["OPTIONS"],
        "http_client": UnavailableStripe(),
    }
    gateways["paystack"]["OPTIONS"] = {
        **gateways["paystack"]["OPTIONS"],
        "transport": httpx.MockTransport(unavailable_paystack),
    }
    commerce["PAYMENT_GATEWAYS"] = gateways
    return commerce


@pytest.fixture(scope="module")
def shop(django_db_setup, django_db_blocker) -> Shop:
    """Seed the shop, committed, for the whole module; empty the database afterwards."""
    with override_settings(COMMERCE=gateway_settings()), django_db_blocker.unblock():
        cache.clear()
        try:
            yield seed()
        finally:
            call_command("flush", interactive=False, verbosity=0)
            cache.clear()


@pytest.fixture
def in_process_requests():
    """Requests through the WSGI handler share the test's connection and transaction.

    Django's handler closes old connections at the start and end of every request;
    inside a test transaction that would close it (Django's test client disconnects
    the same receivers for the same reason).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fresh_shop(shop, db, in_process_requests):
    """The seeded shop, as seeded: database rolled back, dummy provider's state restored."""
    with override_settings(COMMERCE=gateway_settings()):
        cache.clear()
        cache.set_many(shop.provider_state, timeout=None)
        yield shop
