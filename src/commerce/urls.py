"""One include mounts the whole API: ``path("api/v1/", include("commerce.urls"))``.

Only the installed commerce apps are mounted, so a host with just the catalog
gets just the catalog's endpoints. Hosts that want to choose can include each
app's ``api.urls`` themselves.
"""

from django.apps import apps
from django.urls import include, path

#: (app module, URL prefix) for every app with an API; its urls live in ``<app>.api.urls``.
APP_URLS = [
    ("commerce.catalog", "catalog/"),
    ("commerce.pricing", "pricing/"),
    ("commerce.promotions", "promotions/"),
    ("commerce.cart", "cart/"),
    # checkout/, orders/, vendor/orders/ and addresses/
    ("commerce.orders", ""),
    # payments/... and orders/<number>/payments/
    ("commerce.payments", ""),
]

urlpatterns = [
    path(prefix, include(f"{app}.api.urls")) for app, prefix in APP_URLS if apps.is_installed(app)
]
