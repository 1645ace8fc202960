"""Payment endpoints given input no client should send: a 4xx in the envelope, never a 500.

Each case was found by fuzzing the API from its schema (``tests/fuzz``).
"""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from commerce.payments import services
from commerce.payments.models import Payment
from tests.helpers import assert_error
from tests.openapi import openapi_schema, response_content

pytestmark = pytest.mark.django_db

CONFIRM = "/api/v1/payments/dummy/{gateway_reference}/confirm/"


@pytest.fixture
def payment(order) -> Payment:
    return services.start_payment(order, "dummy").payment


def confirm_url(payment) -> str:
    return CONFIRM.format(gateway_reference=payment.gateway_reference)


@pytest.mark.parametrize("body", ['""', "[]", '["succeed"]', "12", "null"])
def test_confirming_with_a_json_body_that_is_not_an_object_is_a_400(payment, body):
    response = APIClient().post(confirm_url(payment), body, content_type="application/json")
    error = assert_error(response, 400, "invalid")
    assert "choice" in error["details"]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PROCESSING


@pytest.mark.parametrize("return_url", [5, ["https://shop.example/"], {"url": "x"}, None])
def test_a_browser_confirming_with_a_return_url_that_is_not_a_string_gets_the_page(
    payment, return_url
):
    response = APIClient().post(
        confirm_url(payment),
        json.dumps({"choice": "fail", "return_url": return_url}),
        content_type="application/json",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Back to the shop" not in response.content
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED


def test_the_schema_says_the_confirmation_page_is_html():
    schema = openapi_schema()
    page = response_content(schema, CONFIRM, "get", "200")
    assert set(page) == {"text/html"}
    confirmed = response_content(schema, CONFIRM, "post", "200")
    assert set(confirmed) == {"application/json", "text/html"}
    assert confirmed["application/json"]["schema"] == {"$ref": "#/components/schemas/Payment"}


def test_the_confirmation_page_is_served_as_html(payment):
    response = APIClient().get(confirm_url(payment))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_the_webhook_documents_every_built_in_gateway_s_signature_header():
    operation = openapi_schema()["paths"]["/api/v1/payments/webhooks/{alias}/"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"Stripe-Signature", "x-paystack-signature", "X-Dummy-Signature"}
