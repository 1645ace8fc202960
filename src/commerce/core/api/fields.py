"""Serializer fields shared by the commerce APIs."""

from __future__ import annotations

from decimal import Decimal

from djmoney.money import Money
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.conf import commerce_settings
from commerce.core.exceptions import CommerceError
from commerce.core.money import currency_exponent, is_allowed_currency, validate_money

MONEY_SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "string", "format": "decimal", "example": "12.50"},
        "currency": {"type": "string", "example": "USD", "minLength": 3, "maxLength": 3},
    },
    "required": ["amount", "currency"],
}


def format_money(value: Money) -> dict[str, str]:
    """``{"amount": "12.50", "currency": "USD"}``, the amount at the currency's exponent."""
    currency = str(value.currency)
    exponent = currency_exponent(currency)
    amount = Decimal(value.amount).quantize(Decimal(1).scaleb(-exponent))
    return {"amount": f"{amount:f}", "currency": currency}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """Money in and out as ``{"amount": "12.50", "currency": "USD"}``.

    The amount is a decimal string (never a float). The currency defaults to
    ``COMMERCE["DEFAULT_CURRENCY"]`` on input and must be one of
    ``COMMERCE["CURRENCIES"]`` (any ISO 4217 code when that list is empty).
    """

    default_error_messages = {
        # Braces doubled: DRF's ``fail()`` runs ``str.format`` over every message.
        "not_an_object": 'Expected an object like {{"amount": "12.50", "currency": "USD"}}.',
        "currency": "{currency!r} is not an allowed currency.",
    }

    def to_representation(self, value: Money) -> dict[str, str]:
        return format_money(value)

    def to_internal_value(self, data) -> Money:
        if not isinstance(data, dict) or "amount" not in data:
            self.fail("not_an_object")
        amount = serializers.DecimalField(
            max_digits=14, decimal_places=3, coerce_to_string=False
        ).run_validation(data["amount"])
        currency = data.get("currency") or commerce_settings.DEFAULT_CURRENCY
        # Checked before building the Money: py-moneyed refuses unknown codes its own way.
        if not isinstance(currency, str) or not is_allowed_currency(currency):
            self.fail("currency", currency=currency)
        value = Money(amount, currency)
        try:
            validate_money(value, "amount")
        except CommerceError as error:
            raise serializers.ValidationError(
                error.details.get("amount", error.message), code=error.code
            ) from error
        return value
