"""Pagination classes that read their sizes from ``COMMERCE`` at request time."""

from __future__ import annotations

import re
from base64 import b64decode
from datetime import datetime
from urllib import parse

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import DecimalValidator
from django.db import models
from django.utils.timezone import is_naive
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination

from commerce.conf import commerce_settings
from commerce.core.columns import is_storable_text


def _requested_page_size(request, param: str) -> int:
    raw = request.query_params.get(param)
    if raw is None or raw == "":
        return commerce_settings.PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise ValidationError({param: ["A positive whole number is required."]})
    return min(size, commerce_settings.MAX_PAGE_SIZE)


#: The longest cursor position accepted; positions are column values (a name, a
#: timestamp, an amount), far shorter.
MAX_POSITION_LENGTH = 500
#: The longest ``?cursor=`` accepted: base64 of a position and two small numbers.
MAX_CURSOR_LENGTH = 1000
OFFSET = re.compile(r"^[0-9]{1,6}$")


class CommerceCursorPagination(CursorPagination):
    """Cursor pagination: stable under inserts and cheap on deep pages.

    ``?page_size=`` is accepted up to ``COMMERCE["MAX_PAGE_SIZE"]``; a
    non-positive or non-numeric value is a 400. So is a cursor the server did
    not issue: one that does not decode, or whose position is not a value the
    ordering column could hold (the wrong type, out of range, too many digits,
    a naive timestamp, a NUL character), checked before any query runs.
    """

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        return _requested_page_size(request, self.page_size_query_param)

    def decode_cursor(self, request):
        """The request's cursor, or ``None``; a 400 for one the server could not have issued.

        Stricter than DRF's (which answers 404, and quietly caps a huge offset): the
        offset is a whole number up to ``offset_cutoff``, the direction ``0`` or ``1``,
        and the position a value of the ordering column.
        """
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        invalid = ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        try:
            if len(encoded) > MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            querystring = b64decode(encoded.encode("ascii")).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True)
        except ValueError as exc:  # binascii.Error and UnicodeError are ValueErrors
            raise invalid from exc
        offset = tokens.get("o", ["0"])[0]
        reverse = tokens.get("r", ["0"])[0]
        position = tokens.get("p", [None])[0]
        if reverse not in ("0", "1") or not OFFSET.match(offset):
            raise invalid
        if int(offset) > self.offset_cutoff:
            raise invalid
        if position is not None:
            self._check_position(position)
        return Cursor(offset=int(offset), reverse=reverse == "1", position=position)

    def _check_position(self, position: str) -> None:
        """Refuse a position its ordering column could not hold, before it reaches a query."""
        invalid = ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        if not is_storable_text(position) or len(position) > MAX_POSITION_LENGTH:
            raise invalid
        model = getattr(self, "_model", None)
        try:
            field = model._meta.get_field(self.ordering[0].lstrip("-")) if model else None
        except FieldDoesNotExist:
            return  # an annotation: the query's own conversion decides
        if field is None:
            return
        try:
            value = field.to_python(position)
            if value is None or (isinstance(value, datetime) and is_naive(value)):
                raise invalid
            if isinstance(field, models.DecimalField):
                # A MoneyField's own validators expect Money; its column is the amount's.
                DecimalValidator(field.max_digits, field.decimal_places)(value)
            else:
                field.run_validators(value)
        except (DjangoValidationError, ValueError, TypeError, ArithmeticError) as exc:
            raise invalid from exc

    def paginate_queryset(self, queryset, request, view=None):
        self._model = getattr(queryset, "model", None)
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError as exc:
            # A well-formed cursor whose position does not fit the ordering column
            # (a tampered cursor, or one from another ``ordering``).
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from exc

    def _get_position_from_instance(self, instance, ordering):
        # A MoneyField position is its amount; str(Money) would be "$12.50".
        name = ordering[0].lstrip("-")
        value = instance[name] if isinstance(instance, dict) else getattr(instance, name)
        return str(getattr(value, "amount", value))


class CommercePageNumberPagination(PageNumberPagination):
    """Page-number pagination for small lists where a total count is useful."""

    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        return _requested_page_size(request, self.page_size_query_param)
