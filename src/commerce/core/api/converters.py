"""Path parameters that can only match what a column could hold.

A path segment is decoded before it is matched, so ``/orders/a%00b/`` hands
the view ``"a\\x00b"``; looked up on PostgreSQL that is a database error (a
500). These patterns leave such a segment unmatched, so it is a 404 in the
error envelope (with the ``handler404`` commerce documents) before any query.

- :data:`SLUG_PATTERN`: a slug (letters, digits, ``-`` and ``_``), as Django's
  ``slug`` converter, at most :data:`MAX_SLUG_LENGTH` characters.
- :data:`UUID_PATTERN`: a primary key, as Django's ``uuid`` converter.
- :data:`KEY_PATTERN`: an identifier (order number, payment reference, SKU,
  gateway alias or reference): any characters but ``/`` and NUL, at most
  :data:`MAX_KEY_LENGTH`.

``path()`` routes use them as the converters ``commerce_slug`` and
``commerce_key`` (registered when this module is imported); router viewsets
as their ``lookup_value_regex``. The OpenAPI schema shows each as the path
parameter's ``pattern``.
"""

from __future__ import annotations

from django.urls import register_converter
from django.urls.converters import UUIDConverter, get_converters

#: The longest slug column in commerce (``Product.slug``).
MAX_SLUG_LENGTH = 220
#: The longest identifier column a path names (``Payment.gateway_reference``).
MAX_KEY_LENGTH = 255

SLUG_PATTERN = rf"[-a-zA-Z0-9_]{{1,{MAX_SLUG_LENGTH}}}"
# "\x00" stays an escape in the pattern text: the schema then shows it, not a raw NUL.
KEY_PATTERN = rf"[^/\x00]{{1,{MAX_KEY_LENGTH}}}"
#: A primary key (commerce's are UUIDs), as Django's ``uuid`` converter.
UUID_PATTERN = UUIDConverter.regex


class _Converter:
    regex: str

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class SlugConverter(_Converter):
    """``<commerce_slug:name>``: a slug a column could hold."""

    regex = SLUG_PATTERN


class KeyConverter(_Converter):
    """``<commerce_key:name>``: an identifier without ``/`` or NUL, a column's length at most."""

    regex = KEY_PATTERN


CONVERTERS = {"commerce_slug": SlugConverter, "commerce_key": KeyConverter}

for _name, _converter in CONVERTERS.items():
    # Each app's URLconf imports this module; register once (Django refuses a second time).
    if _name not in get_converters():
        register_converter(_converter, _name)
