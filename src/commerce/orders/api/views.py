"""Checkout, order, vendor-order and address-book endpoints. Thin: services do the work."""

from __future__ import annotations

from djmoney.money import Money
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.cart import services as cart_services
from commerce.core.api.converters import KEY_PATTERN, UUID_PATTERN
from commerce.core.api.examples import error_response
from commerce.core.api.parameters import (
    CART_TOKEN_HEADER,
    CART_TOKEN_PARAMETER,
    IDEMPOTENCY_PARAMETER,
    ORDER_TOKEN_HEADER,
    ORDER_TOKEN_PARAMETER,
)
from commerce.core.api.parsers import PARSER_CLASSES
from commerce.core.idempotency import idempotent
from commerce.core.pagination import CommerceCursorPagination
from commerce.core.permissions import IsStaff, user_is_staff
from commerce.core.throttling import CHECKOUT_SCOPE, ScopedThrottleMixin
from commerce.orders import selectors, services
from commerce.orders.api import examples, serializers
from commerce.orders.exceptions import EmptyCartError
from commerce.orders.models import Address, Order, OrderEvent


class CheckoutView(ScopedThrottleMixin, APIView):
    parser_classes = PARSER_CLASSES
    permission_classes = [AllowAny]
    throttle_scope = CHECKOUT_SCOPE

    @extend_schema(
        summary="Place an order from the current cart",
        parameters=[CART_TOKEN_PARAMETER, IDEMPOTENCY_PARAMETER],
        request=serializers.CheckoutSerializer,
        responses={
            201: serializers.PlacedOrderSerializer,
            400: error_response(
                "Bad input, an empty cart, a code that does not apply, no shipping method "
                "chosen (`shipping_method_required`)..."
            ),
            409: error_response(
                "The cart or its prices changed (`cart_changed`, `price_changed` with the "
                "new figures), or stock or a discount ran out."
            ),
        },
        examples=examples.CHECKOUT_EXAMPLES,
    )
    def post(self, request):
        token = request.headers.get(CART_TOKEN_HEADER) or None
        if request.user.is_authenticated:
            scope = f"user:{request.user.pk}"
        elif token:
            scope = f"cart:{cart_services.digest_token(token)}"
        else:
            raise EmptyCartError("There is no cart to check out.")

        def operation():
            serializer = serializers.CheckoutSerializer(
                data=request.data, context={"request": request}
            )
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            cart = cart_services.find_cart(user=request.user, token=token)
            if cart is None:
                raise EmptyCartError()
            placed = services.place_order(
                cart=cart,
                user=request.user,
                email=data.get("email", ""),
                shipping_address=data["shipping_address"],
                billing_address=data.get("billing_address"),
                note=data.get("note", ""),
                expected_cart_version=data.get("cart_version"),
                shipping_method=data.get("shipping_method"),
                codes=data.get("codes"),
                expected_total=(
                    Money(data["expected_total"], cart.currency or "XXX")
                    if "expected_total" in data
                    else None
                ),
            )
            # The order comes with its lines, adjustments and tax lines: nothing to read again.
            return Response(
                serializers.OrderSerializer(placed.order).data, status=status.HTTP_201_CREATED
            )

        # The access token is added after the idempotency record is written, so no
        # credential is stored with the response; it is recomputed on every replay.
        response = idempotent(request, scope=scope, operation=operation)
        response.data["access_token"] = services.order_access_token(response.data["number"])
        return response


class ShippingMethodsView(APIView):
    """Served by the orders app, under the cart's path, because it reads the address book."""

    parser_classes = PARSER_CLASSES
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The shipping methods serving an address, priced for the current cart",
        parameters=[CART_TOKEN_PARAMETER, serializers.ShippingMethodsQuerySerializer],
        responses=serializers.AvailableShippingMethodSerializer(many=True),
        examples=examples.SHIPPING_METHODS_EXAMPLES,
    )
    def get(self, request):
        query = serializers.ShippingMethodsQuerySerializer(
            data=request.query_params, context={"request": request}
        )
        query.is_valid(raise_exception=True)
        token = request.headers.get(CART_TOKEN_HEADER) or None
        cart = cart_services.find_cart(user=request.user, token=token)
        view = cart_services.view_cart(cart, **query.validated_data)
        return Response(
            serializers.AvailableShippingMethodSerializer(view.shipping_methods, many=True).data
        )


@extend_schema_view(
    list=extend_schema(summary="Your orders (staff: all orders)"),
    retrieve=extend_schema(
        summary="One order (owner, staff, or a guest with X-Order-Token)",
        parameters=[ORDER_TOKEN_PARAMETER],
    ),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = PARSER_CLASSES
    lookup_field = "number"
    lookup_value_regex = KEY_PATTERN
    permission_classes = [AllowAny]
    pagination_class = CommerceCursorPagination
    serializer_class = serializers.OrderSerializer

    def get_queryset(self):
        return self._for_action(selectors.orders_for_customer(self.request.user))

    def _for_action(self, queryset):
        # Only the detail shows lines and addresses; actions re-read the order after the change.
        if self.action == "retrieve":
            return selectors.order_detail_queryset(queryset)
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.OrderListSerializer
        return serializers.OrderSerializer

    def list(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        return super().list(request, *args, **kwargs)

    def get_object(self):
        """Owner or staff by session/JWT; otherwise a guest token must match. 404 either way."""
        return selectors.find_order(
            self.kwargs["number"],
            user=self.request.user,
            token=self.request.headers.get(ORDER_TOKEN_HEADER),
            queryset=self._for_action(Order.objects.all()),
        )

    @extend_schema(
        summary="Cancel a pending order (owner, guest with token, staff)",
        parameters=[ORDER_TOKEN_PARAMETER],
        request=serializers.CancelSerializer,
        responses=serializers.OrderSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        order = self.get_object()
        serializer = serializers.CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data.get("reason") or (
            "Cancelled by staff" if user_is_staff(request.user) else "Cancelled by customer"
        )
        order = services.cancel_order(order, actor=request.user, reason=reason)
        return self._detail(order)

    @extend_schema(
        summary="Mark a paid order shipped (staff)",
        request=serializers.ShipSerializer,
        responses=serializers.OrderSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def ship(self, request, number=None):
        order = self.get_object()
        serializer = serializers.ShipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.ship_order(order, actor=request.user, **serializer.validated_data)
        return self._detail(order)

    @extend_schema(
        summary="Mark a shipped order delivered (staff)",
        request=None,
        responses=serializers.OrderSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def deliver(self, request, number=None):
        order = services.deliver_order(self.get_object(), actor=request.user)
        return self._detail(order)

    @extend_schema(
        summary="The order's history",
        parameters=[ORDER_TOKEN_PARAMETER],
        responses=serializers.OrderEventSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, number=None):
        order = self.get_object()
        events = OrderEvent.objects.filter(order=order)
        return Response(
            serializers.OrderEventSerializer(events, many=True, context={"order": order}).data
        )

    def _detail(self, order):
        order = selectors.order_detail_queryset(Order.objects.all()).get(pk=order.pk)
        return Response(serializers.OrderSerializer(order).data)


@extend_schema_view(
    list=extend_schema(summary="Orders containing your vendors' products (only those lines)"),
    retrieve=extend_schema(summary="One such order"),
)
class VendorOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = PARSER_CLASSES
    lookup_field = "number"
    lookup_value_regex = KEY_PATTERN
    permission_classes = [IsAuthenticated]
    pagination_class = CommerceCursorPagination
    serializer_class = serializers.VendorOrderSerializer

    def get_queryset(self):
        return selectors.orders_for_vendor_member(self.request.user)


class AddressViewSet(viewsets.ModelViewSet):
    """The signed-in customer's address book. Others' addresses are 404."""

    parser_classes = PARSER_CLASSES
    permission_classes = [IsAuthenticated]
    serializer_class = serializers.AddressSerializer
    pagination_class = None
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Address.objects.none()
        return Address.objects.filter(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.create_address(
            self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_address(
            serializer.instance, **serializer.validated_data
        )
