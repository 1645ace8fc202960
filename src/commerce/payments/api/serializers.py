"""Payment serializers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.core.api.fields import MoneyField, column_integer_field
from commerce.core.api.serializers import RejectUnknownFieldsMixin
from commerce.payments.gateways.base import Capability
from commerce.payments.models import Payment, Refund, RefundLine


class GatewaySerializer(serializers.Serializer):
    """A configured gateway as a client sees it: never a secret."""

    alias = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=list(Capability)))
    currencies = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="ISO 4217 codes the gateway accepts; null means any.",
    )
    config = serializers.DictField(help_text="Public configuration, e.g. a publishable key.")


class StartPaymentSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Which gateway pays the order, and where a redirect gateway sends the customer back."""

    gateway = serializers.CharField(max_length=64, help_text="A configured gateway's alias.")
    return_url = serializers.URLField(
        max_length=2000,
        required=False,
        default="",
        allow_blank=True,
        help_text="Where the provider sends the customer back after paying (redirect gateways).",
    )


class CaptureSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """How much of an authorized payment to capture."""

    amount = MoneyField(
        required=False, allow_null=True, help_text="Default: all that was authorized."
    )


class RefundLineRequestSerializer(serializers.Serializer):
    line = serializers.UUIDField(help_text="An order line's id.")
    quantity = column_integer_field(RefundLine, "quantity", min_value=1)


class RefundRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """How much to refund (an amount, or lines and the shipping), and why."""

    amount = MoneyField(
        required=False,
        allow_null=True,
        help_text="Default: all that is left to refund. Leave it out to refund lines.",
    )
    lines = RefundLineRequestSerializer(
        many=True,
        required=False,
        max_length=500,
        help_text="Units of order lines to give back: each unit gives back its share of "
        "what the line cost (after discounts, with its tax).",
    )
    shipping = serializers.BooleanField(
        required=False, default=False, help_text="Give back the shipping (with its tax) too."
    )
    reason = serializers.CharField(max_length=255)


class RefundLineSerializer(serializers.ModelSerializer):
    line = serializers.UUIDField(source="order_line_id", allow_null=True)
    amount = MoneyField()

    class Meta:
        model = RefundLine
        fields = ["line", "quantity", "amount"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    lines = RefundLineSerializer(many=True, read_only=True)

    class Meta:
        model = Refund
        fields = [
            "reference",
            "status",
            "amount",
            "reason",
            "failure_message",
            "lines",
            "created_at",
        ]
        read_only_fields = fields


class NextActionSerializer(serializers.Serializer):
    client_secret = serializers.CharField(
        help_text="For client-side confirmation (Stripe.js); empty for redirect gateways."
    )
    redirect_url = serializers.CharField(
        help_text="Where to send the customer to pay; empty for client-side gateways."
    )


class PaymentSerializer(serializers.ModelSerializer):
    """A payment as its customer sees it."""

    order = serializers.SlugRelatedField(slug_field="number", read_only=True)
    amount = MoneyField()
    authorized_amount = MoneyField(allow_null=True)
    captured_amount = MoneyField(allow_null=True)
    refunded_amount = MoneyField(allow_null=True)
    next_action = serializers.SerializerMethodField()
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "reference",
            "order",
            "gateway",
            "status",
            "amount",
            "authorized_amount",
            "captured_amount",
            "refunded_amount",
            "next_action",
            "failure_message",
            "refunds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(NextActionSerializer(allow_null=True))
    def get_next_action(self, payment: Payment) -> dict | None:
        """What the client needs to finish paying, while the payment waits for the customer."""
        if payment.status not in (Payment.Status.PENDING, Payment.Status.PROCESSING):
            return None
        return {"client_secret": payment.client_secret, "redirect_url": payment.redirect_url}


class StaffPaymentSerializer(PaymentSerializer):
    """A payment as staff see it: with the provider's id and why it is flagged."""

    class Meta(PaymentSerializer.Meta):
        fields = [
            *PaymentSerializer.Meta.fields,
            "gateway_reference",
            "flagged",
            "flag_reason",
        ]
        read_only_fields = fields
