"""Turn a benchmark's ``results.json`` into a markdown report and a PNG chart.

``run.py`` calls :func:`write_report` at the end of a run; to redraw an old
run: ``python benchmarks/report.py benchmarks/results/<run>/results.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: (row label, scenario, stats entry, ratio target or None), in table order.
ENDPOINT_ROWS = [
    ("ceiling (bare Django view, one .values() query)", "ceiling", "ceiling", None),
    ("product list", "list", "list", "list"),
    ("filtered + searched list", "search", "search", None),
    ("product detail", "detail", "detail", 0.40),
    ("cart add", "cart_add", "cart add", 0.25),
    ("checkout flow (cart add + checkout + payment start)", "checkout", "checkout flow", 0.10),
    ("  of which: cart add", "checkout", "cart add", None),
    ("  of which: checkout", "checkout", "checkout", None),
    ("  of which: payment start", "checkout", "payment start", None),
    ("payment webhook (signed dummy event)", "webhook", "webhook", None),
]

#: (row label, stats entry) of the largest-cart table, in order; {lines} is the cart size.
BIGCART_ROWS = [
    ("whole flow: {lines} adds + checkout + payment start", "bigcart flow"),
    ("adding all {lines} lines", "bigcart add all"),
    ("one cart add", "bigcart cart add"),
    ("checkout of the {lines}-line cart", "bigcart checkout"),
    ("payment start", "bigcart payment start"),
]
#: (row label, run, stats entry, whether the target applies) of the pricing table.
PRICING_ROWS = [
    ("cart read (3 lines, shipping and tax estimated)", "cart", "pricing cart read", True),
    ("checkout flow (3 cart adds + checkout)", "checkout", "pricing checkout flow", True),
    ("  of which: cart add", "checkout", "pricing cart add", False),
    ("  of which: checkout", "checkout", "pricing checkout", False),
]
#: Throughput with promotions over the throughput without.
PRICING_TARGET = 0.80

#: gunicorn's default worker timeout, which the largest checkout must stay well under.
WORKER_TIMEOUT_S = 30

#: Product list targets by catalog cache mode.
LIST_TARGETS = {"off": 0.50, "on": 0.90}
#: Product list p99 at the largest catalog over the smallest.
SCALE_TARGET = 1.5


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    rank = max(1, -(-len(values) * p // 100))  # ceil(n * p / 100)
    return round(values[int(rank) - 1], 3)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _count(value) -> str:
    return "-" if value is None else f"{value:,}"


def _rps(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _cells(row: dict, column: str) -> list[str]:
    """A throughput row's table cells: label, ``row[column]`` (the catalog cache mode or
    the promotion count), req/s, p50, p99, errors, ratio, target, met."""
    value = row[column]
    return [
        row["label"],
        f"{value:,}" if isinstance(value, int) else str(value),
        _rps(row["rps"]),
        _ms(row["p50"]),
        _ms(row["p99"]),
        str(row["errors"]),
        "-" if row["ratio"] is None else f"{row['ratio']:.2f}",
        "-" if row["target"] is None else f">= {row['target']:.2f}",
        {None: "", True: "yes", False: "**no**"}[row["met"]],
    ]


def _markdown_rows(rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(cells) + " |" for cells in rows]


def _rst_rows(rows: list[list[str]]) -> list[list[str]]:
    """The cells without the indentation the markdown labels keep."""
    return [[cell.strip() for cell in cells] for cells in rows]


def endpoint_rows(results: dict) -> list[dict]:
    """One dict per table row: label, mode, rps, p50, p99, errors, ratio, target, met."""
    rows = []
    for mode, scenarios in results["endpoints"].items():
        ceiling = scenarios.get("ceiling", {}).get("endpoints", {}).get("ceiling", {}).get("rps")
        for label, scenario, entry, target in ENDPOINT_ROWS:
            stats = scenarios.get(scenario, {}).get("endpoints", {}).get(entry)
            if stats is None:
                continue
            if target == "list":
                target = LIST_TARGETS[mode]
            ratio = stats["rps"] / ceiling if ceiling else None
            rows.append(
                {
                    "label": label,
                    "mode": mode,
                    "rps": stats["rps"],
                    "p50": stats["p50_ms"],
                    "p99": stats["p99_ms"],
                    "requests": stats["requests"],
                    "errors": stats["errors"],
                    "outcomes": stats.get("outcomes", {}),
                    "ratio": ratio if scenario != "ceiling" else 1.0,
                    "target": target,
                    "met": None if target is None or ratio is None else ratio >= target,
                }
            )
    return rows


def scale_rows(results: dict) -> list[dict]:
    rows = []
    scale = results.get("scale", {})
    sizes = sorted(scale, key=int)
    base = None
    for size in sizes:
        stats = scale[size]["endpoints"].get("list")
        if stats is None:
            continue
        base = base or stats["p99_ms"]
        rows.append(
            {
                "products": int(size),
                "rps": stats["rps"],
                "p50": stats["p50_ms"],
                "p99": stats["p99_ms"],
                "errors": stats["errors"],
                "growth": stats["p99_ms"] / base if base else None,
            }
        )
    return rows


def bigcart_rows(results: dict) -> list[dict]:
    """The largest cart's steps: label, requests, p50, p90, p99, max, errors."""
    run = results.get("bigcart")
    if not run:
        return []
    endpoints = run["stats"]["endpoints"]
    rows = []
    for label, entry in BIGCART_ROWS:
        stats = endpoints.get(entry)
        if stats is None:
            continue
        rows.append(
            {
                "label": label.format(lines=run["lines"]),
                "requests": stats["requests"],
                "p50": stats["p50_ms"],
                "p90": stats["p90_ms"],
                "p99": stats["p99_ms"],
                "max": stats["max_ms"],
                "errors": stats["errors"],
            }
        )
    return rows


def bigcart_sentence(results: dict) -> str:
    """What the largest cart's checkout took, against the worker timeout."""
    run = results["bigcart"]
    endpoints = run["stats"]["endpoints"]
    checkout = endpoints.get("bigcart checkout")
    outcomes = endpoints.get("bigcart flow", {}).get("outcomes", {})
    done = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items())) or "none"
    jit = results["meta"].get("jit", "?")
    if checkout is None:
        return f"Largest cart ({run['lines']} lines): no checkout completed ({done})."
    worst = checkout["max_ms"] / 1000
    sentence = (
        f"Largest cart ({run['lines']} lines, {run['users']} shopper(s) at once, PostgreSQL "
        f"JIT {jit}): flows {done}; the slowest checkout took {worst:.2f} s, "
        f"{worst / WORKER_TIMEOUT_S:.1%} of gunicorn's default {WORKER_TIMEOUT_S} s worker "
        "timeout."
    )
    plan = run.get("plan")
    if plan:
        sentence += (
            f" Its checkout and payment sent {plan['statements']} statements (the longest "
            f"{plan['longest_statement_chars']:,} characters); the costliest is planned at "
            f"{plan['highest_planned_cost']:,.0f}, against a JIT threshold "
            f"(jit_above_cost) of {plan['jit_above_cost']:,.0f}."
        )
    return sentence


def pricing_rows(results: dict) -> list[dict]:
    """One dict per (promotion count, step): label, promotions, rps, p50, p99, errors,
    ratio (to the same step with the first count, the baseline), target, met."""
    counts = results.get("pricing", {}).get("counts", {})
    ordered = sorted(counts, key=int)
    ceilings = {
        count: counts[count].get("ceiling", {}).get("endpoints", {}).get("ceiling", {}).get("rps")
        for count in ordered
    }
    rows = []
    for label, run, entry, targeted in PRICING_ROWS:
        base = None
        for count in ordered:
            stats = counts[count][run]["endpoints"].get(entry)
            if stats is None:
                continue
            base = base if base is not None else stats["rps"]
            ratio = stats["rps"] / base if base else None
            target = PRICING_TARGET if targeted and count != ordered[0] else None
            ceiling, first = ceilings[count], ceilings[ordered[0]]
            rows.append(
                {
                    "label": label,
                    "promotions": int(count),
                    "rps": stats["rps"],
                    "p50": stats["p50_ms"],
                    "p99": stats["p99_ms"],
                    "errors": stats["errors"],
                    "ratio": ratio,
                    "target": target,
                    "met": None if target is None or ratio is None else ratio >= target,
                    "ceiling": ceiling,
                    # The ratio had the machine been as busy as during the baseline.
                    "adjusted": ratio * first / ceiling if ratio and ceiling and first else None,
                }
            )
    return rows


def _pricing_cells(row: dict) -> list[str]:
    return [
        *_cells(row, "promotions"),
        _rps(row["ceiling"]),
        "-" if row["adjusted"] is None else f"{row['adjusted']:.2f}",
    ]


#: The figures after a throughput table's first two columns (see :func:`_cells`).
FIGURES_HEADER = ["Req/s", "p50 ms", "p99 ms", "Errors", "Ratio", "Target", "Met"]
#: The pricing table's header.
PRICING_HEADER = ["Step", "Promotions", *FIGURES_HEADER, "Ceiling req/s", "Ratio, ceiling-adjusted"]


def pricing_sentence(results: dict) -> str:
    """The pricing configuration in one sentence (the same in markdown and rst)."""
    counts = results["pricing"]["counts"]
    ordered = sorted(counts, key=int)
    setup = counts[ordered[-1]]["setup"]
    loaded = "; ".join(
        f"{int(c):,} promotions: {counts[c]['setup']['loaded_per_cart']['mean']} on average, "
        f"{counts[c]['setup']['loaded_per_cart']['max']} at most"
        for c in ordered
        if "loaded_per_cart" in counts[c]["setup"]
    )
    return (
        f"{setup['zones']} zones, {setup['shipping_methods']} shipping methods and "
        f"{setup['tax_rates']} tax rates (the bench's own; the demo's 2 zones are there too); "
        f"promotions {', '.join(f'{int(c):,}' for c in ordered)}, all active, with "
        f"{setup['promotion_targets']:,} target rows at the largest count. Promotions the "
        f"engine loads for a cart of 3 random products ({loaded}). Ratio: throughput over the "
        f"same step's with {int(ordered[0]):,} promotions, same server, same run; target >= "
        f"{PRICING_TARGET:.2f}. Ceiling: the bare view's req/s measured just before each count; "
        "the adjusted ratio scales the ratio by how much the ceiling moved."
    )


def contention_rows(results: dict) -> list[dict]:
    rows = []
    for buyers, run in sorted(results.get("contention", {}).items(), key=lambda kv: int(kv[0])):
        name = run["hot_set"]
        endpoints = run["stats"]["endpoints"]
        flow = endpoints.get(f"{name} checkout flow", {})
        outcomes = flow.get("outcomes", {})
        sold_out = sum(
            endpoints.get(f"{name} {step}", {}).get("outcomes", {}).get("sold_out", 0)
            for step in ("cart add", "checkout")
        )
        other = sum(
            endpoints.get(f"{name} {step}", {}).get("errors", 0)
            for step in ("cart add", "checkout", "payment start")
        )
        rows.append(
            {
                "buyers": int(buyers),
                "variants": run["variants"],
                "flows_per_s": flow.get("rps", 0.0),
                "completed": outcomes.get("completed", 0),
                "sold_out": sold_out,
                "other_errors": other,
                "p50": flow.get("p50_ms"),
                "p99": flow.get("p99_ms"),
                "stock": run.get("stock"),
                "after": run.get("after"),
                "reserved_in_run": run.get("reserved_in_run"),
            }
        )
    return rows


def _error_statuses(statuses: dict[str, int]) -> list[str]:
    return sorted(code for code in statuses if int(code) >= 400)


def sellout_sentence(sellout: dict) -> str:
    """The sell-out's outcome in one sentence (the same in markdown and reStructuredText)."""
    verdict = "clean" if sellout["clean"] else "**not clean**"
    refused = sellout.get("refused")
    if refused:
        # Which step refused, with which error statuses: "12 at checkout (409)".
        refusals = ", ".join(
            f"{entry['sold_out']:,} at {step} ({', '.join(_error_statuses(entry['statuses']))})"
            for step, entry in refused.items()
            if entry["sold_out"]
        )
        refusals = f"sold-out refusals: {refusals or 'none'}"
    else:
        refusals = f"{sellout['sold_out']:,} sold-out refusals"
    return (
        f"Sell-out: {sellout['buyers']} buyers, one variant with {sellout['stock']} in stock: "
        f"{sellout['orders_placed']} orders placed, {refusals}, {sellout['other_errors']} other "
        f"errors, {sellout['available_after']} left available: {verdict}."
    )


def generator_note(meta: dict) -> str:
    """Which scenarios wrk loaded instead of locust (``--generator wrk``), or nothing."""
    if meta.get("generator", "locust") != "wrk":
        return ""
    return (
        f"; the read scenarios ({', '.join(meta['wrk_scenarios'])}) by wrk instead, "
        f"{meta['users']} connections on {meta['wrk_threads']} threads"
    )


def markdown(results: dict) -> str:
    meta = results["meta"]
    lines = [
        f"# commerce benchmark: {meta['label']}",
        "",
        f"- When: {meta['started']} (UTC), {meta['elapsed_s']:.0f} s in all",
        f"- Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory_gb']} GB RAM; "
        f"{meta['python']}, Django {meta['django']}, PostgreSQL {meta['postgres']}",
        f"- commerce {meta['commerce']} at {meta['git']}",
        f"- Server: gunicorn {meta['gunicorn']}, {meta['workers']} sync workers on 127.0.0.1, "
        f"CONN_MAX_AGE {meta['conn_max_age']}, cache {meta['cache_url']}",
        f"- Load: locust {meta['locust']} on the same machine, {meta['users']} users without think "
        f"time, {meta['warmup']} s warm-up then {meta['duration']} s measured per scenario"
        + generator_note(meta),
        f"- Catalog: {meta['products']:,} products for the endpoint table",
    ]
    if meta.get("note"):
        lines += ["", f"**{meta['note']}**"]
    if meta.get("catalog_cache_note"):
        lines += ["", meta["catalog_cache_note"]]

    lines += [
        "",
        "## Endpoints",
        "",
        "Ratio: the endpoint's requests (or checkout flows) per second over the ceiling's, "
        "measured against the same server in the same run.",
        "",
        "| Endpoint | Catalog cache | Req/s | p50 ms | p99 ms | Errors | Ratio | Target | Met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += _markdown_rows([_cells(row, "mode") for row in endpoint_rows(results)])
    outcomes = [
        f"- {row['label']} ({row['mode']}): "
        + ", ".join(f"{count} {name}" for name, count in sorted(row["outcomes"].items()))
        for row in endpoint_rows(results)
        if row["outcomes"]
    ]
    if outcomes:
        lines += ["", "Outcomes:", "", *outcomes]

    scale = scale_rows(results)
    if scale:
        lines += [
            "",
            "## Product list against catalog size",
            "",
            f"Target: p99 at the largest catalog within {SCALE_TARGET}x of the smallest's.",
            "",
            "| Products | Req/s | p50 ms | p99 ms | Errors | p99 / smallest's |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for row in scale:
            growth = "-" if row["growth"] is None else f"{row['growth']:.2f}"
            lines.append(
                f"| {row['products']:,} | {_rps(row['rps'])} | {_ms(row['p50'])} | "
                f"{_ms(row['p99'])} | {row['errors']} | {growth} |"
            )
        if len(scale) > 1 and scale[-1]["growth"] is not None:
            met = "met" if scale[-1]["growth"] <= SCALE_TARGET else "**missed**"
            lines += ["", f"Target {met}: {scale[-1]['growth']:.2f}x."]

    contention = contention_rows(results)
    if contention:
        lines += [
            "",
            "## Checkout under contention",
            "",
            "Concurrent buyers each loop on the checkout flow for the same few variants. A "
            "refusal for lack of stock (`insufficient_stock`) is the expected answer once they "
            "sell out; anything else counts as an error. Units reserved: what the run's "
            "orders (warm-up included) hold of those variants.",
            "",
            "| Buyers | Variants | Stock each | Flows/s | Completed | Sold-out refusals | "
            "Other errors | p50 ms | p99 ms | Units reserved |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in contention:
            lines.append(
                f"| {row['buyers']} | {row['variants']} | {row['stock']:,} | "
                f"{row['flows_per_s']:.1f} | {row['completed']} | {row['sold_out']} | "
                f"{row['other_errors']} | {_ms(row['p50'])} | {_ms(row['p99'])} | "
                f"{_count(row['reserved_in_run'])} |"
            )
    if results.get("sellout"):
        lines += ["", sellout_sentence(results["sellout"])]

    bigcart = bigcart_rows(results)
    if bigcart:
        lines += [
            "",
            "## The largest cart",
            "",
            "One shopper fills a cart to `CART_MAX_LINES` with distinct variants, one add at a "
            "time, then checks out as a guest and starts a dummy payment.",
            "",
            "| Step | Count | p50 ms | p90 ms | p99 ms | Max ms | Errors |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in bigcart:
            lines.append(
                f"| {row['label']} | {row['requests']:,} | {_ms(row['p50'])} | "
                f"{_ms(row['p90'])} | {_ms(row['p99'])} | {_ms(row['max'])} | {row['errors']} |"
            )
    if results.get("bigcart"):
        lines += ["", bigcart_sentence(results)]

    pricing = pricing_rows(results)
    if pricing:
        lines += [
            "",
            "## Pricing: promotions, zones, shipping methods",
            "",
            pricing_sentence(results),
            "",
            "| " + " | ".join(PRICING_HEADER) + " |",
            "|---|" + "---:|" * 7 + "---|---:|---:|",
        ]
        lines += _markdown_rows([_pricing_cells(row) for row in pricing])

    checks = results.get("checks", {})
    if checks:
        lines += ["", "## Consistency after the run", ""]
        for database, found in checks.items():
            catalog = found.get("catalog") or []
            invariants = found.get("commerce_invariants")
            status = "no problems" if not catalog and not invariants else "**problems**"
            lines.append(f"- `{database}`: {status}")
            lines += [f"  - {problem}" for problem in catalog + (invariants or [])]
            if invariants is None:
                lines.append(
                    "  - (commerce's invariant checker is not in this version; the benchmark's own "
                    "checks ran)"
                )
    lines += ["", "![chart](chart.png)", ""]
    return "\n".join(lines)


def _list_table(caption: str, header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [f".. list-table:: {caption}", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" if cell else "     -" for cell in row[1:]]
    return [*lines, ""]


def rst(results: dict) -> str:
    """The report's tables as reStructuredText, for the docs to ``.. include::``.

    No section titles, so the including page keeps its own; the figures are the
    same as :func:`markdown`'s.
    """
    meta = results["meta"]
    lines = [
        f"{meta['products']:,} products; {meta['workers']} gunicorn sync workers; "
        f"{meta['users']} locust users; {meta['warmup']} s warm-up, {meta['duration']} s "
        f"measured per scenario; cache ``{meta['cache_url']}``; commerce at ``{meta['git']}``; "
        f"{meta['cpu']}, {meta['cores']} cores; {meta['python']}, Django {meta['django']}, "
        f"PostgreSQL {meta['postgres']}{generator_note(meta)}.",
        "",
    ]
    endpoints = endpoint_rows(results)
    lines += endpoints and _list_table(
        "Endpoints (ratio: requests, or checkout flows, per second over the ceiling's)",
        ["Endpoint", "Catalog cache", *FIGURES_HEADER],
        _rst_rows([_cells(row, "mode") for row in endpoints]),
    )
    scale = scale_rows(results)
    if scale:
        lines += _list_table(
            f"Product list against catalog size (target: p99 at the largest within "
            f"{SCALE_TARGET}x of the smallest's)",
            ["Products", "Req/s", "p50 ms", "p99 ms", "Errors", "p99 / smallest's"],
            [
                [
                    f"{row['products']:,}",
                    _rps(row["rps"]),
                    _ms(row["p50"]),
                    _ms(row["p99"]),
                    str(row["errors"]),
                    "-" if row["growth"] is None else f"{row['growth']:.2f}",
                ]
                for row in scale
            ],
        )
    contention = contention_rows(results)
    if contention:
        lines += _list_table(
            "Checkout under contention (buyers of the same few variants)",
            [
                "Buyers",
                "Variants",
                "Flows/s",
                "Completed",
                "Sold-out refusals",
                "Other errors",
                "p50 ms",
                "p99 ms",
                "Units reserved",
            ],
            [
                [
                    str(row["buyers"]),
                    str(row["variants"]),
                    f"{row['flows_per_s']:.1f}",
                    str(row["completed"]),
                    str(row["sold_out"]),
                    str(row["other_errors"]),
                    _ms(row["p50"]),
                    _ms(row["p99"]),
                    _count(row["reserved_in_run"]),
                ]
                for row in contention
            ],
        )
    if results.get("sellout"):
        lines += [sellout_sentence(results["sellout"]), ""]
    bigcart = bigcart_rows(results)
    if bigcart:
        lines += _list_table(
            "The largest cart: filled one add at a time, checked out, payment started",
            ["Step", "Count", "p50 ms", "p90 ms", "p99 ms", "Max ms", "Errors"],
            [
                [
                    row["label"],
                    f"{row['requests']:,}",
                    _ms(row["p50"]),
                    _ms(row["p90"]),
                    _ms(row["p99"]),
                    _ms(row["max"]),
                    str(row["errors"]),
                ]
                for row in bigcart
            ],
        )
    if results.get("bigcart"):
        lines += [bigcart_sentence(results), ""]
    pricing = pricing_rows(results)
    if pricing:
        lines += [pricing_sentence(results), ""]
        lines += _list_table(
            "Pricing: throughput against the same step without promotions",
            PRICING_HEADER,
            _rst_rows([_pricing_cells(row) for row in pricing]),
        )
    for database, found in results.get("checks", {}).items():
        problems = (found.get("catalog") or []) + (found.get("commerce_invariants") or [])
        status = "no problems" if not problems else f"{len(problems)} problems"
        lines += [f"Consistency checks on ``{database}`` after the run: {status}.", ""]
    return "\n".join(lines)


def chart(results: dict, path: Path) -> None:
    """Four panels: req/s per endpoint, ratio to the ceiling with targets, scale, contention."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in endpoint_rows(results) if not r["label"].startswith("  ")]
    labels = [
        f"{r['label'].split(' (')[0]}\n[cache {r['mode']}]"
        if len(results["endpoints"]) > 1
        else r["label"].split(" (")[0]
        for r in rows
    ]
    fig, axes = plt.subplots(2, 2, figsize=(15, 10))
    fig.suptitle(f"commerce benchmark: {results['meta']['label']}", fontsize=13)

    ax = axes[0][0]
    ax.barh(labels, [r["rps"] for r in rows], color="#4c72b0")
    ax.invert_yaxis()
    ax.set_xlabel("requests (checkout: flows) per second")
    ax.set_title("Throughput")
    ax.tick_params(axis="y", labelsize=8)

    ax = axes[0][1]
    ratios = [(label, r) for label, r in zip(labels, rows, strict=True) if r["target"] is not None]
    if ratios:
        names = [label for label, _ in ratios]
        colours = ["#55a868" if r["met"] else "#c44e52" for _, r in ratios]
        ax.barh(names, [r["ratio"] or 0 for _, r in ratios], color=colours)
        ax.scatter(
            [r["target"] for _, r in ratios], names, marker="|", s=400, color="black", zorder=3
        )
        ax.invert_yaxis()
    ax.set_xlabel("ratio to the ceiling (black mark: target)")
    ax.set_title("Against the ceiling")
    ax.tick_params(axis="y", labelsize=8)

    ax = axes[1][0]
    scale = scale_rows(results)
    if scale:
        sizes = [r["products"] for r in scale]
        ax.plot(sizes, [r["p99"] for r in scale], marker="o", label="p99")
        ax.plot(sizes, [r["p50"] for r in scale], marker="o", label="p50")
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)
        ax.legend()
    ax.set_xlabel("products in the catalog")
    ax.set_ylabel("ms")
    ax.set_title("Product list latency against catalog size")

    ax = axes[1][1]
    contention = contention_rows(results)
    if contention:
        ax.bar(
            [str(r["buyers"]) for r in contention],
            [r["flows_per_s"] for r in contention],
            color="#8172b2",
        )
    ax.set_xlabel("concurrent buyers of the same variants")
    ax.set_ylabel("completed checkout flows per second")
    ax.set_title("Checkout under contention")

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_files(results_path: Path, markdown, rst, chart) -> Path:
    """Write ``results.md``, ``tables.rst.inc`` and ``chart.png`` beside ``results_path``
    with these renderers (the peer run has its own); return the markdown's path."""
    results = json.loads(results_path.read_text())
    out = results_path.parent / "results.md"
    out.write_text(markdown(results))
    (results_path.parent / "tables.rst.inc").write_text(rst(results))
    chart(results, results_path.parent / "chart.png")
    return out


def write_report(results_path: Path) -> Path:
    """Write this report's files beside ``results_path``; return the markdown's path."""
    return write_files(results_path, markdown, rst, chart)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/report.py RESULTS_JSON")
    print(write_report(Path(sys.argv[1])).read_text())
