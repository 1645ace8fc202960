"""``Idempotency-Key`` support for POSTs that create orders or payments.

A retried request with the same key and the same body gets the first
response again (same status, same body) and changes nothing; the same key
with a different body is a 422. Two requests with the same key at the same
moment are serialized by the unique constraint on (scope, key): the second
waits for the first to commit, then replays its response. If the first fails,
its claim rolls back with everything else and the retry runs afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from rest_framework.response import Response

from commerce.conf import commerce_settings
from commerce.core.columns import is_storable_text
from commerce.core.exceptions import CommerceError, CommerceValidationError
from commerce.core.models import IdempotencyKey
from commerce.core.transactions import atomic

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReusedError(CommerceError):
    """The key was already used for a request with a different body (422)."""

    status_code = 422
    default_code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was used with a different request."


def request_key(request) -> str:
    """The request's ``Idempotency-Key``, stripped; ``""`` without one; a 400 if it is
    blank, longer than :data:`MAX_KEY_LENGTH` or holds a NUL (which no column stores)."""
    key = request.headers.get(HEADER)
    if key is None:
        return ""
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not is_storable_text(key):
        message = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters, without NUL characters."
        raise CommerceValidationError(message, details={HEADER: [message]})
    return key


def request_fingerprint(request) -> str:
    """SHA-256 over method, path and the parsed body in canonical JSON."""
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    raw = f"{request.method}\n{request.path}\n{body}".encode()
    return hashlib.sha256(raw).hexdigest()


def _claim(scope: str, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    now = timezone.now()
    claim = IdempotencyKey(
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        expires_at=now + timedelta(seconds=commerce_settings.IDEMPOTENCY_KEY_TTL),
    )
    # ON CONFLICT DO NOTHING: a key another request holds is no error, so no savepoint
    # is needed to go on, and the insert still waits for that request to commit.
    IdempotencyKey.objects.bulk_create([claim], ignore_conflicts=True)
    record = IdempotencyKey.objects.get(scope=scope, key=key)
    if record.pk == claim.pk:
        return record, True
    if record.expires_at <= now:
        # An expired key replays nothing: it is claimed afresh.
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        return _claim(scope, key, fingerprint)
    return record, False


def idempotent(request, *, scope: str, operation: Callable[[], Response]) -> Response:
    """Run ``operation`` once per (scope, ``Idempotency-Key``) and replay its response.

    Without the header, ``operation`` simply runs. ``operation`` runs inside
    the same transaction as the claim, so an exception it raises releases
    the key.
    """
    key = request_key(request)
    if not key:
        return operation()
    fingerprint = request_fingerprint(request)
    # ``operation`` goes on after no error: the services it calls need no savepoints.
    with atomic():
        record, created = _claim(scope, key, fingerprint)
        if not created:
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError(details={"key": key})
            return Response(
                record.response_body, status=record.status_code, headers={REPLAY_HEADER: "true"}
            )
        response = operation()
        record.status_code = response.status_code
        record.response_body = response.data
        record.save(update_fields=["status_code", "response_body", "updated_at"])
    return response


def delete_expired_keys(*, now=None) -> int:
    """Delete keys past ``IDEMPOTENCY_KEY_TTL``; return how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
