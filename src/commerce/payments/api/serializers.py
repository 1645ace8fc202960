"""Payment serializers."""

from __future__ import annotations

from rest_framework import serializers

from commerce.payments.gateways.base import Capability


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
