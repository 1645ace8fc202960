"""Payment endpoints, mounted at ``payments/`` by :mod:`commerce.urls`."""

from django.urls import path

from commerce.payments.api import views

app_name = "commerce_payments"

urlpatterns = [
    path("gateways/", views.GatewayListView.as_view(), name="gateway-list"),
]
