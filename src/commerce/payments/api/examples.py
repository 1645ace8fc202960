"""OpenAPI examples of refunds by order lines, from one worked case.

The order of :mod:`commerce.orders.api.examples`, paid in full (96.66): two
linen shirts that cost 77.76 after the voucher and with 8 % sales tax, a mug
(13.50) and Standard shipping (5.40 with its tax). Staff refund one shirt and
the shipping: one shirt gives back its share of its line's cost, 77.76 / 2 =
38.88, and the shipping 5.40, so the refund is 44.28.

The test suite builds this shop, calls the endpoint and compares its answer
with these examples (ids, references and timestamps aside).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from commerce.core.api.examples import error_example, money

#: The shirts' line of the order example.
SHIRT_LINE_ID = "9e5160f7-8293-4eaf-a0b1-3c4d5e6f7081"

REFUND_LINES_REQUEST = {
    "lines": [{"line": SHIRT_LINE_ID, "quantity": 1}],
    "shipping": True,
    "reason": "One shirt returned; the parcel was late",
}

REFUND_BY_LINES = {
    "reference": "rfd_5e0c4b3a2918f7e6d5c4b3a2",
    "status": "succeeded",
    "amount": money("44.28"),
    "reason": "One shirt returned; the parcel was late",
    "failure_message": "",
    "lines": [
        {"line": SHIRT_LINE_ID, "quantity": 1, "amount": money("38.88")},
        {"line": None, "quantity": 0, "amount": money("5.40")},
    ],
    "created_at": "2026-06-03T09:15:00Z",
}

REFUND_EXAMPLES = [
    OpenApiExample(
        "One unit of a line and the shipping",
        value=REFUND_LINES_REQUEST,
        request_only=True,
    ),
    OpenApiExample(
        "An amount", value={"amount": money("10.00"), "reason": "Goodwill"}, request_only=True
    ),
    OpenApiExample(
        "The refund of one shirt and the shipping",
        value=REFUND_BY_LINES,
        description="A shirt gives back half its line's cost (77.76 after the voucher, "
        "with tax): 38.88; the shipping with its tax, 5.40 (the line without a `line`). "
        "44.28 in all.",
        status_codes=["201"],
        response_only=True,
    ),
    error_example(
        "More units than are left",
        400,
        "invalid_refund_lines",
        "Some of the lines cannot be refunded.",
        {"lines": {SHIRT_LINE_ID: ["Only 1 of 2 left to refund."]}},
        description="Both shirts asked for after the refund above: nothing is sent.",
    ),
]
