"""The OpenAPI schema and its docs: ``path("api/", include("commerce.core.api.schema_urls"))``.

Mounts ``schema/`` (:class:`~commerce.core.api.schema_views.SchemaView`) and ``docs/``
(:class:`~commerce.core.api.schema_views.SwaggerView`, Swagger UI). Both apply
:data:`~commerce.core.api.schema.SPECTACULAR_DEFAULTS` under the host's own
``SPECTACULAR_SETTINGS``.
"""

from django.urls import path

from commerce.core.api.schema_views import SchemaView, SwaggerView

app_name = "commerce_schema"

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="commerce_schema:schema"), name="docs"),
]
