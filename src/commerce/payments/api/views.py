"""Payment endpoints. Thin: :mod:`commerce.payments.services` does the work.

None of these views runs inside a request-wide transaction (the URLconf
marks them ``non_atomic_requests``): the services call providers between
short transactions of their own, never while holding row locks.
"""

from __future__ import annotations

from djmoney.money import Money
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.core.api.examples import error_response
from commerce.core.api.parameters import (
    IDEMPOTENCY_PARAMETER,
    ORDER_TOKEN_HEADER,
    ORDER_TOKEN_PARAMETER,
)
from commerce.core.api.parsers import PARSER_CLASSES
from commerce.core.exceptions import NotFoundError
from commerce.core.idempotency import REPLAY_HEADER, request_key
from commerce.core.permissions import IsStaff, user_is_staff
from commerce.core.prefetch import set_prefetched
from commerce.core.throttling import PAYMENT_SCOPE, WEBHOOK_SCOPE, ScopedThrottleMixin
from commerce.orders import selectors as order_selectors
from commerce.orders.models import Order
from commerce.payments import services
from commerce.payments.api import examples, serializers
from commerce.payments.gateways import dummy, paystack, stripe
from commerce.payments.gateways.registry import gateways
from commerce.payments.models import Payment


def describe(gateway) -> dict:
    """What a client may know about a gateway (its ``public_config``, never its options)."""
    return {
        "alias": gateway.alias,
        "name": gateway.name,
        "display_name": gateway.display_name or gateway.name,
        "capabilities": sorted(str(capability) for capability in gateway.capabilities),
        "currencies": sorted(gateway.currencies) if gateway.currencies is not None else None,
        "config": gateway.public_config(),
    }


class GatewayListView(APIView):
    parser_classes = PARSER_CLASSES
    permission_classes = [AllowAny]
    pagination_class = None

    @extend_schema(
        summary="The enabled payment gateways, with public keys and capabilities",
        responses=serializers.GatewaySerializer(many=True),
    )
    def get(self, request):
        data = [describe(gateway) for gateway in gateways.all().values()]
        return Response(serializers.GatewaySerializer(data, many=True).data)


def _order_for_payer(request, number: str) -> Order:
    """The order if the caller owns it, or sends its guest token; a 404 otherwise.

    Only the owner by sign-in: staff start no payment on another customer's order.
    """
    return order_selectors.find_order(
        number, user=request.user, token=request.headers.get(ORDER_TOKEN_HEADER), staff=False
    )


def _payment_data(request, payment: Payment, *, created: bool = False) -> dict:
    """The payment as the caller may see it, read again with its order and refunds,
    unless this request ``created`` it: the service returns it as it just wrote it, with
    its order, and it has no refunds yet."""
    if created:
        set_prefetched(payment, "refunds", [])
    else:
        payment = (
            Payment.objects.select_related("order").prefetch_related("refunds").get(pk=payment.pk)
        )
    serializer_class = (
        serializers.StaffPaymentSerializer
        if user_is_staff(request.user)
        else serializers.PaymentSerializer
    )
    return serializer_class(payment, context={"request": request}).data


class OrderPaymentView(ScopedThrottleMixin, APIView):
    parser_classes = PARSER_CLASSES
    permission_classes = [AllowAny]
    throttle_scope = PAYMENT_SCOPE

    @extend_schema(
        summary="Start paying an order (its owner, or a guest with the order token)",
        parameters=[ORDER_TOKEN_PARAMETER, IDEMPOTENCY_PARAMETER],
        request=serializers.StartPaymentSerializer,
        responses={201: serializers.PaymentSerializer},
    )
    def post(self, request, number: str):
        order = _order_for_payer(request, number)
        serializer = serializers.StartPaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        started = services.start_payment(
            order,
            serializer.validated_data["gateway"],
            return_url=serializer.validated_data["return_url"],
            request_key=request_key(request),
            actor=request.user,
        )
        headers = {} if started.created else {REPLAY_HEADER: "true"}
        return Response(
            _payment_data(request, started.payment, created=started.created),
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


class PaymentLookupMixin:
    """Finds the payment named in the URL for its order's owner, guest token holder or staff."""

    parser_classes = PARSER_CLASSES

    def get_payment(self, request, reference: str) -> Payment:
        payment = Payment.objects.select_related("order").filter(reference=reference).first()
        if payment is None:
            raise NotFoundError()
        if user_is_staff(request.user):
            return payment
        if request.user.is_authenticated and payment.order.user_id == request.user.pk:
            return payment
        token = request.headers.get(ORDER_TOKEN_HEADER)
        if token:
            # Raises NotFoundError unless the token opens this payment's order.
            order_selectors.find_order_for_guest(payment.order.number, token)
            return payment
        raise NotFoundError()


class PaymentDetailView(PaymentLookupMixin, APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A payment (its order's owner, a guest with the order token, staff)",
        parameters=[ORDER_TOKEN_PARAMETER],
        responses=serializers.PaymentSerializer,
    )
    def get(self, request, reference: str):
        return Response(_payment_data(request, self.get_payment(request, reference)))


class PaymentRefreshView(PaymentLookupMixin, APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Ask the gateway where the payment stands and apply the answer",
        parameters=[ORDER_TOKEN_PARAMETER],
        request=None,
        responses=serializers.PaymentSerializer,
    )
    def post(self, request, reference: str):
        payment = services.refresh_payment(self.get_payment(request, reference), actor=request.user)
        return Response(_payment_data(request, payment))


class PaymentCaptureView(PaymentLookupMixin, APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        summary="Capture an authorized payment, in full or in part (staff)",
        request=serializers.CaptureSerializer,
        responses=serializers.StaffPaymentSerializer,
    )
    def post(self, request, reference: str):
        payment = self.get_payment(request, reference)
        serializer = serializers.CaptureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amount: Money | None = serializer.validated_data.get("amount")
        payment = services.capture_payment(payment, amount, actor=request.user)
        return Response(_payment_data(request, payment))


class PaymentCancelView(PaymentLookupMixin, APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        summary="Cancel (void) a payment that is not captured (staff)",
        request=None,
        responses=serializers.StaffPaymentSerializer,
    )
    def post(self, request, reference: str):
        payment = services.cancel_payment(
            self.get_payment(request, reference), actor=request.user, reason="Cancelled by staff"
        )
        return Response(_payment_data(request, payment))


class PaymentRefundView(PaymentLookupMixin, APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        summary="Refund a captured payment, in full, in part, or by order lines (staff)",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.RefundRequestSerializer,
        responses={
            201: serializers.RefundSerializer,
            400: error_response(
                "Bad lines (`invalid_refund_lines`), or more than is left to refund "
                "(`refund_exceeds_captured`): nothing is sent."
            ),
        },
        examples=examples.REFUND_EXAMPLES,
    )
    def post(self, request, reference: str):
        payment = self.get_payment(request, reference)
        serializer = serializers.RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refund = services.refund_payment(
            payment,
            data.get("amount"),
            lines={item["line"]: item["quantity"] for item in data.get("lines", [])},
            shipping=data.get("shipping", False),
            reason=data["reason"],
            request_key=request_key(request),
            actor=request.user,
        )
        headers = {REPLAY_HEADER: "true"} if refund.replayed else {}
        return Response(
            serializers.RefundSerializer(refund).data,
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


WEBHOOK_RESPONSE = inline_serializer(
    "WebhookReceipt",
    fields={
        "received": drf_serializers.IntegerField(),
        "events": inline_serializer(
            "WebhookEventReceipt",
            fields={
                "event_id": drf_serializers.CharField(),
                "result": drf_serializers.CharField(),
                "reason": drf_serializers.CharField(),
                "duplicate": drf_serializers.BooleanField(),
            },
            many=True,
        ),
    },
)


#: The built-in gateways' signature headers: each alias's webhook reads its gateway's.
WEBHOOK_SIGNATURE_PARAMETERS = [
    OpenApiParameter(
        name=module.SIGNATURE_HEADER,
        type=OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description=f"{name}'s signature of the raw body; required by an alias using {name}. "
        "A missing or wrong signature is a 400 and nothing is stored.",
    )
    for name, module in (("Stripe", stripe), ("Paystack", paystack), ("The dummy gateway", dummy))
]


class WebhookView(ScopedThrottleMixin, APIView):
    """The provider's webhook: no authentication, no CSRF, verified on the raw body."""

    parser_classes = PARSER_CLASSES
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Per sending address; a throttled delivery is not lost: providers retry non-2xx.
    throttle_scope = WEBHOOK_SCOPE

    @extend_schema(
        summary="Receive a payment provider's webhook (signature-verified; no authentication)",
        parameters=WEBHOOK_SIGNATURE_PARAMETERS,
        request=OpenApiTypes.BINARY,
        responses={
            200: WEBHOOK_RESPONSE,
            400: OpenApiResponse(description="The signature or body did not verify."),
        },
    )
    def post(self, request, alias: str):
        # The raw bytes, exactly as signed: never request.data, which is re-parsed JSON.
        records = services.handle_webhook(alias, request.body, request.headers)
        return Response(
            {
                "received": len(records),
                "events": [
                    {
                        "event_id": record.event_id,
                        "result": record.result,
                        "reason": record.reason,
                        "duplicate": record.duplicate,
                    }
                    for record in records
                ],
            }
        )
