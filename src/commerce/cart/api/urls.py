"""Cart endpoints, mounted at ``cart/`` by :mod:`commerce.urls`."""

from django.urls import path

from commerce.cart.api import views

app_name = "commerce_cart"

urlpatterns = [
    path("", views.CartView.as_view(), name="cart"),
    path("lines/", views.CartLinesView.as_view(), name="cart-lines"),
    path("lines/<uuid:line_id>/", views.CartLineDetailView.as_view(), name="cart-line"),
    path("merge/", views.CartMergeView.as_view(), name="cart-merge"),
]
