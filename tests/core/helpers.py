"""Importable objects that tests point ``COMMERCE`` import strings and ``CACHES`` at."""

from django.core.cache.backends.base import BaseCache


def staff_by_email_domain(user) -> bool:
    """A custom ``STAFF_CHECK``: anyone with an ``@staff.example`` address."""
    return bool(getattr(user, "email", "").endswith("@staff.example"))


class UnreachableCache(BaseCache):
    """A cache whose server is down: every call raises, naming an internal host."""

    def __init__(self, location, params):
        super().__init__(params)

    def _fail(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to cache-internal.example:6379")

    add = get = set = touch = delete = clear = has_key = _fail
