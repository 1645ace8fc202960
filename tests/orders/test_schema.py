"""The checkout body and the Idempotency-Key in the OpenAPI schema (found by ``tests/fuzz``)."""

from __future__ import annotations

from tests.openapi import body_schema, openapi_schema, parameters_named


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


def test_every_idempotency_key_declares_its_length():
    found = dict(parameters_named(openapi_schema(), "header", "Idempotency-Key"))
    assert set(found) == {
        "post /api/v1/checkout/",
        "post /api/v1/orders/{number}/payments/",
        "post /api/v1/payments/{reference}/refunds/",
    }
    for operation, schema in found.items():
        assert schema == {"type": "string", "minLength": 1, "maxLength": 255}, operation
