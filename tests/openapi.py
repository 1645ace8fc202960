"""The OpenAPI schema of the test host, generated once, for tests that read it."""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
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


# --- examples --------------------------------------------------------------------------------

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def _format_checker():
    import jsonschema

    checker = jsonschema.FormatChecker()
    checker.checks("decimal")(lambda value: not isinstance(value, str) or _DECIMAL.fullmatch(value))

    @checker.checks("date-time", raises=ValueError)
    def date_time(value) -> bool:
        if isinstance(value, str):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return checker


def json_schema(node: Any, direction: str) -> Any:
    """``node`` (an OpenAPI 3.0 schema) as a JSON Schema an example must match, for a
    ``direction`` (``"request"`` or ``"response"``) body.

    ``nullable`` becomes ``null`` allowed; an object that lists its properties admits
    no others (so a misspelt key in an example is caught); a request may not carry a
    read-only property, nor a response a write-only one.
    """
    if not isinstance(node, dict):
        return node
    converted = dict(node)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            converted[key] = json_schema(node[key], direction)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in node:
            converted[key] = [json_schema(item, direction) for item in node[key]]
    if "properties" in node:
        hidden = "readOnly" if direction == "request" else "writeOnly"
        converted["properties"] = {
            name: False if prop.get(hidden) else json_schema(prop, direction)
            for name, prop in node["properties"].items()
        }
        converted.setdefault("additionalProperties", False)
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def examples(schema: dict[str, Any]):
    """``(label, direction, media type schema, name, value)`` of every request and
    response example in ``schema``; ``label`` is ``"post /path/ 201"`` (no status for a
    request)."""
    for path, method, operation in operations(schema):
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, content in body.items():
            for name, example in content.get("examples", {}).items():
                label = f"{method} {path} {media_type}"
                yield label, "request", content["schema"], name, example["value"]
        for status, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    label = f"{method} {path} {status} {media_type}"
                    yield label, "response", content["schema"], name, example["value"]


def example_problems(schema: dict[str, Any]) -> dict[str, list[str]]:
    """``"label name" -> problems`` for every example of ``schema`` its own schema refuses."""
    import jsonschema

    schemas = schema.get("components", {}).get("schemas", {})
    components = {
        direction: {
            "schemas": {name: json_schema(node, direction) for name, node in schemas.items()}
        }
        for direction in ("request", "response")
    }
    checker = _format_checker()
    problems = {}
    for label, direction, media_schema, name, value in examples(schema):
        root = {**json_schema(media_schema, direction), "components": components[direction]}
        validator = jsonschema.Draft202012Validator(root, format_checker=checker)
        found = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(value)
        ]
        if found:
            problems[f"{label} {name}"] = found
    return problems
