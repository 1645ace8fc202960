"""The reference pages in docs/ are checked against the code, so they cannot drift.

- ``docs/reference/settings.rst`` documents every key of ``commerce.conf.DEFAULTS``
  (a ``.. confval::`` with its default) and nothing else, and every system check id
  that ``commerce/checks.py`` can emit.
- ``docs/reference/api.rst`` lists exactly the endpoints the URL configuration has.
- ``docs/topics/errors.rst`` lists every ``CommerceError`` subclass (from every
  ``commerce.*.exceptions`` module and ``commerce.core.idempotency``) with its code and
  status, and every more specific ``code=`` the source raises one of them with.
- ``docs/topics/orders.rst`` has exactly the order state machine's transitions.
- ``docs/topics/payments.rst`` has exactly the payment and refund state machines' transitions.
- ``docs/reference/signals.rst`` documents every signal in a ``commerce.*.signals`` module.

These read the ``.rst`` sources, so they need no Sphinx; ``tox -e docs`` builds them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from django.dispatch import Signal
from django.urls import include, path
from drf_spectacular.generators import EndpointEnumerator

import commerce
import commerce.checks
from commerce.conf import DEFAULTS
from commerce.core import exceptions
from commerce.orders.models import Order
from commerce.payments.models import Payment, Refund

DOCS = Path(__file__).resolve().parents[1] / "docs"
SETTINGS_PAGE = DOCS / "reference" / "settings.rst"
API_PAGE = DOCS / "reference" / "api.rst"
ERRORS_PAGE = DOCS / "topics" / "errors.rst"
ORDERS_PAGE = DOCS / "topics" / "orders.rst"
PAYMENTS_PAGE = DOCS / "topics" / "payments.rst"
SIGNALS_PAGE = DOCS / "reference" / "signals.rst"
SOURCE = Path(commerce.__file__).resolve().parent

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
# A row of the transition table: "* - ``name``", "- ``from``[, ``from``...]", "- ``to``".
TRANSITION_ROW = re.compile(
    r"^\s*\* - ``(?P<name>\w+)``\n"
    r"\s+- (?P<sources>``\w+``(?:, ``\w+``)*)\n"
    r"\s+- ``(?P<target>\w+)``$",
    re.MULTILINE,
)


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


def _modules(pattern: str) -> list:
    """Import every ``commerce`` module whose file matches ``pattern`` (``*/exceptions.py``)."""
    names = [
        ".".join(("commerce", *module_file.relative_to(SOURCE).with_suffix("").parts))
        for module_file in sorted(SOURCE.rglob(pattern))
    ]
    return [importlib.import_module(name) for name in names]


def _error_modules() -> list:
    modules = _modules("exceptions.py")
    assert exceptions in modules, "commerce.core.exceptions was not found; has the layout moved?"
    return [*modules, importlib.import_module("commerce.core.idempotency")]


def _commerce_errors() -> list[type[exceptions.CommerceError]]:
    # A set: InsufficientStock is an alias of InsufficientStockError.
    classes = {
        obj
        for module in _error_modules()
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, exceptions.CommerceError)
        and obj.__module__ == module.__name__
    }
    return sorted(classes, key=lambda error: error.__name__)


def _documented_errors() -> set[tuple[str, int]]:
    """``(code, status)`` for every row of the error table; one code may have two statuses."""
    text = ERRORS_PAGE.read_text(encoding="utf-8")
    return {(m["code"], int(m["status"])) for m in ERROR_ROW.finditer(text)}


def test_the_error_scan_finds_the_app_errors():
    names = {error.__name__ for error in _commerce_errors()}
    expected = {"CartNotFoundError", "InvalidTransitionError", "IdempotencyKeyReusedError"}
    assert expected <= names, f"the scan missed {sorted(expected - names)}"


@pytest.mark.parametrize("error", _commerce_errors(), ids=lambda error: error.__name__)
def test_errors_page_lists_every_code_with_its_status(error):
    text = ERRORS_PAGE.read_text(encoding="utf-8")
    documented = _documented_errors()
    listed = sorted(status for code, status in documented if code == error.default_code)
    assert (error.default_code, error.status_code) in documented, (
        f"{error.__name__}: errors.rst should list ``{error.default_code}`` as "
        f"{error.status_code}, it has {listed or 'no row'}"
    )
    hierarchy = re.search(
        r"^The exception hierarchy\n-+\n(?:.*\n)*?\.\. code-block:: text\n\n"
        r"(?P<body>(?:(?:[ ]{3}.*)?\n)+)",
        text,
        re.MULTILINE,
    )
    assert hierarchy, "errors.rst has no text block under 'The exception hierarchy'"
    assert re.search(rf"\b{error.__name__}\b", hierarchy["body"]), (
        f"{error.__name__} is missing from the hierarchy in errors.rst"
    )


def _explicit_codes() -> list[tuple[str, str, int]]:
    """``(where, code, status)`` for every ``SomeError(..., code="...")`` in the source."""
    errors = {error.__name__: error for error in _commerce_errors()}
    found = []
    for source_file in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(source_file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in errors:
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    where = f"{source_file.relative_to(SOURCE)}:{node.lineno}"
                    found.append((where, keyword.value.value, errors[name].status_code))
    return found


def test_the_code_scan_finds_explicit_codes():
    assert "invalid_quantity" in {code for _where, code, _status in _explicit_codes()}


@pytest.mark.parametrize(
    ("where", "code", "status"), _explicit_codes(), ids=lambda value: str(value)
)
def test_errors_page_lists_every_explicit_code(where, code, status):
    assert (code, status) in _documented_errors(), (
        f"{where} raises code {code!r} ({status}); add it to the table in errors.rst"
    )


def test_orders_page_has_exactly_the_state_machine():
    field = Order._meta.get_field("status")
    actual = {
        (transition.name, transition.source, transition.target)
        for transition in field.get_all_transitions(Order)
    }
    documented = {
        (m["name"], source.strip("`"), m["target"])
        for m in TRANSITION_ROW.finditer(ORDERS_PAGE.read_text(encoding="utf-8"))
        for source in m["sources"].split(", ")
    }
    assert actual, "Order has no transitions"
    assert not actual - documented, (
        f"transitions missing from orders.rst: {sorted(actual - documented)}"
    )
    assert not documented - actual, (
        f"orders.rst lists transitions Order lacks: {sorted(documented - actual)}"
    )


def test_orders_page_shows_every_status():
    text = ORDERS_PAGE.read_text(encoding="utf-8")
    diagram = re.search(
        r"^The state machine\n-+\n\n\.\. code-block:: text\n\n(?P<body>(?:(?:[ ]{3}.*)?\n)+)",
        text,
        re.MULTILINE,
    )
    assert diagram, "orders.rst has no text diagram under 'The state machine'"
    for status in Order.Status.values:
        assert f"``{status}``\n" in text, f"status {status!r} is not described in orders.rst"
        assert re.search(rf"\b{status}\b", diagram["body"]), (
            f"status {status!r} is missing from the state diagram"
        )


def test_signals_page_documents_every_signal():
    signals = {
        f"{module.__name__}.{name}"
        for module in _modules("signals.py")
        for name, obj in vars(module).items()
        if isinstance(obj, Signal)
    }
    documented = set(
        re.findall(r"^\.\. data:: (\S+)$", SIGNALS_PAGE.read_text(encoding="utf-8"), re.M)
    )
    assert "commerce.orders.signals.order_placed" in signals
    assert not signals - documented, f"undocumented signals: {sorted(signals - documented)}"
    assert not documented - signals, (
        f"documented signals that do not exist: {sorted(documented - signals)}"
    )


def _section(text: str, title: str) -> str:
    """The body of the section headed ``title``, up to the next heading of any level."""
    match = re.search(
        rf"^{re.escape(title)}\n[=~-]{{3,}}\n(?P<body>.*?)(?=^[^\n]+\n[=~-]{{3,}}\n|\Z)",
        text,
        re.MULTILINE | re.DOTALL,
    )
    assert match, f"{PAYMENTS_PAGE.name} has no section {title!r}"
    return match["body"]


# The payment state machine is documented under "The state machine", the refund's
# under "Refund states"; both models have a transition named ``fail``.
PAYMENT_MACHINES = [(Payment, "The state machine"), (Refund, "Refund states")]


@pytest.mark.parametrize(("model", "title"), PAYMENT_MACHINES, ids=["Payment", "Refund"])
def test_payments_page_has_exactly_the_state_machines(model, title):
    field = model._meta.get_field("status")
    actual = {
        (transition.name, transition.source, transition.target)
        for transition in field.get_all_transitions(model)
    }
    section = _section(PAYMENTS_PAGE.read_text(encoding="utf-8"), title)
    documented = {
        (m["name"], source.strip("`"), m["target"])
        for m in TRANSITION_ROW.finditer(section)
        for source in m["sources"].split(", ")
    }
    assert actual, f"{model.__name__} has no transitions"
    assert not actual - documented, (
        f"{model.__name__} transitions missing from {title!r} in payments.rst: "
        f"{sorted(actual - documented)}"
    )
    assert not documented - actual, (
        f"{title!r} in payments.rst lists transitions {model.__name__} lacks: "
        f"{sorted(documented - actual)}"
    )


@pytest.mark.parametrize(("model", "title"), PAYMENT_MACHINES, ids=["Payment", "Refund"])
def test_payments_page_diagrams_every_status(model, title):
    section = _section(PAYMENTS_PAGE.read_text(encoding="utf-8"), title)
    diagram = re.match(r"\s*\.\. code-block:: text\n\n(?P<body>(?:(?:[ ]{3}.*)?\n)+)", section)
    assert diagram, f"payments.rst has no text diagram at the top of {title!r}"
    for status in model.Status.values:
        assert re.search(rf"(?<![\w]){status}(?![\w])", diagram["body"]), (
            f"{model.__name__} status {status!r} is missing from the diagram under {title!r}"
        )


def test_payments_page_describes_every_payment_status():
    statuses = _section(PAYMENTS_PAGE.read_text(encoding="utf-8"), "Statuses")
    for status in Payment.Status.values:
        assert f"``{status}``\n" in statuses, f"status {status!r} is not described in payments.rst"
