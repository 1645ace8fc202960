"""What the fuzzing got back: status codes per operation, printed after the run.

The table shows the requests reached real objects (2xx) as well as refusals.
"""

from __future__ import annotations

from collections import Counter, defaultdict

#: operation label ("GET /api/v1/orders/{number}/") -> status code -> responses
RESPONSES: defaultdict[str, Counter] = defaultdict(Counter)


def record(label: str, status_code: int) -> None:
    RESPONSES[label][status_code] += 1


def lines() -> list[str]:
    """One line per operation: ``label: 200 x12, 404 x30`` (sorted by path, then method)."""

    def key(label: str) -> tuple[str, str]:
        method, _, path = label.partition(" ")
        return path, method

    return [
        f"{label}: " + ", ".join(f"{code} x{count}" for code, count in sorted(counts.items()))
        for label, counts in sorted(RESPONSES.items(), key=lambda item: key(item[0]))
    ]
