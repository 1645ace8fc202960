"""One name per thing: no class under two names, no two classes under one name.

Read from the source with :mod:`ast`, so it runs on any host without importing the
apps that host leaves out.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import commerce

SOURCE = Path(commerce.__file__).resolve().parent


def modules() -> list[tuple[str, ast.Module]]:
    found = [
        (str(path.relative_to(SOURCE.parent)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
    ]
    assert len(found) > 50, "the commerce sources were not found; has the layout moved?"
    return found


def exported(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def second_names(tree: ast.Module) -> list[str]:
    """``alias = Class`` for a class of the module, and ``import X as Y`` re-exported as Y."""
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            if node.value.id in classes:
                found += [f"{t.id} = {node.value.id}" for t in node.targets]
        elif isinstance(node, ast.ImportFrom | ast.Import):
            found += [
                f"{alias.name} as {alias.asname}"
                for alias in node.names
                if alias.asname and alias.asname != alias.name and alias.asname in exported(tree)
            ]
    return found


def test_the_check_finds_a_second_name():
    tree = ast.parse(
        "from a import Thing as Other\n"
        "__all__ = ['Other', 'Error']\n"
        "class Error(Exception): ...\n"
        "Mistake = Error\n"
        "from b import c as d\n"  # not re-exported: a local shorthand
    )
    assert second_names(tree) == ["Thing as Other", "Mistake = Error"]


def test_no_class_has_a_second_name():
    found = {name: aliases for name, tree in modules() if (aliases := second_names(tree))}
    assert found == {}


def test_no_two_classes_share_a_name():
    where = defaultdict(list)
    for name, tree in modules():
        # Django finds a management command by its module, and insists on ``Command``.
        if "/management/commands/" in name:
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                where[node.name].append(name)
    assert {cls: names for cls, names in where.items() if len(names) > 1} == {}
