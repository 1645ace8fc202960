"""The cart's OpenAPI schema says what its endpoints answer (found by ``tests/fuzz``)."""

from __future__ import annotations

import pytest

from commerce.cart import services
from commerce.testing.factories import VariantFactory
from tests.cart.helpers import make_variant
from tests.helpers import client_for
from tests.openapi import body_schema, openapi_schema, response_content


@pytest.mark.django_db
def test_removing_a_line_answers_200_with_the_cart_as_the_schema_says(customer):
    cart, _ = services.get_or_create_cart(user=customer)
    cart = services.add_line(cart, variant_id=VariantFactory().pk, quantity=1)
    line = cart.lines.get()
    response = client_for(customer).delete(f"/api/v1/cart/lines/{line.pk}/")
    assert response.status_code == 200
    assert response.json()["lines"] == []
    responses = openapi_schema()["paths"]["/api/v1/cart/lines/{line_id}/"]["delete"]["responses"]
    assert "204" not in responses
    assert response_content(openapi_schema(), "/api/v1/cart/lines/{line_id}/", "delete", "200")[
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/Cart"}


LINE = "/api/v1/cart/lines/{line_id}/"


@pytest.mark.django_db
def test_changing_a_line_requires_a_quantity_as_the_schema_says(customer):
    operation = openapi_schema()["paths"][LINE]["patch"]
    assert operation["requestBody"]["required"] is True
    body = body_schema(openapi_schema(), LINE, "patch")
    assert body["required"] == ["quantity"]
    assert body["properties"]["quantity"]["maximum"] == 2**31 - 1
    cart, _ = services.get_or_create_cart(user=customer)
    variant = make_variant("SKU-1")
    line = services.add_line(cart, variant_id=variant.pk, quantity=1).lines.get()
    response = client_for(customer).patch(LINE.format(line_id=line.pk), {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_quantity"
