"""Cart endpoints. Anonymous shoppers send their cart token in ``X-Cart-Token``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.cart import services
from commerce.cart.api import examples, serializers
from commerce.cart.exceptions import CartLineError, CartNotFoundError
from commerce.conf import commerce_settings
from commerce.core.api.examples import error_response
from commerce.core.api.parameters import CART_TOKEN_HEADER, CART_TOKEN_PARAMETER
from commerce.core.api.parsers import PARSER_CLASSES
from commerce.pricing.types import Customer


def request_cart_token(request) -> str | None:
    return request.headers.get(CART_TOKEN_HEADER) or None


def validated_data(serializer_class, request) -> dict:
    """Validate the body; a quantity that is not a whole number is ``invalid_quantity``.

    The services say ``invalid_quantity`` for 0, negatives and too many; a
    client should get the same code for ``1.5`` or ``"two"``.
    """
    serializer = serializer_class(data=request.data)
    if serializer.is_valid():
        return serializer.validated_data
    errors = serializer.errors
    if set(errors) == {"quantity"}:
        raise CartLineError(
            "Quantity must be a whole number of at least 1.",
            code="invalid_quantity",
            details={
                "quantity": errors["quantity"],
                "minimum": 1,
                "maximum": commerce_settings.CART_MAX_LINE_QUANTITY,
            },
        )
    raise ValidationError(errors)


def request_customer(request) -> Customer:
    """The shopper as the pricing pipeline sees them (no query: the request has the user)."""
    user = request.user if request.user.is_authenticated else None
    return Customer(user=user, email=getattr(user, "email", "") or "")


class CartMixin:
    parser_classes = PARSER_CLASSES
    permission_classes = [AllowAny]

    def find_cart(self):
        return services.find_cart(user=self.request.user, token=request_cart_token(self.request))

    def cart_response(self, cart, *, new_token=None, status_code=status.HTTP_200_OK, **pricing):
        data = serializers.CartSerializer(
            services.view_cart(cart, customer=request_customer(self.request), **pricing)
        ).data
        headers = {}
        if new_token:
            data["token"] = new_token
            headers[CART_TOKEN_HEADER] = new_token
        return Response(data, status=status_code, headers=headers)


def destination_query(request) -> dict:
    """The cart endpoints' optional ``country``, ``region``, ``postal_code`` and
    ``shipping_method`` query parameters, as :func:`~commerce.cart.services.view_cart`
    takes them."""
    query = serializers.DestinationQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    address = (
        {name: data.get(name, "") for name in ("country", "region", "postal_code")}
        if data.get("country")
        else None
    )
    return {"shipping_address": address, "shipping_method": data.get("shipping_method")}


class CartView(CartMixin, APIView):
    @extend_schema(
        summary="The current cart, priced now",
        description="With `country` (and optionally `region` and `postal_code`) the cart "
        "lists the shipping methods serving that destination and estimates tax; with "
        "`shipping_method` as well, it prices that method.",
        parameters=[CART_TOKEN_PARAMETER, serializers.DestinationQuerySerializer],
        responses=serializers.CartSerializer,
        examples=examples.CART_EXAMPLES,
    )
    def get(self, request):
        return self.cart_response(self.find_cart(), **destination_query(request))

    @extend_schema(
        summary="Empty the cart",
        parameters=[CART_TOKEN_PARAMETER],
        responses={204: OpenApiResponse(description="Emptied")},
    )
    def delete(self, request):
        cart = self.find_cart()
        if cart is not None:
            services.clear_cart(cart)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartLinesView(CartMixin, APIView):
    @extend_schema(
        summary="Add a variant to the cart (creates an anonymous cart if needed)",
        parameters=[CART_TOKEN_PARAMETER],
        request=serializers.AddLineSerializer,
        responses={201: serializers.CartSerializer},
    )
    def post(self, request):
        data = validated_data(serializers.AddLineSerializer, request)
        cart, new_token = services.add_to_cart(
            user=request.user,
            token=request_cart_token(request),
            variant_id=data["variant"],
            quantity=data["quantity"],
        )
        return self.cart_response(cart, new_token=new_token, status_code=status.HTTP_201_CREATED)


class CartLineDetailView(CartMixin, APIView):
    def _cart_or_404(self):
        cart = self.find_cart()
        if cart is None:
            raise CartNotFoundError()
        return cart

    @extend_schema(
        summary="Change a line's quantity",
        parameters=[CART_TOKEN_PARAMETER],
        request=serializers.LineQuantitySerializer,
        responses=serializers.CartSerializer,
    )
    def patch(self, request, line_id):
        data = validated_data(serializers.LineQuantitySerializer, request)
        cart = self._cart_or_404()
        cart = services.set_line_quantity(cart, line_id=line_id, quantity=data["quantity"])
        return self.cart_response(cart)

    @extend_schema(
        summary="Remove a line",
        parameters=[CART_TOKEN_PARAMETER],
        # The cart as it is now, not drf-spectacular's default 204 for a DELETE.
        responses={200: serializers.CartSerializer},
    )
    def delete(self, request, line_id):
        cart = self._cart_or_404()
        cart = services.remove_line(cart, line_id=line_id)
        return self.cart_response(cart)


class CartCodesView(CartMixin, APIView):
    @extend_schema(
        summary="Enter a voucher code",
        description="A code that does not apply now is refused (400) with the reason as "
        "the error code (`unknown_code`, `expired`, `used_up`, `below_minimum_spend`, ...) "
        "and is not kept.",
        parameters=[CART_TOKEN_PARAMETER],
        request=serializers.CodeSerializer,
        responses={
            201: serializers.CartSerializer,
            400: error_response("The code does not apply now; the error code says why."),
        },
        examples=examples.ENTER_CODE_EXAMPLES,
    )
    def post(self, request):
        serializer = serializers.CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = self.find_cart()
        if cart is None:
            raise CartNotFoundError("There is no cart to enter a code on.")
        cart = services.add_code(cart, serializer.validated_data["code"])
        return self.cart_response(cart, status_code=status.HTTP_201_CREATED)


class CartCodeDetailView(CartMixin, APIView):
    @extend_schema(
        summary="Remove a voucher code",
        parameters=[CART_TOKEN_PARAMETER],
        responses={
            200: serializers.CartSerializer,
            404: error_response("No cart, or the code is not on it (`code_not_found`)."),
        },
        examples=examples.REMOVE_CODE_EXAMPLES,
    )
    def delete(self, request, code):
        cart = self.find_cart()
        if cart is None:
            raise CartNotFoundError()
        return self.cart_response(services.remove_code(cart, code))


class CartMergeView(CartMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Merge an anonymous cart into the signed-in user's cart",
        request=serializers.MergeSerializer,
        responses=serializers.MergeResultSerializer,
    )
    def post(self, request):
        serializer = serializers.MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.merge_carts(user=request.user, token=serializer.validated_data["token"])
        return Response(
            {
                "cart": serializers.CartSerializer(
                    services.view_cart(result.cart, customer=request_customer(request))
                ).data,
                "adjustments": result.adjustments,
            }
        )
