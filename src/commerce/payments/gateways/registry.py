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

from collections.abc import Iterable
from importlib.metadata import entry_points
from threading import Lock
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from commerce.conf import commerce_settings
from commerce.core.exceptions import CommerceValidationError
from commerce.payments.exceptions import GatewayConfigurationError
from commerce.payments.gateways.base import PaymentGateway

#: Entry-point group under which installed plugins announce their gateway classes.
ENTRY_POINT_GROUP = "commerce.payment_gateways"


class UnknownGatewayError(CommerceValidationError, GatewayConfigurationError):
    """No gateway is configured under this alias (400 ``unknown_gateway``).

    ``details["gateway"]`` names the configured aliases. It is also a
    :class:`~commerce.payments.exceptions.GatewayConfigurationError` for code
    that looks a stored alias up after it was removed from the settings.
    """

    default_code = "unknown_gateway"

    def __init__(self, alias: str, configured: Iterable[str] = ()) -> None:
        self.alias = alias
        choices = ", ".join(sorted(configured)) or "none configured"
        super().__init__(
            f"No payment gateway is configured as {alias!r}.",
            details={"gateway": [f"Choose one of: {choices}."]},
        )


def build_gateway(alias: str, config: Any) -> PaymentGateway:
    """A new gateway built from one ``COMMERCE["PAYMENT_GATEWAYS"]`` entry (not cached).

    Raises :class:`~commerce.payments.exceptions.GatewayConfigurationError`
    saying what is wrong with the entry; the system checks report that
    message as ``commerce.E011``.
    """
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
        raise GatewayConfigurationError(f"{config['BACKEND']} is not a PaymentGateway subclass.")
    return backend(alias=alias, options=config.get("OPTIONS") or {})


class GatewayRegistry:
    """The gateways of ``COMMERCE["PAYMENT_GATEWAYS"]``, each built once, on first use."""

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
                configured = self.configured()
                if alias not in configured:
                    raise UnknownGatewayError(alias, configured)
                gateway = self._instances[alias] = build_gateway(alias, configured[alias])
            return gateway

    def all(self) -> dict[str, PaymentGateway]:
        return {alias: self.get(alias) for alias in self.aliases()}

    def reset(self) -> None:
        with self._lock:
            self._instances.clear()


#: The process-wide registry.
gateways = GatewayRegistry()


def get_gateway(alias: str) -> PaymentGateway:
    """The gateway configured as ``alias``: the one way commerce looks a gateway up.

    Raises :class:`UnknownGatewayError` (a 400 in the API) when no gateway is
    configured under ``alias``, and
    :class:`~commerce.payments.exceptions.GatewayConfigurationError` when its
    entry cannot be built. Callers that answer differently (the webhook
    endpoint's 404, a best-effort release) catch it.
    """
    return gateways.get(alias)


def installed_gateway_classes() -> dict[str, str]:
    """Gateway classes that installed packages announce in the ``commerce.payment_gateways``
    entry-point group, as ``{entry point name: "module:Class"}`` (not imported)."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


@receiver(setting_changed)
def _reset_gateways(*, setting: str, **kwargs: Any) -> None:
    if setting == "COMMERCE":
        gateways.reset()
