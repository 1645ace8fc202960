"""The schema's defaults for a host that configures nothing: title, version, tags per app.

A host with no ``SPECTACULAR_SETTINGS`` used to get a schema titled "" at version
0.0.0 with one untagged list; :class:`commerce.core.api.schema_views.SchemaView` applies
``SPECTACULAR_DEFAULTS`` under the host's settings, and
:class:`commerce.core.api.openapi.AutoSchema` tags each operation with its app.
"""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.test import override_settings
from django.urls import include, path

import commerce
from commerce.core.api.schema import SPECTACULAR_DEFAULTS, enum_name_overrides, schema_defaults
from tests.openapi import operations

COMMERCE_SCHEMA_CLASS = "commerce.core.api.openapi.AutoSchema"
APPS_WITH_AN_API = ("catalog", "pricing", "promotions", "cart", "orders", "payments")

urlpatterns = [
    path("api/v1/", include("commerce.urls")),
    path("api/", include("commerce.core.api.schema_urls")),
    path("", include("commerce.core.urls")),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def schema_class(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_SCHEMA_CLASS": COMMERCE_SCHEMA_CLASS,
    }


def served_schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


@pytest.mark.usefixtures("schema_class")
@override_settings(SPECTACULAR_SETTINGS={})
def test_a_host_without_spectacular_settings_gets_a_titled_versioned_tagged_schema(client):
    schema = served_schema(client)

    assert schema["info"]["title"] == "commerce API"
    assert schema["info"]["version"] == commerce.__version__
    assert "catalog API" not in schema["info"].get("description", "")
    tags = {}
    for route, method, operation in operations(schema):
        assert len(operation["tags"]) == 1, (route, method)
        tags.setdefault(operation["tags"][0], []).append(route)
    # The catalog-only test host has only the catalog's.
    assert set(tags) == {app for app in APPS_WITH_AN_API if apps.is_installed(f"commerce.{app}")}
    if apps.is_installed("commerce.payments"):
        # Tagged by app, not by the first path segment: checkout and addresses are
        # orders', an order's payments are payments'.
        assert "/api/v1/checkout/" in tags["orders"]
        assert any(route.startswith("/api/v1/addresses/") for route in tags["orders"])
        assert "/api/v1/orders/{number}/payments/" in tags["payments"]
        assert "OrderStatusEnum" in schema["components"]["schemas"]
    # The status enums are named, not hashed, and errors are the envelope.
    components = schema["components"]["schemas"]
    assert {"ProductStatusEnum", "ErrorEnvelope"} <= set(components)
    assert not any(name.startswith("Status") for name in components)


@pytest.mark.usefixtures("schema_class")
def test_the_hosts_own_settings_win_over_the_defaults(client, settings):
    # The test host sets a TITLE (drf-spectacular reads it once, at import) but no VERSION.
    assert "VERSION" not in settings.SPECTACULAR_SETTINGS
    info = served_schema(client)["info"]

    assert info["title"] == settings.SPECTACULAR_SETTINGS["TITLE"] == "commerce test API"
    assert info["version"] == commerce.__version__


@override_settings(SPECTACULAR_SETTINGS={})
def test_the_docs_page_loads_swagger_ui_from_this_server(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>commerce API</title>" in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    # Nothing from another host (a CDN): every script, stylesheet and icon is local.
    # (Not a search for "cdn": the page's random CSRF token may contain it.)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert not re.search(r"jsdelivr|unpkg|cdnjs", page, re.IGNORECASE)
    assert "/api/schema/" in page


def test_the_defaults_keep_what_the_host_sets():
    with override_settings(SPECTACULAR_SETTINGS={"TITLE": "x", "VERSION": "1"}):
        defaults = schema_defaults()
    assert "TITLE" not in defaults
    assert "VERSION" not in defaults
    assert defaults["DESCRIPTION"] == SPECTACULAR_DEFAULTS["DESCRIPTION"]
    # Read by drf-spectacular at import: never patched per request.
    assert not any(key.startswith("SERVE_") for key in defaults)


def test_enum_overrides_keep_only_the_installed_apps():
    # drf-spectacular imports every entry's models: an app that is not installed fails.
    assert enum_name_overrides(["commerce.core", "commerce.catalog"]) == {
        "ProductStatusEnum": "commerce.catalog.models.Product.Status"
    }
    everything = ["commerce.catalog", "commerce.orders", "commerce.payments"]
    assert enum_name_overrides(everything) == SPECTACULAR_DEFAULTS["ENUM_NAME_OVERRIDES"]
