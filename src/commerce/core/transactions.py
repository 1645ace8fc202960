"""Transactions for services: a savepoint only where a caller may go on after an error.

Django's ``transaction.atomic`` nested in another opens a savepoint (``SAVEPOINT``
and ``RELEASE SAVEPOINT``, two round trips) so that the caller can catch the
error and carry on with the outer transaction. Inside a service that never does,
because any error leaves it and rolls all of it back, those savepoints buy
nothing. :func:`atomic` is ``transaction.atomic`` for such a service: its own
transaction, or a savepoint in its caller's, except when that caller is itself
an :func:`atomic` block. Nothing is weakened: an error inside a block without
a savepoint marks the whole transaction for rollback (Django refuses any further
query in it), so it can never be half-kept.

A block that catches an error from a call and goes on must use Django's own
``transaction.atomic`` around that call, which keeps its savepoint (as
``get_or_create`` does).
"""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, transaction

__all__ = ["atomic"]

#: The databases whose transaction the running code holds through an :func:`atomic` block.
_all_or_nothing: ContextVar[frozenset[str]] = ContextVar(
    "commerce_all_or_nothing", default=frozenset()
)


def atomic(using=None):
    """``transaction.atomic`` for a block that goes on after no error raised inside it.

    Use it as ``@atomic``, ``@atomic(using)`` or ``with atomic():``. Outermost, it
    is the transaction; nested in Django's ``atomic`` (a caller that may catch its
    error), a savepoint; nested in another :func:`atomic`, neither: it joins that
    transaction.
    """
    if callable(using):
        return _Atomic(None)(using)
    return _Atomic(using)


class _Atomic(ContextDecorator):
    def __init__(self, using: str | None = None):
        self.using = using or DEFAULT_DB_ALIAS
        self._entered: list = []

    def _recreate_cm(self):
        # A fresh instance per decorated call, so recursion and threads share nothing.
        return type(self)(self.using)

    def __enter__(self):
        held = _all_or_nothing.get()
        block = transaction.atomic(using=self.using, savepoint=self.using not in held)
        block.__enter__()
        self._entered.append((block, _all_or_nothing.set(held | {self.using})))
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        block, token = self._entered.pop()
        _all_or_nothing.reset(token)
        return block.__exit__(exc_type, exc_value, traceback)
