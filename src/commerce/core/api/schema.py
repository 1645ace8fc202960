"""OpenAPI (drf-spectacular) settings a host merges into its ``SPECTACULAR_SETTINGS``::

    from commerce.core.api.schema import ENUM_NAME_OVERRIDES, POSTPROCESSING_HOOKS

    SPECTACULAR_SETTINGS = {
        "ENUM_NAME_OVERRIDES": {**ENUM_NAME_OVERRIDES},
        "POSTPROCESSING_HOOKS": [*POSTPROCESSING_HOOKS],
    }

Several commerce models have a ``status`` with different choices; naming the
enums keeps the schema stable and free of collision warnings. A host that
installs only some of the apps keeps the entries of those apps.

The hooks declare the error envelope as every operation's 4xx and 5xx
response (:func:`declare_error_responses`) and the bounds the server enforces
on parameters that no serializer describes (:func:`declare_parameter_bounds`),
after drf-spectacular's own enum hook, which ``POSTPROCESSING_HOOKS`` replaces
when set.

:data:`SPECTACULAR_DEFAULTS` bundles all of that with a title, the package's
version and the sidecar's local Swagger UI: ``SPECTACULAR_SETTINGS =
{**SPECTACULAR_DEFAULTS}``, plus your own keys. This module imports nothing
from Django REST framework, so settings modules can import it;
:mod:`commerce.core.api.openapi` has the schema class and
:mod:`commerce.core.api.schema_views` the views.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings

import commerce

ENUM_NAME_OVERRIDES = {
    "ProductStatusEnum": "commerce.catalog.models.Product.Status",
    "OrderStatusEnum": "commerce.orders.models.Order.Status",
    "PaymentStatusEnum": "commerce.payments.models.Payment.Status",
    "RefundStatusEnum": "commerce.payments.models.Refund.Status",
}

#: The name of the error envelope in ``components/schemas``.
ERROR_COMPONENT = "ErrorEnvelope"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error, from any layer: see the errors page of the commerce docs.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable and machine-readable; branch on this.",
                    "example": "not_found",
                },
                "message": {
                    "type": "string",
                    "description": "For a human; its wording may change.",
                    "example": "Not found.",
                },
                "details": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "Always an object; for invalid input, field -> problems.",
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

#: Status-code ranges every operation may answer with the envelope.
ERROR_RANGES = {
    "4XX": "The request was refused: the error envelope says why.",
    "5XX": "The server failed or is unavailable (the error envelope, never a traceback).",
}

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

POSTPROCESSING_HOOKS = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "commerce.core.api.schema.declare_error_responses",
    "commerce.core.api.schema.declare_parameter_bounds",
]


def declare_error_responses(result, generator, request, public):
    """Declare the error envelope for every operation's errors.

    Adds ``4XX`` and ``5XX`` responses with the envelope, and gives the envelope
    to any 4xx/5xx response an operation declares without a body. The error
    handler (``commerce.core.api.errors.exception_handler``) and the JSON error
    views write this shape for every error, so the schema says so once here
    rather than on each view.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_COMPONENT, copy.deepcopy(ERROR_SCHEMA))

    def content():  # a fresh object each time: later hooks may edit one operation's
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}

    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if str(code)[0] in "45" and "content" not in response:
                    response["content"] = content()
            for code, description in ERROR_RANGES.items():
                responses.setdefault(code, {"description": description, "content": content()})
    return result


#: drf-spectacular settings for a schema of commerce's API. Merge them into the host's
#: ``SPECTACULAR_SETTINGS`` (``{**SPECTACULAR_DEFAULTS, "TITLE": "My shop API"}``); the
#: views below apply those the host leaves out.
SPECTACULAR_DEFAULTS: dict[str, Any] = {
    "TITLE": "commerce API",
    "DESCRIPTION": (
        "The catalog, pricing, promotions, cart, orders and payments API of commerce. "
        "Every error is "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": commerce.__version__,
    # The schema view is a file to download, not an operation of the API.
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {**ENUM_NAME_OVERRIDES},
    "POSTPROCESSING_HOOKS": [*POSTPROCESSING_HOOKS],
    # Swagger UI and Redoc load from this server (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No spec validator badge: it would call an outside service.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}


def schema_defaults() -> dict[str, Any]:
    """The keys of :data:`SPECTACULAR_DEFAULTS` the host's ``SPECTACULAR_SETTINGS`` leaves out.

    ``SERVE_*`` keys are left out too: drf-spectacular reads them when its views
    are imported, so they cannot be applied per request.
    """
    host = getattr(settings, "SPECTACULAR_SETTINGS", None) or {}
    defaults = {
        key: value
        for key, value in SPECTACULAR_DEFAULTS.items()
        if key not in host and not key.startswith("SERVE_")
    }
    if "ENUM_NAME_OVERRIDES" in defaults:
        defaults["ENUM_NAME_OVERRIDES"] = enum_name_overrides(settings.INSTALLED_APPS)
    return defaults


def enum_name_overrides(installed_apps) -> dict[str, str]:
    """The entries of :data:`ENUM_NAME_OVERRIDES` for the commerce apps in ``installed_apps``.

    An entry of an app that is not installed would make drf-spectacular import its
    models and fail; a catalog-only host writes
    ``{**SPECTACULAR_DEFAULTS, "ENUM_NAME_OVERRIDES": enum_name_overrides(INSTALLED_APPS)}``.
    """
    installed = set(installed_apps)
    return {
        name: path
        for name, path in ENUM_NAME_OVERRIDES.items()
        if ".".join(path.split(".")[:2]) in installed
    }


def parameter_bounds() -> dict[tuple[str, str], dict[str, Any]]:
    """``(location, name)`` -> the schema keywords the server enforces on that parameter.

    ``page_size`` is a whole number from 1 (less is a 400) to ``MAX_PAGE_SIZE``
    (more is served as ``MAX_PAGE_SIZE``); an ``Idempotency-Key`` is 1 to
    255 characters (anything else is a 400).
    """
    from commerce.conf import commerce_settings
    from commerce.core.idempotency import HEADER, MAX_KEY_LENGTH

    return {
        ("query", "page_size"): {"minimum": 1, "maximum": commerce_settings.MAX_PAGE_SIZE},
        ("header", HEADER): {"minLength": 1, "maxLength": MAX_KEY_LENGTH},
    }


def declare_parameter_bounds(result, generator, request, public):
    """Add to parameters the bounds the server enforces (see :func:`parameter_bounds`).

    Pagination classes and shared header parameters are declared without
    them; the schema then tells clients (and fuzzers) what is refused.
    """
    bounds = parameter_bounds()
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                extra = bounds.get((parameter.get("in"), parameter.get("name")))
                if extra:
                    parameter["schema"] = {**parameter.get("schema", {}), **extra}
    return result
