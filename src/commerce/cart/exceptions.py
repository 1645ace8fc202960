"""Errors the cart raises; all are ``CommerceError`` subclasses rendered in the envelope."""

from commerce.core.exceptions import CommerceValidationError, LimitExceededError, NotFoundError


class CartNotFoundError(NotFoundError):
    """The cart token is unknown or expired (404)."""

    default_code = "cart_not_found"
    default_message = "No cart matches this token; it may have expired."


class CartLineError(CommerceValidationError):
    """A line that cannot be added or changed (400); ``details`` says why."""

    default_code = "invalid_cart_line"


class VariantUnavailableError(CartLineError):
    """The variant is inactive, or its product is not published."""

    default_code = "variant_unavailable"
    default_message = "This item is not for sale."


class QuantityUnavailableError(CartLineError):
    """More than is in stock (400 in the cart; checkout's equivalent is a 409)."""

    default_code = "insufficient_stock"

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(
            f"Only {available} of {sku} available; {requested} requested.",
            details={"sku": sku, "requested": requested, "available": max(available, 0)},
        )


class CartFullError(LimitExceededError):
    """The cart already holds ``CART_MAX_LINES`` lines (400, ``cart_full``).

    Raised when a new line would go past the limit, and by checkout for a cart
    that holds more (the limit was lowered since it was filled).
    """

    default_code = "cart_full"

    def __init__(self, maximum: int, lines: int, message: str | None = None) -> None:
        super().__init__(
            message or f"A cart holds at most {maximum} different items.",
            setting="CART_MAX_LINES",
            maximum=maximum,
            details={"lines": lines},
        )


class InvalidCodeError(CommerceValidationError):
    """Not something a voucher code can be (400): 1-64 letters, digits, ``-`` or ``_``."""

    default_code = "invalid_code"
    default_message = "A voucher code is 1 to 64 letters, digits, '-' or '_'."


class CodeNotAppliedError(CommerceValidationError):
    """A voucher code that does not apply to the cart (400). Its error code is the
    pricing pipeline's reason (``unknown_code``, ``expired``, ``used_up``,
    ``below_minimum_spend``...); ``details["code"]`` is the code."""

    default_code = "code_not_applied"
    default_message = "This code does not apply to your cart."

    @classmethod
    def for_reason(cls, code: str, reason) -> "CodeNotAppliedError":
        if reason is None:
            return cls(details={"code": code})
        return cls(reason.message, code=reason.code, details={"code": code})
