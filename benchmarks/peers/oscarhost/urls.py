"""oscar-api under ``/api/``, the bench views under ``/bench/``, and a health check."""

from django.urls import include, path

from oscarhost.views import healthz, no_database, product_values

urlpatterns = [
    path("api/", include("oscarapi.urls")),
    path("bench/nodb/", no_database, name="bench-nodb"),
    path("bench/values/", product_values, name="bench-values"),
    path("healthz", healthz, name="healthz"),
]
