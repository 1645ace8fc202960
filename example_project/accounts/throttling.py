"""A scoped throttle that reads its rates when a request arrives.

DRF's ``ScopedRateThrottle`` copies ``DEFAULT_THROTTLE_RATES`` into a class
attribute at import time, so a changed setting (``override_settings`` in a
test, say) never reaches it. This one looks the rate up on every request.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """``ScopedRateThrottle`` with the rate read from the current settings."""

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(
                f"No rate for throttle scope {self.scope!r} in "
                "REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']."
            ) from exc
