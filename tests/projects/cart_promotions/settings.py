"""A third host: the shop without checkout, ``commerce.core``, ``catalog``, ``pricing``,
``promotions`` and ``cart`` installed, ``orders`` and ``payments`` not.

A host that only prices carts (a quote tool, a storefront that checks out elsewhere)
still gets discounts, codes, shipping and tax. Everything else comes from
:mod:`tests.settings`; tests that need the orders app say so with
``@pytest.mark.requires_orders`` and are skipped here with that reason. tox.ini's
``[testenv]`` (and the noxfile's ``CART_PROMOTIONS_TESTS``) name the paths this host
runs: ``pytest tests/pricing tests/promotions tests/cart ...
--ds=tests.projects.cart_promotions.settings``.
"""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS as _ALL_INSTALLED_APPS

COMMERCE_APPS = [
    "commerce.core",
    "commerce.catalog",
    "commerce.pricing",
    "commerce.promotions",
    "commerce.cart",
]

INSTALLED_APPS = [
    *(app for app in _ALL_INSTALLED_APPS if not app.startswith("commerce.")),
    *COMMERCE_APPS,
]

# Name only the enums of the apps this host installs (orders and payments are not here).
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "ENUM_NAME_OVERRIDES": {"ProductStatusEnum": "commerce.catalog.models.Product.Status"},
}

# No payment gateways without the payments app.
COMMERCE = {key: value for key, value in COMMERCE.items() if key != "PAYMENT_GATEWAYS"}  # noqa: F405
