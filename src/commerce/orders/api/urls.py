"""Checkout, orders, vendor orders and addresses, mounted at the API root."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from commerce.orders.api import views

app_name = "commerce_orders"

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register("vendor/orders", views.VendorOrderViewSet, basename="vendor-order")
router.register("addresses", views.AddressViewSet, basename="address")

urlpatterns = [
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("cart/shipping-methods/", views.ShippingMethodsView.as_view(), name="shipping-methods"),
    *router.urls,
]
