"""Invariant test helpers, shared by ``tests/test_invariants.py`` and the payments' checks.

Imports only core and catalog, so the catalog-only host can import it.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction
from django.db.models import CheckConstraint, UniqueConstraint

from commerce.core.invariants import check_invariants

INVARIANTS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "topics" / "invariants.rst"
# A row of the code table: "* - ``stock.negative_quantity``".
CODE_ROW = re.compile(r"^\s*\* - ``(?P<code>[a-z_]+\.[a-z_]+)``", re.MULTILINE)


@contextmanager
def constraint_dropped(model, name: str):
    """Let the rows of ``model`` break its constraint ``name`` inside this block.

    PostgreSQL drops it (the test's transaction rolls the DDL back, so the
    next test has it again). SQLite cannot drop a constraint without
    rebuilding the table: a check constraint is suspended with ``PRAGMA
    ignore_check_constraints`` (all of them, until the block ends), and a
    conditional unique constraint is a partial index, dropped like on
    PostgreSQL. An unconditional unique constraint on SQLite is part of the
    table: the caller marks such a test PostgreSQL-only.
    """
    assert transaction.get_connection().in_atomic_block, "needs the test's transaction"
    constraint = next(c for c in model._meta.constraints if c.name == name)
    quote = connection.ops.quote_name
    partial_index = isinstance(constraint, UniqueConstraint) and constraint.condition is not None
    with connection.cursor() as cursor:
        if partial_index:
            cursor.execute(f"DROP INDEX {quote(name)}")
            yield
        elif connection.vendor == "postgresql":
            # ALTER TABLE refuses a table with deferred foreign-key checks pending (rows
            # this test inserted): run them now, then defer again as Django expects.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                f"ALTER TABLE {quote(model._meta.db_table)} DROP CONSTRAINT {quote(name)}"
            )
            yield
        elif connection.vendor == "sqlite" and isinstance(constraint, CheckConstraint):
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                yield
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
        else:
            raise NotImplementedError(f"cannot drop {name} on {connection.vendor}")


def found() -> list[tuple[str, str]]:
    """``(code, object)`` of every violation, for exact comparisons."""
    return [(v.code, v.object) for v in check_invariants()]


def documented_codes() -> list[str]:
    """Every code the invariants page documents, in its order (duplicates kept)."""
    return CODE_ROW.findall(INVARIANTS_PAGE.read_text(encoding="utf-8"))
