"""The demo shop's URLs plus the ceiling endpoint, which only the benchmark host mounts."""

from django.urls import path

from benchhost.views import ceiling
from shop.urls import handler404, handler500
from shop.urls import urlpatterns as shop_urlpatterns

urlpatterns = [
    path("bench/ceiling/", ceiling, name="bench-ceiling"),
    *shop_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
