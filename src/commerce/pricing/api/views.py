"""Pricing configuration API views (staff only): thin. Writes go to
:mod:`commerce.pricing.services`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from commerce.core.api.converters import UUID_PATTERN
from commerce.core.api.parsers import PARSER_CLASSES
from commerce.core.pagination import CommerceCursorPagination
from commerce.core.permissions import IsStaff
from commerce.pricing import services
from commerce.pricing.api import serializers
from commerce.pricing.models import ShippingMethod, ShippingRateBand, TaxRate, Zone, ZoneMember


class PricingCursorPagination(CommerceCursorPagination):
    ordering = ("name", "id")


def _schema(noun: str, read, write, create_example: dict, change_example: dict, destroy: str):
    """The OpenAPI description of one staff-only configuration viewset."""
    return extend_schema_view(
        list=extend_schema(summary=f"{noun.capitalize()}s by name (staff)"),
        retrieve=extend_schema(summary=f"A {noun} (staff)"),
        create=extend_schema(
            request=write,
            responses={201: read},
            examples=[OpenApiExample(f"A {noun}", value=create_example, request_only=True)],
            summary=f"Create a {noun} (staff)",
        ),
        partial_update=extend_schema(
            request=write(partial=True),
            responses=read,
            examples=[OpenApiExample(f"Change a {noun}", value=change_example, request_only=True)],
            summary=f"Change a {noun} (staff)",
        ),
        destroy=extend_schema(summary=destroy, responses={204: OpenApiResponse()}),
    )


class StaffConfigurationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List, create, retrieve, change and delete through the pricing services: staff only."""

    parser_classes = PARSER_CLASSES
    permission_classes = [IsStaff]
    pagination_class = PricingCursorPagination
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    #: Set by each subclass: the write serializer and the services it calls.
    write_serializer_class: type
    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    delete_service: Callable[..., Any]

    def _detail(self, obj, status_code=status.HTTP_200_OK):
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=status_code)

    def create(self, request):
        serializer = self.write_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._detail(
            self.create_service(**serializer.validated_data), status.HTTP_201_CREATED
        )

    def partial_update(self, request, pk=None):
        obj = self.get_object()
        serializer = self.write_serializer_class(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return self._detail(self.update_service(obj, **serializer.validated_data))

    def destroy(self, request, pk=None):
        self.delete_service(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@_schema(
    "zone",
    serializers.ZoneSerializer,
    serializers.ZoneWriteSerializer,
    {"name": "Germany", "members": [{"country": "DE"}]},
    {"members": [{"country": "DE"}, {"country": "AT"}]},
    "Delete a zone nothing uses (staff; 409 while methods or rates use it)",
)
class ZoneViewSet(StaffConfigurationViewSet):
    """Zones with their members."""

    queryset = Zone.objects.prefetch_related(
        Prefetch("members", queryset=ZoneMember.objects.order_by(*ZoneMember._meta.ordering))
    )
    serializer_class = serializers.ZoneSerializer
    write_serializer_class = serializers.ZoneWriteSerializer
    create_service = staticmethod(services.create_zone)
    update_service = staticmethod(services.update_zone)
    delete_service = staticmethod(services.delete_zone)


@_schema(
    "shipping method",
    serializers.ShippingMethodDetailSerializer,
    serializers.ShippingMethodWriteSerializer,
    {
        "zone": "6f1c2b9e-0d4a-4c36-9a3e-1f2b3c4d5e6f",
        "name": "Standard",
        "code": "standard",
        "currency": "EUR",
        "rate_strategy": "order_value",
        "bands": [
            {"lower_bound": 0, "price": {"amount": "4.90", "currency": "EUR"}},
            {"lower_bound": 5000, "price": {"amount": "0.00", "currency": "EUR"}},
        ],
    },
    {"is_active": False},
    "Delete a shipping method and its bands (staff)",
)
class ShippingMethodViewSet(StaffConfigurationViewSet):
    """Shipping methods with their rate bands."""

    queryset = ShippingMethod.objects.select_related("tax_class").prefetch_related(
        Prefetch("bands", queryset=ShippingRateBand.objects.order_by("lower_bound"))
    )
    serializer_class = serializers.ShippingMethodDetailSerializer
    write_serializer_class = serializers.ShippingMethodWriteSerializer
    create_service = staticmethod(services.create_shipping_method)
    update_service = staticmethod(services.update_shipping_method)
    delete_service = staticmethod(services.delete_shipping_method)


@_schema(
    "tax rate",
    serializers.TaxRateSerializer,
    serializers.TaxRateWriteSerializer,
    {
        "zone": "6f1c2b9e-0d4a-4c36-9a3e-1f2b3c4d5e6f",
        "tax_class": None,
        "name": "VAT",
        "rate": "19.0000",
        "prices_include_tax": True,
    },
    {"rate": "7.0000"},
    "Delete a tax rate (staff)",
)
class TaxRateViewSet(StaffConfigurationViewSet):
    """Tax rates by zone and tax class."""

    queryset = TaxRate.objects.select_related("tax_class")
    serializer_class = serializers.TaxRateSerializer
    write_serializer_class = serializers.TaxRateWriteSerializer
    create_service = staticmethod(services.create_tax_rate)
    update_service = staticmethod(services.update_tax_rate)
    delete_service = staticmethod(services.delete_tax_rate)
