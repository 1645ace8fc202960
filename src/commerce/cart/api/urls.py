"""Cart endpoints, mounted at ``cart/`` by :mod:`commerce.urls`."""

from django.urls import path

from commerce.cart.api import views
from commerce.core.api import converters  # noqa: F401 - registers commerce_key

app_name = "commerce_cart"

urlpatterns = [
    path("", views.CartView.as_view(), name="cart"),
    path("lines/", views.CartLinesView.as_view(), name="cart-lines"),
    path("lines/<uuid:line_id>/", views.CartLineDetailView.as_view(), name="cart-line"),
    path("codes/", views.CartCodesView.as_view(), name="cart-codes"),
    path("codes/<commerce_key:code>/", views.CartCodeDetailView.as_view(), name="cart-code"),
    path("merge/", views.CartMergeView.as_view(), name="cart-merge"),
]
