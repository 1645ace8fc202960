"""OpenAPI examples of the cart endpoints, from one worked case.

A signed-in shopper's USD cart holds two linen shirts at 40.00 and a mug at
12.50. The voucher ``SUMMER10`` (the "Summer sale": 10 % off shirts) takes
8.00 off the shirts. ``WELCOME5`` (5.00 off carts of 150.00 or more) was
entered when the cart held more and no longer applies. The shop's United
States zone has two shipping methods, Standard (5.00) and Express (15.00), and
an 8 % sales tax added to prices (the shipping's too). Priced for New York
with Standard: 92.50 - 8.00 + 5.00 + 7.16 tax = 96.66.

The test suite builds this shop, calls the endpoints and compares their answers
with these examples (ids, the version and timestamps aside).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

from commerce.core.api.examples import error_example, money

CART_ID = "0b6f3c52-5d0e-4f6b-9a43-6c2d1e8f7a10"
SHIRT_LINE_ID = "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
MUG_LINE_ID = "6b2e3d4c-5f60-4b7c-9d8e-0f1a2b3c4d5e"
SHIRT_VARIANT_ID = "7c3f4e5d-6071-4c8d-8e9f-1a2b3c4d5e6f"
MUG_VARIANT_ID = "8d405f6e-7182-4d9e-9fa0-2b3c4d5e6f70"
VERSION = "3f1c2a9b8d7e6f504132"

SALES_TAX = "Sales tax"
SUMMER_SALE = {
    "name": "Summer sale",
    "source": "voucher",
    "code": "SUMMER10",
    "lane": "voucher",
    "amount": money("8.00"),
}
STANDARD = {"code": "standard", "name": "Standard", "price": money("5.00")}
EXPRESS = {"code": "express", "name": "Express", "price": money("15.00")}


def _tax(amount: str) -> dict[str, Any]:
    return {"name": SALES_TAX, "rate": "8.0000", "amount": money(amount), "included": False}


def _line(
    line_id, variant, quantity, unit_price, line_total, discount, total, adjustments, tax_lines
):
    return {
        "id": line_id,
        "variant": variant,
        "quantity": quantity,
        "unit_price": money(unit_price),
        "line_total": money(line_total),
        "discount": money(discount),
        "total": money(total),
        "adjustments": adjustments,
        "tax_lines": tax_lines,
        "available": 10,
        "warnings": [],
    }


SHIRT = {
    "id": SHIRT_VARIANT_ID,
    "sku": "SHIRT-M-BLUE",
    "name": "M / Blue",
    "options": {"size": "M", "colour": "Blue"},
    "product_name": "Linen shirt",
    "product_slug": "linen-shirt",
}
MUG = {
    "id": MUG_VARIANT_ID,
    "sku": "MUG-1",
    "name": "Default",
    "options": {},
    "product_name": "Mug",
    "product_slug": "mug",
}
WELCOME5_BELOW_MINIMUM = {
    "code": "WELCOME5",
    "applied": False,
    "reason": {
        "code": "below_minimum_spend",
        "message": "The cart is below this offer's minimum spend.",
    },
}
SUMMER10_APPLIED = {"code": "SUMMER10", "applied": True, "reason": None}


def _cart(*, shipped: bool, codes: list[dict[str, Any]]) -> dict[str, Any]:
    """The cart as ``GET /cart/`` shows it: for New York with Standard (``shipped``),
    or with no destination (no shipping, no tax)."""
    shirt_tax = [_tax("5.76")] if shipped else []
    mug_tax = [_tax("1.00")] if shipped else []
    return {
        "id": CART_ID,
        "currency": "USD",
        "version": VERSION,
        "lines": [
            _line(
                SHIRT_LINE_ID,
                SHIRT,
                2,
                "40.00",
                "80.00",
                "8.00",
                "77.76" if shipped else "72.00",
                [SUMMER_SALE],
                shirt_tax,
            ),
            _line(
                MUG_LINE_ID,
                MUG,
                1,
                "12.50",
                "12.50",
                "0.00",
                "13.50" if shipped else "12.50",
                [],
                mug_tax,
            ),
        ],
        "subtotal": money("92.50"),
        "discount_total": money("8.00"),
        "shipping_total": money("5.00" if shipped else "0.00"),
        "tax_total": money("7.16" if shipped else "0.00"),
        "total": money("96.66" if shipped else "84.50"),
        "codes": codes,
        "shipping_methods": [STANDARD, EXPRESS] if shipped else [],
        "shipping": (
            {
                **STANDARD,
                "discount": money("0.00"),
                "adjustments": [],
                "tax_lines": [_tax("0.40")],
                "total": money("5.40"),
            }
            if shipped
            else None
        ),
        "item_count": 3,
        "warnings": [],
    }


#: ``GET /cart/?country=US&region=NY&postal_code=10001&shipping_method=standard``.
CART_PRICED = _cart(shipped=True, codes=[SUMMER10_APPLIED, WELCOME5_BELOW_MINIMUM])
#: ``POST /cart/codes/`` ``{"code": "summer10"}`` on the cart holding no code yet.
CART_WITH_CODE = _cart(shipped=False, codes=[SUMMER10_APPLIED])
#: ``DELETE /cart/codes/WELCOME5/``: the code is gone, the discount of the other stays.
CART_CODE_REMOVED = CART_WITH_CODE

CART_EXAMPLES = [
    OpenApiExample(
        "A discounted cart priced for New York with Standard shipping",
        value=CART_PRICED,
        description="`?country=US&region=NY&postal_code=10001&shipping_method=standard`. "
        "SUMMER10 takes 10 % off the shirts; WELCOME5 stays on the cart, not applied, "
        "with its reason. Total: 92.50 - 8.00 + 5.00 shipping + 7.16 sales tax = 96.66.",
        response_only=True,
    ),
]

ENTER_CODE_EXAMPLES = [
    OpenApiExample("Enter a voucher code", value={"code": "summer10"}, request_only=True),
    OpenApiExample(
        "The code applies",
        value=CART_WITH_CODE,
        description="The cart, priced with the code (no destination given: no shipping "
        "or tax yet). Codes are stored in capitals.",
        status_codes=["201"],
        response_only=True,
    ),
    error_example(
        "Below the minimum spend",
        400,
        "below_minimum_spend",
        "The cart is below this offer's minimum spend.",
        {"code": "WELCOME5"},
    ),
]

REMOVE_CODE_EXAMPLES = [
    OpenApiExample(
        "WELCOME5 removed",
        value=CART_CODE_REMOVED,
        description="`DELETE /cart/codes/WELCOME5/`: the cart without the code.",
        status_codes=["200"],
        response_only=True,
    ),
    error_example(
        "The code is not on the cart",
        404,
        "code_not_found",
        "This code is not on the cart.",
        {"code": "WELCOME5"},
    ),
]
