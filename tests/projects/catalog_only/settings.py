"""A second host: only ``commerce.core`` and ``commerce.catalog`` installed.

Everything else comes from :mod:`tests.settings`; whatever commerce apps that module
gains later (cart, orders, payments) are dropped here, so this host keeps proving that
the catalog works without them. Run with
``pytest tests/core tests/catalog --ds=tests.projects.catalog_only.settings``.
"""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS as _ALL_INSTALLED_APPS

COMMERCE_APPS = ["commerce.core", "commerce.catalog"]

INSTALLED_APPS = [
    *(app for app in _ALL_INSTALLED_APPS if not app.startswith("commerce.")),
    *COMMERCE_APPS,
]

# Name only the enums of the apps this host installs (the orders app is not here).
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "ENUM_NAME_OVERRIDES": {"ProductStatusEnum": "commerce.catalog.models.Product.Status"},
}
