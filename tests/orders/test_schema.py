"""The checkout body in the OpenAPI schema (found by ``tests/fuzz``)."""

from __future__ import annotations

from tests.openapi import body_schema, openapi_schema


def test_checkout_addresses_are_an_id_or_an_address_input_the_schema_defines():
    schema = openapi_schema()
    checkout = body_schema(schema, "/api/v1/checkout/", "post")
    for field in ("shipping_address", "billing_address"):
        choices = checkout["properties"][field]["oneOf"]
        assert choices[0] == {"type": "string", "format": "uuid"}
        assert choices[1] == {"$ref": "#/components/schemas/AddressInput"}
    address = schema["components"]["schemas"]["AddressInput"]
    assert set(address["required"]) == {"full_name", "line1", "city", "country"}
    assert address["additionalProperties"] is False
