"""OpenAPI examples of checkout and the shipping methods, from one worked case.

The cart of :mod:`commerce.cart.api.examples`: two linen shirts at 40.00 with
the voucher ``SUMMER10`` (10 % off shirts: 8.00) and a mug at 12.50, shipped to
New York (the shop's United States zone: Standard 5.00, Express 15.00, 8 %
sales tax added to prices and shipping). Checkout with Standard and
``SUMMER10`` charges 92.50 - 8.00 + 5.00 + 7.16 tax = 96.66.

The test suite builds this shop, calls the endpoints and compares their answers
with these examples (ids, numbers, tokens and timestamps aside).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

from commerce.core.api.examples import error_example, money

ORDER_NUMBER = "260601-7KQ2ZD"
SHIRT_LINE_ID = "9e5160f7-8293-4eaf-a0b1-3c4d5e6f7081"
MUG_LINE_ID = "af627108-93a4-4fb0-b1c2-4d5e6f708192"
CREATED_AT = "2026-06-01T12:00:00Z"
RESERVED_UNTIL = "2026-06-01T12:30:00Z"

NEW_YORK = {
    "full_name": "Ada Lovelace",
    "line1": "1 Loop Road",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
}

CHECKOUT_REQUEST = {
    "shipping_address": NEW_YORK,
    "shipping_method": "standard",
    "codes": ["SUMMER10"],
    "expected_total": "96.66",
}

SHIPPING_METHODS = [
    {"code": "standard", "name": "Standard", "price": money("5.00")},
    {"code": "express", "name": "Express", "price": money("15.00")},
]


def _tax(amount: str) -> dict[str, Any]:
    return {"name": "Sales tax", "rate": "8.0000", "amount": money(amount), "included": False}


PLACED_ORDER = {
    "number": ORDER_NUMBER,
    "status": "pending",
    "email": "ada@example.com",
    "currency": "USD",
    "subtotal": money("92.50"),
    "discount_total": money("8.00"),
    "shipping_method_code": "standard",
    "shipping_method_name": "Standard",
    "shipping_price": money("5.00"),
    "shipping_total": money("5.00"),
    "shipping_adjustments": [],
    "shipping_tax_lines": [_tax("0.40")],
    "tax_total": money("7.16"),
    "prices_include_tax": False,
    "total": money("96.66"),
    "lines": [
        {
            "id": SHIRT_LINE_ID,
            "product_name": "Linen shirt",
            "variant_name": "M / Blue",
            "sku": "SHIRT-M-BLUE",
            "options": {"size": "M", "colour": "Blue"},
            "unit_price": money("40.00"),
            "quantity": 2,
            "line_total": money("80.00"),
            "discount_total": money("8.00"),
            "tax_total": money("5.76"),
            "total": money("77.76"),
            "adjustments": [
                {
                    "name": "Summer sale",
                    "source": "voucher",
                    "code": "SUMMER10",
                    "lane": "voucher",
                    "amount": money("8.00"),
                }
            ],
            "tax_lines": [_tax("5.76")],
        },
        {
            "id": MUG_LINE_ID,
            "product_name": "Mug",
            "variant_name": "Default",
            "sku": "MUG-1",
            "options": {},
            "unit_price": money("12.50"),
            "quantity": 1,
            "line_total": money("12.50"),
            "discount_total": money("0.00"),
            "tax_total": money("1.00"),
            "total": money("13.50"),
            "adjustments": [],
            "tax_lines": [_tax("1.00")],
        },
    ],
    "shipping_address": {
        "full_name": "Ada Lovelace",
        "company": "",
        "line1": "1 Loop Road",
        "line2": "",
        "city": "New York",
        "region": "NY",
        "postal_code": "10001",
        "country": "US",
        "phone": "",
    },
    "billing_address": None,
    "note": "",
    "carrier": "",
    "tracking_number": "",
    "reservation_expires_at": RESERVED_UNTIL,
    "paid_at": None,
    "shipped_at": None,
    "delivered_at": None,
    "cancelled_at": None,
    "created_at": CREATED_AT,
    "allowed_transitions": ["cancel", "mark_paid"],
    "access_token": "4c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",
}

SHIPPING_METHODS_EXAMPLES = [
    # drf-spectacular wraps a list response's example in a list itself: one item.
    OpenApiExample(
        "The first of the methods serving New York",
        value=SHIPPING_METHODS[0],
        description="`?country=US&region=NY&postal_code=10001`, priced for the cart; "
        "Express (15.00) follows.",
        response_only=True,
    ),
]

CHECKOUT_EXAMPLES = [
    OpenApiExample(
        "Standard shipping, a voucher and the total shown",
        value=CHECKOUT_REQUEST,
        description="`expected_total` is the cart's `total` for this address and method "
        "(`GET /cart/?country=US&region=NY&postal_code=10001&shipping_method=standard`).",
        request_only=True,
    ),
    OpenApiExample(
        "The order placed",
        value=PLACED_ORDER,
        description="92.50 - 8.00 discount + 5.00 shipping + 7.16 sales tax = 96.66; "
        "each line keeps its adjustments and tax lines.",
        status_codes=["201"],
        response_only=True,
    ),
    error_example(
        "No shipping method chosen",
        400,
        "shipping_method_required",
        "Choose a shipping method.",
        {"available": ["standard", "express"]},
        description="Methods serve the address but the body named none; `available` "
        "lists their codes.",
    ),
    error_example(
        "The total changed",
        409,
        "price_changed",
        "The total changed since you last saw it; review it and try again.",
        {
            "currency": "USD",
            "subtotal": "92.50",
            "discount_total": "8.00",
            "shipping_total": "5.00",
            "tax_total": "7.16",
            "total": "96.66",
        },
        description="The client sent `expected_total` 100.00; the details are what "
        "checkout would charge now.",
    ),
]
