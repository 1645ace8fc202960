"""Health endpoints.

``path("", include("commerce.core.urls"))`` mounts ``/healthz`` and ``/readyz``.
"""

from django.urls import path

from commerce.core import views

app_name = "commerce_health"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
