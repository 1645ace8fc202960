"""Order, checkout and address-book serializers."""

from __future__ import annotations

from django_countries.serializer_fields import CountryField
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.core.api.fields import CountryCodeField, MoneyField
from commerce.core.api.serializers import RejectUnknownFieldsMixin
from commerce.orders.models import (
    Address,
    AddressFields,
    Order,
    OrderAddress,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    OrderTaxLine,
)


class AddressInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A postal address given inline (guests) or stored in the book."""

    full_name = serializers.CharField(max_length=200)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = CountryCodeField(help_text="ISO 3166-1 alpha-2 code, e.g. US, NG, DE.")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class AddressSerializer(AddressInputSerializer):
    """An address-book entry."""

    id = serializers.UUIDField(read_only=True)
    is_default_shipping = serializers.BooleanField(required=False)
    is_default_billing = serializers.BooleanField(required=False)
    created_at = serializers.DateTimeField(read_only=True)


class OrderAddressSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = OrderAddress
        fields = list(AddressFields.ADDRESS_FIELDS)


class AddressReferenceField(serializers.Field):
    """Either the id of one of the user's saved addresses, or an inline address object."""

    default_error_messages = {
        "unknown": "No such address in your address book.",
        "invalid": "Give an address id or an address object.",
    }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            serializer = AddressInputSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            return dict(serializer.validated_data)
        if isinstance(data, str):
            user = self.context["request"].user
            try:
                serializers.UUIDField().to_internal_value(data)
            except serializers.ValidationError:
                self.fail("invalid")
            if not user.is_authenticated:
                self.fail("unknown")
            address = Address.objects.filter(user=user, pk=data).first()
            if address is None:
                self.fail("unknown")
            return address
        self.fail("invalid")

    def to_representation(self, value):  # pragma: no cover - input only
        return str(value)


class AddressReferenceFieldExtension(OpenApiSerializerFieldExtension):
    """Documents :class:`AddressReferenceField` as an address id or an ``AddressInput``.

    Resolving the serializer registers the ``AddressInput`` component; a bare
    ``$ref`` to it (as before) pointed at a component the schema never had.
    """

    target_class = AddressReferenceField

    def map_serializer_field(self, auto_schema, direction):
        address = auto_schema.resolve_serializer(AddressInputSerializer, direction)
        return {"oneOf": [{"type": "string", "format": "uuid"}, address.ref]}


class CheckoutSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Where to ship (and bill) the current cart, and for guests an email address."""

    shipping_address = AddressReferenceField()
    billing_address = AddressReferenceField(required=False, allow_null=True)
    email = serializers.EmailField(
        required=False,
        max_length=Order._meta.get_field("email").max_length,
        help_text="Required for guests.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    cart_version = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The cart `version` the client last showed the shopper; if the cart has "
        "changed since (edits, prices, availability, discounts) checkout is a 409 "
        "`cart_changed`.",
    )
    shipping_method = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The code of a method from `GET /cart/shipping-methods/`; required when "
        "methods serve the address.",
    )
    codes = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=20,
        help_text="Voucher codes to use instead of those entered on the cart.",
    )
    expected_total = serializers.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=3,
        help_text="The total the client showed the shopper; if checkout would charge "
        "another, it is a 409 `price_changed` with the new figures.",
    )


class OrderAdjustmentSerializer(serializers.ModelSerializer):
    amount = MoneyField()

    class Meta:
        model = OrderAdjustment
        fields = ["name", "source", "code", "lane", "amount"]


class OrderTaxLineSerializer(serializers.ModelSerializer):
    amount = MoneyField()

    class Meta:
        model = OrderTaxLine
        fields = ["name", "rate", "amount", "included"]


class OrderLineSerializer(serializers.ModelSerializer):
    unit_price = MoneyField()
    line_total = MoneyField(help_text="`unit_price` times `quantity`, before discounts.")
    discount_total = MoneyField()
    tax_total = MoneyField()
    total = MoneyField(help_text="What the line cost: after discounts, with tax added.")
    adjustments = OrderAdjustmentSerializer(many=True)
    tax_lines = OrderTaxLineSerializer(many=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "product_name",
            "variant_name",
            "sku",
            "options",
            "unit_price",
            "quantity",
            "line_total",
            "discount_total",
            "tax_total",
            "total",
            "adjustments",
            "tax_lines",
        ]


class OrderListSerializer(serializers.ModelSerializer):
    total = MoneyField()

    class Meta:
        model = Order
        fields = ["number", "status", "email", "total", "created_at"]


class OrderSerializer(serializers.ModelSerializer):
    subtotal = MoneyField()
    discount_total = MoneyField()
    shipping_price = MoneyField(allow_null=True, help_text="Before shipping discounts.")
    shipping_total = MoneyField()
    shipping_adjustments = OrderAdjustmentSerializer(many=True)
    shipping_tax_lines = OrderTaxLineSerializer(many=True)
    tax_total = MoneyField()
    total = MoneyField()
    lines = OrderLineSerializer(many=True)
    shipping_address = OrderAddressSerializer()
    billing_address = OrderAddressSerializer(allow_null=True)
    allowed_transitions = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "email",
            "currency",
            "subtotal",
            "discount_total",
            "shipping_method_code",
            "shipping_method_name",
            "shipping_price",
            "shipping_total",
            "shipping_adjustments",
            "shipping_tax_lines",
            "tax_total",
            "prices_include_tax",
            "total",
            "lines",
            "shipping_address",
            "billing_address",
            "note",
            "carrier",
            "tracking_number",
            "reservation_expires_at",
            "paid_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "created_at",
            "allowed_transitions",
        ]


class PlacedOrderSerializer(OrderSerializer):
    access_token = serializers.CharField(
        read_only=True, help_text="Opens the order without signing in (send it as X-Order-Token)."
    )

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "access_token"]


class VendorOrderSerializer(serializers.ModelSerializer):
    """An order as a vendor sees it: only its own lines, and where to ship them."""

    lines = OrderLineSerializer(many=True, source="vendor_lines")
    shipping_address = OrderAddressSerializer()

    class Meta:
        model = Order
        fields = ["number", "status", "lines", "shipping_address", "created_at", "shipped_at"]


class OrderEventSerializer(serializers.ModelSerializer):
    """One history entry.

    ``actor`` is ``"customer"`` (the order's owner), ``"staff"`` (anyone else:
    only staff act on others' orders, whatever ``STAFF_CHECK`` they pass) or
    ``null`` (the system, or a guest).
    """

    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["id", "from_status", "to_status", "reason", "data", "actor", "created_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event) -> str | None:
        if event.actor_id is None:
            return None
        order = self.context.get("order") or event.order
        return "customer" if event.actor_id == order.user_id else "staff"


class CancelSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Why the order is cancelled (optional)."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)


class ShipSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The carrier and the parcel's tracking number."""

    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)


class ShippingMethodsQuerySerializer(serializers.Serializer):
    """Where to ship: a saved address's id, or a country with optional region and
    postal code."""

    address = serializers.UUIDField(required=False, help_text="An address-book id.")
    country = CountryCodeField(required=False)
    region = serializers.CharField(required=False, max_length=100)
    postal_code = serializers.CharField(required=False, max_length=20)

    def validate(self, data):
        if "address" in data:
            user = self.context["request"].user
            address = (
                Address.objects.filter(user=user, pk=data["address"]).first()
                if user.is_authenticated
                else None
            )
            if address is None:
                raise serializers.ValidationError({"address": ["No such address in your book."]})
            return {"shipping_address": address}
        if not data.get("country"):
            raise serializers.ValidationError(
                {"country": ["Give an address id or a country."]}, code="required"
            )
        return {
            "shipping_address": {
                name: data.get(name, "") for name in ("country", "region", "postal_code")
            }
        }


class AvailableShippingMethodSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    price = MoneyField(help_text="For the current cart, before shipping discounts.")
