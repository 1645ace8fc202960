"""drf-spectacular's schema class, tagging each commerce operation with its app.

Set ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "commerce.core.api.openapi.AutoSchema"``.
DRF imports this class while it builds ``APIView`` itself, so this module must not
import drf-spectacular's views (:mod:`commerce.core.api.schema_views` has commerce's).
"""

from __future__ import annotations

from django.apps import apps
from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's ``AutoSchema``, tagging each commerce operation with its app.

    Set it as ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``. An operation of
    ``commerce.catalog`` is tagged ``catalog``, whatever URL prefix the host
    mounts it under (checkout, addresses and vendor orders are ``orders``); the
    host's own views keep drf-spectacular's tag (their first path segment), and an
    explicit ``@extend_schema(tags=...)`` wins over both.
    """

    def get_tags(self) -> list[str]:
        app = apps.get_containing_app_config(type(self.view).__module__)
        if app is not None and app.name.startswith("commerce."):
            return [app.name.removeprefix("commerce.")]
        return super().get_tags()
