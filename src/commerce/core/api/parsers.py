"""Request body parsers that refuse what no endpoint should read.

Django REST framework's ``JSONParser`` reads the whole body whatever its size
(Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only guards ``request.body`` and
form parsing), lets ``json`` recurse until a ``RecursionError`` (a 500), and
hands on strings PostgreSQL cannot store. Commerce's views declare
:data:`PARSER_CLASSES` themselves, so they need no host configuration; a host
may use the same classes for its own views::

    REST_FRAMEWORK = {
        "DEFAULT_PARSER_CLASSES": [
            "commerce.core.api.parsers.JSONParser",
            "commerce.core.api.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
    }

What is refused, and how it is answered (in the error envelope):

- a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 ``request_too_large``
  (Django's ``RequestDataTooBig``; also ``TooManyFieldsSent`` and
  ``TooManyFilesSent`` from form parsing);
- JSON nested deeper than :attr:`JSONParser.max_depth`: 400 ``parse_error``;
- a NUL character or an unpaired surrogate in any JSON string or key: 400
  ``parse_error`` (PostgreSQL stores neither in text or JSON).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json

from commerce.core.columns import is_storable_text

#: How deep a JSON body may nest (a top-level object is depth 1). Commerce's
#: own bodies nest three or four levels; a host's ``metadata`` has room left.
MAX_JSON_DEPTH = 32


def read_body(stream, parser_context: dict[str, Any] | None) -> bytes:
    """Read a request body, refusing one past ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    The declared ``Content-Length`` is checked before anything is read; the
    read itself stops one byte past the limit, so a body that lies about its
    length is refused without being held in memory.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    request = (parser_context or {}).get("request")
    if request is not None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise _too_big()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_big()
    return data


def _too_big() -> RequestDataTooBig:
    return RequestDataTooBig(
        "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.",
    )


def check_json_value(data: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise ``ParseError`` for nesting past ``max_depth``, or a string or key
    PostgreSQL cannot store (a NUL character, an unpaired surrogate).

    Walks the parsed value iteratively, so the check itself cannot recurse.
    """
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            _check_string(value, path or "the body")
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise ParseError(f"JSON nested deeper than {max_depth} levels at {path or '$'}.")
            if isinstance(value, dict):
                for key, item in value.items():
                    child = f"{path}.{key}" if path else key
                    _check_string(key, f"a key in {path or 'the body'}")
                    stack.append((item, depth + 1, child))
            else:
                stack.extend(
                    (item, depth + 1, f"{path}[{index}]") for index, item in enumerate(value)
                )


def _check_string(value: str, where: str) -> None:
    if is_storable_text(value):
        return
    if "\x00" in value:
        raise ParseError(f"JSON strings may not contain NUL characters (\\u0000): {_clip(where)}.")
    raise ParseError(f"JSON strings may not contain unpaired surrogates: {_clip(where)}.")


def _clip(text: str, limit: int = 100) -> str:
    # The path echoes client input: keep the message short and printable.
    text = text.replace("\x00", "\\u0000")
    return text if len(text) <= limit else text[:limit] + "..."


class JSONParser(parsers.JSONParser):
    """DRF's ``JSONParser`` with a size limit, a depth limit and text PostgreSQL can store.

    Subclass to change :attr:`max_depth`.
    """

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        body = read_body(stream, parser_context)
        strict = api_settings.STRICT_JSON
        try:
            data = json.loads(
                body.decode(encoding),
                parse_constant=json.strict_constant if strict else None,
            )
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {self.max_depth} levels.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        check_json_value(data, self.max_depth)
        return data


class FormParser(parsers.FormParser):
    """DRF's ``FormParser`` with the body size limit (Django's limits the field count only)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        return QueryDict(read_body(stream, parser_context), encoding=encoding)


#: The parsers every commerce view uses. DRF's ``MultiPartParser`` needs no change:
#: Django's multipart parser enforces ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (for fields),
#: ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` and ``DATA_UPLOAD_MAX_NUMBER_FILES`` itself; uploaded
#: files are bounded only by the web server in front (see the deployment how-to).
PARSER_CLASSES = [JSONParser, FormParser, parsers.MultiPartParser]
