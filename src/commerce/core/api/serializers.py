"""Serializer building blocks shared by the commerce APIs."""

from __future__ import annotations

import copy

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers


class RejectUnknownFieldsMixin:
    """Refuse input keys the serializer does not accept (400), instead of ignoring them.

    A silently dropped field (``vendor`` on a product PATCH, ``quantity`` on a
    variant PATCH) makes a client believe a change happened.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if isinstance(self.initial_data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(self.initial_data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set here."] for name in unknown}
                )
        return attrs


class RejectUnknownFieldsSchema(OpenApiSerializerExtension):
    """Tells the OpenAPI schema what :class:`RejectUnknownFieldsMixin` enforces.

    Bodies of these serializers get ``additionalProperties: false``: a client
    generated from the schema, or a fuzzer, then knows an extra key is refused.
    """

    target_class = RejectUnknownFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        # ``self.target`` is the instance: a partial (PATCH) serializer drops fields.
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


class WholeBodyMixin:
    """A body its view validates whole even for PATCH: required fields stay required.

    drf-spectacular documents every PATCH body as partial (nothing required);
    a view that sends a PATCH body to a plain serializer refuses a missing
    field, and the schema must say so.
    """


class WholeBodySchema(OpenApiSerializerExtension):
    """Documents :class:`WholeBodyMixin` bodies with their required fields, PATCH or not."""

    target_class = WholeBodyMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        # drf-spectacular hands PATCH bodies over as a partial copy.
        whole = copy.copy(self.target)
        whole.partial = False
        return auto_schema._map_serializer(whole, direction, bypass_extensions=True)


class WholeNestedMixin(WholeBodyMixin):
    """A nested body (an object, or each item of a list) validated whole, even in a PATCH.

    DRF skips the missing required fields of every serializer under a partial
    root; a nested object that replaces what it describes (a promotion's
    benefit, a zone's members) must be complete. It is validated as a body of
    its own, so :class:`RejectUnknownFieldsMixin` sees its input too.
    """

    def run_validation(self, data=serializers.empty):
        # A copy of its own is the root: it validates as any body does.
        if self.parent is None or data is serializers.empty or data is None:
            return super().run_validation(data)
        whole = type(self)(data=data, context=self.context)
        if not whole.is_valid():
            raise serializers.ValidationError(whole.errors)
        return whole.validated_data
