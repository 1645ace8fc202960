"""What a database column can hold, so that input is refused before it reaches one.

PostgreSQL refuses an integer outside its column's range and a NUL character
in text or in a JSON key; SQLite stores either without complaint, and neither
stores a lone UTF-16 surrogate. Commerce
validates against the strictest of the supported databases, so an API answers
the same on every backend: a 400 where PostgreSQL would have raised a 500.
"""

from __future__ import annotations

import re

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

#: What no text column or JSON key holds: NUL (PostgreSQL refuses it) and lone
#: UTF-16 surrogates (a JSON body may escape one as "\ud800"; UTF-8 text cannot hold it).
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def integer_range(field: models.Field) -> tuple[int, int]:
    """The smallest and largest value ``field``'s column holds on every supported database.

    ``IntegerField`` and ``PositiveIntegerField`` are 32-bit on PostgreSQL
    (64-bit on SQLite); positive fields start at 0.
    """
    return BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]


def is_storable_text(value: str) -> bool:
    """Whether a text column (or a JSON key) can hold ``value``: no NUL, no lone surrogate."""
    return UNSTORABLE.search(value) is None


def storable_text(value: str) -> str:
    """``value`` with each NUL and lone surrogate replaced by U+FFFD, so a column holds it."""
    return UNSTORABLE.sub("\ufffd", value)
