"""The API's routes, walked from the test host's URLconf."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def commerce_views(patterns=None, prefix=""):
    """``(route, view class)`` for every DRF view mounted under ``api/v1/``."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from commerce_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None and prefix.startswith("api/v1/"):
                yield prefix + str(pattern.pattern), view_class
