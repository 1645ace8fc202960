"""Record the SQL statements a block sends, to pin that none grows with the input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.db import connection

from commerce.core import batching


@dataclass
class Statements:
    """Every statement sent, as ``(sql with placeholders, number of parameters)``.

    The SQL is recorded before the parameters are filled in, so a statement's
    size depends on its shape (how many rows, ``IN`` items, ``CASE`` branches),
    never on the values in it.
    """

    sent: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, execute, sql, params, many, context):
        self.sent.append((sql, len(params or ())))
        return execute(sql, params, many, context)

    def __len__(self) -> int:
        return len(self.sent)

    @property
    def largest(self) -> tuple[int, int]:
        """The longest SQL text and the most parameters any one statement had."""
        return max(len(sql) for sql, _ in self.sent), max(count for _, count in self.sent)


@contextmanager
def recording() -> Iterator[Statements]:
    """Record what the default connection sends inside the block."""
    statements = Statements()
    with connection.execute_wrapper(statements):
        yield statements


@contextmanager
def batch_size(size: int) -> Iterator[int]:
    """Make bulk writes go ``size`` rows at a time, so a test needs few rows to span batches."""
    with mock.patch.object(batching, "BATCH_SIZE", size):
        yield size
