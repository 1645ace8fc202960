"""Fuzz every API operation from the OpenAPI schema the API serves (schemathesis).

For each operation and each caller (anonymous, a signed-in customer, a vendor
member, staff), schemathesis generates requests from the schema served by
drf-spectacular: the schema's own examples, then valid and invalid input, at
most ``COMMERCE_FUZZ_EXAMPLES`` (default 25) per operation and caller, derived
from a fixed seed so every run sends the same requests. Every response must be:

- no server error (5xx);
- a status code the schema declares for the operation;
- a body of the declared content type that matches the declared schema
  (errors included: the schema declares them as the error envelope).

Path parameters, tokens and some body fields are drawn half the time from the
seeded shop (:mod:`tests.fuzz.shop`), so requests reach real products, orders,
payments and carts, not only 404s; webhook bodies shaped like the dummy
provider's events are signed as it signs them, so they get past the signature
check to the parser and the payment rules.

``COMMERCE_FUZZ_COVERAGE=1`` adds schemathesis's coverage phase (boundary
values of every field, thousands of requests for the larger bodies): slower,
for a deeper run by hand.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commerce.payments.gateways.base import EventType
from commerce.payments.gateways.registry import get_gateway
from tests.fuzz import tally
from tests.fuzz.shop import ADDRESS, Shop, png_bytes
from tests.fuzz.urls import SCHEMA_PATH

#: Generated requests per operation and caller in the fuzzing phase.
MAX_EXAMPLES = int(os.environ.get("COMMERCE_FUZZ_EXAMPLES", "25"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CALLERS = ["anonymous", "customer", "vendor_member", "staff"]
GATEWAYS = ["dummy", "dummy_manual", "stripe", "paystack"]
DUMMY_GATEWAYS = ("dummy", "dummy_manual")
WEBHOOK_PATH = "/api/v1/payments/webhooks/{alias}/"

# drf-spectacular writes decimal strings as {"type": "string", "format": "decimal"}.
schemathesis.openapi.format(
    "decimal",
    st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False).map(str),
)


def load_schema():
    app = WSGIHandler()
    with override_settings(ROOT_URLCONF="tests.fuzz.urls"):
        loaded = schemathesis.openapi.from_wsgi(SCHEMA_PATH, app)
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    loaded.config.phases.coverage.enabled = os.environ.get("COMMERCE_FUZZ_COVERAGE") == "1"
    return loaded


schema = load_schema()


class Current:
    """The shop the running test sees; the generation hooks read it.

    ``None`` while tests are collected: schemathesis builds the schema's
    explicit examples then, before any shop exists.
    """

    shop: Shop | None = None


def real_path_parameters(shop: Shop, path: str) -> list[dict[str, str]]:
    """Path parameters naming real objects, for the operation at ``path``."""
    if "{product_slug}" in path and "{sku}" in path:
        return [{"product_slug": slug, "sku": sku} for slug, sku in shop.variants]
    if "{product_slug}" in path and "{id}" in path:
        return [{"product_slug": slug, "id": pk} for slug, pk in shop.images]
    if "{product_slug}" in path:
        return [{"product_slug": slug} for slug in shop.product_slugs]
    by_fragment = {
        "/catalog/categories/{slug}/": ("slug", shop.category_slugs),
        "/catalog/vendors/{slug}/": ("slug", shop.vendor_slugs),
        "/catalog/products/{slug}/": ("slug", shop.product_slugs),
        "/addresses/{id}/": ("id", shop.address_ids),
        "/cart/lines/{line_id}/": ("line_id", shop.cart_line_ids),
        "{number}": ("number", shop.order_numbers),
        "{gateway_reference}": ("gateway_reference", shop.gateway_references),
        "{reference}": ("reference", shop.payment_references),
        "{alias}": ("alias", GATEWAYS),
    }
    for fragment, (name, values) in by_fragment.items():
        if fragment in path:
            return [{name: value} for value in values]
    return []


def real_values(shop: Shop) -> dict[str, list]:
    """Body fields and headers, by name, with values that name real things.

    A value replaces a generated one of the same type only (an address id for a
    string, an address for an object; ``amount`` is a money object or its
    decimal string), except that file contents (bytes) replace whatever was
    generated for a file.
    """
    return {
        "variant": shop.variant_ids,
        "vendor": shop.vendor_slugs,
        "category": shop.category_slugs,
        "brand": shop.brand_slugs,
        "token": shop.cart_tokens,
        "gateway": GATEWAYS,
        "shipping_address": [*shop.address_ids, ADDRESS],
        "billing_address": [*shop.address_ids, ADDRESS],
        "country": ["NG", "us"],
        "email": ["guest@example.com"],
        "return_url": ["", "https://shop.example/thanks"],
        "quantity": [1, 2],
        "amount": [{"amount": "5.00", "currency": "USD"}, "1.00", "12.50"],
        "currency": ["USD", "JPY"],
        "reason": ["Damaged in transit"],
        "image": [png_bytes()],
        "X-Cart-Token": shop.cart_tokens,
        "X-Order-Token": shop.order_tokens,
    }


def substituted(value: Any, known: dict[str, list]) -> st.SearchStrategy:
    """``value``, with each known key's value kept or swapped for a real one of its type."""
    if not isinstance(value, dict):
        return st.just(value)
    fields = {}
    for key, item in value.items():
        strategy = substituted(item, known)
        candidates = [
            candidate
            for candidate in known.get(key, [])
            if type(candidate) is type(item) or isinstance(candidate, bytes)
        ]
        if candidates:
            strategy = st.one_of(strategy, st.sampled_from(candidates))
        fields[key] = strategy
    return st.fixed_dictionaries(fields)


def dummy_events(shop: Shop) -> st.SearchStrategy[bytes]:
    """Bodies shaped like the dummy provider's webhook events, with odd values mixed in."""
    event = st.fixed_dictionaries(
        {
            "id": st.sampled_from(["evt_fuzz_1", "evt_fuzz_2"]) | st.text(max_size=12),
            "type": st.sampled_from([*EventType, "charge.bogus"]),
            "reference": st.sampled_from(shop.gateway_references) | st.text(max_size=12),
            "amount": st.sampled_from([1250, 2500, 800]) | st.integers() | st.text(max_size=4),
            "currency": st.sampled_from(["USD", "JPY", "XXX", ""]),
            "created": st.just(int(time.time())) | st.integers() | st.none(),
        },
    )
    partial = event.flatmap(
        lambda data: st.sets(st.sampled_from(sorted(data))).map(
            lambda dropped: {key: value for key, value in data.items() if key not in dropped}
        )
    )
    return (event | partial).map(lambda data: json.dumps(data).encode())


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict[str, Any]):
    if Current.shop is None:
        return st.just(path_parameters)
    real = real_path_parameters(Current.shop, context.operation.path)
    if not real:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(real))


@schema.hook
def flatmap_body(context, body):
    if Current.shop is None:
        return st.just(body)
    if context.operation.path == WEBHOOK_PATH:
        return st.one_of(st.just(body), dummy_events(Current.shop))
    return substituted(body, real_values(Current.shop))


@schema.hook
def flatmap_headers(context, headers):
    if not headers or Current.shop is None:
        return st.just(headers)
    return substituted(headers, real_values(Current.shop))


@schema.hook
def after_call(context, case, response):
    tally.record(f"{case.method.upper()} {case.operation.path}", response.status_code)


def provider_signature(case) -> dict[str, str]:
    """The dummy provider's signature for an event-shaped body sent to its webhook."""
    if case.operation.path != WEBHOOK_PATH or case.path_parameters.get("alias") not in (
        DUMMY_GATEWAYS
    ):
        return {}
    body = case.body
    if not isinstance(body, bytes) or not body.startswith(b"{"):
        return {}
    return get_gateway(case.path_parameters["alias"]).sign(body)


@pytest.fixture(params=CALLERS)
def caller(request, fresh_shop) -> dict[str, str]:
    """The headers that make a request come from this caller."""
    Current.shop = fresh_shop
    if request.param == "anonymous":
        return {}
    # Minted per test: a token made with the seed would expire during a long run.
    user = get_user_model().objects.get(pk=fresh_shop.users[request.param])
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


@schema.parametrize()
# The shop is the same for every request of one operation: what an earlier request
# changed (an order cancelled, a slug renamed) a later one sees, as a real client would.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case, caller):
    headers = {**caller, **provider_signature(case)}
    case.call_and_validate(headers=headers or None, checks=CHECKS)
