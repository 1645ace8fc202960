"""The OpenAPI schema and Swagger UI, with commerce's defaults under the host's settings.

:class:`SchemaView` and :class:`SwaggerView`, mounted by
``path("api/", include("commerce.core.api.schema_urls"))``, apply
:data:`~commerce.core.api.schema.SPECTACULAR_DEFAULTS` for every key the host's
``SPECTACULAR_SETTINGS`` leaves out, so a host that sets none still gets a titled,
versioned schema with named enums, the error envelope and Swagger UI from this server.
"""

from __future__ import annotations

from drf_spectacular import plumbing
from drf_spectacular.settings import patched_settings, spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from commerce.core.api.schema import schema_defaults


def _with_defaults(method):
    # drf-spectacular's own per-view patching (custom_settings), with the defaults
    # computed per request so that override_settings reaches them.
    def wrapped(self, request, *args, **kwargs):
        with patched_settings(schema_defaults()):
            return method(self, request, *args, **kwargs)

    return wrapped


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, with :data:`SPECTACULAR_DEFAULTS` under the host's settings."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        self.custom_settings = schema_defaults()
        # The enum names are loaded once per language and cached by drf-spectacular;
        # clear them so this request's ENUM_NAME_OVERRIDES are the ones used.
        _clear_enum_name_cache()
        try:
            return super().get(request, *args, **kwargs)
        finally:
            _clear_enum_name_cache()


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI for :class:`SchemaView`, from the sidecar's files unless the host says not."""

    @extend_schema(exclude=True)
    @_with_defaults
    def get(self, request, *args, **kwargs):
        self.title = spectacular_settings.TITLE
        return super().get(request, *args, **kwargs)


def _clear_enum_name_cache() -> None:
    loader = getattr(plumbing, "_load_enum_name_overrides", None)
    if loader is not None and hasattr(loader, "cache_clear"):
        loader.cache_clear()
