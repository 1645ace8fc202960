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
