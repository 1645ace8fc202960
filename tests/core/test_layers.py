"""The import graph points down: core imports no domain app, and no app's API imports
another app's API.

Read from the source with :mod:`ast` (every ``import`` statement, including those
inside functions, which run later but are arrows all the same), so nothing is
imported to check it and the test runs on any host.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import commerce

SOURCE = Path(commerce.__file__).resolve().parent
#: The apps above core; each may import core, none of them is imported by core.
DOMAIN_APPS = ("catalog", "pricing", "promotions", "cart", "orders", "payments")
#: Each app and the apps above it (DESIGN.md's layers), which it must not import:
#: pricing knows promotions only through its discount-source registry, orders know
#: payments only through hooks payments registers.
ABOVE = {
    "catalog": ("pricing", "promotions", "cart", "orders", "payments"),
    "pricing": ("promotions", "cart", "orders", "payments"),
    "promotions": ("cart", "orders", "payments"),
    "cart": ("orders", "payments"),
    "orders": ("payments",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute (``from . import x`` resolved)."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            # ``from commerce import orders`` imports commerce.orders.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def modules_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def imports_of(folder: Path, targets: list[str]) -> list[str]:
    """``"module imports target"`` for every import under ``folder`` of a ``targets`` package."""
    return [
        f"{module_name(path)} imports {imported}"
        for path in modules_under(folder)
        for imported in sorted(imported_modules(path))
        if any(imported == target or imported.startswith(f"{target}.") for target in targets)
    ]


def test_the_walk_sees_every_kind_of_import(tmp_path, monkeypatch):
    package = tmp_path / "commerce" / "core" / "api"
    package.mkdir(parents=True)
    module = package / "probe.py"
    module.write_text(
        "import commerce.cart.models\n"
        "from commerce.orders import services\n"
        "from commerce import payments\n"
        "from ..money import Money\n"
        "from ...catalog.models import Product\n"
        "def later():\n"
        "    from commerce.orders.api.views import X\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(f"{__name__}.SOURCE", tmp_path / "commerce")
    assert module_name(module) == "commerce.core.api.probe"
    found = imports_of(tmp_path / "commerce" / "core", [f"commerce.{app}" for app in DOMAIN_APPS])
    assert found == [
        "commerce.core.api.probe imports commerce.cart.models",
        "commerce.core.api.probe imports commerce.catalog.models",
        "commerce.core.api.probe imports commerce.catalog.models.Product",
        "commerce.core.api.probe imports commerce.orders",
        "commerce.core.api.probe imports commerce.orders.api.views",
        "commerce.core.api.probe imports commerce.orders.api.views.X",
        "commerce.core.api.probe imports commerce.orders.services",
        "commerce.core.api.probe imports commerce.payments",
    ]


def test_core_imports_no_domain_app():
    assert modules_under(SOURCE / "core"), "commerce.core was not found; has the layout moved?"
    assert imports_of(SOURCE / "core", [f"commerce.{app}" for app in DOMAIN_APPS]) == []


def test_core_imports_nothing_of_commerce_but_core_settings_and_checks():
    # Not even a top-level module that knows the apps: the invariant checker was one.
    allowed = {"commerce", "commerce.core", "commerce.conf", "commerce.checks"}
    outside = [
        f"{module_name(path)} imports {imported}"
        for path in modules_under(SOURCE / "core")
        for imported in sorted(imported_modules(path))
        if imported.startswith("commerce.")
        and imported not in allowed
        and not imported.startswith(("commerce.core.", "commerce.conf.", "commerce.checks."))
    ]
    assert outside == []


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_an_apps_api_imports_no_other_apps_api(app):
    others = [f"commerce.{other}.api" for other in DOMAIN_APPS if other != app]
    assert modules_under(SOURCE / app / "api"), f"commerce.{app}.api was not found"
    assert imports_of(SOURCE / app / "api", others) == []


@pytest.mark.parametrize("app", ABOVE)
def test_an_app_imports_no_app_above_it(app):
    assert modules_under(SOURCE / app), f"commerce.{app} was not found"
    assert imports_of(SOURCE / app, [f"commerce.{above}" for above in ABOVE[app]]) == []
