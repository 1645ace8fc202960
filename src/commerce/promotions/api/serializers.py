"""Promotion serializers: one shape to read, separate ones to write.

Writes check the input against the columns and hand plain values to
:mod:`commerce.promotions.services`, which checks the rules, the lanes and the
currencies.
"""

from __future__ import annotations

from rest_framework import serializers

from commerce.core.api.fields import MoneyField, column_integer_field
from commerce.core.api.serializers import RejectUnknownFieldsMixin, WholeNestedMixin
from commerce.promotions.models import (
    Benefit,
    BenefitAllocation,
    BenefitKind,
    Promotion,
    PromotionLane,
    VoucherCode,
)


class BenefitSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = Benefit
        fields = [
            "kind",
            "percent",
            "amount",
            "target",
            "allocation",
            "max_units",
            "buy_quantity",
            "get_quantity",
        ]


class PromotionSerializer(serializers.ModelSerializer):
    """A promotion with its benefit and counters (``uses``, ``budget_spent``)."""

    budget = MoneyField(read_only=True, allow_null=True)
    benefit = BenefitSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Promotion
        fields = [
            "id",
            "name",
            "description",
            "lane",
            "priority",
            "starts_at",
            "ends_at",
            "is_active",
            "combinable",
            "currency",
            "condition",
            "budget",
            "budget_spent",
            "max_uses",
            "uses",
            "requires_code",
            "benefit",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VoucherCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = VoucherCode
        fields = [
            "code",
            "max_uses",
            "uses",
            "per_customer_limit",
            "starts_at",
            "ends_at",
            "is_active",
        ]
        read_only_fields = fields


def _count(model, name: str, **kwargs) -> serializers.IntegerField:
    """A nullable count bounded by its column, at least 1 (blank: no limit)."""
    return column_integer_field(model, name, min_value=1, required=False, allow_null=True, **kwargs)


class BenefitWriteSerializer(WholeNestedMixin, RejectUnknownFieldsMixin, serializers.Serializer):
    """What a promotion gives; sent whole (it replaces the promotion's benefit)."""

    kind = serializers.ChoiceField(choices=BenefitKind.choices)
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    amount = MoneyField(required=False, allow_null=True)
    target = serializers.JSONField(required=False, allow_null=True)
    allocation = serializers.ChoiceField(choices=BenefitAllocation.choices, required=False)
    max_units = _count(Benefit, "max_units")
    buy_quantity = _count(Benefit, "buy_quantity")
    get_quantity = _count(Benefit, "get_quantity")


class PromotionWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A promotion to create (with its benefit), or the fields to change."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    lane = serializers.ChoiceField(choices=PromotionLane.choices, required=False)
    priority = column_integer_field(Promotion, "priority", required=False)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    combinable = serializers.BooleanField(required=False)
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text="Blank: any currency."
    )
    condition = serializers.JSONField(required=False, allow_null=True)
    budget = MoneyField(required=False, allow_null=True)
    max_uses = _count(Promotion, "max_uses")
    requires_code = serializers.BooleanField(required=False)
    benefit = BenefitWriteSerializer(
        help_text="Replaces the promotion's benefit whole when sent in a PATCH."
    )


class VoucherCodeWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A code to add to a promotion that requires one, or the limits to change."""

    code = serializers.CharField(max_length=32)
    max_uses = _count(VoucherCode, "max_uses")
    per_customer_limit = _count(VoucherCode, "per_customer_limit")
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.partial:
            # A code's text never changes: add another code instead.
            self.fields.pop("code")
