"""The peer run: ``python benchmarks/run.py --peer oscar``.

Seeds the same catalog size into two databases (``<prefix>_commerce_<N>`` with
commerce's ``bench_seed``, ``<prefix>_oscar_<N>`` with the oscar host's
``peer_seed``), serves both with the same gunicorn options on two loopback ports,
and loads them endpoint by endpoint, alternating the stacks within each round
(commerce's list, oscar's list, commerce's detail, ...). The plain endpoints are
loaded by wrk, the checkout flows by :mod:`client`'s threads. An endpoint a stack
has no counterpart for (its ``lacks``: oscar-api has no payment step) is skipped on
that stack, recorded as such, and shown as n/a. Each figure in the report is the
median of the rounds. Both servers are stopped at the end, also on error.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import client
import wrk
from peers_report import write_report
from run import BENCH_DIR, check_postgres, finish, git_revision, log, machine, redact, versions
from stacks import (
    CARTS_PER_CONNECTION,
    CommerceStack,
    OscarStack,
    Stack,
    installed_versions,
    oscar_python,
)

#: (key, label) of each endpoint, in the order the round runs them.
ENDPOINTS = [
    ("nodb", "ceiling: no database"),
    ("values", "product list: one bare .values() query"),
    ("list", "product list, first page of 20"),
    ("detail", "product detail (random over the catalog)"),
    ("categories", "categories"),
    ("cart_add", "cart add (existing cart of 3 lines)"),
    ("checkout", "checkout flow: add + checkout"),
    ("checkout_payment", "checkout flow with payment start"),
]


def flow_steps(stacks: list[Stack]) -> dict[str, dict[str, str]]:
    """Each flow endpoint's steps on each stack, or ``n/a (<why>)`` where the stack lacks it."""
    steps: dict[str, dict[str, str]] = {}
    for stack in stacks:
        for key, (named, _) in stack.flows().items():
            steps.setdefault(key, {})[stack.label] = named
    for stack in stacks:
        for key in steps:
            if key in stack.lacks:
                steps[key][stack.label] = f"n/a ({stack.lacks[key]})"
    return {key: steps[key] for key, _ in ENDPOINTS if key in steps}


def wrk_endpoints(stack: Stack) -> set[str]:
    """The endpoints wrk loads on ``stack``: its plain GETs, detail and cart add."""
    return {*stack.paths, "detail", "cart_add"}


def check_endpoints(stack: Stack) -> None:
    """Every endpoint is exactly one of the stack's wrk endpoints, its flows or its lacks,
    so a new endpoint cannot be skipped (or measured twice) by accident."""
    kinds = (wrk_endpoints(stack), set(stack.flows()), set(stack.lacks))
    for key, _ in ENDPOINTS:
        if sum(key in kind for kind in kinds) != 1:
            raise ValueError(f"{stack.label}: endpoint {key!r} needs one wrk load, flow or lack")
    unknown = set().union(*kinds) - {key for key, _ in ENDPOINTS}
    if unknown:
        raise ValueError(f"{stack.label}: no such endpoint {sorted(unknown)}")


def schedule(stacks: list[Stack]) -> list[tuple[str, Stack]]:
    """One round's measurements, in order: (endpoint, stack) for each endpoint, the stacks
    alternating, leaving out the endpoints a stack lacks."""
    return [(key, stack) for key, _ in ENDPOINTS for stack in stacks if key not in stack.lacks]


def default_cache() -> Path:
    return Path(os.environ.get("BENCH_PEERS_CACHE") or Path(tempfile.gettempdir()) / "bench-peers")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("peer run (--peer oscar)")
    group.add_argument(
        "--peer", choices=["oscar"], help="compare commerce with a peer stack side by side"
    )
    group.add_argument("--peer-products", type=int, default=2000, help="catalog size, both sides")
    group.add_argument("--peer-workers", type=int, default=2, help="gunicorn sync workers, each")
    group.add_argument("--peer-duration", type=float, default=15, help="seconds per endpoint")
    group.add_argument("--peer-warmup", type=float, default=3, help="unmeasured seconds first")
    group.add_argument("--rounds", type=int, default=3, help="rounds; the report gives medians")
    group.add_argument("--connections", type=int, default=8, help="wrk connections (flow threads)")
    group.add_argument("--threads", type=int, default=2, help="wrk threads")
    group.add_argument("--peer-db-prefix", default="peer", help="peer database names")
    group.add_argument(
        "--peer-cache",
        type=Path,
        default=default_cache(),
        help="where the oscar virtualenv is built and kept (env BENCH_PEERS_CACHE)",
    )


def smoke(args: argparse.Namespace) -> None:
    args.peer_products = 200
    # 2 s: a checkout flow on a busy machine can take more than one.
    args.peer_duration = 2
    args.peer_warmup = 1
    args.rounds = 1


def stack_args(args: argparse.Namespace, port: int) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "port": port, "workers": args.peer_workers})


def load(args, stack, endpoint: str, requests: dict, out: Path) -> dict:
    """One measurement of ``endpoint`` on ``stack``: wrk, or the flow threads."""
    log(f"  {stack.label}: {endpoint}")
    flows = stack.flows()
    if endpoint in flows:
        return client.run_flows(
            stack.args.port,
            flows[endpoint][1],
            threads=args.connections,
            seconds=args.peer_duration,
            warmup=args.peer_warmup,
        )
    stem = f"{stack.label}-{endpoint}"
    options = {"connections": args.connections, "threads": args.threads}
    base = f"http://127.0.0.1:{stack.args.port}"
    if args.peer_warmup:
        wrk.run(
            base,
            requests[endpoint],
            out / "lua" / f"{stem}.lua",
            out / "logs" / f"wrk-{stem}-warmup.log",
            seconds=args.peer_warmup,
            **options,
        )
    return wrk.run(
        base,
        requests[endpoint],
        out / "lua" / f"{stem}.lua",
        out / "logs" / f"wrk-{stem}.log",
        seconds=args.peer_duration,
        **options,
    )


def requests_of(stack, connections: int) -> dict[str, list[wrk.Request]]:
    requests = {key: [wrk.Request(path)] for key, path in stack.paths.items()}
    requests["detail"] = [wrk.Request(path) for path in stack.detail_paths()]
    requests["cart_add"] = stack.cart_add_requests(connections * CARTS_PER_CONNECTION)
    return requests


def median_of(rounds: list[dict]) -> dict:
    """The rounds' medians: req/s, p50, p99; errors and requests summed."""

    def middle(key: str):
        values = [r[key] for r in rounds if r.get(key) is not None]
        return statistics.median(values) if values else None

    return {
        "rps": middle("rps"),
        "p50_ms": middle("p50_ms"),
        "p99_ms": middle("p99_ms"),
        "requests": sum(r["requests"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
    }


def main(args: argparse.Namespace) -> int:
    wrk.ensure_wrk()
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or BENCH_DIR / "results" / f"{stamp}-peer-oscar"
    for folder in ("logs", "lua"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    postgres = check_postgres(args.database_url)
    log(f"PostgreSQL {postgres} at {redact(args.database_url)}; results in {out}")
    python = oscar_python(args.peer_cache)
    size = args.peer_products
    commerce = CommerceStack(
        stack_args(args, args.port), f"{args.peer_db_prefix}_commerce_{size}", out, ""
    )
    oscar = OscarStack(
        stack_args(args, args.port + 1), f"{args.peer_db_prefix}_oscar_{size}", out, python
    )
    stacks = [commerce, oscar]
    for stack in stacks:
        check_endpoints(stack)
    mine = versions()
    theirs = installed_versions(python, ["django-oscar", "django-oscar-api", "Django", "gunicorn"])
    results: dict = {
        "meta": {
            "label": args.label or f"commerce and django-oscar-api side by side, {size:,} products",
            "note": "Smoke run on a shared machine, not figures to publish." if args.smoke else "",
            "started": stamp,
            **machine(),
            "python": f"Python {platform.python_version()}",
            "postgres": postgres,
            "git": git_revision(),
            "products": size,
            "workers": args.peer_workers,
            "connections": args.connections,
            "threads": args.threads,
            "duration": args.peer_duration,
            "warmup": args.peer_warmup,
            "rounds": args.rounds,
            "commerce_versions": mine,
            "oscar_versions": theirs,
            "wrk": wrk.version(),
            "flows": flow_steps(stacks),
            "load_before": os.getloadavg(),
        },
        "databases": {},
        "endpoints": {key: {"label": label} for key, label in ENDPOINTS},
    }
    for stack in stacks:
        for key, why in stack.lacks.items():
            results["endpoints"][key].setdefault("n/a", {})[stack.label] = why
    results["databases"][commerce.name] = commerce.prepare_catalog(size)
    results["databases"][oscar.name] = oscar.prepare_catalog(size)
    try:
        requests = {}
        for stack in stacks:
            stack.start_server()
            requests[stack.label] = requests_of(stack, args.connections)
        for number in range(1, args.rounds + 1):
            log(f"round {number} of {args.rounds}")
            for key, stack in schedule(stacks):
                figures = load(args, stack, key, requests[stack.label], out)
                results["endpoints"][key].setdefault(stack.label, {"rounds": []})
                results["endpoints"][key][stack.label]["rounds"].append(figures)
                log(
                    f"    {figures['rps']:.1f}/s p50 {figures['p50_ms']} ms "
                    f"p99 {figures['p99_ms']} ms errors {figures['errors']}"
                )
    finally:
        for stack in stacks:
            stack.stop()
    for entry in results["endpoints"].values():
        for label in (commerce.label, oscar.label):
            if label in entry:
                entry[label].update(median_of(entry[label]["rounds"]))
    results["meta"]["load_after"] = os.getloadavg()
    return finish(out, results, started, write_report)
