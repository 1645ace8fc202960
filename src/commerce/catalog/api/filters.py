"""Product list filters. An invalid value is a 400, never an empty list."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from commerce.catalog.models import Brand, Category, Product, Variant, Vendor
from commerce.catalog.selectors import category_with_descendants
from commerce.conf import commerce_settings
from commerce.core.money import is_known_currency

#: The longest ``?search=``: a product name's column (an SKU's is shorter).
MAX_SEARCH_LENGTH = 200


def _max_length(model, name: str = "slug") -> int:
    return model._meta.get_field(name).max_length


def _price_bounds() -> dict[str, int]:
    # A price the column cannot hold matches nothing: refuse it like any malformed number.
    column = Product._meta.get_field("price")
    return {"max_digits": column.max_digits, "decimal_places": column.decimal_places}


BOOLEAN_CHOICES = [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")]


def documented(query_filter, **schema):
    """``query_filter``, its OpenAPI schema saying what the server accepts.

    drf-spectacular reads a filter's type but not its form field's bounds
    (``max_length``, ``max_digits``), and gives a boolean the string choices
    of :class:`StrictBooleanFilter` as an enum of ``type: boolean``.
    """
    description = query_filter.extra.get("help_text", "")
    return extend_schema_field({**schema, "description": description})(query_filter)


def string_filter(query_filter):
    """A text filter documented with its ``maxLength``."""
    return documented(query_filter, type="string", maxLength=query_filter.extra["max_length"])


def price_filter(**kwargs):
    """A price bound, refused (400) unless the price column could hold it."""
    bounds = _price_bounds()
    largest = 10 ** (bounds["max_digits"] - bounds["decimal_places"])
    query_filter = django_filters.NumberFilter(**bounds, **kwargs)
    # Exclusive: the largest a column holds is just under, at its decimal places.
    return documented(
        query_filter,
        type="number",
        exclusiveMinimum=True,
        minimum=-largest,
        exclusiveMaximum=True,
        maximum=largest,
    )


def boolean_filter(**kwargs):
    """A :class:`StrictBooleanFilter` documented as the strings it accepts."""
    choices = [value for value, _ in BOOLEAN_CHOICES]
    return documented(StrictBooleanFilter(**kwargs), type="string", enum=choices)


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true``/``false``/``1``/``0``; anything else is a 400 (django-filter would ignore it).

    The form field coerces the choice to a bool, so a ``method=`` filter gets
    ``True``/``False`` too (a method bypasses ``Filter.filter``, and the string
    ``"false"`` is truthy).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", BOOLEAN_CHOICES)
        kwargs.setdefault("coerce", lambda value: value in ("true", "1"))
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


class SlugFilter(django_filters.CharFilter):
    """Filter by the slug of a related object that must exist (no longer than its column)."""

    def __init__(self, *args, model, **kwargs):
        # Not ``self.model``: the FilterSet overwrites that with the filtered model.
        self.related_model = model
        kwargs.setdefault("max_length", _max_length(model))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if not self.related_model._default_manager.filter(slug=value).exists():
            raise ValidationError({self.field_name.split("__")[0]: [f"Unknown {value!r}."]})
        return super().filter(qs, value)


class ProductFilter(django_filters.FilterSet):
    category = string_filter(
        django_filters.CharFilter(
            method="filter_category",
            max_length=_max_length(Category),
            help_text="Category slug; includes its descendants.",
        )
    )
    brand = string_filter(
        SlugFilter(field_name="brand__slug", model=Brand, help_text="Brand slug.")
    )
    vendor = string_filter(
        SlugFilter(field_name="vendor__slug", model=Vendor, help_text="Vendor slug.")
    )
    min_price = price_filter(
        method="filter_min_price",
        help_text="Lowest 'from' price, in `currency` (default: COMMERCE DEFAULT_CURRENCY).",
    )
    max_price = price_filter(
        method="filter_max_price",
        help_text="Highest 'from' price, in `currency` (default: COMMERCE DEFAULT_CURRENCY).",
    )
    currency = string_filter(
        django_filters.CharFilter(
            method="filter_currency",
            max_length=3,
            help_text="ISO 4217 code of the product's prices.",
        )
    )
    in_stock = boolean_filter(method="filter_in_stock", help_text="true or false (or 1 or 0).")
    featured = boolean_filter(field_name="is_featured", help_text="true or false (or 1 or 0).")
    search = string_filter(
        django_filters.CharFilter(
            method="filter_search",
            max_length=MAX_SEARCH_LENGTH,
            help_text="Text found in the name or description, or an exact SKU.",
        )
    )

    class Meta:
        model = Product
        fields = []

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        min_price, max_price = data.get("min_price"), data.get("max_price")
        if min_price is not None and max_price is not None and min_price > max_price:
            raise ValidationError({"min_price": ["Must not be greater than max_price."]})
        if (min_price is not None or max_price is not None) and not data.get("currency"):
            # Amounts are only comparable within one currency.
            queryset = queryset.filter(price_currency=commerce_settings.DEFAULT_CURRENCY)
        return super().filter_queryset(queryset)

    def filter_category(self, queryset, name, value):
        category = Category.objects.filter(slug=value).first()
        if category is None:
            raise ValidationError({"category": [f"Unknown category {value!r}."]})
        return queryset.filter(category__in=category_with_descendants(category))

    def filter_min_price(self, queryset, name, value):
        return queryset.filter(price__gte=value)

    def filter_max_price(self, queryset, name, value):
        return queryset.filter(price__lte=value)

    def filter_currency(self, queryset, name, value):
        code = value.upper()
        if not is_known_currency(code):
            raise ValidationError({"currency": [f"{value!r} is not an ISO 4217 code."]})
        return queryset.filter(price_currency=code)

    def filter_in_stock(self, queryset, name, value):
        return queryset.filter(in_stock=value)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        sku_match = Exists(
            Variant.objects.filter(product=OuterRef("pk"), sku__iexact=value, is_active=True)
        )
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | sku_match
        )


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` over public names mapped to columns; an unknown name is a 400.

    DRF's own filter silently ignores unknown fields, which hides client bugs.
    """

    #: public name -> model field
    ordering_aliases = {"price": "price", "created": "created_at", "name": "name"}
    # ``id`` breaks ties (equal prices, equal names): cursor pagination skips
    # tied rows by offset, which only works when their order is stable.
    default_ordering = ("-created_at", "-id")

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.default_ordering
        terms = [term.strip() for term in raw.split(",") if term.strip()]
        ordering = []
        for term in terms:
            descending = term.startswith("-")
            field = self.ordering_aliases.get(term.lstrip("-"))
            if field is None:
                allowed = ", ".join(
                    f"{sign}{name}" for name in self.ordering_aliases for sign in ("", "-")
                )
                raise ValidationError({self.ordering_param: [f"Unknown {term!r}; use {allowed}."]})
            ordering.append(f"-{field}" if descending else field)
        if len(ordering) > 1:
            raise ValidationError({self.ordering_param: ["Order by one field at a time."]})
        return (ordering[0], "-id" if ordering[0].startswith("-") else "id")

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "One of price, created, name; prefix '-' for descending.",
                "schema": {
                    "type": "string",
                    "enum": [f"{s}{n}" for n in self.ordering_aliases for s in ("", "-")],
                },
            }
        ]
