"""Package metadata agrees with what the project tests.

The Django versions in ``pyproject.toml``'s classifiers are exactly the Django
factors of tox's matrix (``django52: Django>=5.2,<5.3`` ...), so a version added
to or dropped from the matrix cannot be left out of (or kept in) the metadata.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A factor's dependency line in tox.ini's [testenv] deps: "    django61: Django>=6.1,<6.2".
TOX_DJANGO_FACTOR = re.compile(r"^\s*django(\d)(\d+):\s*Django\b", re.MULTILINE)
CLASSIFIER = re.compile(r"^Framework :: Django :: (\d+\.\d+)$")


def tox_django_versions() -> set[str]:
    text = (ROOT / "tox.ini").read_text()
    return {f"{major}.{minor}" for major, minor in TOX_DJANGO_FACTOR.findall(text)}


def classifier_django_versions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {m[1] for c in project["classifiers"] if (m := CLASSIFIER.match(c))}


def test_tox_matrix_is_read():
    # Guards the comparison below against a pattern that silently matches nothing.
    assert {"5.2", "6.0"} <= tox_django_versions()


def test_classifiers_list_exactly_the_django_versions_tox_tests():
    assert classifier_django_versions() == tox_django_versions()


def test_every_matrix_factor_is_in_an_environment():
    # A deps factor no environment uses would be counted above but never run.
    env_list = (ROOT / "tox.ini").read_text().split("[testenv]", 1)[0]
    for version in tox_django_versions():
        factor = "django" + version.replace(".", "")
        braced = re.search(r"django\{[^}]*\b" + version.replace(".", "") + r"\b", env_list)
        assert factor in env_list or braced, f"{factor} has deps but no tox environment"
