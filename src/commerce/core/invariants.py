"""The invariant checker: what must always hold, registered by each app.

The services keep these rules inside their transactions; the checker proves,
after the fact, that nothing (a bug, a crash, a hand-edited row, a migration)
broke them. Run it nightly with ``manage.py commerce_check_invariants``, or
call :func:`check_invariants` from tests: it is the judge of the fault and
load tests.

Core knows no domain: each app registers its own checks, the way Django's
system checks are registered, in an ``invariants`` module that its
``AppConfig.ready()`` imports::

    from commerce.core.invariants import Violation, register, stream

    @register({"shop.negative_points": "A customer's loyalty points are below zero."})
    def negative_points():
        for row in stream(Account.objects.filter(points__lt=0).values("email", "points")):
            yield Violation("shop.negative_points", f"points are {row['points']}", row["email"])

So only the installed apps are checked (a catalog-only site gets the stock
checks), in the order of ``INSTALLED_APPS``. Each check should be one
aggregate query whose ``WHERE`` keeps only the broken rows, so the number of
queries does not grow with the shop, and each invariant is judged within one
statement, so on PostgreSQL it sees one committed snapshot and the checker can
run against a live shop. Results are streamed (:func:`iter_violations`), never
loaded whole. The helpers below (:func:`stream`, :func:`rounded`,
:func:`differs`, :func:`format_amount`) are what the built-in checks share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import DecimalField, F, Q, QuerySet
from django.db.models.functions import Round

from commerce.core.money import (
    MONEY_FIELD_OPTIONS,
    at_exponent,
)

__all__ = [
    "CHUNK_SIZE",
    "InvariantCheck",
    "Violation",
    "check_invariants",
    "checked_apps",
    "codes",
    "differs",
    "format_amount",
    "iter_violations",
    "register",
    "registered_checks",
    "rounded",
    "stream",
]


@dataclass(frozen=True)
class Violation:
    """One broken invariant.

    ``code`` is stable (one of :func:`codes`), ``message`` says what was
    found, and ``object`` names the row to look at: a SKU, an order number, a
    payment reference, or ``gateway:event_id`` for a webhook event.
    """

    code: str
    message: str
    object: str

    def __str__(self) -> str:
        return f"{self.code} {self.object}: {self.message}"


@dataclass(frozen=True)
class InvariantCheck:
    """A registered check: a function yielding :class:`Violation`, and the codes it reports
    (``{code: the rule it stands for}``)."""

    function: Callable[[], Iterable[Violation]]
    codes: Mapping[str, str]

    @property
    def app(self) -> str | None:
        """The name of the installed app whose module defines the check (``None``: no app)."""
        config = apps.get_containing_app_config(self.function.__module__)
        return config.name if config is not None else None


_checks: list[InvariantCheck] = []


def register(codes: Mapping[str, str]) -> Callable[[Callable], Callable]:
    """Register the decorated function as an invariant check that reports ``codes``.

    ``codes`` maps each code the check may report to the rule it stands for;
    two checks may report the same code. Call it from a module that your
    ``AppConfig.ready()`` imports, so only installed apps register. Registering
    the same function again (``ready()`` run twice) changes nothing.
    """

    def decorator(function: Callable[[], Iterable[Violation]]) -> Callable:
        if all(check.function is not function for check in _checks):
            _checks.append(InvariantCheck(function, dict(codes)))
        return function

    return decorator


def registered_checks() -> list[InvariantCheck]:
    """Every registered check, in the order they run and report."""
    return list(_checks)


def check_invariants() -> list[Violation]:
    """Check every registered invariant; return what is broken.

    An empty list means the shop is consistent. See :func:`codes` for what is
    checked, and :func:`iter_violations` to stream the results instead.
    """
    return list(iter_violations())


def iter_violations() -> Iterator[Violation]:
    """Yield each broken invariant as it is found (one query per check)."""
    for check in registered_checks():
        yield from check.function()


def checked_apps() -> list[str]:
    """The installed apps whose invariants :func:`check_invariants` checks, by name."""
    return sorted({check.app for check in registered_checks() if check.app is not None})


def codes() -> dict[str, str]:
    """Every code the registered checks can report, with the rule it stands for."""
    return {code: rule for check in registered_checks() for code, rule in check.codes.items()}


# --- helpers for checks ------------------------------------------------------------------

#: Rows fetched per round trip while streaming; a check stays one query.
CHUNK_SIZE = 2000


def stream(queryset: QuerySet) -> Iterator[Any]:
    """The rows of ``queryset`` in chunks of :data:`CHUNK_SIZE`, never loaded whole."""
    return queryset.iterator(chunk_size=CHUNK_SIZE)


def rounded(expression) -> Round:
    """``expression`` rounded to the money columns' scale: exact on PostgreSQL (where it
    changes nothing) and free of float noise on SQLite."""
    places = MONEY_FIELD_OPTIONS["decimal_places"]
    # Wide enough for sums of many amounts; the scale of the money columns.
    return Round(
        expression, places, output_field=DecimalField(max_digits=28, decimal_places=places)
    )


def differs(left: str, right: str) -> Q:
    """``left != right`` for two non-null annotations, without negation's NULL rules."""
    return Q(**{f"{left}__lt": F(right)}) | Q(**{f"{left}__gt": F(right)})


def format_amount(value: Decimal | None, currency: str | None) -> str:
    """``25.00 USD``: the amount at its currency's exponent when that loses nothing."""
    if value is None:
        return "none"
    return f"{at_exponent(value, currency)} {currency}"
