"""Sphinx configuration for the commerce documentation.

The build is offline: no intersphinx inventories are fetched, and the furo
theme ships its own assets.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]

# ``tests.settings`` is the minimal host that autodoc imports the apps under.
sys.path.insert(0, str(ROOT))
try:
    import commerce  # noqa: F401  (installed in the docs environment)
except ImportError:
    # A local build straight from a checkout, without the package installed.
    sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from commerce import __version__  # noqa: E402

project = "commerce"
author = "The commerce maintainers"
copyright = "the commerce maintainers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []

# Autodoc: types in the signatures, which stay short enough to read.
autodoc_default_options = {
    "members": True,
    "member-order": "bysource",
    "show-inheritance": True,
}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

# CHANGELOG.md follows Keep a Changelog, which may skip heading levels; that
# is fine for an included page and not worth failing the build over.
suppress_warnings = ["myst.header"]

html_theme = "furo"
html_title = f"commerce {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
