"""Payment endpoints, mounted at the API root by :mod:`commerce.urls`.

The dummy gateway's confirmation page is mounted here too (its view lives with
the gateway, in :mod:`commerce.payments.gateways.dummy.views`). Every view here
is ``non_atomic_requests``: the services call providers
between short transactions of their own, so a request-wide transaction
(``ATOMIC_REQUESTS``) must not wrap them.
"""

from django.db import transaction
from django.urls import path

from commerce.core.api import converters  # noqa: F401 - registers commerce_key
from commerce.payments.api import views
from commerce.payments.gateways.dummy.views import DummyConfirmView

app_name = "commerce_payments"


def _view(view_class):
    return transaction.non_atomic_requests(view_class.as_view())


urlpatterns = [
    path(
        "orders/<commerce_key:number>/payments/",
        _view(views.OrderPaymentView),
        name="order-payment",
    ),
    path("payments/gateways/", _view(views.GatewayListView), name="gateway-list"),
    path("payments/webhooks/<commerce_key:alias>/", _view(views.WebhookView), name="webhook"),
    path(
        "payments/dummy/<commerce_key:gateway_reference>/confirm/",
        _view(DummyConfirmView),
        name="dummy-confirm",
    ),
    path(
        "payments/<commerce_key:reference>/", _view(views.PaymentDetailView), name="payment-detail"
    ),
    path(
        "payments/<commerce_key:reference>/refresh/",
        _view(views.PaymentRefreshView),
        name="payment-refresh",
    ),
    path(
        "payments/<commerce_key:reference>/capture/",
        _view(views.PaymentCaptureView),
        name="payment-capture",
    ),
    path(
        "payments/<commerce_key:reference>/cancel/",
        _view(views.PaymentCancelView),
        name="payment-cancel",
    ),
    path(
        "payments/<commerce_key:reference>/refunds/",
        _view(views.PaymentRefundView),
        name="payment-refunds",
    ),
]
