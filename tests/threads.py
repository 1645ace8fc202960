"""Run callables at the same moment on their own database connections (PostgreSQL tests)."""

from __future__ import annotations

import threading

from django.db import connection


def run_in_threads(calls, timeout: float = 120) -> list:
    """Run each zero-argument callable in its own thread, all released at once by a barrier.

    Returns ``[("ok", result) | ("error", exception), ...]`` in the order of
    ``calls``. Each thread closes its connection when done; a thread still
    running after ``timeout`` seconds fails the test (a deadlock, most likely).
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", call())
        except Exception as exc:  # the caller asserts on it
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker hung (deadlock?)"
    return results


def results_or_raise(outcomes: list) -> list:
    """The plain results of :func:`run_in_threads`, re-raising the first worker error."""
    for kind, value in outcomes:
        if kind == "error":
            raise value
    return [value for _kind, value in outcomes]
