"""The gateway registry: gateways built from ``COMMERCE["PAYMENT_GATEWAYS"]`` by alias.

::

    COMMERCE = {
        "PAYMENT_GATEWAYS": {
            "stripe": {
                "BACKEND": "commerce.payments.gateways.stripe.StripeGateway",
                "OPTIONS": {"secret_key": "...", "webhook_secret": "..."},
            },
        },
    }

Built explicitly from settings (no autodiscovery), one instance per alias,
cached until ``COMMERCE`` changes (``override_settings`` included).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from threading import Lock
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from commerce.conf import commerce_settings
from commerce.payments.exceptions import GatewayConfigurationError
from commerce.payments.gateways.base import PaymentGateway

#: Entry-point group under which installed plugins announce their gateway classes.
ENTRY_POINT_GROUP = "commerce.payment_gateways"


class UnknownGatewayError(GatewayConfigurationError):
    """No gateway is configured under this alias."""


class GatewayRegistry:
    def __init__(self) -> None:
        self._instances: dict[str, PaymentGateway] = {}
        self._lock = Lock()

    @staticmethod
    def configured() -> dict[str, dict[str, Any]]:
        """``COMMERCE["PAYMENT_GATEWAYS"]`` as it is now."""
        return dict(commerce_settings.PAYMENT_GATEWAYS or {})

    def aliases(self) -> list[str]:
        return sorted(self.configured())

    def get(self, alias: str) -> PaymentGateway:
        """The gateway configured as ``alias``; :class:`UnknownGatewayError` if none is."""
        with self._lock:
            gateway = self._instances.get(alias)
            if gateway is None:
                gateway = self._instances[alias] = self._build(alias)
            return gateway

    def all(self) -> dict[str, PaymentGateway]:
        return {alias: self.get(alias) for alias in self.aliases()}

    def reset(self) -> None:
        with self._lock:
            self._instances.clear()

    def _build(self, alias: str, configured: dict[str, Any] | None = None) -> PaymentGateway:
        config = (self.configured() if configured is None else configured).get(alias)
        if config is None:
            raise UnknownGatewayError(f"No payment gateway is configured as {alias!r}.")
        if not isinstance(config, dict) or "BACKEND" not in config:
            raise GatewayConfigurationError(
                f'COMMERCE["PAYMENT_GATEWAYS"][{alias!r}] needs a "BACKEND" import string.'
            )
        try:
            backend = import_string(config["BACKEND"])
        except ImportError as exc:
            raise GatewayConfigurationError(
                f'Cannot import COMMERCE["PAYMENT_GATEWAYS"][{alias!r}]["BACKEND"]: {exc}'
            ) from exc
        if not (isinstance(backend, type) and issubclass(backend, PaymentGateway)):
            raise GatewayConfigurationError(
                f"{config['BACKEND']} is not a PaymentGateway subclass."
            )
        return backend(alias=alias, options=config.get("OPTIONS") or {})


#: The process-wide registry.
gateways = GatewayRegistry()


def get_gateway(alias: str) -> PaymentGateway:
    """Shortcut for ``gateways.get(alias)``."""
    return gateways.get(alias)


def build_gateway(alias: str, configured: dict[str, Any]) -> PaymentGateway:
    """Build the gateway that ``configured[alias]`` describes, now and uncached.

    ``configured`` has the shape of ``COMMERCE["PAYMENT_GATEWAYS"]``. Raises
    :class:`UnknownGatewayError` or :class:`GatewayConfigurationError` (an
    ``ImproperlyConfigured``) saying what is wrong, exactly as the registry
    would on first use; the system checks call it to report a bad entry at
    startup without touching the process-wide registry.
    """
    return GatewayRegistry()._build(alias, configured)


def installed_gateway_classes() -> dict[str, str]:
    """Gateway classes that installed packages announce in the ``commerce.payment_gateways``
    entry-point group, as ``{entry point name: "module:Class"}`` (not imported)."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


@receiver(setting_changed)
def _reset_gateways(*, setting: str, **kwargs: Any) -> None:
    if setting == "COMMERCE":
        gateways.reset()
