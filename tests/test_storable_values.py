"""Values no column can hold are refused (4xx in the envelope) before they reach the database.

Outside testing on PostgreSQL found 500s where SQLite had answered: integers
past a 32-bit column, NUL characters in a path, a query, a header or a JSON
key, an email longer than its column. Every case here goes through the API;
run this module on PostgreSQL too (``DATABASE_URL=postgres://...``), where a
value that slipped through is a database error rather than a quiet insert.

The classes are closed by construction and pinned by the walks at the end:
every path parameter's pattern excludes NUL
(:func:`test_no_route_parameter_matches_a_nul_or_an_overlong_value`),
and every request body's integers, strings and maps carry bounds in the
OpenAPI schema (:func:`test_every_request_body_value_is_bounded_in_the_schema`),
which the serializers enforce.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from drf_spectacular.plumbing import analyze_named_regex_pattern
from rest_framework import serializers

from commerce.catalog.models import ProductImage, StockRecord, Variant
from commerce.core.api.converters import KEY_PATTERN, SLUG_PATTERN
from commerce.core.api.fields import StringMapField, column_integer_field
from commerce.core.columns import integer_range, is_storable_text
from tests.authz import World, client_for_actor
from tests.helpers import assert_error, png_bytes
from tests.openapi import openapi_schema, operations

pytestmark = pytest.mark.django_db

INT32_MAX = 2**31 - 1
LONG = "x" * 10_000
PRICE = {"amount": "1.00", "currency": "USD"}


@pytest.fixture
def world() -> World:
    return World()


def request(world: World, actor: str, method: str, path: str, body=None, **extra):
    """Send ``body`` as JSON (a str is sent as it is) to ``path`` with ``{name}``s filled in."""
    names = {
        "product": lambda: world.product.slug,
        "sku": lambda: world.variant.sku,
        "image": lambda: world.image.pk,
        "line": lambda: world.cart_line.pk,
        "order": lambda: world.order.number,
        "payment": lambda: world.payment.reference,
        "gateway_reference": lambda: world.payment.gateway_reference,
    }
    for name, value in names.items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(value()))
    client = client_for_actor(actor, world)
    if method == "get":
        return client.get(path, **extra)
    if extra.pop("multipart", False):
        return getattr(client, method)(path, body, format="multipart", **extra)
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    return getattr(client, method)(path, body, content_type="application/json", **extra)


def assert_refused(response, field: str | None = None) -> None:
    """A 400 in the envelope; when a serializer refused it (``invalid``), naming ``field``.

    A NUL or a lone surrogate in a JSON body may instead be refused while the
    body is parsed, before any serializer sees it (a 400 with the parser's code).
    """
    error = assert_error(response, 400)
    if error["code"] == "invalid" and field is not None:
        assert field in error["details"], error


# --- integers: the column's range, checked at the edge ----------------------------------

VARIANTS = "/api/v1/catalog/products/{product}/variants/"
VARIANT = VARIANTS + "{sku}/"
STOCK = VARIANT + "stock/"
IMAGE = "/api/v1/catalog/products/{product}/images/{image}/"

#: (actor, method, path, body with the integer under test as ``N``, field)
INTEGER_INPUTS = [
    ("staff_user", "post", VARIANTS, {"sku": "NEW-1", "price": PRICE, "position": "N"}, "position"),
    ("staff_user", "post", VARIANTS, {"sku": "NEW-2", "price": PRICE, "quantity": "N"}, "quantity"),
    (
        "staff_user",
        "post",
        VARIANTS,
        {"sku": "NEW-3", "price": PRICE, "low_stock_threshold": "N"},
        "low_stock_threshold",
    ),
    ("staff_user", "patch", VARIANT, {"position": "N"}, "position"),
    ("staff_user", "post", STOCK, {"quantity": "N", "reason": "Count"}, "quantity"),
    ("staff_user", "patch", IMAGE, {"position": "N"}, "position"),
]


def _with(body: dict, value) -> dict:
    return {key: value if item == "N" else item for key, item in body.items()}


@pytest.mark.parametrize("value", [2**31, -1, 2**63, 10**30])
@pytest.mark.parametrize(("actor", "method", "path", "body", "field"), INTEGER_INPUTS)
def test_an_integer_its_column_cannot_hold_is_a_400(world, actor, method, path, body, field, value):
    response = request(world, actor, method, path, _with(body, value))
    error = assert_error(response, 400, "invalid")
    assert field in error["details"]


@pytest.mark.parametrize(("actor", "method", "path", "body", "field"), INTEGER_INPUTS)
def test_the_largest_integer_its_column_holds_is_stored(world, actor, method, path, body, field):
    response = request(world, actor, method, path, _with(body, INT32_MAX))
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("change", [2**31, -(2**31), 2**63])
def test_a_stock_change_past_the_column_is_a_400(world, change):
    response = request(world, "staff_user", "post", STOCK, {"change": change, "reason": "Count"})
    assert "change" in assert_error(response, 400, "invalid")["details"]


def test_a_stock_change_whose_total_the_column_cannot_hold_is_a_400(world):
    """The change fits the column; stock on hand plus the change does not."""
    record = StockRecord.objects.get(variant=world.variant)
    response = request(world, "staff_user", "post", STOCK, {"change": INT32_MAX, "reason": "Count"})
    error = assert_error(response, 400, "invalid")
    assert error["details"] == {"change": [f"At most {INT32_MAX - record.quantity} can be added."]}
    record.refresh_from_db()
    assert record.quantity == 10


def test_a_stock_count_at_the_column_maximum_is_stored(world):
    response = request(
        world, "staff_user", "post", STOCK, {"quantity": INT32_MAX, "reason": "Count"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["quantity"] == INT32_MAX


@pytest.mark.parametrize("value", [2**31, -1, 2**63])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/cart/lines/", {"variant": "VARIANT", "quantity": "N"}),
        ("patch", "/api/v1/cart/lines/{line}/", {"quantity": "N"}),
    ],
)
def test_a_cart_quantity_past_the_column_is_invalid_quantity(world, method, path, body, value):
    body = {key: str(world.variant.pk) if item == "VARIANT" else item for key, item in body.items()}
    response = request(world, "customer", method, path, _with(body, value))
    assert_error(response, 400, "invalid_quantity")


# --- decimals -----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["1e20", "100000000000.00", "0.0001", "NaN", "Infinity"])
def test_a_price_its_column_cannot_hold_is_a_400(world, amount):
    body = {"sku": "NEW-1", "price": {"amount": amount, "currency": "USD"}}
    response = request(world, "staff_user", "post", VARIANTS, body)
    assert "price" in assert_error(response, 400, "invalid")["details"]


def test_the_largest_price_its_column_holds_is_stored(world):
    body = {"sku": "NEW-1", "price": {"amount": "99999999999.99", "currency": "USD"}}
    response = request(world, "staff_user", "post", VARIANTS, body)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("amount", ["1e20", "1E+999999", "0.0001", "12345678901234567890.5"])
@pytest.mark.parametrize("name", ["min_price", "max_price"])
def test_a_price_filter_its_column_cannot_hold_is_a_400(world, name, amount):
    response = request(world, "anonymous", "get", f"/api/v1/catalog/products/?{name}={amount}")
    assert name in assert_error(response, 400, "invalid")["details"]


def test_a_price_filter_at_the_column_maximum_is_answered(world):
    world.product  # noqa: B018 - the product must exist to be filtered
    response = request(
        world, "anonymous", "get", "/api/v1/catalog/products/?max_price=99999999999.999"
    )
    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["results"]] == ["plain-shirt"]


# --- strings: longer than the column, NUL characters -------------------------------------

#: case -> (actor, method, path, the string field made too long or given a NUL).
STRING_INPUTS = {
    "product name": ("staff_user", "post", "/api/v1/catalog/products/", "name"),
    "variant sku": ("staff_user", "post", VARIANTS, "sku"),
    "stock reason": ("staff_user", "post", STOCK, "reason"),
    "checkout note": ("customer", "post", "/api/v1/checkout/", "note"),
    "checkout email": ("customer", "post", "/api/v1/checkout/", "email"),
    "address line": ("customer", "post", "/api/v1/addresses/", "line1"),
    "ship carrier": ("staff_user", "post", "/api/v1/orders/{order}/ship/", "carrier"),
    "refund reason": ("staff_user", "post", "/api/v1/payments/{payment}/refunds/", "reason"),
    "payment gateway": ("customer", "post", "/api/v1/orders/{order}/payments/", "gateway"),
    "merge token": ("customer", "post", "/api/v1/cart/merge/", "token"),
}
BASE_BODIES = {
    "product name": {"vendor": "acme", "category": "shirts", "name": "Shirt"},
    "variant sku": {"sku": "NEW-1", "price": PRICE},
    "stock reason": {"change": 1, "reason": "Count"},
    "checkout note": {"shipping_address": "ADDRESS"},
    "checkout email": {"shipping_address": "ADDRESS"},
    "address line": {"full_name": "Ada", "line1": "1 Road", "city": "Lagos", "country": "NG"},
    "ship carrier": {"carrier": "DHL", "tracking_number": "1"},
    "refund reason": {"reason": "Damaged"},
    "payment gateway": {"gateway": "dummy"},
    "merge token": {"token": "abc"},
}


def _string_body(world: World, case: str, value: str) -> dict:
    field = STRING_INPUTS[case][3]
    body = dict(BASE_BODIES[case])
    if body.get("shipping_address") == "ADDRESS":
        body["shipping_address"] = str(world.address.pk)
        world.cart_line  # noqa: B018 - checkout needs a cart
    if case == "product name":
        world.product  # noqa: B018 - makes the vendor and the category
    body[field] = value if field != "email" else value + "@example.com"
    return body


@pytest.mark.parametrize("value", [LONG, "a\x00b"], ids=["10000 characters", "NUL"])
@pytest.mark.parametrize("case", sorted(STRING_INPUTS))
def test_a_string_its_column_cannot_hold_is_a_400(world, case, value):
    actor, method, path, field = STRING_INPUTS[case]
    body = _string_body(world, case, value)
    if case == "ship carrier":
        world.order_state = "paid"
    response = request(world, actor, method, path, body)
    assert_refused(response, field)


@pytest.mark.parametrize(
    "key", ["a\x00b", "\\ud800", "x" * 101, ""], ids=["NUL", "surrogate", "101 characters", "empty"]
)
def test_a_json_key_its_column_cannot_hold_is_a_400(world, key):
    escaped = key.replace("\x00", "\\u0000")
    body = '{"sku": "NEW-1", "price": {"amount": "1.00"}, "options": {"' + escaped + '": "M"}}'
    response = request(world, "staff_user", "post", VARIANTS, body)
    assert_refused(response, "options")


def test_too_many_json_keys_are_a_400(world):
    options = {f"option{number}": "x" for number in range(51)}
    body = {"sku": "NEW-1", "price": PRICE, "options": options}
    response = request(world, "staff_user", "post", VARIANTS, body)
    assert "options" in assert_error(response, 400, "invalid")["details"]


def test_json_keys_at_their_bounds_are_stored(world):
    options = {"k" * 100: "v" * 100, **{f"option{number}": "x" for number in range(49)}}
    body = {"sku": "NEW-1", "price": PRICE, "options": options}
    response = request(world, "staff_user", "post", VARIANTS, body)
    assert response.status_code == 201, response.content
    assert Variant.objects.get(sku="NEW-1").options == options


@pytest.mark.parametrize("value", ["a\x00b", "x" * 300, "\\ud800"])
@pytest.mark.parametrize("field", ["vendor", "category", "brand"])
def test_a_related_slug_no_column_holds_does_not_exist(world, field, value):
    world.product  # noqa: B018 - makes the vendor and the category
    body = {"vendor": "acme", "category": "shirts", "name": "Shirt", field: "SLUG"}
    raw = json.dumps(body).replace('"SLUG"', json.dumps(value).replace("\\\\", "\\"))
    response = request(world, "staff_user", "post", "/api/v1/catalog/products/", raw)
    error = assert_error(response, 400)
    # A NUL or a surrogate may be refused by the JSON parser first; a long slug may not.
    if error["code"] == "invalid" or value == "x" * 300:
        assert error["details"][field][0].startswith("Object with slug="), error


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "\\ud800", "vendor": "acme", "category": "shirts"}',
        '{"\\ud800": 1, "name": "x", "vendor": "acme", "category": "shirts"}',
    ],
    ids=["value", "unknown key"],
)
def test_an_error_that_echoes_a_lone_surrogate_is_rendered(world, body):
    world.product  # noqa: B018 - makes the vendor and the category
    response = request(world, "staff_user", "post", "/api/v1/catalog/products/", body)
    assert_refused(response)


def test_a_country_that_echoes_a_lone_surrogate_is_rendered(world):
    body = '{"full_name": "A", "line1": "x", "city": "y", "country": "\\ud800\\ud800"}'
    response = request(world, "customer", "post", "/api/v1/addresses/", body)
    assert_refused(response, "country")


def test_a_nul_in_a_multipart_field_is_a_400(world):
    body = {"alt_text": "a\x00b"}
    path = "/api/v1/catalog/products/{product}/images/{image}/"
    response = request(world, "staff_user", "patch", path, body, multipart=True)
    assert "alt_text" in assert_error(response, 400, "invalid")["details"]
    assert ProductImage.objects.get().alt_text == "Front"


@pytest.mark.parametrize("name", ["a\x00b.png", "x" * 300 + ".png"], ids=["NUL", "300 characters"])
def test_an_upload_s_file_name_is_stored_as_its_column_holds_it(world, settings, tmp_path, name):
    settings.MEDIA_ROOT = str(tmp_path)
    upload = SimpleUploadedFile(name, png_bytes(), content_type="image/png")
    path = "/api/v1/catalog/products/{product}/images/"
    response = request(world, "staff_user", "post", path, {"image": upload}, multipart=True)
    assert response.status_code == 201, response.content
    stored = ProductImage.objects.get(pk=response.json()["id"]).image.name
    assert is_storable_text(stored)
    assert len(stored) <= ProductImage._meta.get_field("image").max_length


# --- query strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["category", "brand", "vendor", "currency", "search", "in_stock", "featured"]
)
@pytest.mark.parametrize("value", ["%00", "a%00b", "x" * 10_000], ids=["NUL", "aNULb", "long"])
def test_a_filter_value_no_column_holds_is_a_400(world, name, value):
    response = request(world, "anonymous", "get", f"/api/v1/catalog/products/?{name}={value}")
    assert name in assert_error(response, 400, "invalid")["details"]


@pytest.mark.parametrize("query", ["ordering=%00", "page_size=%00", "page_size=a%00"])
def test_a_nul_in_ordering_or_page_size_is_a_400(world, query):
    response = request(world, "anonymous", "get", f"/api/v1/catalog/products/?{query}")
    assert_error(response, 400, "invalid")


# --- path parameters ----------------------------------------------------------------------

#: Every route with a text path parameter, with a NUL (or an overlong value) in it.
PATHS = [
    ("get", "/api/v1/catalog/categories/{bad}/"),
    ("get", "/api/v1/catalog/vendors/{bad}/"),
    ("post", "/api/v1/catalog/vendors/{bad}/verify/"),
    ("get", "/api/v1/catalog/products/{bad}/"),
    ("patch", "/api/v1/catalog/products/{bad}/"),
    ("post", "/api/v1/catalog/products/{bad}/archive/"),
    ("post", "/api/v1/catalog/products/{bad}/variants/"),
    ("patch", "/api/v1/catalog/products/{product}/variants/{bad}/"),
    ("post", "/api/v1/catalog/products/{product}/variants/{bad}/stock/"),
    ("post", "/api/v1/catalog/products/{bad}/images/"),
    ("get", "/api/v1/orders/{bad}/"),
    ("post", "/api/v1/orders/{bad}/cancel/"),
    ("post", "/api/v1/orders/{bad}/ship/"),
    ("post", "/api/v1/orders/{bad}/deliver/"),
    ("get", "/api/v1/orders/{bad}/events/"),
    ("post", "/api/v1/orders/{bad}/payments/"),
    ("get", "/api/v1/vendor/orders/{bad}/"),
    ("get", "/api/v1/addresses/{bad}/"),
    ("get", "/api/v1/payments/{bad}/"),
    ("post", "/api/v1/payments/{bad}/refresh/"),
    ("post", "/api/v1/payments/{bad}/capture/"),
    ("post", "/api/v1/payments/{bad}/cancel/"),
    ("post", "/api/v1/payments/{bad}/refunds/"),
    ("post", "/api/v1/payments/webhooks/{bad}/"),
    ("get", "/api/v1/payments/dummy/{bad}/confirm/"),
    ("post", "/api/v1/payments/dummy/{bad}/confirm/"),
]


@pytest.mark.parametrize("bad", ["a%00b", "%00", "x" * 10_000], ids=["aNULb", "NUL", "long"])
@pytest.mark.parametrize("actor", ["anonymous", "customer", "staff_user"])
@pytest.mark.parametrize(("method", "path"), PATHS)
def test_a_path_parameter_no_column_holds_is_a_404(world, method, path, actor, bad):
    response = request(world, actor, method, path.replace("{bad}", bad), {})
    assert_error(response, 404, "not_found")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _path_parameters():
    """``(route, name, regex)`` for every parameter of every API route."""
    for route, pattern in _routes(get_resolver().url_patterns):
        if not route.startswith("api/"):
            continue
        if isinstance(pattern.pattern, RoutePattern):
            for name, converter in pattern.pattern.converters.items():
                yield route, name, converter.regex
        else:
            for name, regex in analyze_named_regex_pattern(str(pattern.pattern)).items():
                yield route, name, regex


def test_no_route_parameter_matches_a_nul_or_an_overlong_value():
    """A new route with ``<str:...>`` or a router's default ``[^/.]+`` fails here."""
    parameters = list(_path_parameters())
    assert len({route for route, _, _ in parameters}) >= 20
    for route, name, regex in parameters:
        for value in ("a\x00b", "x" * 256):
            assert not re.fullmatch(regex, value), (route, name, regex)


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a\x00b", "x" * 256])
@pytest.mark.parametrize(
    ("actor", "path", "body"),
    [
        ("customer", "/api/v1/checkout/", {"shipping_address": "ADDRESS"}),
        ("customer", "/api/v1/orders/{order}/payments/", {"gateway": "dummy"}),
        ("staff_user", "/api/v1/payments/{payment}/refunds/", {"reason": "Damaged"}),
    ],
)
def test_an_idempotency_key_no_column_holds_is_a_400(world, actor, path, body, key):
    if body.get("shipping_address") == "ADDRESS":
        body = {"shipping_address": str(world.address.pk)}
        world.cart_line  # noqa: B018
    if "refunds" in path:
        world.payment_state = "captured"
    response = request(world, actor, "post", path, body, HTTP_IDEMPOTENCY_KEY=key)
    assert "Idempotency-Key" in assert_error(response, 400, "invalid")["details"]


@pytest.mark.parametrize(
    ("path", "header", "status", "code"),
    [
        ("/api/v1/cart/", "HTTP_X_CART_TOKEN", 404, "cart_not_found"),
        ("/api/v1/orders/{order}/", "HTTP_X_ORDER_TOKEN", 404, "not_found"),
        ("/api/v1/payments/{payment}/", "HTTP_X_ORDER_TOKEN", 404, "not_found"),
        ("/api/v1/cart/", "HTTP_AUTHORIZATION", 401, None),
    ],
)
def test_a_token_header_with_a_nul_is_refused(world, path, header, status, code):
    value = "Bearer a\x00b" if header == "HTTP_AUTHORIZATION" else "a\x00b" + "x" * 10_000
    response = request(world, "anonymous", "get", path, **{header: value})
    assert_error(response, status, code)


# --- the pieces ---------------------------------------------------------------------------


def test_integer_range_is_the_strictest_database_s():
    assert integer_range(StockRecord._meta.get_field("quantity")) == (-(2**31), INT32_MAX)
    assert integer_range(Variant._meta.get_field("position")) == (0, INT32_MAX)


def test_a_column_integer_field_narrows_but_never_widens():
    field = column_integer_field(Variant, "position", min_value=-5, max_value=10)
    assert (field.min_value, field.max_value) == (0, 10)
    field = column_integer_field(Variant, "position", max_value=2**40)
    assert field.max_value == INT32_MAX


def test_storable_text():
    assert is_storable_text("Ünïcödé 😀")
    assert not is_storable_text("a\x00")
    assert not is_storable_text("\ud800")


def test_a_string_map_checks_keys_count_and_values():
    field = StringMapField(max_key_length=3, max_items=2, child=serializers.CharField(max_length=2))
    assert field.run_validation({"abc": "xy"}) == {"abc": "xy"}
    for bad in ({"abcd": "x"}, {"a\x00": "x"}, {"a": "x", "b": "y", "c": "z"}, {"a": "xyz"}):
        with pytest.raises(serializers.ValidationError):
            field.run_validation(bad)


@pytest.mark.parametrize("pattern", [SLUG_PATTERN, KEY_PATTERN])
def test_the_path_patterns_refuse_nul_slash_and_length(pattern):
    assert re.fullmatch(pattern, "plain-shirt")
    for bad in ("a\x00b", "a/b", "", "x" * 256):
        assert not re.fullmatch(pattern, bad), bad


# --- the schema says so -------------------------------------------------------------------

#: String properties of request bodies that need no ``maxLength``: a format or enum bounds them.
BOUNDED_FORMATS = {"uuid", "binary", "email", "decimal", "date-time", "uri"}
#: Text columns (no length) whose bound is the request size limit, and the dummy
#: gateway's return URL (never stored: only ever a link on its demo page).
UNBOUNDED_TEXT = {
    ("ProductWrite", "description"),
    ("PatchedProductWrite", "description"),
    ("DummyConfirm", "return_url"),
}


def _request_components(schema):
    names = set()
    for _path, _method, operation in operations(schema):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            ref = media.get("schema", {}).get("$ref", "")
            if ref:
                names.add(ref.rsplit("/", 1)[1])
    return names


def _unbounded(name, properties, components):
    for prop, spec in properties.items():
        if "$ref" in spec or "oneOf" in spec or "allOf" in spec or spec.get("readOnly"):
            continue
        kind = spec.get("type")
        if kind == "integer" and ("minimum" not in spec or "maximum" not in spec):
            yield name, prop, "integer without minimum/maximum"
        bounded = spec.get("format") in BOUNDED_FORMATS or (name, prop) in UNBOUNDED_TEXT
        if kind == "string" and "maxLength" not in spec and "enum" not in spec and not bounded:
            yield name, prop, "string without maxLength"
        if kind == "object" and "additionalProperties" in spec and "maxProperties" not in spec:
            yield name, prop, "map without maxProperties"


def test_every_request_body_value_is_bounded_in_the_schema():
    schema = openapi_schema()
    components = schema["components"]["schemas"]
    names = _request_components(schema)
    assert {"VariantWrite", "Checkout", "StockAdjustment", "AddLine"} <= names, names
    problems = [
        problem
        for name in sorted(names)
        for problem in _unbounded(name, components[name].get("properties", {}), components)
    ]
    assert not problems
