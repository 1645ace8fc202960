"""Views that exist only to drive commerce's error handling and pagination in tests."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, connection, transaction
from django.http import Http404, HttpResponse
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.catalog.models import Brand, Variant
from commerce.core.exceptions import (
    CommercePermissionDenied,
    CommerceValidationError,
    InsufficientStockError,
)
from commerce.core.pagination import CommerceCursorPagination, CommercePageNumberPagination

#: What ``/errors/<name>/`` raises.
ERRORS = {
    "insufficient-stock": lambda: InsufficientStockError("SKU-1", requested=5, available=2),
    "commerce-permission": lambda: CommercePermissionDenied("Not your vendor."),
    "validation-dict": lambda: exceptions.ValidationError({"name": ["This field is required."]}),
    "validation-list": lambda: exceptions.ValidationError(["First problem.", "Second problem."]),
    "validation-string": lambda: exceptions.ValidationError("Just wrong."),
    "drf-permission": lambda: exceptions.PermissionDenied(),
    "django-permission": lambda: DjangoPermissionDenied("internal reason"),
    "http404": lambda: Http404("No Widget matches the given query."),
    "not-found": lambda: exceptions.NotFound(),
    "throttled": lambda: exceptions.Throttled(wait=42),
    "throttled-no-wait": lambda: exceptions.Throttled(),
    "django-validation-dict": lambda: DjangoValidationError({"sku": ["Already taken."]}),
    "django-validation": lambda: DjangoValidationError("Bad value."),
    "operational": lambda: OperationalError("could not connect: password=hunter2 host=10.9.8.7"),
    "unhandled": lambda: RuntimeError("secret detail"),
}


class RaiseView(APIView):
    """``GET`` raises ``ERRORS[name]``; ``POST`` echoes the parsed body (parse errors, 415)."""

    permission_classes = [AllowAny]

    def get(self, request, name):
        raise ERRORS[name]()

    def post(self, request, name):
        return Response({"received": request.data})


class PrivateView(APIView):
    """Needs an authenticated user; anonymous requests get 401."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class AtomicWriteView(APIView):
    """Writes a row, then fails: the row must not survive the request."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request):
        Brand.objects.create(name="Rolled back", slug="rolled-back")
        raise CommerceValidationError("Changed my mind.")


class SlowWriteView(APIView):
    """Locks and changes a brand, then runs a statement for ``?seconds=`` (PostgreSQL).

    Stands for request work that outlives the database's ``statement_timeout``.
    """

    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request, slug):
        with transaction.atomic():
            Brand.objects.select_for_update().get(slug=slug)
            Brand.objects.filter(slug=slug).update(name="Changed by a slow request")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", [float(request.query_params["seconds"])])
        return Response({"done": True})


def plain_django_error(request):
    """A non-DRF view failing: Django's handler500 answers."""
    raise RuntimeError("secret detail")


def plain_django_404(request):
    raise Http404("No Widget matches the given query.")


def plain_ok(request):
    return HttpResponse("ok")


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["slug"]


class BrandCursorList(ListAPIView):
    queryset = Brand.objects.all()
    serializer_class = BrandSerializer
    pagination_class = CommerceCursorPagination
    permission_classes = [AllowAny]


class BrandPageList(BrandCursorList):
    pagination_class = CommercePageNumberPagination

    def get_queryset(self):
        return Brand.objects.order_by("slug")


class PriceCursorPagination(CommerceCursorPagination):
    ordering = ("price", "id")


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = ["sku"]


class VariantsByPrice(ListAPIView):
    """Cursor pagination ordered on a ``MoneyField``."""

    queryset = Variant.objects.all()
    serializer_class = VariantSerializer
    pagination_class = PriceCursorPagination
    permission_classes = [AllowAny]
