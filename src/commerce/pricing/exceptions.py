"""Errors raised by the pricing pipeline and the services of its apps."""

from commerce.core.exceptions import CommerceValidationError, ConflictError


class ShippingAddressRequiredError(CommerceValidationError):
    """A shipping method was asked for without an address (or an address without a country)."""

    default_code = "shipping_address_required"
    default_message = "A shipping address with a country is needed to choose a shipping method."


class ShippingMethodUnavailableError(CommerceValidationError):
    """The shipping method does not exist, is inactive, or does not serve this address
    or cart; ``details["available"]`` lists the codes of the methods that do."""

    default_code = "shipping_method_unavailable"
    default_message = "This shipping method is not available for this address."


class DiscountUnavailableError(ConflictError):
    """A discount the shopper saw could not be spent at checkout (its budget or its
    code's uses ran out meanwhile); ``details`` names it. Nothing was charged."""

    default_code = "discount_unavailable"
    default_message = "A discount is no longer available; review the new total."
