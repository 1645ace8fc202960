"""The promotions app sits beside pricing, above the catalog: it imports neither the
cart, the orders nor the payments, and pricing does not import it."""

from __future__ import annotations

import ast
from pathlib import Path

import commerce

SOURCE = Path(commerce.__file__).resolve().parent


def imports_under(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
    return found


def test_promotions_imports_no_app_above_it():
    found = imports_under(SOURCE / "promotions")
    assert "commerce.pricing.discounts" in found, "the walk found nothing; has the layout moved?"
    above = ("commerce.cart", "commerce.orders", "commerce.payments")
    assert sorted(name for name in found if name.startswith(above)) == []


def test_pricing_does_not_import_promotions():
    found = imports_under(SOURCE / "pricing")
    assert sorted(name for name in found if name.startswith("commerce.promotions")) == []
