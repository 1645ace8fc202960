"""The OpenAPI schema as a whole: errors declared, references resolved, bodies strict.

Found by fuzzing the API from its own schema (``tests/fuzz``); each test keeps one
kind of mismatch between what the schema says and what the API does from coming back.
"""

from __future__ import annotations

import inspect

from commerce.core.api.schema import ERROR_COMPONENT, declare_error_responses
from commerce.core.api.serializers import RejectUnknownFieldsMixin
from tests.openapi import component_refs, openapi_schema, operations

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
