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
]

#: An anonymous cart's token, sent by the client and set by the cart endpoints.
CART_TOKEN_HEADER = "X-Cart-Token"
#: A guest's order access token (see ``commerce.orders.services.order_access_token``).
ORDER_TOKEN_HEADER = "X-Order-Token"

CART_TOKEN_PARAMETER = OpenApiParameter(
    name=CART_TOKEN_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="An anonymous cart's token (returned in this header when the cart is created).",
)
ORDER_TOKEN_PARAMETER = OpenApiParameter(
    name=ORDER_TOKEN_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A guest's order access token, returned once by checkout.",
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retries with the same key and body return the first response.",
)
