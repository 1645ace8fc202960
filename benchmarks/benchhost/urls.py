"""The demo shop's URLs plus the ceiling and no-database endpoints, which only the benchmark
host mounts."""

from django.urls import path

from benchhost.views import ceiling, no_database
from shop.urls import handler404, handler500
from shop.urls import urlpatterns as shop_urlpatterns

urlpatterns = [
    path("bench/ceiling/", ceiling, name="bench-ceiling"),
    path("bench/nodb/", no_database, name="bench-nodb"),
    *shop_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
