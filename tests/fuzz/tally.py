"""What the fuzzing got back: status codes per operation and caller, printed after the run.

The table shows the requests reached real objects (2xx, or a refusal made
after the object was found) as well as refusals; :func:`unreached` names the
operations no caller ever got past authentication, permissions and the
lookup of the object in the path.
"""

from __future__ import annotations

from collections import Counter, defaultdict

#: operation label ("GET /api/v1/orders/{number}/") -> caller -> status code -> responses
RESPONSES: defaultdict[str, defaultdict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))

#: Answers that say the request never reached an object: not signed in, not
#: allowed, no such object (or one the caller may not know), wrong method.
NOT_REACHED = frozenset({401, 403, 404, 405})


def record(label: str, caller: str, status_code: int) -> None:
    RESPONSES[label][caller][status_code] += 1


def totals(label: str) -> Counter:
    """Every caller's responses to ``label``, by status code."""
    total: Counter = Counter()
    for counts in RESPONSES[label].values():
        total.update(counts)
    return total


def reached_by(label: str) -> list[str]:
    """The callers who got an answer to ``label`` other than 401, 403, 404 or 405."""
    return sorted(
        caller
        for caller, counts in RESPONSES[label].items()
        if any(code not in NOT_REACHED for code in counts)
    )


def succeeded_for(label: str) -> list[str]:
    """The callers who got a 2xx from ``label``."""
    return sorted(
        caller
        for caller, counts in RESPONSES[label].items()
        if any(200 <= code < 300 for code in counts)
    )


def unreached() -> list[str]:
    """Operations that no caller ever reached (only 401, 403, 404 or 405)."""
    return sorted(label for label in RESPONSES if not reached_by(label))


def without_success() -> list[str]:
    """Operations that never answered 2xx, whoever called."""
    return sorted(label for label in RESPONSES if not succeeded_for(label))


def lines() -> list[str]:
    """One line per operation (sorted by path, then method).

    ``label: 200 x12, 404 x30 | 2xx for customer, staff``
    """

    def key(label: str) -> tuple[str, str]:
        method, _, path = label.partition(" ")
        return path, method

    result = []
    for label in sorted(RESPONSES, key=key):
        counts = ", ".join(f"{code} x{count}" for code, count in sorted(totals(label).items()))
        succeeded = ", ".join(succeeded_for(label)) or "nobody"
        result.append(f"{label}: {counts} | 2xx for {succeeded}")
    return result
