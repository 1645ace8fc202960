"""Payment endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.payments.api.serializers import GatewaySerializer
from commerce.payments.gateways.registry import gateways


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
    permission_classes = [AllowAny]
    pagination_class = None

    @extend_schema(
        summary="The enabled payment gateways, with public keys and capabilities",
        responses=GatewaySerializer(many=True),
    )
    def get(self, request):
        data = [describe(gateway) for gateway in gateways.all().values()]
        return Response(GatewaySerializer(data, many=True).data)
