"""Errors of the promotions app's services (configuration refused with a 400 or 409).

Each carries ``details`` mapping the field to its problems, as a form or
serializer shows them. Spending a discount that ran out meanwhile raises
:class:`commerce.pricing.exceptions.DiscountUnavailableError` instead.
"""

from commerce.core.exceptions import CommerceValidationError, DuplicateError


class InvalidPromotionError(CommerceValidationError):
    """A promotion's fields do not make a promotion (window, currency, limits)."""

    default_code = "invalid_promotion"
    default_message = "This promotion is not valid."


class InvalidRuleError(InvalidPromotionError):
    """A condition or target rule tree is malformed, names unknown objects, or can
    match nothing."""

    default_code = "invalid_rule"
    default_message = "This rule is not valid."


class InvalidBenefitError(InvalidPromotionError):
    """A benefit's kind and figures do not fit (a percentage outside 0-100, a fixed
    amount without the promotion's currency, a kind in the wrong lane)."""

    default_code = "invalid_benefit"
    default_message = "This benefit is not valid."


class InvalidVoucherCodeError(InvalidPromotionError):
    """A voucher code is malformed (spaces, too long, unusual characters) or does
    not fit its promotion."""

    default_code = "invalid_voucher_code"
    default_message = "This voucher code is not valid."


class VoucherCodeTakenError(DuplicateError):
    """Another voucher code is already spelled this way (codes ignore case)."""

    default_code = "voucher_code_taken"
    default_message = "This voucher code is already taken."
