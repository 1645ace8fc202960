"""Serializer building blocks shared by the commerce APIs."""

from __future__ import annotations

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
