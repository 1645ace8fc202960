"""Keep secrets out of logs.

:class:`RedactSecretsFilter` is a :class:`logging.Filter` for a host's log
*handlers* (a filter on a logger does not see records that propagate to it
from child loggers; one on a handler sees every record it writes)::

    LOGGING = {
        "version": 1,
        "filters": {"redact": {"()": "commerce.core.logging.RedactSecretsFilter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        },
        ...
    }

It rewrites the message (the format string with its arguments filled in),
the exception and stack text and any string ``extra`` of each record, so
that none of these reaches a handler:

- Stripe and Paystack API keys (``sk_``, ``pk_``, ``rk_`` with ``test``/``live``)
  and webhook signing secrets (``whsec_``);
- client secrets (``pi_..._secret_...``, ``seti_..._secret_...``);
- card numbers: runs of 13 to 19 digits, optionally grouped by spaces or
  dashes, that pass the Luhn check;
- ``Authorization`` values, ``Bearer`` tokens and JSON Web Tokens;
- webhook signatures: the value of any ``...-Signature`` header
  (``Stripe-Signature``, ``x-paystack-signature``), Stripe's ``v1=``/``v0=``
  parts, and any run of 64 or more hex digits (an HMAC-SHA256 or -SHA512);
- the value after a key that names a secret (``password``, ``secret``,
  ``token``, ``api_key``, ``cookie``, ``authorization``, ``signature``) in
  ``key=value``, ``key: value`` or ``"key": "value"`` form.

A record with nothing to redact is left as it was (log aggregators group
records by their format string). Redaction errs towards removing too much:
a 13-digit number that happens to pass the Luhn check is removed too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

__all__ = ["REDACTED", "RedactSecretsFilter", "redact"]

REDACTED = "[REDACTED]"

# Attributes every LogRecord has; anything else came in through ``extra``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None))) | {
    "message",
    "asctime",
}

# Bounded, so a long hyphenated word cannot make the search quadratic.
_SECRET_NAME = (
    r"[\w-]{0,40}(?:authorization|signature|secret|password|passwd|token|api[_-]?key|cookie)"
    r"[\w-]{0,40}"
)
_KEY_VALUE = re.compile(
    rf"(?P<name>\b{_SECRET_NAME})"
    r"(?P<sep>['\"]?\s*[:=]\s*)"
    rf"(?!b?['\"]?{re.escape(REDACTED)})"  # redacted already
    r"(?:"
    # A quoted value: everything up to the closing quote.
    r"(?P<open>b?(?P<quote>['\"]))(?P<quoted>(?:\\.|(?!(?P=quote)).)*)(?P=quote)"
    r"|"
    # A bare value: an optional auth scheme, then up to a space, quote, ``;``, ``&``
    # or bracket (commas stay in: ``t=...,v1=...``). A nested object or list is
    # left for the rules below, which look inside it.
    r"(?P<bare>(?:(?:bearer|basic|token|digest)\s+)?[^\s'\";&{}\[\]()]+)"
    r")",
    re.IGNORECASE,
)
_API_KEY = re.compile(r"\b(sk|pk|rk)_(test|live)_\w+")
_WEBHOOK_SECRET = re.compile(r"\bwhsec_\w+")
_CLIENT_SECRET = re.compile(r"\b((?:pi|seti)_[A-Za-z0-9]+)_secret_\w+")
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")
_BEARER = re.compile(r"\b(bearer)\s+[\w.~+/=-]{16,}", re.IGNORECASE)
_SIGNATURE_PART = re.compile(r"\b(v[01])=[0-9a-fA-F]{16,}")
_LONG_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64,}(?![0-9A-Za-z])")
_CARD_LIKE = re.compile(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?!\d)")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group())
    return REDACTED if 13 <= len(digits) <= 19 and _luhn_valid(digits) else match.group()


def _key_value(match: re.Match[str]) -> str:
    kept = match.group("name") + match.group("sep")
    if match.group("quoted") is not None:
        return f"{kept}{match.group('open')}{REDACTED}{match.group('quote')}"
    return f"{kept}{REDACTED}"


_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (_KEY_VALUE, _key_value),
    (_CLIENT_SECRET, rf"\1_secret_{REDACTED}"),
    (_API_KEY, rf"\1_\2_{REDACTED}"),
    (_WEBHOOK_SECRET, f"whsec_{REDACTED}"),
    (_JWT, REDACTED),
    (_BEARER, rf"\1 {REDACTED}"),
    (_SIGNATURE_PART, rf"\1={REDACTED}"),
    (_LONG_HEX, REDACTED),
    (_CARD_LIKE, _card),
]


def redact(text: str) -> str:
    """``text`` with every secret this module knows how to recognise replaced by
    :data:`REDACTED`."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Redact secrets from every record a handler is about to write; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A format string that does not match its arguments: the handler
            # would print both raw when it reports the error, so log them as text.
            message = f"{record.msg!s} {record.args!r}"
            record.msg, record.args = redact(message), None
        else:
            redacted = redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None

        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set, so the traceback is formatted
            # (the default way) here, once, and redacted before any handler sees it.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)

        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact(value))
        return True
