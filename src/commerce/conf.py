"""The ``COMMERCE`` settings object.

All of commerce's configuration lives in one ``COMMERCE`` dict in the host's
settings. ``commerce_settings`` reads it over :data:`DEFAULTS` at the moment an
attribute is asked for, resolves import strings on first use, and forgets
everything when Django's ``setting_changed`` fires, so ``override_settings``
reaches every reader. Never copy a value into a class attribute at import time.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

#: Every key ``COMMERCE`` accepts, with its default. The settings reference in
#: the docs is checked against this table by a test.
DEFAULTS: dict[str, Any] = {
    # Currency given to prices created without one.
    "DEFAULT_CURRENCY": "USD",
    # ISO 4217 codes a price may be in. An empty list allows any code known
    # to ISO 4217.
    "CURRENCIES": ["USD", "EUR", "GBP", "NGN"],
    # Page size for cursor-paginated lists, and the largest ``page_size`` a
    # client may ask for.
    "PAGE_SIZE": 20,
    "MAX_PAGE_SIZE": 100,
    # Low-stock threshold given to new stock records.
    "DEFAULT_LOW_STOCK_THRESHOLD": 5,
    # Whether members of an unverified vendor may create and edit products.
    "REQUIRE_VERIFIED_VENDOR": True,
    # Alias (a key of CACHES) where public catalog reads are cached; None turns it off.
    "CATALOG_CACHE": "default",
    # Seconds a cached catalog read is kept. Writes invalidate at once; this bounds
    # staleness only when an invalidation is lost (the cache was unreachable).
    "CATALOG_CACHE_TIMEOUT": 300,
    # Callable ``(user) -> bool``: whether a user may act as staff.
    "STAFF_CHECK": "commerce.core.permissions.is_staff_user",
    # Seconds an anonymous cart lives after its last change.
    "CART_TTL": 14 * 24 * 3600,
    # Most units of one variant a cart line may hold.
    "CART_MAX_LINE_QUANTITY": 99,
    # Most lines (distinct variants) a cart may hold; checkout refuses a larger cart.
    "CART_MAX_LINES": 100,
    # Most voucher codes one cart may hold.
    "CART_MAX_CODES": 5,
    # Most addresses a customer's address book may hold.
    "ADDRESS_BOOK_MAX_ENTRIES": 50,
    # Most variants one product may have.
    "PRODUCT_MAX_VARIANTS": 250,
    # Most images one product may have.
    "PRODUCT_MAX_IMAGES": 50,
    # Seconds an unpaid order holds its stock before commerce_expire_orders cancels it.
    "RESERVATION_TTL": 1800,
    # Seconds an Idempotency-Key and its stored response are kept.
    "IDEMPOTENCY_KEY_TTL": 24 * 3600,
    # Callable ``() -> str`` returning a new order number.
    "ORDER_NUMBER_GENERATOR": "commerce.orders.numbers.default_order_number",
    # Shipping rate strategies by name, {"name": "dotted.Class"}, added to the built-in
    # "flat", "order_value" and "weight" (an entry with a built-in's name replaces it).
    "SHIPPING_RATE_STRATEGIES": {},
    # Whether catalog prices (and shipping prices) include tax: the tax strategy
    # then takes tax out of them instead of adding it.
    "PRICES_INCLUDE_TAX": False,
    # Class whose instances compute tax in the pricing pipeline (see commerce.pricing.tax).
    "TAX_STRATEGY": "commerce.pricing.tax.NoTax",
    # Where tax is rounded to a whole minor unit: "unit", "line" or "document".
    "TAX_ROUNDING": "line",
    # Payment gateways by alias: {"alias": {"BACKEND": "dotted.Class", "OPTIONS": {...}}}.
    "PAYMENT_GATEWAYS": {},
    # Seconds a payment may wait in pending or processing before
    # commerce_reconcile_payments asks its gateway where it stands.
    "PAYMENT_RECONCILE_AFTER": 600,
    # Whether a full refund puts the order's items back in stock. Off: a
    # refund is money, not goods coming back; restock by hand when they do.
    "RESTOCK_ON_REFUND": False,
}

#: Keys whose values are dotted import strings, resolved on first use.
IMPORT_STRINGS: frozenset[str] = frozenset(
    {
        "STAFF_CHECK",
        "ORDER_NUMBER_GENERATOR",
        "TAX_STRATEGY",
    }
)


def import_from_string(value: str, setting_name: str) -> Any:
    """Import ``"package.module.attr"``; raise ``ImproperlyConfigured`` naming the setting."""
    try:
        module_path, attr = value.rsplit(".", 1)
        return getattr(import_module(module_path), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"Could not import {value!r} for COMMERCE[{setting_name!r}]: {exc}"
        ) from exc


class CommerceSettings:
    """Attribute access to ``settings.COMMERCE`` over :data:`DEFAULTS`."""

    def __init__(self, defaults: dict[str, Any], import_strings: frozenset[str]) -> None:
        self.defaults = defaults
        self.import_strings = import_strings
        self._cache: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, "COMMERCE", None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"Invalid COMMERCE setting: {name!r}")
        try:
            return self._cache[name]
        except KeyError:
            pass
        value = self.user_settings.get(name, self.defaults[name])
        if name in self.import_strings and isinstance(value, str):
            value = import_from_string(value, name)
        self._cache[name] = value
        return value

    def reload(self) -> None:
        """Forget cached values; the next read sees the current ``COMMERCE``."""
        self._cache.clear()


commerce_settings = CommerceSettings(DEFAULTS, IMPORT_STRINGS)


@receiver(setting_changed)
def _reload_commerce_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "COMMERCE":
        commerce_settings.reload()
