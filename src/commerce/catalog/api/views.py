"""Catalog API views: thin. Querysets come from selectors, writes go to services."""

from __future__ import annotations

from functools import partial

from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from commerce.catalog import cache as catalog_cache
from commerce.catalog import selectors, services
from commerce.catalog.api import serializers
from commerce.catalog.api.filters import ProductFilter, StrictOrderingFilter
from commerce.catalog.models import Brand, Category, Product, ProductImage, TaxClass
from commerce.catalog.permissions import CanManageVendorObject
from commerce.core.api.converters import KEY_PATTERN, SLUG_PATTERN
from commerce.core.api.parsers import PARSER_CLASSES
from commerce.core.pagination import CommerceCursorPagination
from commerce.core.permissions import IsStaff


class NameCursorPagination(CommerceCursorPagination):
    ordering = ("name", "id")


@extend_schema_view(
    list=extend_schema(
        summary="The category tree", responses=serializers.CategoryTreeSerializer(many=True)
    ),
    retrieve=extend_schema(summary="A category with its parent, ancestors and children"),
)
class CategoryViewSet(viewsets.GenericViewSet):
    parser_classes = PARSER_CLASSES
    # The catalog is public whatever the host's DEFAULT_PERMISSION_CLASSES say.
    permission_classes = [AllowAny]
    queryset = Category.objects.all()
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    serializer_class = serializers.CategoryDetailSerializer
    pagination_class = None

    def list(self, request):
        return catalog_cache.respond(self, request, self._tree, shared=True)

    def _tree(self):
        return Response(serializers.category_tree(selectors.category_tree_rows()))

    def retrieve(self, request, slug=None):
        category = self.get_object()
        context = {
            **self.get_serializer_context(),
            "ancestors": list(Category.objects.get_ancestors(category)),
            "children": list(Category.objects.get_children(category)),
        }
        return Response(serializers.CategoryDetailSerializer(category, context=context).data)


class BrandViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    parser_classes = PARSER_CLASSES
    permission_classes = [AllowAny]
    queryset = Brand.objects.all()
    serializer_class = serializers.BrandSerializer
    pagination_class = NameCursorPagination

    def list(self, request, *args, **kwargs):
        build = partial(super().list, request, *args, **kwargs)
        return catalog_cache.respond(self, request, build, shared=True)


@extend_schema_view(
    list=extend_schema(summary="Tax classes"),
    retrieve=extend_schema(summary="A tax class"),
    create=extend_schema(
        request=serializers.TaxClassWriteSerializer,
        responses={201: serializers.TaxClassSerializer},
        summary="Create a tax class (staff)",
    ),
    partial_update=extend_schema(
        request=serializers.TaxClassWriteSerializer(partial=True),
        responses=serializers.TaxClassSerializer,
        summary="Change a tax class (staff)",
    ),
    destroy=extend_schema(
        summary="Delete a tax class nothing uses (staff; 409 while in use)",
        responses={204: OpenApiResponse()},
    ),
)
class TaxClassViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tax classes: anyone reads them (vendors pick one for a product), staff change them."""

    parser_classes = PARSER_CLASSES
    queryset = TaxClass.objects.all()
    serializer_class = serializers.TaxClassSerializer
    pagination_class = NameCursorPagination
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [AllowAny()]
        return [IsStaff()]

    def create(self, request):
        serializer = serializers.TaxClassWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tax_class = services.create_tax_class(**serializer.validated_data)
        return Response(self.get_serializer(tax_class).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, slug=None):
        tax_class = self.get_object()
        serializer = serializers.TaxClassWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tax_class = services.update_tax_class(tax_class, **serializer.validated_data)
        return Response(self.get_serializer(tax_class).data)

    def destroy(self, request, slug=None):
        services.delete_tax_class(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class VendorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = PARSER_CLASSES
    permission_classes = [AllowAny]
    serializer_class = serializers.VendorSerializer
    pagination_class = NameCursorPagination
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN

    def get_queryset(self):
        return selectors.vendors_visible_to(self.request.user)

    @extend_schema(request=None, summary="Mark a vendor verified (staff only)")
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def verify(self, request, slug=None):
        vendor = services.verify_vendor(self.get_object(), verified_by=request.user)
        return Response(self.get_serializer(vendor).data)


@extend_schema_view(
    list=extend_schema(summary="Published products"),
    retrieve=extend_schema(summary="A product with variants, availability and images"),
    create=extend_schema(
        request=serializers.ProductWriteSerializer,
        responses={201: serializers.ProductDetailSerializer},
        summary="Create a product (vendor members, staff)",
    ),
    partial_update=extend_schema(
        # An instance: the partial serializer drops the fields a PATCH may not send.
        request=serializers.ProductWriteSerializer(partial=True),
        responses=serializers.ProductDetailSerializer,
        summary="Change a product (vendor members, staff)",
    ),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = PARSER_CLASSES
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticatedOrReadOnly, CanManageVendorObject]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = ProductFilter
    pagination_class = CommerceCursorPagination

    def get_queryset(self):
        if self.action == "list":
            return selectors.product_list_queryset()
        return selectors.product_detail_queryset(self.request.user)

    def list(self, request, *args, **kwargs):
        # The list shows published products only, the same for every caller.
        return catalog_cache.respond(self, request, partial(self._cards, request), shared=True)

    def _cards(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(selectors.product_cards(queryset))
        return self.get_paginated_response([serializers.product_card(row, request) for row in page])

    def retrieve(self, request, *args, **kwargs):
        # A signed-in caller may be staff or a vendor member (drafts, cost prices,
        # stock counts): only the anonymous detail is the same for everyone, and
        # it is built from plain values.
        if request.user.is_authenticated:
            build = partial(super().retrieve, request, *args, **kwargs)
            return catalog_cache.respond(self, request, build, shared=False)
        build = partial(self._public_detail, request, kwargs[self.lookup_field])
        return catalog_cache.respond(self, request, build, shared=True)

    def _public_detail(self, request, slug):
        found = selectors.public_product_detail(slug)
        if found is None:
            raise Http404
        return Response(serializers.product_detail(*found, request))

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ProductListSerializer
        return serializers.ProductDetailSerializer

    def filter_queryset(self, queryset):
        # Filters and ordering belong to the list; a detail is looked up by slug alone.
        if self.action != "list":
            return queryset
        backends = self.filter_backends
        if not self.request.query_params.keys() & self.filterset_class.base_filters.keys():
            # No filter asked for: each would pass the queryset through, and building
            # the FilterSet and its form is a tenth of an uncached list's time.
            backends = [backend for backend in backends if backend is not DjangoFilterBackend]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        product = getattr(self, "_product", None)
        # Members of the product's vendor see its internals even while the vendor
        # is unverified (they may not change it then); staff always do.
        context["show_internals"] = bool(
            product and selectors.user_sees_vendor_internals(self.request.user, product.vendor)
        )
        return context

    def get_object(self):
        self._product = super().get_object()
        return self._product

    def _detail(self, product, status_code=status.HTTP_200_OK):
        self._product = self.get_queryset().get(pk=product.pk)
        return Response(self.get_serializer(self._product).data, status=status_code)

    def create(self, request):
        serializer = serializers.ProductWriteSerializer(data=request.data)
        # A vendor the caller cannot see "does not exist" here too, not a 403 that confirms it.
        serializer.fields["vendor"].queryset = selectors.vendors_visible_to(request.user)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not selectors.user_can_manage_vendor(request.user, data["vendor"]):
            raise PermissionDenied("Only members of a verified vendor may add its products.")
        product = services.create_product(**data)
        return self._detail(product, status.HTTP_201_CREATED)

    def partial_update(self, request, slug=None):
        product = self.get_object()
        serializer = serializers.ProductWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_product(product, **serializer.validated_data)
        return self._detail(product)

    @extend_schema(
        request=None,
        responses=serializers.ProductDetailSerializer,
        summary="Archive a product (vendor members, staff)",
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, slug=None):
        product = services.archive_product(self.get_object())
        return self._detail(product)


class ProductChildViewSet(viewsets.GenericViewSet):
    """Base for objects under ``/products/{slug}/``: only the vendor's members and staff."""

    parser_classes = PARSER_CLASSES
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_product(self) -> Product:
        product = get_object_or_404(
            selectors.products_visible_to(self.request.user).select_related("vendor"),
            slug=self.kwargs["product_slug"],
        )
        if not selectors.user_can_manage_vendor(self.request.user, product.vendor):
            raise PermissionDenied("Only members of this product's verified vendor may change it.")
        return product

    def product_detail(self, product, status_code=status.HTTP_200_OK):
        product = selectors.product_detail_queryset(self.request.user).get(pk=product.pk)
        context = {**self.get_serializer_context(), "show_internals": True}
        return Response(
            serializers.ProductDetailSerializer(product, context=context).data, status=status_code
        )


@extend_schema_view(
    create=extend_schema(
        request=serializers.VariantWriteSerializer,
        responses={201: serializers.ProductDetailSerializer},
        summary="Add a variant (vendor members, staff)",
    ),
    partial_update=extend_schema(
        # An instance: the partial serializer drops the fields a PATCH may not send.
        request=serializers.VariantWriteSerializer(partial=True),
        responses=serializers.ProductDetailSerializer,
        summary="Change a variant (vendor members, staff)",
    ),
)
class VariantViewSet(ProductChildViewSet):
    lookup_field = "sku"
    lookup_value_regex = KEY_PATTERN
    serializer_class = serializers.VariantWriteSerializer

    def get_variant(self, product):
        return get_object_or_404(product.variants.all(), sku=self.kwargs["sku"])

    def create(self, request, product_slug=None):
        product = self.get_product()
        serializer = serializers.VariantWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.create_variant(product, **serializer.validated_data)
        return self.product_detail(product, status.HTTP_201_CREATED)

    def partial_update(self, request, product_slug=None, sku=None):
        product = self.get_product()
        variant = self.get_variant(product)
        serializer = serializers.VariantWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_variant(variant, **serializer.validated_data)
        return self.product_detail(product)

    @extend_schema(
        request=serializers.StockAdjustmentSerializer,
        responses=serializers.StockSerializer,
        summary="Adjust a variant's stock with a reason (vendor members, staff)",
    )
    @action(detail=True, methods=["post"])
    def stock(self, request, product_slug=None, sku=None):
        product = self.get_product()
        variant = self.get_variant(product)
        serializer = serializers.StockAdjustmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "change" in data:
            record = services.adjust_stock(
                variant, data["change"], reason=data["reason"], actor=request.user
            )
        else:
            record = services.set_stock(
                variant, data["quantity"], reason=data["reason"], actor=request.user
            )
        return Response(serializers.StockSerializer(record).data)


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": serializers.ImageWriteSerializer},
        responses={201: serializers.ImageSerializer},
        summary="Upload a product image (vendor members, staff)",
    ),
    partial_update=extend_schema(
        # An instance: the partial serializer drops the fields a PATCH may not send.
        request=serializers.ImageWriteSerializer(partial=True),
        responses=serializers.ImageSerializer,
        summary="Change an image's alt text, position or primary flag",
    ),
    destroy=extend_schema(summary="Delete a product image", responses={204: OpenApiResponse()}),
)
class ProductImageViewSet(ProductChildViewSet):
    serializer_class = serializers.ImageSerializer
    queryset = ProductImage.objects.none()

    def get_image(self, product):
        return get_object_or_404(product.images.all(), pk=self.kwargs["pk"])

    def create(self, request, product_slug=None):
        product = self.get_product()
        serializer = serializers.ImageWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.add_product_image(product, **serializer.validated_data)
        return Response(
            serializers.ImageSerializer(image, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request, product_slug=None, pk=None):
        image = self.get_image(self.get_product())
        serializer = serializers.ImageWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        image = services.update_product_image(image, **serializer.validated_data)
        return Response(
            serializers.ImageSerializer(image, context=self.get_serializer_context()).data
        )

    def destroy(self, request, product_slug=None, pk=None):
        services.delete_product_image(self.get_image(self.get_product()))
        return Response(status=status.HTTP_204_NO_CONTENT)
