"""Settings of the gunicorn server the fault test starts: the test settings on the test database.

The test passes ``COMMERCE_FAULT_DB_NAME`` (the test database pytest-django
created), ``COMMERCE_FAULT_CACHE_DIR`` and ``COMMERCE_FAULT_GATEWAY_DELAY``.
"""

import os

from tests.fault import config
from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        **DATABASES["default"],  # noqa: F405
        "NAME": os.environ["COMMERCE_FAULT_DB_NAME"],
        # Persistent connections, as in production: a killed worker takes its own with it.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
CACHES = config.caches(os.environ["COMMERCE_FAULT_CACHE_DIR"])
COMMERCE = config.commerce(float(os.environ.get("COMMERCE_FAULT_GATEWAY_DELAY", "0.2")))

# Server errors and payment warnings go to gunicorn's log, which the test shows on failure.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "commerce": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
