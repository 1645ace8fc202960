"""The OpenAPI schema of the test host, generated once, for tests that read it."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from drf_spectacular.generators import SchemaGenerator

HTTP_METHODS = ("get", "put", "post", "patch", "delete")


@functools.cache
def _generated(urlconf: str | None) -> str:
    return json.dumps(SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True))


def openapi_schema(urlconf: str | None = None) -> dict[str, Any]:
    """The schema drf-spectacular serves for ``urlconf`` (default ``ROOT_URLCONF``); a copy."""
    return json.loads(_generated(urlconf))


def operations(schema: dict[str, Any]):
    """``(path, method, operation)`` for every operation in ``schema``."""
    for path, item in schema["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def component_refs(schema: dict[str, Any]) -> set[str]:
    """Names of every component ``schema`` refers to with ``$ref``."""
    return set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schema)))


def body_schema(schema: dict[str, Any], path: str, method: str, media_type="application/json"):
    """The component a request body refers to, resolved."""
    ref = schema["paths"][path][method]["requestBody"]["content"][media_type]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def response_content(schema: dict[str, Any], path: str, method: str, status: str):
    return schema["paths"][path][method]["responses"][status].get("content", {})


def parameters_named(schema, location: str, name: str):
    """``("method /path/", schema)`` of every ``location`` parameter called ``name``."""
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if (parameter["in"], parameter["name"]) == (location, name):
                yield f"{method} {path}", parameter["schema"]
