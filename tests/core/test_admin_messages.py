"""The admin's text for a service error (commerce.core.admin), shared by every app's admin."""

from __future__ import annotations

from commerce.core.admin import error_text
from commerce.core.exceptions import CommerceValidationError, ConflictError


def test_a_validation_error_lists_its_field_problems():
    error = CommerceValidationError(
        "Invalid input.", details={"price": ["Too many decimals.", "Negative."], "note": "x"}
    )
    assert error_text(error) == "Invalid input. price: Too many decimals. Negative."


def test_other_errors_show_their_message_only():
    # A conflict's details describe the state (allowed transitions), not bad input.
    error = ConflictError("Cannot ship it.", details={"status": "pending", "allowed": ["cancel"]})
    assert error_text(error) == "Cannot ship it."


def test_a_field_with_items_lists_each_items_problems():
    error = CommerceValidationError(
        "Some of the lines cannot be refunded.",
        details={"lines": {"SHIRT-M": ["Only 1 of 3 left."], "shipping": ["Refunded."]}},
    )
    assert error_text(error) == (
        "Some of the lines cannot be refunded. SHIRT-M: Only 1 of 3 left. shipping: Refunded."
    )
