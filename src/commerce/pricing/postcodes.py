"""Postal-code patterns of zone members: one small syntax, checked when saved.

Codes and patterns are compared *normalized*: upper-cased, with every space
removed (``"sw1a 1aa"`` is ``"SW1A1AA"``). A pattern is one of:

``10115``, ``SW1A1AA``, ``00-950``
    *Exact*: letters, digits and hyphens; matches that code only.
``SW1*``, ``75*``
    *Prefix*: one or more letters, digits or hyphens, then a single ``*`` at the
    end; matches every code that starts with them.
``1000..1999``, ``01000..01999``
    *Range*: two runs of digits of the same length, the first not above the
    second, joined by ``..``; matches every all-digit code of that length between
    them, both ends included. (``..``, not ``-``: many codes contain a hyphen,
    such as Poland's ``00-950``.)

A blank pattern matches any code (see :class:`~commerce.pricing.models.ZoneMember`).
"""

from __future__ import annotations

import re

__all__ = ["PostalPatternError", "matches_postal_code", "normalize_postal", "validate_pattern"]

_CODE = re.compile(r"^[A-Z0-9-]+$")
_PREFIX = re.compile(r"^([A-Z0-9-]+)\*$")
_RANGE = re.compile(r"^([0-9]+)\.\.([0-9]+)$")


class PostalPatternError(ValueError):
    """A postal-code pattern that is none of the three forms; the message says why."""


def normalize_postal(value: str) -> str:
    """``value`` upper-cased with all whitespace removed."""
    return "".join(str(value or "").split()).upper()


def validate_pattern(pattern: str) -> str:
    """Return ``pattern`` normalized, or raise :class:`PostalPatternError`.

    A blank pattern is returned as ``""`` (any code).
    """
    normalized = normalize_postal(pattern)
    if not normalized or _CODE.match(normalized) or _PREFIX.match(normalized):
        return normalized
    bounds = _RANGE.match(normalized)
    if bounds:
        low, high = bounds.groups()
        if len(low) != len(high):
            raise PostalPatternError(
                f"The ends of the range {pattern!r} must have the same number of digits."
            )
        if low > high:
            raise PostalPatternError(f"The range {pattern!r} starts above where it ends.")
        return normalized
    raise PostalPatternError(
        f"{pattern!r} is not a postal-code pattern: use a code (10115), a prefix "
        "ending in * (SW1*) or a range of digits (1000..1999)."
    )


def matches_postal_code(pattern: str, postal_code: str) -> bool:
    """Whether ``postal_code`` matches ``pattern`` (both normalized here; blank matches all).

    An invalid pattern matches nothing: a check reports it, a shopper is never
    charged by it.
    """
    pattern = normalize_postal(pattern)
    if not pattern:
        return True
    code = normalize_postal(postal_code)
    if not code:
        return False
    prefix = _PREFIX.match(pattern)
    if prefix:
        return code.startswith(prefix.group(1))
    bounds = _RANGE.match(pattern)
    if bounds:
        low, high = bounds.groups()
        # Same length and all digits: text order is number order.
        return len(code) == len(low) and code.isdigit() and low <= code <= high
    return _CODE.match(pattern) is not None and code == pattern
