"""What the fault test's server and the test process must share: the cache and the gateways.

The dummy provider keeps its state in Django's cache, so the server's worker
processes and the test process (which confirms payments at the "provider" and
reconciles) need one cache they all see: a file-based one in a temporary
directory. Its entry limit is raised so that culling never drops a payment's
provider state.
"""

from __future__ import annotations

from tests import settings as base_settings


def caches(location: str) -> dict:
    """``CACHES`` with a file-based default cache at ``location``, shared across processes."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": location,
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }


def commerce(delay: float = 0.2) -> dict:
    """``COMMERCE`` of the test settings with its dummy gateways, plus ``dummy_timeout``.

    Stripe and Paystack are left out: a worker the test kills boots again
    faster without their SDKs.
    """
    gateways = {
        **{
            alias: gateway
            for alias, gateway in base_settings.COMMERCE["PAYMENT_GATEWAYS"].items()
            if gateway["BACKEND"] == "commerce.payments.gateways.dummy.DummyGateway"
        },
        "dummy_timeout": {
            "BACKEND": "tests.fault.gateways.TimingOutDummyGateway",
            "OPTIONS": {"delay": delay},
        },
    }
    return {**base_settings.COMMERCE, "PAYMENT_GATEWAYS": gateways}
