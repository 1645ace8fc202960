"""Settings of the benchmark host: the demo shop's production settings, plus the ceiling.

Everything the shop reads from the environment still applies (``DATABASE_URL``,
``CACHE_URL``, ``CONN_MAX_AGE``...); ``benchmarks/run.py`` sets those. On top:

- ``DEBUG`` is forced off, whatever the environment says: a benchmark of a
  debug server measures the query log.
- The benchmark app (``benchhost``) is installed and its URLconf mounts the
  ceiling endpoint next to the shop's URLs; the library never ships it.
- Throttle rates are raised so high that no scenario reaches them: every
  request comes from 127.0.0.1, so a production rate would turn the run into
  a test of the throttle. The throttle classes still run (their cache reads
  and writes are part of what production pays).
- The dummy gateway signs its webhooks with ``BENCH_WEBHOOK_SECRET``, which
  the load generator also knows, so the webhook scenario sends real signed
  deliveries.
- ``BENCH_CATALOG_CACHE`` (``on``/``off``) turns commerce's catalog cache on or
  off when this version of commerce has one (see :func:`catalog_cache_settings`).
"""

import os

from commerce.conf import DEFAULTS as COMMERCE_DEFAULTS
from shop.settings import *  # noqa: F403
from shop.settings import COMMERCE, DATABASES, INSTALLED_APPS, REST_FRAMEWORK

DEBUG = False
# The load generator speaks plain HTTP to 127.0.0.1; TLS ends at a proxy in
# production, so a redirect to HTTPS here would only measure the redirect.
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [*INSTALLED_APPS, "benchhost"]
ROOT_URLCONF = "benchhost.urls"
WSGI_APPLICATION = "benchhost.wsgi.application"

DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
    "COMMERCE_TEST_DB_NAME", "test_commerce_bench"
)

#: A rate no loopback load generator reaches, for every throttle scope the shop defines.
UNREACHABLE_RATE = "1000000/second"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(
        REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}), UNREACHABLE_RATE
    ),
}

BENCH_WEBHOOK_SECRET = os.environ.get(
    "BENCH_WEBHOOK_SECRET", "bench-webhook-secret-not-for-production"
)


def catalog_cache_settings(enabled: bool) -> dict:
    """The ``COMMERCE`` keys that turn the catalog cache on or off, if commerce has one.

    ``CATALOG_CACHE`` names the cache alias (the shop's ``default``: LocMem, or
    Redis with ``CACHE_URL``); ``None`` turns caching off. Returns ``{}`` when
    this version of commerce has no catalog cache; ``run.py`` then measures the
    uncached catalog only and says so.
    """
    if "CATALOG_CACHE" not in COMMERCE_DEFAULTS:
        return {}
    return {"CATALOG_CACHE": (COMMERCE_DEFAULTS["CATALOG_CACHE"] or "default") if enabled else None}


CATALOG_CACHE = os.environ.get("BENCH_CATALOG_CACHE", "off") == "on"

COMMERCE = {
    **COMMERCE,
    **catalog_cache_settings(CATALOG_CACHE),
    "PAYMENT_GATEWAYS": {
        "dummy": {
            "BACKEND": "commerce.payments.gateways.dummy.DummyGateway",
            "OPTIONS": {"webhook_secret": BENCH_WEBHOOK_SECRET},
        },
    },
}
