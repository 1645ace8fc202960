"""The OpenAPI schema as a whole: errors declared, references resolved, bodies strict.

Found by fuzzing the API from its own schema (``tests/fuzz``); each test keeps one
kind of mismatch between what the schema says and what the API does from coming back.
"""

from __future__ import annotations

import inspect
import re

from commerce.core.api.schema import (
    ERROR_COMPONENT,
    declare_error_responses,
    declare_parameter_bounds,
)
from commerce.core.api.serializers import RejectUnknownFieldsMixin
from tests.openapi import (
    component_refs,
    example_problems,
    openapi_schema,
    operations,
    parameters_named,
)

ENVELOPE_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}


def test_every_operation_declares_the_error_envelope_for_4xx_and_5xx():
    schema = openapi_schema()
    assert schema["components"]["schemas"][ERROR_COMPONENT]["required"] == ["error"]
    checked = 0
    for path, method, operation in operations(schema):
        for status in ("4XX", "5XX"):
            content = operation["responses"][status]["content"]
            assert content == {"application/json": {"schema": ENVELOPE_REF}}, (path, method)
        checked += 1
    assert checked > 10


def test_declared_error_responses_without_a_body_get_the_envelope():
    result = {
        "paths": {
            "/hooks/": {
                "parameters": [],
                "post": {"responses": {"200": {"description": "ok"}, "400": {"description": "no"}}},
            }
        }
    }
    result = declare_error_responses(result, generator=None, request=None, public=True)
    responses = result["paths"]["/hooks/"]["post"]["responses"]
    assert responses["200"] == {"description": "ok"}
    assert responses["400"]["content"]["application/json"]["schema"] == ENVELOPE_REF
    assert set(responses) == {"200", "400", "4XX", "5XX"}
    assert result["paths"]["/hooks/"]["parameters"] == []
    assert ERROR_COMPONENT in result["components"]["schemas"]


def test_a_host_component_with_the_same_name_is_left_alone():
    mine = {"type": "object", "properties": {"detail": {"type": "string"}}}
    result = {"components": {"schemas": {ERROR_COMPONENT: mine}}, "paths": {}}
    declare_error_responses(result, generator=None, request=None, public=True)
    assert result["components"]["schemas"][ERROR_COMPONENT] is mine


def test_every_reference_names_a_component_the_schema_has():
    """The checkout body once referred to an ``AddressInput`` component that was never made."""
    schema = openapi_schema()
    missing = component_refs(schema) - set(schema["components"]["schemas"])
    assert not missing


def test_bodies_that_refuse_unknown_keys_say_so():
    schema = openapi_schema()
    components = schema["components"]["schemas"]
    strict = {name for name, component in components.items() if "additionalProperties" in component}
    # The catalog's write bodies exist in every host configuration.
    assert {"ProductWrite", "PatchedProductWrite", "VariantWrite", "StockAdjustment"} <= strict
    for name in strict:
        assert components[name]["additionalProperties"] is False, name


def test_no_component_is_described_by_the_reject_unknown_fields_mixin():
    """A body serializer without a docstring inherited the mixin's as its description."""
    mixin_doc = inspect.cleandoc(RejectUnknownFieldsMixin.__doc__)
    for name, component in openapi_schema()["components"]["schemas"].items():
        assert component.get("description") != mixin_doc, name


def test_every_page_size_declares_the_bounds_the_server_enforces():
    found = dict(parameters_named(openapi_schema(), "query", "page_size"))
    # The catalog's three lists exist in every host configuration.
    assert len(found) >= 3
    for operation, schema in found.items():
        assert schema == {"type": "integer", "minimum": 1, "maximum": 100}, operation


def test_page_size_bounds_follow_the_setting(settings):
    settings.COMMERCE = {**settings.COMMERCE, "MAX_PAGE_SIZE": 7}
    result = {
        "paths": {
            "/things/": {
                "get": {
                    "parameters": [
                        {"in": "query", "name": "page_size", "schema": {"type": "integer"}},
                        {"in": "path", "name": "page_size", "schema": {"type": "string"}},
                    ]
                }
            }
        }
    }
    declare_parameter_bounds(result, generator=None, request=None, public=True)
    query, path = result["paths"]["/things/"]["get"]["parameters"]
    assert query["schema"] == {"type": "integer", "minimum": 1, "maximum": 7}
    assert path["schema"] == {"type": "string"}


def test_no_path_parameter_pattern_admits_a_nul():
    """The converters' patterns reach the schema, NUL written as an escape."""
    checked = 0
    for path, _method, operation in operations(openapi_schema()):
        for parameter in operation.get("parameters", []):
            pattern = parameter["schema"].get("pattern")
            if parameter["in"] == "path" and pattern:
                assert "\x00" not in pattern, path
                assert not re.fullmatch(pattern.strip("^$"), "a\x00b"), path
                checked += 1
    assert checked >= 10


def test_every_example_matches_its_own_schema():
    """Request and response examples, errors included, as the schema's own bodies."""
    assert example_problems(openapi_schema()) == {}


def test_an_example_that_does_not_match_its_schema_is_reported():
    thing = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "price": {"type": "string", "format": "decimal"},
            "at": {"type": "string", "format": "date-time", "nullable": True},
        },
        "required": ["price"],
    }
    body = {"schema": {"$ref": "#/components/schemas/Thing"}}

    def schema(request, response):
        return {
            "components": {"schemas": {"Thing": thing}},
            "paths": {
                "/things/": {
                    "post": {
                        "requestBody": {"content": {"application/json": {**body, **request}}},
                        "responses": {
                            "201": {"content": {"application/json": {**body, **response}}}
                        },
                    }
                }
            },
        }

    def named(value):
        return {"examples": {"Example": {"value": value}}}

    good = {"id": "0b6f3c52-5d0e-4f6b-9a43-6c2d1e8f7a10", "price": "1.50", "at": None}
    assert example_problems(schema(named({"price": "1.50"}), named(good))) == {}
    problems = example_problems(
        schema(
            named({**good, "price": "1.5x"}),
            named({"id": "nope", "price": "2", "at": "today", "prize": "2"}),
        )
    )
    assert problems == {
        "post /things/ application/json Example": [
            # A read-only property sent in a request.
            ": False schema does not allow '0b6f3c52-5d0e-4f6b-9a43-6c2d1e8f7a10'",
            "price: '1.5x' is not a 'decimal'",
        ],
        "post /things/ 201 application/json Example": [
            "id: 'nope' is not a 'uuid'",
            "at: 'today' is not valid under any of the given schemas",
            ": Additional properties are not allowed ('prize' was unexpected)",
        ],
    }
