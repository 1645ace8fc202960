"""The test host's URLs plus the OpenAPI schema, served by drf-spectacular as a host serves it.

The schema is generated from ``tests.urls``: the API the fuzzing then calls.
Only the fuzzing loads this URLconf, so the other tests see ``tests.urls`` unchanged.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from tests.urls import handler404, handler500  # noqa: F401 - the same error pages
from tests.urls import urlpatterns as test_urlpatterns

SCHEMA_PATH = "/api/schema/"

urlpatterns = [
    *test_urlpatterns,
    path(SCHEMA_PATH.strip("/") + "/", SpectacularAPIView.as_view(urlconf="tests.urls")),
]
