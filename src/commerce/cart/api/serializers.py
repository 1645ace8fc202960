"""Cart serializers: the priced cart out, line edits in."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.cart.models import CartLine
from commerce.core.api.fields import (
    MONEY_SCHEMA,
    CountryCodeField,
    MoneyField,
    column_integer_field,
    format_money,
)
from commerce.core.api.serializers import WholeBodyMixin

WARNING_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "enum": ["unavailable", "insufficient_stock", "price_changed"]},
        "message": {"type": "string"},
        "available": {"type": "integer"},
        "previous": MONEY_SCHEMA,
        "current": MONEY_SCHEMA,
        "line": {"type": "string", "format": "uuid"},
        "sku": {"type": "string"},
    },
    "required": ["code", "message"],
}


@extend_schema_field({"type": "array", "items": WARNING_SCHEMA})
class WarningsField(serializers.Field):
    def to_representation(self, warnings):
        return [
            {
                key: format_money(value) if hasattr(value, "currency") else value
                for key, value in warning.items()
            }
            for warning in warnings
        ]


class CartVariantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField())
    product_name = serializers.CharField(source="product.name")
    product_slug = serializers.CharField(source="product.slug")


class AdjustmentSerializer(serializers.Serializer):
    """A discount: which promotion or code, and how much it takes off."""

    name = serializers.CharField()
    source = serializers.CharField(help_text="`promotion` or `voucher`.")
    code = serializers.CharField(help_text="The voucher code, or empty.")
    lane = serializers.CharField()
    amount = MoneyField()


class TaxLineSerializer(serializers.Serializer):
    name = serializers.CharField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=4, help_text="Percent.")
    amount = MoneyField()
    included = serializers.BooleanField(
        help_text="Whether the amount is inside the price (VAT-style) or added to it."
    )


class CartLineSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="line.pk")
    variant = CartVariantSerializer(source="line.variant")
    quantity = serializers.IntegerField(source="line.quantity")
    unit_price = MoneyField()
    line_total = MoneyField(help_text="`unit_price` times `quantity`, before discounts.")
    discount = MoneyField()
    total = MoneyField(help_text="After discounts, with any tax added to the price.")
    adjustments = AdjustmentSerializer(many=True)
    tax_lines = TaxLineSerializer(many=True)
    available = serializers.IntegerField()
    warnings = WarningsField()


class CodeReasonSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Why the code does not apply: `unknown_code`, `expired`, `not_started`, "
        "`used_up`, `already_used`, `below_minimum_spend`, `not_in_range`, ..."
    )
    message = serializers.CharField()


class CartCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    applied = serializers.BooleanField()
    reason = CodeReasonSerializer(allow_null=True)


class ShippingMethodSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    price = MoneyField(help_text="For this cart, before shipping discounts.")


class ShippingChargeSerializer(ShippingMethodSerializer):
    discount = MoneyField()
    adjustments = AdjustmentSerializer(many=True)
    tax_lines = TaxLineSerializer(many=True)
    total = MoneyField(help_text="After discounts, with any tax added.")


class CartSerializer(serializers.Serializer):
    """The cart as the shopper sees it, priced from the catalog now."""

    id = serializers.UUIDField(source="cart.pk", allow_null=True)
    currency = serializers.SerializerMethodField()
    version = serializers.CharField(
        help_text="Changes whenever what this cart shows changes (lines, quantities, prices, "
        "availability). Send it to checkout as `cart_version`."
    )
    lines = CartLineSerializer(many=True)
    subtotal = MoneyField(allow_null=True)
    discount_total = MoneyField(allow_null=True)
    shipping_total = MoneyField(
        allow_null=True, help_text="The chosen shipping method after its discounts."
    )
    tax_total = MoneyField(allow_null=True, help_text="Included and added tax alike.")
    total = MoneyField(
        allow_null=True,
        help_text="subtotal - discount_total + shipping_total + the tax added to prices.",
    )
    codes = CartCodeSerializer(many=True)
    shipping_methods = ShippingMethodSerializer(
        many=True, help_text="The methods serving the address given as query parameters."
    )
    shipping = ShippingChargeSerializer(allow_null=True)
    item_count = serializers.IntegerField()
    warnings = WarningsField()

    def get_currency(self, view) -> str | None:
        return (view.cart.currency or None) if view.cart else None


class AddLineSerializer(serializers.Serializer):
    """``{variant, quantity}``. Any price the client sends is ignored."""

    variant = serializers.UUIDField()
    quantity = column_integer_field(CartLine, "quantity", default=1)


class LineQuantitySerializer(WholeBodyMixin, serializers.Serializer):
    """``{quantity}``: the line's new quantity (required, PATCH as it is)."""

    quantity = column_integer_field(CartLine, "quantity")


class CodeSerializer(serializers.Serializer):
    """``{code}``: a voucher code, as the shopper typed it (case does not matter)."""

    code = serializers.CharField(max_length=64)


class DestinationQuerySerializer(serializers.Serializer):
    """Where the cart would ship, to estimate shipping and tax (all optional)."""

    country = CountryCodeField(required=False)
    region = serializers.CharField(required=False, max_length=100)
    postal_code = serializers.CharField(required=False, max_length=20)
    shipping_method = serializers.CharField(required=False, max_length=64)


class MergeSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class MergeResultSerializer(serializers.Serializer):
    cart = CartSerializer()
    adjustments = serializers.ListField(child=serializers.DictField())
