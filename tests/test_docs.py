"""The reference pages in docs/ are checked against the code, so they cannot drift.

- ``docs/reference/settings.rst`` documents every key of ``commerce.conf.DEFAULTS``
  (a ``.. confval::`` with its default) and nothing else, and every system check id
  that ``commerce/checks.py`` can emit.
- ``docs/reference/api.rst`` lists exactly the endpoints the URL configuration has.
- ``docs/topics/errors.rst`` lists every ``CommerceError`` code with its status.

These read the ``.rst`` sources, so they need no Sphinx; ``tox -e docs`` builds them.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from django.urls import include, path
from drf_spectacular.generators import EndpointEnumerator

import commerce.checks
from commerce.conf import DEFAULTS
from commerce.core import exceptions

DOCS = Path(__file__).resolve().parents[1] / "docs"
SETTINGS_PAGE = DOCS / "reference" / "settings.rst"
API_PAGE = DOCS / "reference" / "api.rst"
ERRORS_PAGE = DOCS / "topics" / "errors.rst"

CONFVAL = re.compile(
    r"^\.\. confval:: (?P<name>\S+)[ ]*\n(?P<options>(?:[ ]{3}:[\w-]+:.*\n)*)", re.MULTILINE
)
OPTION = re.compile(r"^[ ]{3}:(?P<key>[\w-]+):[ ]*(?P<value>.*?)[ ]*$", re.MULTILINE)
LITERAL = re.compile(r"^``(?P<value>.+)``$")
CHECK_ID = re.compile(r"commerce\.[EW]\d{3}")
# A row of the endpoint tables: "* - ``GET``" then "- ``/api/v1/...``".
ENDPOINT_ROW = re.compile(
    r"^\s*\* - ``(?P<method>[A-Z]+)``\n\s+- ``(?P<path>/api/v1/[^`]*)``", re.M
)
# A row of the error code table: "* - ``code``" then "- 404".
ERROR_ROW = re.compile(r"^\s*\* - ``(?P<code>[a-z_]+)``\n\s+- (?P<status>\d{3})\b", re.MULTILINE)


def documented_settings() -> dict[str, dict[str, str]]:
    """``{name: {option: value}}`` for every ``.. confval::`` on the settings page."""
    found: dict[str, dict[str, str]] = {}
    for match in CONFVAL.finditer(SETTINGS_PAGE.read_text(encoding="utf-8")):
        name = match["name"]
        assert name not in found, f"{name} is documented twice in {SETTINGS_PAGE.name}"
        found[name] = {m["key"]: m["value"] for m in OPTION.finditer(match["options"])}
    return found


def test_settings_page_documents_exactly_the_defaults():
    documented = set(documented_settings())
    missing = sorted(set(DEFAULTS) - documented)
    extra = sorted(documented - set(DEFAULTS))
    assert not missing, f"COMMERCE keys missing from {SETTINGS_PAGE.name}: {missing}"
    assert not extra, f"{SETTINGS_PAGE.name} documents keys DEFAULTS lacks: {extra}"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_settings_page_shows_the_current_default(key):
    options = documented_settings().get(key)
    assert options is not None, f"{key} is not documented"
    assert options.get("type"), f"{key} has no :type:"
    literal = LITERAL.match(options.get("default", ""))
    assert literal, f"{key} needs ':default: ``<python literal>``', got {options.get('default')!r}"
    shown = ast.literal_eval(literal["value"])
    expected = DEFAULTS[key]
    # Compare types too: True == 1 and 5 == 5.0, but the page must not say so.
    assert (type(shown), shown) == (type(expected), expected), (
        f"{key}: the docs say {shown!r}, commerce.conf.DEFAULTS says {expected!r}"
    )


def test_settings_page_lists_every_system_check_id():
    emitted = set(CHECK_ID.findall(inspect.getsource(commerce.checks)))
    documented = set(CHECK_ID.findall(SETTINGS_PAGE.read_text(encoding="utf-8")))
    assert emitted, "found no check ids in commerce.checks; has the id format changed?"
    assert not emitted - documented, f"undocumented check ids: {sorted(emitted - documented)}"
    assert not documented - emitted, (
        f"documented ids no check emits: {sorted(documented - emitted)}"
    )


def _normalize(route: str) -> str:
    """``/products/{product_slug}/images/{pk}/`` and ``.../{slug}/images/{id}/`` are one route."""
    return re.sub(r"\{[^}]+\}", "{}", route)


def test_api_page_lists_exactly_the_endpoints():
    patterns = [path("api/v1/", include("commerce.urls"))]
    routed = {
        (method, _normalize(route))
        for route, _regex, method, _view in EndpointEnumerator(patterns).get_api_endpoints()
    }
    documented = {
        (m["method"], _normalize(m["path"]))
        for m in ENDPOINT_ROW.finditer(API_PAGE.read_text(encoding="utf-8"))
    }
    assert routed, "the URL configuration has no API endpoints"
    assert not routed - documented, f"endpoints missing from api.rst: {sorted(routed - documented)}"
    assert not documented - routed, (
        f"api.rst lists endpoints that do not exist: {sorted(documented - routed)}"
    )


def _commerce_errors() -> list[type[exceptions.CommerceError]]:
    # A set: InsufficientStock is an alias of InsufficientStockError.
    classes = {
        obj
        for obj in vars(exceptions).values()
        if isinstance(obj, type) and issubclass(obj, exceptions.CommerceError)
    }
    return sorted(classes, key=lambda error: error.__name__)


@pytest.mark.parametrize("error", _commerce_errors(), ids=lambda error: error.__name__)
def test_errors_page_lists_every_code_with_its_status(error):
    text = ERRORS_PAGE.read_text(encoding="utf-8")
    rows = {m["code"]: int(m["status"]) for m in ERROR_ROW.finditer(text)}
    assert rows.get(error.default_code) == error.status_code, (
        f"{error.__name__}: errors.rst should list ``{error.default_code}`` as "
        f"{error.status_code}, it has {rows.get(error.default_code)}"
    )
    assert error.__name__ in text, f"{error.__name__} is missing from the hierarchy in errors.rst"
