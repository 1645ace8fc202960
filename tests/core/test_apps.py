"""Apps that need other commerce apps say so clearly at startup."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from commerce.core.apps import require_installed


def test_require_installed_passes_when_everything_is_there():
    require_installed("commerce.orders", "commerce.core", "commerce.catalog")


def test_require_installed_names_what_is_missing():
    with pytest.raises(ImproperlyConfigured, match=r"commerce\.cart needs not\.an\.app, nor\.this"):
        require_installed("commerce.cart", "commerce.core", "not.an.app", "nor.this")


def test_a_host_that_forgets_the_cart_gets_a_clear_error(tmp_path):
    # A fresh interpreter: app loading cannot be redone inside this one.
    (tmp_path / "no_cart_settings.py").write_text(
        "from tests.settings import *  # noqa\n"
        "INSTALLED_APPS = [a for a in INSTALLED_APPS if a != 'commerce.cart']\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "no_cart_settings",
            "PYTHONPATH": f"{tmp_path}:.",
            "PATH": "",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "commerce.orders needs commerce.cart in INSTALLED_APPS" in result.stderr
