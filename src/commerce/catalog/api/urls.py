"""Catalog endpoints, mounted at ``catalog/`` by :mod:`commerce.urls`."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from commerce.catalog.api import views
from commerce.core.api import converters  # noqa: F401 - registers commerce_slug, commerce_key

app_name = "commerce_catalog"

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("brands", views.BrandViewSet, basename="brand")
router.register("tax-classes", views.TaxClassViewSet, basename="tax-class")
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("products", views.ProductViewSet, basename="product")

variant_list = views.VariantViewSet.as_view({"post": "create"})
variant_detail = views.VariantViewSet.as_view({"patch": "partial_update"})
variant_stock = views.VariantViewSet.as_view({"post": "stock"})
image_list = views.ProductImageViewSet.as_view({"post": "create"})
image_detail = views.ProductImageViewSet.as_view({"patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    *router.urls,
    path("products/<commerce_slug:product_slug>/variants/", variant_list, name="variant-list"),
    path(
        "products/<commerce_slug:product_slug>/variants/<commerce_key:sku>/",
        variant_detail,
        name="variant-detail",
    ),
    path(
        "products/<commerce_slug:product_slug>/variants/<commerce_key:sku>/stock/",
        variant_stock,
        name="variant-stock",
    ),
    path("products/<commerce_slug:product_slug>/images/", image_list, name="image-list"),
    path(
        "products/<commerce_slug:product_slug>/images/<uuid:pk>/", image_detail, name="image-detail"
    ),
]
