"""Errors raised by payment gateways and the gateway registry."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation

from commerce.core.exceptions import (
    CommerceError,
    CommerceValidationError,
    ConflictError,
    InvalidAmountError,
)


class GatewayError(CommerceError):
    """A gateway refused or failed an operation in a way that is not a payment outcome (502)."""

    status_code = 502
    default_code = "gateway_error"
    default_message = "The payment provider could not complete the request."


class GatewayUnsupportedFeature(GatewayError):
    """The gateway lacks a capability (partial refund, void...): 400, nothing was sent."""

    status_code = 400
    default_code = "gateway_unsupported_feature"

    def __init__(self, alias: str, capability: str) -> None:
        super().__init__(
            f"The {alias} gateway does not support {capability.replace('_', ' ')}.",
            details={"gateway": alias, "capability": capability},
        )


class UnsupportedAmountError(InvalidAmountError):
    """An amount or currency the provider cannot represent; raised before any call is made."""

    default_code = "unsupported_amount"


class WebhookVerificationError(CommerceError, SuspiciousOperation):
    """A webhook whose signature, timestamp or body does not verify (400); nothing is stored."""

    status_code = 400
    default_code = "invalid_webhook"
    default_message = "The webhook could not be verified."


class GatewayConfigurationError(ImproperlyConfigured):
    """``COMMERCE["PAYMENT_GATEWAYS"]`` names a gateway that cannot be built."""


class MissingDependencyError(GatewayConfigurationError):
    """A gateway's SDK is not installed; the message names the pip command."""

    def __init__(self, name: str, module: str, extra: str) -> None:
        super().__init__(
            f"The {name} gateway needs the {module!r} package: "
            f'pip install "django-commerce-kit[{extra}]"'
        )


class OrderNotPayableError(ConflictError):
    """The order cannot take a payment now (it is not pending, or money is already held) (409)."""

    default_code = "order_not_payable"
    default_message = "This order cannot be paid now."


class RefundExceedsCapturedError(CommerceValidationError):
    """A refund for more than was captured and not yet refunded (400); nothing was sent."""

    default_code = "refund_exceeds_captured"
    default_message = "The refund is larger than what is left to refund."


class PaymentDeclinedError(CommerceError):
    """The provider definitely refused the operation (402); the payment's history says why."""

    status_code = 402
    default_code = "payment_declined"
    default_message = "The payment provider declined the operation."


class PaymentStartInProgressError(ConflictError):
    """Another request with the same ``Idempotency-Key`` is starting this payment with the
    provider right now (409); retry with the same key to get its answer. Nothing was sent."""

    default_code = "payment_start_in_progress"
    default_message = (
        "This payment is being started with the provider by an earlier request; "
        "retry with the same Idempotency-Key for its answer."
    )
