"""Request headers that several apps' endpoints read, and their OpenAPI parameters.

A cart's endpoints and checkout both read the cart token; orders' and
payments' endpoints both read the order token; orders and payments both take
an ``Idempotency-Key``. Each is declared once here, so every operation
documents a header with the same name and words, and no app imports another
app's API module to reuse them.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from commerce.core.idempotency import HEADER as IDEMPOTENCY_HEADER

__all__ = [
    "CART_TOKEN_HEADER",
    "CART_TOKEN_PARAMETER",
    "IDEMPOTENCY_PARAMETER",
    "ORDER_TOKEN_HEADER",
    "ORDER_TOKEN_PARAMETER",
    "header_parameter",
]

#: An anonymous cart's token, sent by the client and set by the cart endpoints.
CART_TOKEN_HEADER = "X-Cart-Token"
#: A guest's order access token (see ``commerce.orders.services.order_access_token``).
ORDER_TOKEN_HEADER = "X-Order-Token"


def header_parameter(name: str, description: str) -> OpenApiParameter:
    """An optional string request header, as drf-spectacular documents it."""
    return OpenApiParameter(
        name=name,
        type=OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description=description,
    )


CART_TOKEN_PARAMETER = header_parameter(
    CART_TOKEN_HEADER,
    "An anonymous cart's token (returned in this header when the cart is created).",
)
ORDER_TOKEN_PARAMETER = header_parameter(
    ORDER_TOKEN_HEADER, "A guest's order access token, returned once by checkout."
)
IDEMPOTENCY_PARAMETER = header_parameter(
    IDEMPOTENCY_HEADER, "Retries with the same key and body return the first response."
)
