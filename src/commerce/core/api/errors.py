"""The DRF exception handler that renders every error in one envelope.

Set ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "commerce.core.api.errors.exception_handler"``.
Every error body is::

    {"error": {"code": "...", "message": "...", "details": {...}}}

Unhandled exceptions are logged with their traceback and answered with a
generic 500: the client never sees the traceback or the exception text.
Client mistakes that Django signals with exceptions (a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413, any other ``SuspiciousOperation`` a
400) and a statement PostgreSQL cancelled (``statement_timeout``,
``lock_timeout``: a 503) are logged at WARNING, without a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from commerce.core.columns import is_storable_text
from commerce.core.exceptions import CommerceError

logger = logging.getLogger("commerce.errors")

SERVER_ERROR_MESSAGE = "A server error occurred."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Build the envelope. ``details`` is always an object."""
    if details is None:
        details = {}
    elif not isinstance(details, dict):
        details = {"errors": details}
    return {"error": {"code": code, "message": message, "details": details}}


def _flatten_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _flatten_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _flatten_message(next(iter(detail.values())))
    return str(detail)


def _from_api_exception(exc: exceptions.APIException) -> tuple[dict[str, Any], dict[str, str]]:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        detail = _renderable(exc.detail)
        if not isinstance(detail, dict):
            detail = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        return error_body("invalid", "Invalid input.", detail), headers

    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    details: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details["retry_after"] = int(exc.wait)
    return error_body(code, _flatten_message(exc.detail), details), headers


def _renderable(detail: Any) -> Any:
    """``detail`` with every lone surrogate escaped (``\\ud800``).

    Messages and unknown-key names may echo input; a JSON body can carry a lone
    surrogate ("\\ud800"), which no UTF-8 response can, so rendering the error
    would fail with a 500.
    """
    if isinstance(detail, dict):
        return {_renderable(key): _renderable(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_renderable(item) for item in detail]
    if isinstance(detail, str) and not is_storable_text(detail):
        text = detail.encode("utf-8", "backslashreplace").decode("utf-8")
        return exceptions.ErrorDetail(text, getattr(detail, "code", None))
    return detail


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Render ``exc`` in the error envelope; never return ``None``."""
    headers: dict[str, str] = {}
    if isinstance(exc, CommerceError):
        status_code = exc.status_code
        body = error_body(exc.code, exc.message, exc.details)
    elif isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
        body, headers = _from_api_exception(exc)
    elif isinstance(exc, Http404):
        status_code = status.HTTP_404_NOT_FOUND
        body = error_body("not_found", "Not found.")
    elif isinstance(exc, PermissionDenied):
        status_code = status.HTTP_403_FORBIDDEN
        body = error_body("permission_denied", "You do not have permission to perform this action.")
    elif isinstance(exc, DjangoValidationError):
        status_code = status.HTTP_400_BAD_REQUEST
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        body = error_body("invalid", "Invalid input.", details)
    elif isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        logger.warning("Request too large: %s", exc)
        status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        body = error_body(
            "request_too_large",
            "The request body is larger than this server accepts.",
            {"reason": type(exc).__name__},
        )
    elif isinstance(exc, SuspiciousOperation):
        logger.warning("Bad request: %s: %s", type(exc).__name__, exc)
        status_code = status.HTTP_400_BAD_REQUEST
        body = error_body("bad_request", "The request could not be understood.")
    elif _is_cancelled_statement(exc):
        # Not an outage: one statement waited or ran longer than the database allows.
        logger.warning(
            "Database statement cancelled in %s: %s",
            _view_name(context),
            _first_line(exc),
        )
        status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        body = error_body(
            "timeout", "The request took too long and was cancelled. Try again later."
        )
        headers["Retry-After"] = "1"
    elif _is_connection_error(exc):
        logger.error("Database unavailable: %s", type(exc).__name__, exc_info=exc)
        status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        body = error_body("service_unavailable", "The service is temporarily unavailable.")
    else:
        logger.error("Unhandled exception in %s", _view_name(context), exc_info=exc)
        status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
        body = error_body("server_error", SERVER_ERROR_MESSAGE)

    set_rollback()
    return Response(body, status=status_code, headers=headers)


def _is_connection_error(exc: Exception) -> bool:
    # InterfaceError is not a DatabaseError (both subclass django.db.Error).
    return isinstance(exc, InterfaceError | OperationalError)


#: PostgreSQL's SQLSTATEs for a statement cancelled by ``statement_timeout``
#: (query_canceled) and for a lock not granted within ``lock_timeout``
#: (lock_not_available).
CANCELLED_STATEMENT_STATES = frozenset({"57014", "55P03"})


def _is_cancelled_statement(exc: Exception) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    return (
        getattr(cause, "sqlstate", None) in CANCELLED_STATEMENT_STATES
        or getattr(cause, "pgcode", None) in CANCELLED_STATEMENT_STATES
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _view_name(context: dict[str, Any]) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "API view"
