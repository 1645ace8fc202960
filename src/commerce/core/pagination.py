"""Pagination classes that read their sizes from ``COMMERCE`` at request time."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from commerce.conf import commerce_settings


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


class CommerceCursorPagination(CursorPagination):
    """Cursor pagination: stable under inserts and cheap on deep pages.

    ``?page_size=`` is accepted up to ``COMMERCE["MAX_PAGE_SIZE"]``; a
    non-positive or non-numeric value is a 400.
    """

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        return _requested_page_size(request, self.page_size_query_param)

    def decode_cursor(self, request):
        # DRF answers a malformed cursor with 404; it is bad input, so 400.
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError as exc:
            # A well-formed cursor whose position does not fit the ordering column
            # (a tampered cursor, or one from another ``ordering``).
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from exc

    def _get_position_from_instance(self, instance, ordering):
        # A MoneyField position is its amount; str(Money) would be "$12.50".
        value = getattr(instance, ordering[0].lstrip("-"))
        return str(getattr(value, "amount", value))


class CommercePageNumberPagination(PageNumberPagination):
    """Page-number pagination for small lists where a total count is useful."""

    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        return _requested_page_size(request, self.page_size_query_param)
