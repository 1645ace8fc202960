"""Errors raised by checkout and order services."""

from commerce.core.exceptions import CommerceValidationError, ConflictError


class EmptyCartError(CommerceValidationError):
    default_code = "empty_cart"
    default_message = "The cart is empty."


class CartChangedError(ConflictError):
    """The cart changed since the client last read it (its ``version`` moved)."""

    default_code = "cart_changed"
    default_message = "The cart changed since you last saw it; review it and try again."


class UnavailableLinesError(CommerceValidationError):
    """Some cart lines are no longer for sale; ``details["skus"]`` lists them."""

    default_code = "unavailable_items"
    default_message = "Some items in the cart are no longer for sale."


class InvalidTransitionError(ConflictError):
    """The order (or payment) is not in a state that allows this action (409).

    ``details`` carries the current ``status`` and the ``allowed`` transitions.
    """

    default_code = "invalid_transition"


class PriceChangedError(ConflictError):
    """The total checkout would charge differs from the ``expected_total`` the client
    sent (409); ``details`` carries the new figures."""

    default_code = "price_changed"
    default_message = "The total changed since you last saw it; review it and try again."


class ShippingMethodRequiredError(CommerceValidationError):
    """Methods serve this address but none was chosen (400); ``details["available"]``
    lists their codes."""

    default_code = "shipping_method_required"
    default_message = "Choose a shipping method."
