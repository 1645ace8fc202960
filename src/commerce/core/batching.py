"""Bounded bulk writes: no single SQL statement grows with what a client sent.

A ``bulk_update`` of n rows is one ``UPDATE`` with n ``CASE WHEN`` branches per
field, and an ``IN`` list or a ``bulk_create`` grows the same way. Past a few
thousand rows, PostgreSQL's JIT can spend minutes compiling such a statement
while it holds its row locks, and no cancel reaches it. Every bulk write
commerce makes over rows a client chose (stock moves, order lines, cart
merges, expiry sweeps) goes in batches of :data:`BATCH_SIZE` rows instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

__all__ = ["BATCH_SIZE", "batches"]

T = TypeVar("T")

#: Most rows one bulk statement touches. The default cart limit
#: (``CART_MAX_LINES``, 100) checks out in one batch per step.
BATCH_SIZE = 100


def batches(items: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """Yield ``items`` in lists of at most ``size`` (default :data:`BATCH_SIZE`), in order."""
    size = size or BATCH_SIZE
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
