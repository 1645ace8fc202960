"""The host configurations CI runs agree with each other and with what they install.

tox.ini's ``[testenv]`` runs pytest once per host (``--ds``); the noxfile's ``tests``
session runs the same hosts on the same paths. Every path exists (a renamed test
module cannot silently drop out of a host's run), every host is checked with
``django check`` before its tests, and the cart-and-promotions host installs no
orders or payments. ``@pytest.mark.requires_orders`` skips exactly where the orders
app is missing (this module runs in the cart-and-promotions host too).
"""

from __future__ import annotations

import ast
import configparser
import importlib
import shlex
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
CART_PROMOTIONS = "tests.projects.cart_promotions.settings"


def tox_commands() -> list[list[str]]:
    """``[testenv]`` commands, continuation lines joined, split like a shell would."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini")
    text = config["testenv"]["commands"].replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def tox_pytest_paths() -> dict[str, list[str]]:
    """The test paths of each ``pytest ... --ds <settings>`` command, by settings module."""
    hosts = {}
    for words in tox_commands():
        if words[0] == "pytest" and "--ds" in words:
            settings = words[words.index("--ds") + 1]
            hosts[settings] = words[1 : words.index("--ds")]
    return hosts


def noxfile_constant(name: str):
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"noxfile.py has no {name}")


def test_tox_runs_the_four_hosts():
    assert set(tox_pytest_paths()) == {
        "tests.projects.catalog_only.settings",
        CART_PROMOTIONS,
        "shop.settings",
    }
    assert ["pytest", "tests", "{posargs}"] in tox_commands()


@pytest.mark.parametrize("settings", ["tests.projects.catalog_only.settings", CART_PROMOTIONS])
def test_every_test_host_is_checked_before_its_tests(settings):
    checks = [w for w in tox_commands() if "check" in w and "--settings" in w]
    assert any(words[words.index("--settings") + 1] == settings for words in checks)


def test_every_path_a_host_runs_exists():
    for settings, paths in tox_pytest_paths().items():
        assert paths, settings
        for path in paths:
            assert (ROOT / path).exists(), f"{settings} runs {path}, which does not exist"


def test_nox_runs_the_cart_and_promotions_host_on_the_same_paths_as_tox():
    assert list(noxfile_constant("CART_PROMOTIONS_TESTS")) == tox_pytest_paths()[CART_PROMOTIONS]


def test_the_cart_and_promotions_host_installs_no_orders_or_payments():
    module = importlib.import_module(CART_PROMOTIONS)
    commerce = [app for app in module.INSTALLED_APPS if app.startswith("commerce.")]
    assert commerce == [
        "commerce.core",
        "commerce.catalog",
        "commerce.pricing",
        "commerce.promotions",
        "commerce.cart",
    ]


def test_requires_orders_skips_exactly_where_orders_is_missing(request):
    marked = [item for item in request.session.items if item.get_closest_marker("requires_orders")]
    skipped = [item for item in marked if item.get_closest_marker("skip")]
    assert skipped == ([] if apps.is_installed("commerce.orders") else marked)
