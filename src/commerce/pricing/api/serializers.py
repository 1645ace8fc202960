"""Pricing configuration serializers: one shape to read, separate ones to write.

Writes check the input against the columns and hand plain values to
:mod:`commerce.pricing.services`, which runs the models' ``clean()``.
"""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from commerce.catalog.models import TaxClass
from commerce.core.api.fields import (
    CountryCodeField,
    MoneyField,
    SlugLookupField,
    column_integer_field,
)
from commerce.core.api.serializers import RejectUnknownFieldsMixin, WholeNestedMixin
from commerce.pricing.models import ShippingMethod, ShippingRateBand, TaxRate, Zone, ZoneMember


class ZoneMemberSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = ZoneMember
        fields = ["country", "region", "postal_code_pattern", "exclude"]
        read_only_fields = fields


class ZoneSerializer(serializers.ModelSerializer):
    """A zone with its members (include members first)."""

    members = ZoneMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Zone
        fields = ["id", "name", "priority", "is_active", "members"]
        read_only_fields = fields


class RateBandSerializer(serializers.ModelSerializer):
    price = MoneyField(read_only=True)

    class Meta:
        model = ShippingRateBand
        fields = ["lower_bound", "price"]
        read_only_fields = fields


class ShippingMethodDetailSerializer(serializers.ModelSerializer):
    """A shipping method with its rate bands (lowest bound first)."""

    price = MoneyField(read_only=True, allow_null=True)
    free_over = MoneyField(read_only=True, allow_null=True)
    min_order_value = MoneyField(read_only=True, allow_null=True)
    max_order_value = MoneyField(read_only=True, allow_null=True)
    tax_class = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    bands = RateBandSerializer(many=True, read_only=True)

    class Meta:
        model = ShippingMethod
        fields = [
            "id",
            "zone",
            "name",
            "code",
            "currency",
            "rate_strategy",
            "price",
            "free_over",
            "min_order_value",
            "max_order_value",
            "min_weight",
            "max_weight",
            "tax_class",
            "is_active",
            "position",
            "bands",
        ]
        read_only_fields = fields


class TaxRateSerializer(serializers.ModelSerializer):
    tax_class = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = TaxRate
        fields = ["id", "zone", "tax_class", "name", "rate", "prices_include_tax"]
        read_only_fields = fields


def _zone_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    # The UUID is parsed before the query: anything else is "does not exist", not a DB error.
    return serializers.PrimaryKeyRelatedField(
        queryset=Zone.objects.all(), pk_field=serializers.UUIDField(), **kwargs
    )


def _tax_class_field() -> SlugLookupField:
    return SlugLookupField(
        slug_field="slug",
        queryset=TaxClass.objects.all(),
        required=False,
        allow_null=True,
        help_text="A tax class's slug; null: the default class.",
    )


class ZoneMemberWriteSerializer(WholeNestedMixin, RejectUnknownFieldsMixin, serializers.Serializer):
    """One place of a zone: a country, optionally narrowed to a region and postal codes."""

    country = CountryCodeField(help_text="ISO 3166-1 alpha-2.")
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code_pattern = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="A code (10115), a prefix ending in * (SW1*) or a range (1000..1999).",
    )
    exclude = serializers.BooleanField(required=False)


class ZoneWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A zone to create, or the fields to change; ``members`` replace all its members."""

    name = serializers.CharField(max_length=120)
    priority = column_integer_field(Zone, "priority", required=False)
    is_active = serializers.BooleanField(required=False)
    members = ZoneMemberWriteSerializer(many=True, required=False, max_length=200)


class RateBandWriteSerializer(WholeNestedMixin, RejectUnknownFieldsMixin, serializers.Serializer):
    """From ``lower_bound`` up (minor units, or grams for weight rates), ``price``."""

    lower_bound = column_integer_field(ShippingRateBand, "lower_bound", min_value=0)
    price = MoneyField()


def _money(**kwargs) -> MoneyField:
    return MoneyField(required=False, allow_null=True, **kwargs)


def _grams(name: str) -> serializers.IntegerField:
    return column_integer_field(
        ShippingMethod, name, required=False, allow_null=True, help_text="Grams."
    )


class ShippingMethodWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A shipping method to create, or the fields to change; ``bands`` replace all its bands."""

    zone = _zone_field()
    name = serializers.CharField(max_length=120)
    code = serializers.SlugField(max_length=64, help_text="What checkout sends to choose it.")
    currency = serializers.CharField(max_length=3)
    rate_strategy = serializers.CharField(
        max_length=64, required=False, help_text="flat, order_value or weight (or your own)."
    )
    price = _money(help_text="What the flat strategy charges.")
    free_over = _money()
    min_order_value = _money()
    max_order_value = _money()
    min_weight = _grams("min_weight")
    max_weight = _grams("max_weight")
    tax_class = _tax_class_field()
    is_active = serializers.BooleanField(required=False)
    position = column_integer_field(ShippingMethod, "position", required=False)
    bands = RateBandWriteSerializer(many=True, required=False, max_length=200)


class TaxRateWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A tax rate to create, or the fields to change."""

    zone = _zone_field()
    tax_class = _tax_class_field()
    name = serializers.CharField(max_length=60, help_text='What receipts call it: "VAT".')
    rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=Decimal(100),
        help_text="Percent, 0 to 100.",
    )
    prices_include_tax = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Null: as COMMERCE['PRICES_INCLUDE_TAX'] says.",
    )
