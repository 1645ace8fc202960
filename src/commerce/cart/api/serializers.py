"""Cart serializers: the priced cart out, line edits in."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.cart.models import CartLine
from commerce.core.api.fields import MONEY_SCHEMA, MoneyField, column_integer_field, format_money
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


class CartLineSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="line.pk")
    variant = CartVariantSerializer(source="line.variant")
    quantity = serializers.IntegerField(source="line.quantity")
    unit_price = MoneyField()
    line_total = MoneyField()
    available = serializers.IntegerField()
    warnings = WarningsField()


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


class MergeSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class MergeResultSerializer(serializers.Serializer):
    cart = CartSerializer()
    adjustments = serializers.ListField(child=serializers.DictField())
