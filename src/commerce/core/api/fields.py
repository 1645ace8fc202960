"""Serializer fields shared by the commerce APIs."""

from __future__ import annotations

from decimal import Decimal

from django_countries.serializer_fields import CountryField
from djmoney.money import Money
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.conf import commerce_settings
from commerce.core.api.serializers import RejectUnknownFieldsMixin
from commerce.core.columns import integer_range, is_storable_text
from commerce.core.exceptions import CommerceError
from commerce.core.money import at_exponent, is_allowed_currency, validate_money

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
    return format_amount(value.amount, str(value.currency))


def format_amount(amount: Decimal, currency: str) -> dict[str, str]:
    """:func:`format_money` of an amount and a currency code read as plain values."""
    return {"amount": f"{at_exponent(amount, currency):f}", "currency": currency}


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


class NonBlankStringSchema(OpenApiSerializerFieldExtension):
    """Documents a string input that may not be blank with ``minLength: 1``.

    DRF refuses a blank (or, after trimming, all-whitespace) string unless
    ``allow_blank=True``; drf-spectacular does not say so. Output-only
    serializers are left alone (a response may carry an empty string, such as
    a redirect gateway's client secret); a write serializer's component may
    be mapped for a response first and shared with the request body, so its
    writable fields get the bound either way.
    """

    target_class = serializers.CharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        writes = direction == "request" or isinstance(field.parent, RejectUnknownFieldsMixin)
        if (
            writes
            and not field.read_only
            and not field.allow_blank
            and schema.get("type") == "string"
            and "enum" not in schema
        ):
            schema["minLength"] = max(schema.get("minLength", 0), 1)
        return schema


def column_integer_field(model, field_name: str, **kwargs) -> serializers.IntegerField:
    """An ``IntegerField`` bounded by what ``model.field_name``'s column holds.

    ``min_value`` and ``max_value`` in ``kwargs`` may narrow the range, never
    widen it: 2**31 for a 32-bit column is a 400, not a database error.
    """
    low, high = integer_range(model._meta.get_field(field_name))
    kwargs["min_value"] = max(low, kwargs.get("min_value", low))
    kwargs["max_value"] = min(high, kwargs.get("max_value", high))
    return serializers.IntegerField(**kwargs)


class StringMapField(serializers.DictField):
    """A JSON object of strings, its keys checked as its values are.

    DRF checks a ``DictField``'s values with its ``child`` and its keys not at
    all; a JSON column refuses a NUL in a key (PostgreSQL) and nothing else
    bounds how many keys arrive. Keys are non-empty text of at most
    ``max_key_length`` characters without NUL; at most ``max_items`` of them.
    """

    default_error_messages = {
        "key": "Keys must be 1 to {max_key_length} characters, without NUL characters.",
        "max_items": "At most {max_items} keys.",
    }

    def __init__(self, *, max_key_length: int = 100, max_items: int = 50, **kwargs):
        self.max_key_length = max_key_length
        self.max_items = max_items
        kwargs.setdefault("child", serializers.CharField(max_length=max_key_length))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > self.max_items:
            self.fail("max_items", max_items=self.max_items)
        for key in value:
            if not key or len(key) > self.max_key_length or not is_storable_text(key):
                self.fail("key", max_key_length=self.max_key_length)
        return value


class StringMapFieldSchema(OpenApiSerializerFieldExtension):
    """Documents :class:`StringMapField`'s bounds: ``maxProperties``, and the keys' length."""

    target_class = StringMapField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["maxProperties"] = self.target.max_items
            # OpenAPI 3.0 has no ``propertyNames``: the key bound is said in words.
            note = f"Keys: 1 to {self.target.max_key_length} characters."
            schema["description"] = " ".join(filter(None, [schema.get("description"), note]))
        return schema


class SlugLookupField(serializers.SlugRelatedField):
    """A related object named by its slug (or another text column), checked before the query.

    The value must be text that the column could hold (no NUL, no longer than
    the column): anything else cannot name an object, and sent to PostgreSQL
    as a lookup it would be a database error. Either way the answer is the
    field's "does not exist" error.
    """

    @property
    def max_length(self) -> int | None:
        """The column's length: no longer value can name an object."""
        return self.get_queryset().model._meta.get_field(self.slug_field).max_length

    def to_internal_value(self, data):
        max_length = self.max_length
        if (
            not isinstance(data, str)
            or not is_storable_text(data)
            or (max_length is not None and len(data) > max_length)
        ):
            # repr, cut short: the message echoes the value, which may be 10,000 characters.
            self.fail("does_not_exist", slug_name=self.slug_field, value=repr(data)[:50])
        return super().to_internal_value(data)


class SlugLookupFieldSchema(OpenApiSerializerFieldExtension):
    """Documents :class:`SlugLookupField`'s ``maxLength`` (its column's)."""

    target_class = SlugLookupField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if self.target.max_length is not None:
            schema["maxLength"] = self.target.max_length
        return schema


class CountryCodeField(CountryField):
    """An ISO 3166-1 alpha-2 code in any case, stored upper-case.

    django-countries' field also accepts names and alpha-3 codes ("Nigeria",
    "NGA"); names are language-dependent and ambiguous, and the API promises
    alpha-2, so only two-letter codes are taken.
    """

    default_error_messages = {
        "invalid_choice": '"{input}" is not an ISO 3166-1 alpha-2 country code.'
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data.strip()) != 2:
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data.strip().upper())
