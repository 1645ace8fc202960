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

About one request in :data:`HOSTILE_ODDS` has one value made hostile: a body
field, query parameter, path parameter or header replaced by a value no
column holds (a NUL character, an integer just past 32 or 64 bits, 10,000
characters) or by a large one (a 1 MB string). Each must be refused with a
4xx, never a 5xx.

After the run, :func:`test_every_operation_reached_a_real_object` fails if an
operation only ever answered 401, 403, 404 or 405 (the fuzzing never got
past the lookup), and the terminal summary prints each operation's status
counts and which callers got a 2xx.

``COMMERCE_FUZZ_COVERAGE=1`` adds schemathesis's coverage phase (boundary
values of every field, thousands of requests for the larger bodies): slower,
for a deeper run by hand.
"""

from __future__ import annotations

import copy
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
WEBHOOK_LABEL = f"POST {WEBHOOK_PATH}"

#: One request in this many (per container) gets a hostile value.
HOSTILE_ODDS = 4
#: Integers just inside and past the columns' ranges (32-bit integer, 64-bit bigint).
HOSTILE_INTEGERS = [2**31 - 1, 2**31, -1, -(2**31) - 1, 2**63, -(2**63) - 1]
#: Strings no column holds, or too long for any, and a large body (under the upload limit).
HOSTILE_STRINGS = ["\x00", "a\x00b", "x" * 10_000, "x" * 1_000_000]
#: Query and path values: text, and numbers written out.
HOSTILE_TEXT = ["\x00", "a\x00b", "x" * 10_000, "2147483648", "9223372036854775808", "-1", "1e20"]

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
    #: Who is calling (a key of the ``caller`` fixture's params), for the tally.
    caller: str = "anonymous"


def real_path_parameters(shop: Shop, path: str) -> list[dict[str, str]]:
    """Path parameters naming real objects, for the operation at ``path``."""
    if "{product_slug}" in path and "{sku}" in path:
        return [{"product_slug": slug, "sku": sku} for slug, sku in shop.variants]
    if "{product_slug}" in path and "{id}" in path:
        return [{"product_slug": slug, "id": pk} for slug, pk in shop.images]
    if "{product_slug}" in path:
        return [{"product_slug": slug} for slug in shop.product_slugs]
    if "{promotion_pk}" in path and "{code}" in path:
        return [{"promotion_pk": pk, "code": code} for pk, code in shop.voucher_codes]
    if "{promotion_pk}" in path:
        return [{"promotion_pk": pk} for pk in shop.promotion_ids]
    by_fragment = {
        "/promotions/{id}/": ("id", shop.promotion_ids),
        "/cart/codes/{code}/": ("code", [code for _promotion, code in shop.voucher_codes]),
        "/pricing/zones/{id}/": ("id", shop.zone_ids),
        "/pricing/shipping-methods/{id}/": ("id", shop.shipping_method_ids),
        "/pricing/tax-rates/{id}/": ("id", shop.tax_rate_ids),
        "/catalog/categories/{slug}/": ("slug", shop.category_slugs),
        "/catalog/vendors/{slug}/": ("slug", shop.vendor_slugs),
        "/catalog/tax-classes/{slug}/": ("slug", shop.tax_class_slugs),
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
        "tax_class": shop.tax_class_slugs,
        "zone": shop.zone_ids,
        "code": [code for _promotion, code in shop.voucher_codes],
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
    # Signed events too may carry what no column holds (gateways/base.py checks them).
    maybe_hostile = (event | partial).flatmap(
        lambda data: sometimes_hostile(st.just(data), hostile(data, keys=True))
    )
    return maybe_hostile.map(lambda data: json.dumps(data).encode())


def completing_requests(shop: Shop) -> dict[str, list[tuple[str, dict, Any]]]:
    """Operation label -> ``(caller, path parameters, body)`` that complete it.

    These operations succeed only on an object in one state, for one kind of
    caller, with a valid body: random generation rarely lines all three up.
    The hooks draw them now and then, and :func:`test_completing_requests`
    sends each once, so every one of them is exercised past its refusals.
    """
    address = shop.address_ids[0]
    customer_line = shop.cart_line_ids[0]
    welcome, spare_promotion = shop.promotion_ids
    germany, spare_zone = shop.zone_ids
    euros = {"amount": "4.00", "currency": "EUR"}
    return {
        # The customer's cart already holds WELCOME; LOYAL is another promotion's.
        "POST /api/v1/cart/codes/": [("customer", {}, {"code": "LOYAL"})],
        "POST /api/v1/promotions/": [
            (
                "staff",
                {},
                {"name": "Fuzz", "benefit": {"kind": "percentage_off", "percent": "5.00"}},
            ),
        ],
        "PATCH /api/v1/promotions/{id}/": [("staff", {"id": welcome}, {"priority": 2})],
        "DELETE /api/v1/promotions/{id}/": [("staff", {"id": spare_promotion}, None)],
        "POST /api/v1/promotions/{promotion_pk}/codes/": [
            ("staff", {"promotion_pk": welcome}, {"code": "FUZZ-1", "max_uses": 3}),
        ],
        "PATCH /api/v1/promotions/{promotion_pk}/codes/{code}/": [
            ("staff", {"promotion_pk": welcome, "code": "LIMITED"}, {"max_uses": 10}),
        ],
        "POST /api/v1/pricing/zones/": [
            ("staff", {}, {"name": "Austria", "members": [{"country": "AT"}]}),
        ],
        "PATCH /api/v1/pricing/zones/{id}/": [("staff", {"id": germany}, {"name": "DE"})],
        "DELETE /api/v1/pricing/zones/{id}/": [("staff", {"id": spare_zone}, None)],
        "POST /api/v1/pricing/shipping-methods/": [
            (
                "staff",
                {},
                {
                    "zone": germany,
                    "name": "Fuzz",
                    "code": "fuzz",
                    "currency": "EUR",
                    "price": euros,
                },
            ),
        ],
        "PATCH /api/v1/pricing/shipping-methods/{id}/": [
            ("staff", {"id": shop.shipping_method_ids[0]}, {"position": 1}),
        ],
        "DELETE /api/v1/pricing/shipping-methods/{id}/": [
            ("staff", {"id": shop.shipping_method_ids[1]}, None),
        ],
        "POST /api/v1/pricing/tax-rates/": [
            ("staff", {}, {"zone": germany, "name": "VAT", "rate": "19"}),
        ],
        "PATCH /api/v1/pricing/tax-rates/{id}/": [
            ("staff", {"id": shop.tax_rate_ids[0]}, {"rate": "16"}),
        ],
        "DELETE /api/v1/pricing/tax-rates/{id}/": [("staff", {"id": shop.tax_rate_ids[1]}, None)],
        "PATCH /api/v1/catalog/tax-classes/{slug}/": [
            ("staff", {"slug": "reduced"}, {"name": "Reduced rate"}),
        ],
        "DELETE /api/v1/catalog/tax-classes/{slug}/": [("staff", {"slug": "spare"}, None)],
        "POST /api/v1/catalog/products/": [
            ("vendor_member", {}, {"vendor": "acme", "category": "kitchen", "name": "Kettle"}),
        ],
        "POST /api/v1/catalog/products/{product_slug}/variants/": [
            (
                "vendor_member",
                {"product_slug": "mug"},
                {"sku": "MUG-2", "price": {"amount": "9.00", "currency": "USD"}},
            ),
        ],
        "POST /api/v1/catalog/products/{product_slug}/variants/{sku}/stock/": [
            (
                "vendor_member",
                {"product_slug": "mug", "sku": "MUG-1"},
                {"change": 1, "reason": "Delivery"},
            ),
        ],
        "POST /api/v1/cart/lines/": [("customer", {}, {"variant": shop.variant_ids[2]})],
        "PATCH /api/v1/cart/lines/{line_id}/": [
            ("customer", {"line_id": customer_line}, {"quantity": 1}),
        ],
        "DELETE /api/v1/cart/lines/{line_id}/": [("customer", {"line_id": customer_line}, None)],
        "POST /api/v1/checkout/": [("customer", {}, {"shipping_address": address})],
        "POST /api/v1/orders/{number}/payments/": [
            ("customer", {"number": shop.unpaid_number}, {"gateway": "dummy"}),
        ],
        "POST /api/v1/orders/{number}/ship/": [
            ("staff", {"number": shop.paid_number}, {"carrier": "DHL", "tracking_number": "JD2"}),
        ],
        "POST /api/v1/orders/{number}/deliver/": [("staff", {"number": shop.shipped_number}, None)],
        "POST /api/v1/payments/{reference}/capture/": [
            ("staff", {"reference": shop.authorized_reference}, {}),
        ],
        "POST /api/v1/payments/{reference}/refunds/": [
            ("staff", {"reference": shop.captured_reference}, {"reason": "Damaged in transit"}),
        ],
        WEBHOOK_LABEL: [
            ("anonymous", {"alias": alias}, body)
            for alias, bodies in shop.webhook_bodies.items()
            for body in bodies
        ],
    }


def _completing(context, part: int) -> list:
    label = f"{context.operation.method.upper()} {context.operation.path}"
    return [request[part] for request in completing_requests(Current.shop).get(label, [])]


def _leaves(value: Any, path: tuple = ()):
    """``(path, leaf)`` for every string or integer inside ``value`` (dicts and lists)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, str | int) and not isinstance(value, bool) and path:
        yield path, value


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    value = copy.deepcopy(value)
    target = value
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return value


def hostile(value: Any, strings=HOSTILE_STRINGS, integers=HOSTILE_INTEGERS, *, keys=False):
    """``value`` with one string or integer inside it replaced by a hostile one.

    With ``keys``, an object also gets a key no column holds (a NUL in it) now and then.
    """
    candidates = list(_leaves(value))
    if not candidates:
        return st.just(value)

    def replace(candidate):
        path, leaf = candidate
        pool = strings if isinstance(leaf, str) else integers
        return st.sampled_from(pool).map(lambda new: _replaced(value, path, new))

    replaced = st.sampled_from(candidates).flatmap(replace)
    if keys and isinstance(value, dict):
        return st.one_of(replaced, st.just({**value, "key\x00": "value"}))
    return replaced


def sometimes_hostile(strategy, hostile_strategy):
    """``strategy``, or one time in :data:`HOSTILE_ODDS`, ``hostile_strategy``."""
    return st.integers(0, HOSTILE_ODDS - 1).flatmap(
        lambda draw: hostile_strategy if draw == 0 else strategy
    )


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict[str, Any]):
    if Current.shop is None:
        return st.just(path_parameters)
    real = real_path_parameters(Current.shop, context.operation.path)
    generated = st.just(path_parameters)
    if real:
        generated = st.one_of(generated, st.sampled_from(real))
    completing = _completing(context, 1)
    if completing:
        generated = st.one_of(generated, st.sampled_from(completing))
    return sometimes_hostile(
        generated, generated.flatmap(lambda values: hostile(values, strings=HOSTILE_TEXT))
    )


@schema.hook
def flatmap_query(context, query):
    if not query or Current.shop is None:
        return st.just(query)
    return sometimes_hostile(st.just(query), hostile(query, strings=HOSTILE_TEXT))


@schema.hook
def flatmap_body(context, body):
    if Current.shop is None:
        return st.just(body)
    completing = _completing(context, 2)
    if context.operation.path == WEBHOOK_PATH:
        return st.one_of(st.just(body), dummy_events(Current.shop), st.sampled_from(completing))
    generated = substituted(body, real_values(Current.shop))
    if completing:
        generated = st.one_of(generated, st.sampled_from(completing))
    return sometimes_hostile(generated, hostile(body, keys=True))


@schema.hook
def flatmap_headers(context, headers):
    if not headers or Current.shop is None:
        return st.just(headers)
    known = substituted(headers, real_values(Current.shop))
    return sometimes_hostile(known, hostile(headers, strings=HOSTILE_TEXT[:3]))


@schema.hook
def after_call(context, case, response):
    label = f"{case.method.upper()} {case.operation.path}"
    tally.record(label, Current.caller, response.status_code)


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


def credentials(shop: Shop, caller: str) -> dict[str, str]:
    """The headers that make a request come from ``caller``."""
    if caller == "anonymous":
        return {}
    # Minted per test: a token made with the seed would expire during a long run.
    user = get_user_model().objects.get(pk=shop.users[caller])
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


@pytest.fixture(params=CALLERS)
def caller(request, fresh_shop) -> dict[str, str]:
    """The headers that make a request come from this caller."""
    Current.shop = fresh_shop
    Current.caller = request.param
    return credentials(fresh_shop, request.param)


@schema.parametrize()
# The shop is the same for every request of one operation: what an earlier request
# changed (an order cancelled, a slug renamed) a later one sees, as a real client would.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case, caller):
    headers = {**caller, **provider_signature(case)}
    case.call_and_validate(headers=headers or None, checks=CHECKS)


def test_completing_requests(fresh_shop):
    """Each of :func:`completing_requests` succeeds, and its answer matches the schema."""
    Current.shop = fresh_shop
    for label, requests in completing_requests(fresh_shop).items():
        operation = schema.find_operation_by_label(label)
        for caller, path_parameters, body in requests:
            Current.caller = caller
            case = operation.Case(
                path_parameters=path_parameters,
                **({} if body is None else {"body": body, "media_type": _media_type(body)}),
            )
            headers = {**credentials(fresh_shop, caller), **provider_signature(case)}
            response = case.call_and_validate(headers=headers or None, checks=CHECKS)
            assert 200 <= response.status_code < 300, (label, response.content)


def _media_type(body) -> str:
    return "application/octet-stream" if isinstance(body, bytes) else "application/json"


def test_every_operation_reached_a_real_object():
    """Runs last: every operation called got past the 404s, and answered someone a 2xx.

    An operation that only ever answered 401, 403, 404 or 405, whoever called,
    was never fuzzed beyond its lookup: its real ids are missing from
    :func:`real_path_parameters` or its callers from ``CALLERS``. One that
    never answered 2xx needs an entry in :func:`completing_requests`.
    """
    if not tally.RESPONSES:
        pytest.skip("test_api did not run in this session (deselected)")
    assert not tally.unreached(), "\n".join(
        f"{label}: {dict(tally.totals(label))}" for label in tally.unreached()
    )
    assert not tally.without_success(), "\n".join(
        f"{label}: {dict(tally.totals(label))}" for label in tally.without_success()
    )
