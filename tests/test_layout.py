"""Tests import plain helpers from helper modules, never from a ``conftest`` or a ``test_*`` module.

A helper imported from a ``conftest`` or from another test module ties test
files to each other's insides and hides the helper where the next reader does
not look for one (and an imported test function is collected twice). Fixtures
reach tests through pytest; plain helpers live in modules such as
``tests/helpers.py`` or ``tests/orders/helpers.py``. Read with :mod:`ast`, so
nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Every tree of test code: the library's tests, the benchmarks, the demo host's tests.
TREES = [ROOT / "tests", ROOT / "benchmarks", ROOT / "example_project"]


def is_forbidden(module: str) -> bool:
    """Whether ``module`` (dotted, possibly relative) names a conftest or a ``test_*`` module."""
    last = module.rstrip(".").rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def forbidden_imports(source: str) -> list[str]:
    """Every import in ``source`` of a conftest or ``test_*`` module, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if is_forbidden(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module and is_forbidden(node.module):
                found.append(module)
            elif node.level or (node.module or "").split(".")[0] == "tests":
                # ``from tests.orders import conftest`` / ``from . import test_admin``.
                found += [
                    f"{module}.{alias.name}".replace("..", ".")
                    for alias in node.names
                    if is_forbidden(alias.name)
                ]
    return found


@pytest.mark.parametrize(
    "source",
    [
        "from tests.orders.conftest import place",
        "from tests.conftest import client_for",
        "from tests.catalog.test_admin import admin_url",
        "from tests.test_invariants import found",
        "import tests.conftest",
        "from tests.orders import conftest",
        "from .conftest import money",
        "from . import test_admin",
        "def f():\n    from tests.orders.conftest import place\n",
    ],
)
def test_the_check_finds_every_way_of_importing_a_conftest_or_test_module(source):
    assert forbidden_imports(source)


def test_the_check_lets_helper_modules_through():
    source = (
        "from tests.helpers import money\n"
        "from tests.orders.helpers import place\n"
        "from tests.payments import fakes\n"
        "import pytest\n"
    )
    assert forbidden_imports(source) == []


def test_no_module_imports_a_conftest_or_a_test_module():
    offenders = {
        str(path.relative_to(ROOT)): imports
        for tree in TREES
        if tree.is_dir()
        for path in sorted(tree.rglob("*.py"))
        if (imports := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "move these helpers into a helper module: " + repr(offenders)
