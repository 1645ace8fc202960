"""Helpers for the OpenAPI examples the apps' endpoints document.

An example is what the API answers for one worked case (each app's
``api/examples.py`` says which): the test suite replays each case and compares
the answers with the examples, and validates every example against its schema.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from commerce.core.api.schema import ERROR_COMPONENT

__all__ = ["error_example", "error_response", "money"]


def money(amount: str, currency: str = "USD") -> dict[str, str]:
    """A money value as the API writes it: ``{"amount": "12.50", "currency": "USD"}``."""
    return {"amount": amount, "currency": currency}


def error_example(
    name: str,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    *,
    description: str = "",
) -> OpenApiExample:
    """An example of the error envelope, shown under the ``status`` response."""
    return OpenApiExample(
        name,
        value={"error": {"code": code, "message": message, "details": details or {}}},
        description=description,
        status_codes=[str(status)],
        response_only=True,
    )


def error_response(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    """A 4xx response with the error envelope as its body, and ``examples`` of it.

    The schema hook gives a declared error response without a body the envelope
    too, but drf-spectacular drops the examples of a response without a schema.
    """
    return OpenApiResponse(
        response={"$ref": f"#/components/schemas/{ERROR_COMPONENT}"},
        description=description,
        examples=list(examples),
    )
