"""Health views and JSON error handlers for hosts.

``/healthz`` answers 200 while the process runs; ``/readyz`` answers 200 only
when every configured database and the default cache respond, else 503. Both
are plain Django views: no authentication, no throttling, no sessions.
"""

from __future__ import annotations

import logging
import uuid
from functools import wraps

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from commerce.core.api.errors import SERVER_ERROR_MESSAGE, error_body

logger = logging.getLogger("commerce.health")


def _probe(view):
    """GET and HEAD only, never cached; any other method is a 405 in the error envelope.

    CSRF-exempt so that a stray POST meets the 405 rather than an HTML CSRF page:
    the views change nothing, whatever the method.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse(
                error_body("method_not_allowed", f'Method "{request.method}" not allowed.'),
                status=405,
            )
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return csrf_exempt(never_cache(wrapper))


@_probe
def healthz(request):
    """Liveness: the process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def _check_databases() -> dict[str, str]:
    results = {}
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            results[alias] = "ok"
        except Exception:
            logger.exception("Readiness: database %r unreachable", alias)
            results[alias] = "unavailable"
    return results


def _check_cache() -> str:
    key = f"commerce:readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:
        logger.exception("Readiness: cache unreachable")
        return "unavailable"
    return "ok" if ok else "unavailable"


@_probe
def readyz(request):
    """Readiness: every database and the default cache answer."""
    checks = {"databases": _check_databases(), "cache": _check_cache()}
    ready = checks["cache"] == "ok" and all(v == "ok" for v in checks["databases"].values())
    if ready:
        return JsonResponse({"status": "ok", "checks": checks})
    return JsonResponse(error_body("not_ready", "A dependency is unavailable.", checks), status=503)


def page_not_found(request, exception=None):
    """A ``handler404`` that answers in the error envelope."""
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request):
    """A ``handler500`` that answers in the error envelope, without details."""
    return JsonResponse(error_body("server_error", SERVER_ERROR_MESSAGE), status=500)
