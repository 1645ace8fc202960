"""A small keep-alive HTTP client for the peer run: preparing carts and the checkout flow.

wrk sends one request at a time; a checkout flow is several requests that depend on
each other (the cart token, the order number), so :func:`run_flows` runs it in
Python threads, each with one keep-alive connection to 127.0.0.1, and counts
completed flows per second, their p50/p99 and the flows that failed.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from report import percentile

LOOPBACK = "127.0.0.1"


class FlowError(Exception):
    """A step of a flow answered with an unexpected status."""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


class _Connection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        # http.client sends a request's headers and body in two writes: with Nagle's
        # algorithm on, the body waits for the server's delayed ACK (about 40 ms).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Client:
    """One keep-alive connection to ``127.0.0.1:port``."""

    def __init__(self, port: int) -> None:
        self.connection = _Connection(LOOPBACK, port, timeout=60)

    def call(
        self,
        method: str,
        path: str,
        payload: dict | None = None,
        headers: dict[str, str] | None = None,
        *,
        expect: tuple[int, ...] = (200, 201),
    ) -> Response:
        body = None if payload is None else json.dumps(payload)
        sent = {"Content-Type": "application/json", **(headers or {})}
        try:
            self.connection.request(method, path, body=body, headers=sent)
            answer = self.connection.getresponse()
            response = Response(answer.status, answer.headers, answer.read())
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()  # reconnects on the next request
            raise FlowError(f"{method} {path}: {exc.__class__.__name__}") from exc
        if response.status not in expect:
            raise FlowError(f"{method} {path}: {response.status}")
        return response

    def close(self) -> None:
        self.connection.close()


#: One flow: given a client and a random generator, run every step or raise FlowError
#: (what it returns is ignored).
Flow = Callable[[Client, random.Random], object]


def run_flows(port: int, flow: Flow, *, threads: int, seconds: float, warmup: float) -> dict:
    """Run ``flow`` in a loop on ``threads`` connections for ``warmup`` + ``seconds``; the
    figures count the flows that end in the last ``seconds``."""
    started = time.monotonic()
    measure_from = started + warmup
    stop_at = measure_from + seconds
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(index: int) -> None:
        client, rng = Client(port), random.Random(index)
        try:
            while (begun := time.monotonic()) < stop_at:
                try:
                    flow(client, rng)
                    failure = None
                except FlowError as exc:
                    failure = str(exc)
                ended = time.monotonic()
                # A flow counts when it ends inside the measured window.
                if not measure_from <= ended <= stop_at:
                    continue
                with lock:
                    if failure is None:
                        latencies.append((ended - begun) * 1000)
                    else:
                        failures[failure] += 1
        finally:
            client.close()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = stop_at - measure_from
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": round(latencies[-1], 3) if latencies else None,
        "errors": sum(failures.values()),
        "error_kinds": dict(failures),
    }
