"""Order numbers: short, human-friendly, unguessable enough not to enumerate."""

from __future__ import annotations

import secrets

from django.utils import timezone

# No 0/O, 1/I/L: numbers are read out over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def default_order_number() -> str:
    """``YYMMDD-XXXXXX``: the date plus six random characters (~30 bits)."""
    suffix = "".join(secrets.choice(ALPHABET) for _ in range(6))
    return f"{timezone.now():%y%m%d}-{suffix}"
