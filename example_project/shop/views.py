"""Error handlers: the commerce JSON envelope for API paths, Django's pages elsewhere."""

from django.views import defaults

from commerce.core import views as commerce_views

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request, exception=None):
    """``handler404``: an error envelope for API clients, the HTML page for browsers."""
    if _is_api(request):
        return commerce_views.page_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """``handler500``: an error envelope for API clients, the HTML page for browsers."""
    if _is_api(request):
        return commerce_views.server_error(request)
    return defaults.server_error(request)
