"""Promotion API views (staff only): thin. Writes go to :mod:`commerce.promotions.services`."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from commerce.core.api.converters import UUID_PATTERN
from commerce.core.api.parsers import PARSER_CLASSES
from commerce.core.pagination import CommerceCursorPagination
from commerce.core.permissions import IsStaff
from commerce.promotions import services
from commerce.promotions.api import serializers
from commerce.promotions.models import Promotion, VoucherCode


class CreatedCursorPagination(CommerceCursorPagination):
    ordering = ("-created_at", "id")


class CodeCursorPagination(CommerceCursorPagination):
    ordering = ("code", "id")


PROMOTION_EXAMPLE = OpenApiExample(
    "Ten percent off shirts with a code",
    value={
        "name": "Summer sale",
        "lane": "catalog",
        "currency": "USD",
        "requires_code": True,
        "max_uses": 100,
        "benefit": {"kind": "percentage_off", "percent": "10.00"},
    },
    request_only=True,
)
PROMOTION_CHANGE_EXAMPLE = OpenApiExample(
    "Pause a promotion", value={"is_active": False}, request_only=True
)
CODE_EXAMPLE = OpenApiExample(
    "A code for the first fifty", value={"code": "SUMMER10", "max_uses": 50}, request_only=True
)
CODE_CHANGE_EXAMPLE = OpenApiExample("Retire a code", value={"is_active": False}, request_only=True)


@extend_schema_view(
    list=extend_schema(summary="Promotions, newest first (staff)"),
    retrieve=extend_schema(summary="A promotion with its benefit (staff)"),
    create=extend_schema(
        request=serializers.PromotionWriteSerializer,
        responses={201: serializers.PromotionSerializer},
        examples=[PROMOTION_EXAMPLE],
        summary="Create a promotion with its benefit (staff)",
    ),
    partial_update=extend_schema(
        request=serializers.PromotionWriteSerializer(partial=True),
        responses=serializers.PromotionSerializer,
        examples=[PROMOTION_CHANGE_EXAMPLE],
        summary="Change a promotion; a benefit sent replaces its benefit (staff)",
    ),
    destroy=extend_schema(
        summary="Delete a promotion no order redeemed (staff; 409 once redeemed)",
        responses={204: OpenApiResponse()},
    ),
)
class PromotionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Promotions and their benefits: staff only, every method."""

    parser_classes = PARSER_CLASSES
    permission_classes = [IsStaff]
    queryset = Promotion.objects.select_related("benefit")
    serializer_class = serializers.PromotionSerializer
    pagination_class = CreatedCursorPagination
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _detail(self, promotion, status_code=status.HTTP_200_OK):
        promotion = self.get_queryset().get(pk=promotion.pk)
        return Response(self.get_serializer(promotion).data, status=status_code)

    def create(self, request):
        serializer = serializers.PromotionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        promotion = services.create_promotion(**serializer.validated_data)
        return self._detail(promotion, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        promotion = self.get_object()
        serializer = serializers.PromotionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        promotion = services.update_promotion(promotion, **serializer.validated_data)
        return self._detail(promotion)

    def destroy(self, request, pk=None):
        services.delete_promotion(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="A promotion's voucher codes (staff)"),
    create=extend_schema(
        request=serializers.VoucherCodeWriteSerializer,
        responses={201: serializers.VoucherCodeSerializer},
        examples=[CODE_EXAMPLE],
        summary="Add a voucher code to a promotion that requires one (staff)",
    ),
    partial_update=extend_schema(
        request=serializers.VoucherCodeWriteSerializer(partial=True),
        responses=serializers.VoucherCodeSerializer,
        examples=[CODE_CHANGE_EXAMPLE],
        summary="Change a code's limits, window or activity (staff)",
    ),
)
class VoucherCodeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Voucher codes under ``/promotions/{promotion_pk}/codes/``: staff only."""

    parser_classes = PARSER_CLASSES
    permission_classes = [IsStaff]
    serializer_class = serializers.VoucherCodeSerializer
    pagination_class = CodeCursorPagination
    queryset = VoucherCode.objects.none()

    def get_promotion(self) -> Promotion:
        return get_object_or_404(Promotion.objects.all(), pk=self.kwargs["promotion_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return VoucherCode.objects.none()
        return VoucherCode.objects.filter(promotion=self.get_promotion())

    def create(self, request, promotion_pk=None):
        promotion = self.get_promotion()
        serializer = serializers.VoucherCodeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = services.add_code(promotion, **serializer.validated_data)
        return Response(self.get_serializer(code).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, promotion_pk=None, code=None):
        promotion = self.get_promotion()
        # Codes are stored upper-cased: any case names the same code.
        voucher = get_object_or_404(promotion.codes.all(), code=code.strip().upper())
        serializer = serializers.VoucherCodeWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        voucher = services.update_code(voucher, **serializer.validated_data)
        return Response(self.get_serializer(voucher).data)
