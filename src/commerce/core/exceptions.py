"""The ``CommerceError`` hierarchy.

Every error commerce raises on purpose is a :class:`CommerceError`. Each
carries a stable machine-readable ``code``, a human ``message``, a JSON-safe
``details`` dict and the HTTP status the API answers with, so the exception
handler renders any of them in the error envelope without special cases.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


class CommerceError(Exception):
    """Base of every error commerce raises on purpose."""

    status_code: int = 400
    default_code: str = "commerce_error"
    default_message: str = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.details = details or {}
        super().__init__(self.message)


class CommerceValidationError(CommerceError):
    """Input broke a business rule (400)."""

    default_code = "invalid"
    default_message = "Invalid input."


class NotFoundError(CommerceError):
    """The object does not exist, or the caller may not know it does (404)."""

    status_code = 404
    default_code = "not_found"
    default_message = "Not found."


class CommercePermissionDenied(CommerceError, PermissionDenied):
    """The caller may see the object but not do this to it (403)."""

    status_code = 403
    default_code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class ConflictError(CommerceError):
    """The request conflicts with the current state of the data (409)."""

    status_code = 409
    default_code = "conflict"
    default_message = "The request conflicts with the current state."


class UnknownCurrencyError(CommerceValidationError, ValueError):
    """A currency code that is not ISO 4217, or not allowed by ``COMMERCE["CURRENCIES"]``."""

    default_code = "unknown_currency"

    def __init__(self, currency: object, message: str | None = None) -> None:
        super().__init__(
            message or f"{currency!r} is not an allowed ISO 4217 currency code.",
            details={"currency": str(currency)},
        )


class CurrencyMismatchError(CommerceValidationError):
    """Two amounts that must share a currency do not."""

    default_code = "currency_mismatch"
    default_message = "Amounts in different currencies cannot be combined."


class InvalidAmountError(CommerceValidationError, ValueError):
    """An amount that cannot be represented (negative price, too many decimals)."""

    default_code = "invalid_amount"


class DuplicateError(ConflictError):
    """A unique value (a SKU, a slug) is already taken."""

    default_code = "duplicate"
    default_message = "This value is already taken."


class InsufficientStockError(ConflictError):
    """A stock operation asked for more than a variant has available.

    ``sku``, ``requested`` and ``available`` are attributes and appear in
    ``details``, so a client can tell the customer what is left.
    """

    default_code = "insufficient_stock"

    def __init__(self, sku: str, requested: int, available: int) -> None:
        self.sku = sku
        self.requested = requested
        self.available = available
        super().__init__(
            f"Only {available} of {sku} available; {requested} requested.",
            details={"sku": sku, "requested": requested, "available": available},
        )


class StockError(CommerceValidationError):
    """A stock operation that makes no sense (releasing more than is reserved)."""

    default_code = "invalid_stock_operation"


class LimitExceededError(CommerceValidationError):
    """A list a client grows (cart lines, addresses, images, variants) is full (400).

    ``details`` names the ``setting`` that sets the limit and its ``maximum``,
    so a client can tell the user what to remove.
    """

    default_code = "limit_exceeded"

    def __init__(
        self,
        message: str,
        *,
        setting: str,
        maximum: int,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message,
            code=code,
            details={**(details or {}), "setting": setting, "maximum": maximum},
        )
