"""wrk, driven from Python: one generated Lua script per endpoint, figures back as JSON.

Each script holds the endpoint's requests as a Lua table (method, path, headers,
body); every request picks one at random, so the detail scenario spreads over the
catalog and the cart-add scenario over its pool of carts. wrk's ``done()`` hook
prints one line, ``WRK_JSON {...}``, that :func:`parse` reads: requests, seconds,
p50/p90/p99/max latency and the error counts (connect, read, write, timeout, and
``status``: responses with a status of 400 or more).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "WRK_JSON "
INSTALL_HELP = (
    "wrk is not on PATH: the peer benchmark loads both stacks with it. On Debian or "
    "Ubuntu, as root: apt-get install wrk"
)

DONE_HOOK = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"timeout":%d,"status":%d,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

REQUEST_HOOK = r"""
local thread_count = 0
setup = function(thread)
  thread:set("seed", thread_count)
  thread_count = thread_count + 1
end
init = function(args)
  math.randomseed(1000 + (seed or 0))
end
request = function()
  local item = items[math.random(#items)]
  return wrk.format(item[1], item[2], item[3], item[4])
end
"""


@dataclass(frozen=True)
class Request:
    """One request wrk may send: method, path, headers and body."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit(INSTALL_HELP)
    return found


def lua_string(value: str) -> str:
    """``value`` as a Lua string literal (printable ASCII only, which is all we send)."""
    if not value.isascii() or not value.isprintable():
        raise ValueError(f"not printable ASCII: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_script(requests: list[Request]) -> str:
    """A wrk script that sends one of ``requests``, chosen at random, each time."""
    if not requests:
        raise ValueError("a wrk script needs at least one request")
    rows = []
    for request in requests:
        headers = ", ".join(
            f"[{lua_string(k)}] = {lua_string(v)}" for k, v in sorted(request.headers.items())
        )
        body = "nil" if request.body is None else lua_string(request.body)
        method, path = lua_string(request.method), lua_string(request.path)
        rows.append(f"  {{{method}, {path}, {{{headers}}}, {body}}},")
    return "\n".join(["items = {", *rows, "}", REQUEST_HOOK, DONE_HOOK])


def parse(output: str) -> dict:
    """The figures of wrk's ``WRK_JSON`` line: req/s, latencies in ms, errors."""
    for line in reversed(output.splitlines()):
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError("wrk printed no WRK_JSON line (did the script's done() run?)")
    seconds = raw["duration_us"] / 1e6
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "http_errors": raw["status"],
        "socket_errors": socket_errors,
        "errors": raw["status"] + socket_errors,
    }


def run(
    base: str,
    requests: list[Request],
    script: Path,
    log: Path,
    *,
    connections: int,
    threads: int,
    seconds: float,
) -> dict:
    """Load ``base`` (a loopback URL) with ``requests`` for ``seconds``; return :func:`parse`'s."""
    script.write_text(lua_script(requests))
    command = [
        ensure_wrk(),
        f"--connections={connections}",
        f"--threads={min(threads, connections)}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=30s",
        f"--script={script}",
        base,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    with log.open("a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode:
        sys.exit(f"wrk failed (exit {result.returncode}); see {log}")
    return parse(result.stdout)


def version() -> str:
    """wrk's version line (``wrk -v`` prints it and exits 1)."""
    result = subprocess.run([ensure_wrk(), "-v"], capture_output=True, text=True, check=False)
    return (result.stdout + result.stderr).strip().splitlines()[0]
