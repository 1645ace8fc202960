"""Postal-code patterns: the three forms, normalization, and what is refused."""

from __future__ import annotations

import pytest

from commerce.pricing.postcodes import (
    PostalPatternError,
    matches_postal_code,
    normalize_postal,
    validate_pattern,
)


@pytest.mark.parametrize(
    ("pattern", "code", "expected"),
    [
        # blank: any code, even none
        ("", "10115", True),
        ("", "", True),
        # exact, ignoring case and spaces
        ("10115", "10115", True),
        ("10115", "10116", False),
        ("SW1A 1AA", "sw1a1aa", True),
        ("00-950", "00-950", True),
        ("00-950", "00950", False),
        # prefix
        ("SW1*", "SW1A 1AA", True),
        ("SW1*", "SW2A 1AA", False),
        ("10*", "10", True),
        ("10*", "1", False),
        # range: same number of digits, both ends included
        ("1000..1999", "1000", True),
        ("1000..1999", "1999", True),
        ("1000..1999", "1500", True),
        ("1000..1999", "2000", False),
        ("1000..1999", "999", False),
        ("1000..1999", "10000", False),
        ("1000..1999", "15A0", False),
        ("01000..01999", "01500", True),
        ("01000..01999", "1500", False),
        # a pattern never matches a destination without a postal code
        ("10115", "", False),
        ("10*", "", False),
    ],
)
def test_matching(pattern, code, expected):
    assert matches_postal_code(pattern, code) is expected


@pytest.mark.parametrize(
    ("pattern", "normalized"),
    [
        ("", ""),
        ("  sw1a 1aa ", "SW1A1AA"),
        ("sw1*", "SW1*"),
        ("1000 .. 1999", "1000..1999"),
        ("00-950", "00-950"),
    ],
)
def test_valid_patterns_are_normalized(pattern, normalized):
    assert validate_pattern(pattern) == normalized


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("*", "not a postal-code pattern"),
        ("1*0", "not a postal-code pattern"),
        ("10**", "not a postal-code pattern"),
        ("10%", "not a postal-code pattern"),
        ("100..20", "same number of digits"),
        ("2000..1000", "starts above"),
        ("A1..B2", "not a postal-code pattern"),
        ("1000-1999..2000", "not a postal-code pattern"),
    ],
)
def test_invalid_patterns_say_why(pattern, reason):
    with pytest.raises(PostalPatternError, match=reason):
        validate_pattern(pattern)


def test_an_invalid_pattern_stored_anyway_matches_nothing():
    assert matches_postal_code("10%", "10%") is False


def test_normalize():
    assert normalize_postal(" ab\t1 2 ") == "AB12"
    assert normalize_postal(None) == ""
