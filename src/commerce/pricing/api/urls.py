"""Pricing configuration endpoints (staff only), mounted at ``pricing/`` by :mod:`commerce.urls`."""

from rest_framework.routers import SimpleRouter

from commerce.pricing.api import views

app_name = "commerce_pricing"

router = SimpleRouter()
router.register("zones", views.ZoneViewSet, basename="zone")
router.register("shipping-methods", views.ShippingMethodViewSet, basename="shipping-method")
router.register("tax-rates", views.TaxRateViewSet, basename="tax-rate")

urlpatterns = router.urls
