"""The peer run (``run.py --peer oscar``): wrk's scripts and output, the flow client, the
side-by-side table, and the whole pipeline once, tiny (``--smoke``).

The parts that need wrk run only where it is installed; CI installs it and sets
``BENCH_REQUIRE_WRK=1``, which turns a missing wrk into a failure instead of a skip.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import client
import peers_report
import pytest
import run
import runner
import stacks
import wrk

import report

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8765
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    2.01ms  23.79ms   80.00%
  2669 requests in 2.00s, 1.02MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   1334.50

"""
WRK_OUTPUT += (
    'WRK_JSON {"requests":2669,"duration_us":2000000,"connect":0,"read":1,"write":0,'
    '"timeout":2,"status":3,"p50_us":5173,"p90_us":9000,"p99_us":23790,"max_us":23790}\n'
)
#: The peer run the performance page publishes.
PUBLISHED = Path(__file__).resolve().parent.parent / "results" / "published-peer-oscar"


@pytest.fixture
def wrk_present():
    if shutil.which("wrk") is None:
        if os.environ.get("BENCH_REQUIRE_WRK"):
            pytest.fail("wrk is not installed, and BENCH_REQUIRE_WRK says it must be")
        pytest.skip("wrk is not installed (apt-get install wrk)")


class Recorder(BaseHTTPRequestHandler):
    """Answers 200 (or 404 for /missing) and remembers each request's method, path,
    headers and body."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    seen: list[tuple[str, str, dict, bytes]] = []

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.seen.append((self.command, self.path, dict(self.headers), body))
        status = 404 if self.path == "/missing" else 200
        payload = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = answer

    def log_message(self, *args) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # wrk drops its connections when it stops: not the test's concern


@pytest.fixture
def server():
    Recorder.seen = []
    httpd = QuietServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_parse_reads_the_done_hook_line():
    figures = wrk.parse(WRK_OUTPUT)
    assert figures["requests"] == 2669
    assert figures["rps"] == pytest.approx(1334.5)
    assert (figures["p50_ms"], figures["p90_ms"], figures["p99_ms"]) == (5.173, 9.0, 23.79)
    assert figures["http_errors"] == 3
    assert figures["socket_errors"] == 3
    assert figures["errors"] == 6


def test_parse_refuses_output_without_the_line():
    with pytest.raises(ValueError, match="WRK_JSON"):
        wrk.parse(WRK_OUTPUT.replace("WRK_JSON", "other"))


def test_lua_strings_are_escaped_and_plain_ascii_only():
    assert wrk.lua_string('a"b\\c') == '"a\\"b\\\\c"'
    with pytest.raises(ValueError, match="not printable ASCII"):
        wrk.lua_string("caf\u00e9")
    with pytest.raises(ValueError, match="not printable ASCII"):
        wrk.lua_string("line\nbreak")
    with pytest.raises(ValueError, match="at least one request"):
        wrk.lua_script([])


def test_wrk_sends_every_request_of_its_script(wrk_present, server, tmp_path):
    port = server.server_address[1]
    requests = [
        wrk.Request("/a/"),
        wrk.Request("/b/", "POST", {"X-Cart-Token": "tok-1", "Content-Type": "x"}, '{"q": 1}'),
        wrk.Request("/missing"),
    ]
    figures = wrk.run(
        f"http://127.0.0.1:{port}",
        requests,
        tmp_path / "script.lua",
        tmp_path / "wrk.log",
        connections=2,
        threads=2,
        seconds=1,
    )
    assert figures["requests"] > 0
    # The server may see a few requests more than wrk counts: those cut off at the end.
    missing = sum(1 for r in Recorder.seen if r[1] == "/missing")
    assert 0 < figures["http_errors"] <= missing
    posts = [r for r in Recorder.seen if r[0] == "POST"]
    assert posts
    assert all(
        r[1] == "/b/" and r[2]["X-Cart-Token"] == "tok-1" and r[3] == b'{"q": 1}' for r in posts
    )
    assert {r[1] for r in Recorder.seen} == {"/a/", "/b/", "/missing"}


def test_flows_count_completed_and_failed_flows(server):
    port = server.server_address[1]
    calls = []

    def flow(connection: client.Client, rng) -> None:
        calls.append(1)
        odd = len(calls) % 2
        connection.call("POST", "/cart/", {"variant": 1})
        connection.call("GET", "/missing" if odd else "/done/")

    figures = client.run_flows(port, flow, threads=2, seconds=0.5, warmup=0)
    assert figures["requests"] > 0
    assert figures["errors"] > 0
    assert set(figures["error_kinds"]) == {"GET /missing: 404"}
    assert figures["requests"] + figures["errors"] <= len(calls)
    assert figures["p50_ms"] <= figures["p99_ms"]


def test_generator_wrk_loads_the_read_scenarios_with_wrk(wrk_present, server, tmp_path):
    """``run.py --generator wrk``: the search scenario's requests, figures in locust's shape."""
    port = server.server_address[1]
    options = ["--generator", "wrk", "--users", "2", "--duration", "1", "--warmup", "0"]
    args = run.parse_args([*options, "--port", str(port), "--out", str(tmp_path)])
    (tmp_path / "logs").mkdir()
    (tmp_path / "raw").mkdir()
    data = tmp_path / "fixture.json"
    data.write_text(json.dumps({"categories": ["shoes", "hats"], "products": ["p-1"]}))
    host = run.Host(args, "bench_x", tmp_path, "secret")
    stats = host.load("search", data)
    entry = stats["endpoints"]["search"]
    assert entry["requests"] > 0
    assert entry["errors"] == 0
    assert entry["outcomes"] == {}
    expected = {
        f"/api/v1/catalog/products/?category={c}&search={w}&in_stock=true"
        for c in ("shoes", "hats")
        for w in run.SEARCH_WORDS
    }
    seen = {r[1] for r in Recorder.seen}
    assert seen <= expected
    assert len(seen) > len(expected) // 2
    meta = {"generator": "wrk", "wrk_scenarios": ["list"], "users": 2, "wrk_threads": 2}
    assert "(list) by wrk instead, 2 connections on 2 threads" in report.generator_note(meta)
    assert report.generator_note({"generator": "locust"}) == ""


def rounds(*rps: float, errors: int = 0) -> dict:
    entry = {
        "rounds": [
            {"rps": r, "p50_ms": r / 10, "p99_ms": r, "requests": 10, "errors": errors} for r in rps
        ]
    }
    entry.update(runner.median_of(entry["rounds"]))
    return entry


def test_the_table_gives_medians_and_commerce_over_oscar():
    results = {
        "endpoints": {
            "list": {
                "label": "product list",
                "commerce": rounds(300, 100, 200),
                "oscar-api": rounds(50, 100, 150, errors=1),
            },
            "detail": {"label": "only one side", "commerce": rounds(5)},
        }
    }
    (row,) = peers_report.peer_rows(results)
    assert (row["commerce_rps"], row["oscar_rps"], row["ratio"]) == (200, 100, 2.0)
    assert (row["commerce_p99"], row["oscar_p99"]) == (200, 100)
    assert (row["commerce_errors"], row["oscar_errors"]) == (0, 3)
    assert peers_report._cells(row) == [
        "product list",
        "100.0",
        "200.0",
        "2.00",
        "100.0",
        "200.0",
        "3 / 0",
    ]


def stack_pair(tmp_path) -> list[stacks.Stack]:
    """The run's two stacks, built as the run builds them (nothing started)."""
    args = argparse.Namespace(database_url="postgres://u:p@127.0.0.1:5432/bench", port=1)
    return [
        stacks.CommerceStack(args, "c", tmp_path, ""),
        stacks.OscarStack(args, "o", tmp_path, tmp_path / "python"),
    ]


def test_the_payment_flow_runs_on_commerce_only(tmp_path):
    """Each round runs every endpoint on commerce and every one but the payment flow on
    oscar-api, alternating; each stack has one load for each endpoint it runs."""
    commerce, oscar = stack_pair(tmp_path)
    for stack in (commerce, oscar):
        runner.check_endpoints(stack)
    order = [(key, stack.label) for key, stack in runner.schedule([commerce, oscar])]
    expected = []
    for key, _ in runner.ENDPOINTS:
        expected.append((key, "commerce"))
        if key != "checkout_payment":
            expected.append((key, "oscar-api"))
    assert order == expected
    assert set(oscar.lacks) == {"checkout_payment"}
    assert set(commerce.flows()) == {"checkout", "checkout_payment"}
    assert set(oscar.flows()) == {"checkout"}
    assert runner.flow_steps([commerce, oscar]) == {
        "checkout": {"commerce": "cart add + checkout", "oscar-api": "basket add + checkout"},
        "checkout_payment": {
            "commerce": "cart add + checkout + payment start",
            "oscar-api": f"n/a ({oscar.lacks['checkout_payment']})",
        },
    }


def test_an_endpoint_a_stack_neither_loads_nor_lacks_stops_the_run(tmp_path, monkeypatch):
    commerce, oscar = stack_pair(tmp_path)
    monkeypatch.setattr(stacks.OscarStack, "lacks", {})
    with pytest.raises(ValueError, match="'checkout_payment' needs one wrk load, flow or lack"):
        runner.check_endpoints(oscar)
    monkeypatch.setattr(stacks.CommerceStack, "lacks", {"checkout": "twice"})
    with pytest.raises(ValueError, match="'checkout' needs one wrk load, flow or lack"):
        runner.check_endpoints(commerce)
    monkeypatch.setattr(stacks.CommerceStack, "lacks", {"refund": "no such endpoint"})
    with pytest.raises(ValueError, match=r"no such endpoint \['refund'\]"):
        runner.check_endpoints(commerce)


class ScriptedClient:
    """Stands in for :class:`client.Client`: records each call and answers as commerce
    does (a cart token on the cart add, an order on checkout)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict, dict]] = []

    def call(self, method, path, payload=None, headers=None, *, expect=(200, 201)):
        self.calls.append((method, path, payload, headers or {}))
        if path == "/api/v1/cart/lines/":
            return client.Response(201, {"X-Cart-Token": "tok-1"}, b"{}")
        if path == "/api/v1/checkout/":
            order = {"number": "CM-1", "access_token": "order-tok"}
            return client.Response(201, {}, json.dumps(order).encode())
        return client.Response(201, {}, b"{}")


def test_commerce_checkout_flow_stops_before_the_payment(tmp_path):
    """``checkout``: cart add, then checkout with that cart's token, and no payment start;
    ``checkout_payment``: the same, then the payment start with the order's token."""
    commerce, _ = stack_pair(tmp_path)
    commerce.fixture = {"hot": {stacks.FLOW_SET: ["v-1"]}}
    flows = commerce.flows()

    scripted = ScriptedClient()
    flows["checkout"][1](scripted, random.Random(1))
    assert [(m, p) for m, p, _, _ in scripted.calls] == [
        ("POST", "/api/v1/cart/lines/"),
        ("POST", "/api/v1/checkout/"),
    ]
    assert scripted.calls[0][2] == {"variant": "v-1", "quantity": 1}
    assert scripted.calls[1][3]["X-Cart-Token"] == "tok-1"

    scripted = ScriptedClient()
    flows["checkout_payment"][1](scripted, random.Random(1))
    assert [(m, p) for m, p, _, _ in scripted.calls] == [
        ("POST", "/api/v1/cart/lines/"),
        ("POST", "/api/v1/checkout/"),
        ("POST", "/api/v1/orders/CM-1/payments/"),
    ]
    assert scripted.calls[2][2]["gateway"] == "dummy"
    assert scripted.calls[2][3]["X-Order-Token"] == "order-tok"


def test_an_endpoint_oscar_lacks_renders_as_na(tmp_path):
    """The payment flow's row: commerce's figures, n/a for oscar-api and the ratio; the
    report's setting names each flow's steps; the chart draws it on commerce alone."""
    why = "no payment step"
    meta = json.loads((PUBLISHED / "results.json").read_text())["meta"]
    meta["flows"] = {
        "checkout": {"commerce": "cart add + checkout", "oscar-api": "basket add + checkout"},
        "checkout_payment": {
            "commerce": "cart add + checkout + payment start",
            "oscar-api": f"n/a ({why})",
        },
    }
    results = {
        "meta": meta,
        "endpoints": {
            "checkout": {
                "label": "checkout flow: add + checkout",
                "commerce": rounds(30, 20, 40),
                "oscar-api": rounds(10),
            },
            "checkout_payment": {
                "label": "checkout flow with payment start",
                "commerce": rounds(15, 25, 20, errors=1),
                "n/a": {"oscar-api": why},
            },
        },
    }
    checkout, payment = peers_report.peer_rows(results)
    assert (checkout["ratio"], checkout["lacking"]) == (3.0, [])
    assert (payment["commerce_rps"], payment["oscar_rps"], payment["ratio"]) == (20, None, None)
    assert payment["lacking"] == ["oscar-api"]
    assert peers_report._cells(payment) == [
        "checkout flow with payment start",
        "n/a",
        "20.0",
        "n/a",
        "n/a",
        "20.0",
        "n/a / 3",
    ]
    setting = peers_report.setting(results)
    assert setting.endswith(
        "Checkout flow: add + checkout (commerce cart add + checkout; oscar-api basket add + "
        "checkout). Checkout flow with payment start (commerce cart add + checkout + payment "
        f"start; oscar-api n/a ({why}))."
    )
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    markdown = peers_report.write_report(path).read_text()
    row = "| checkout flow with payment start | n/a | 20.0 | n/a | n/a | 20.0 | n/a / 3 |"
    assert row in markdown
    assert "| checkout flow: add + checkout | 10.0 | 30.0 | 3.00 |" in markdown
    assert "n/a" in (tmp_path / "tables.rst.inc").read_text()
    assert (tmp_path / "chart.png").stat().st_size > 0


def test_the_published_run_renders_its_table(tmp_path):
    """The run the performance page includes: every endpoint on both stacks, and the
    reST table's rows as wide as its header."""
    results = tmp_path / "results.json"
    results.write_text((PUBLISHED / "results.json").read_text())
    markdown = peers_report.write_report(results).read_text()
    found = json.loads(results.read_text())
    rows = peers_report.peer_rows(found)
    # The run's own endpoints: the published run may predate the newest endpoint.
    assert [row["label"] for row in rows] == [e["label"] for e in found["endpoints"].values()]
    for row in rows:
        assert f"| {' | '.join(peers_report._cells(row))} |" in markdown
        if row["lacking"]:
            assert row["ratio"] is None
        else:
            assert row["ratio"] == pytest.approx(row["commerce_rps"] / row["oscar_rps"])
    table = (tmp_path / "tables.rst.inc").read_text().split(".. list-table::")[1]
    widths = {row.count("\n     -") + 1 for row in table.split("   * - ")[1:]}
    assert widths == {len(peers_report.HEADER)}
    assert (tmp_path / "chart.png").stat().st_size > 10_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_smoke_run_measures_both_stacks_end_to_end(wrk_present, tmp_path):
    """``run.py --peer oscar --smoke``: the oscar virtualenv, both seeds, both servers,
    every endpoint on both but the payment flow (commerce only, n/a for oscar-api), no
    errors, the report's files, and no server left running."""
    out = tmp_path / "run"
    port = free_port()
    prefix = "test_peer_smoke"
    assert (
        run.main(
            [
                "--peer",
                "oscar",
                "--smoke",
                "--out",
                str(out),
                "--port",
                str(port),
                "--peer-db-prefix",
                prefix,
            ]
        )
        == 0
    )
    results = json.loads((out / "results.json").read_text())
    assert [key for key, _ in runner.ENDPOINTS] == list(results["endpoints"])
    for key, entry in results["endpoints"].items():
        for stack in ("commerce", "oscar-api"):
            if key == "checkout_payment" and stack == "oscar-api":
                assert stack not in entry
                assert "no payment step" in entry["n/a"][stack]
                continue
            assert entry[stack]["requests"] > 0, (key, stack)
            assert entry[stack]["errors"] == 0, (key, stack, entry[stack]["rounds"])
    assert len(peers_report.peer_rows(results)) == len(runner.ENDPOINTS)
    assert set(results["meta"]["flows"]) == {"checkout", "checkout_payment"}
    markdown = (out / "results.md").read_text()
    assert "| checkout flow with payment start | n/a |" in markdown
    for name in ("results.md", "tables.rst.inc", "chart.png"):
        assert (out / name).stat().st_size > 0
    oscar_url = run.database_url(run.DEFAULT_DATABASE_URL, f"{prefix}_oscar_200")
    oscar_url = run.database_url(os.environ.get("DATABASE_URL", oscar_url), f"{prefix}_oscar_200")
    with run.connect(oscar_url) as connection:
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM catalogue_product), "
            "(SELECT count(*) FROM catalogue_category), "
            "(SELECT count(*) FROM partner_stockrecord), "
            "(SELECT count(DISTINCT product_id) FROM catalogue_productcategory)"
        ).fetchone()
    assert counts == (200, 20, 200, 200)
    for port_in_use in (port, port + 1):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port_in_use)) != 0
