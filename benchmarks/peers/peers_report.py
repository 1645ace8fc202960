"""The peer run's report: ``results.md``, ``tables.rst.inc`` and ``chart.png``.

One row per endpoint: each stack's median req/s (checkout flows: flows/s) over the
rounds, commerce's over oscar-api's, each stack's median p99 and its errors
summed over the rounds. An endpoint a stack has no counterpart for (recorded under
``n/a`` in ``results.json``) shows n/a in that stack's cells and no ratio, and the
chart draws only the stacks that ran it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from report import _list_table, _markdown_rows, _ms, _rps, write_files

STACKS = ("oscar-api", "commerce")
HEADER = [
    "Endpoint",
    "oscar-api req/s",
    "commerce req/s",
    "commerce / oscar",
    "oscar-api p99 ms",
    "commerce p99 ms",
    "Errors (oscar-api / commerce)",
]


#: The cell of a stack that has no counterpart for the endpoint.
NA = "n/a"


def peer_rows(results: dict) -> list[dict]:
    """One dict per endpoint that each stack either measured or lacks: label, rps, p99 and
    errors of each (``None`` where it lacks the endpoint), ratio, and which stacks lack it.
    An endpoint a stack neither measured nor lacks (a run cut short) has no row."""
    rows = []
    for entry in results["endpoints"].values():
        lacking = set(entry.get(NA, {}))
        if not all(stack in entry or stack in lacking for stack in STACKS):
            continue
        oscar, commerce = (entry.get(stack, {}) for stack in ("oscar-api", "commerce"))
        both = not lacking and oscar["rps"]
        rows.append(
            {
                "label": entry["label"],
                "oscar_rps": oscar.get("rps"),
                "commerce_rps": commerce.get("rps"),
                "ratio": commerce["rps"] / oscar["rps"] if both else None,
                "oscar_p99": oscar.get("p99_ms"),
                "commerce_p99": commerce.get("p99_ms"),
                "oscar_errors": oscar.get("errors"),
                "commerce_errors": commerce.get("errors"),
                "lacking": sorted(lacking),
            }
        )
    return rows


def _cells(row: dict) -> list[str]:
    def cell(stack: str, value: str) -> str:
        return NA if stack in row["lacking"] else value

    ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
    return [
        row["label"],
        cell("oscar-api", _rps(row["oscar_rps"])),
        cell("commerce", _rps(row["commerce_rps"])),
        NA if row["lacking"] else ratio,
        cell("oscar-api", _ms(row["oscar_p99"])),
        cell("commerce", _ms(row["commerce_p99"])),
        f"{cell('oscar-api', str(row['oscar_errors']))} / "
        f"{cell('commerce', str(row['commerce_errors']))}",
    ]


def _load(values) -> str:
    return " / ".join(f"{value:.2f}" for value in values)


def setting(results: dict) -> str:
    """One paragraph: machine, versions, load generators, and the load before and after."""
    meta = results["meta"]
    mine, theirs = meta["commerce_versions"], meta["oscar_versions"]
    wrk = meta["wrk"].split(" Copyright")[0]  # wrk -v's line ends with its copyright
    return (
        f"{meta['products']:,} products on each side; gunicorn {mine['gunicorn']}, "
        f"{meta['workers']} sync workers each, on 127.0.0.1; PostgreSQL {meta['postgres']}; "
        f"{meta['python']}; commerce {mine['commerce']} at {meta['git']} on Django "
        f"{mine['django']}; django-oscar {theirs['django-oscar']} + django-oscar-api "
        f"{theirs['django-oscar-api']} on Django {theirs['Django']}. {wrk}: "
        f"{meta['connections']} connections, {meta['threads']} threads; the checkout flows "
        f"from {meta['connections']} Python threads. {meta['warmup']:g} s warm-up, then "
        f"{meta['duration']:g} s measured per endpoint and stack, the stacks alternating "
        f"endpoint by endpoint; medians of {meta['rounds']} round(s). {meta['cpu']}, "
        f"{meta['cores']} cores; load average (1/5/15 min) {_load(meta['load_before'])} "
        f"before, {_load(meta['load_after'])} after. {flows(results)}"
    )


def flows(results: dict) -> str:
    """Each flow endpoint's steps on each stack, in a sentence each."""
    steps = results["meta"]["flows"]
    if "commerce" in steps:
        # A run from before the flows were split had one flow, with its steps per stack.
        steps = {"checkout": steps}
    sentences = []
    for key, per_stack in steps.items():
        label = results["endpoints"][key]["label"]
        each = "; ".join(f"{stack} {named}" for stack, named in per_stack.items())
        sentences.append(f"{label[:1].upper()}{label[1:]} ({each}).")
    return " ".join(sentences)


def markdown(results: dict) -> str:
    meta = results["meta"]
    lines = [
        f"# {meta['label']}",
        "",
        f"When: {meta['started']} (UTC), {meta['elapsed_s']:.0f} s in all.",
        "",
        setting(results),
    ]
    if meta.get("note"):
        lines += ["", f"**{meta['note']}**"]
    lines += [
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|" + "---:|" * (len(HEADER) - 1),
        *_markdown_rows([_cells(row) for row in peer_rows(results)]),
        "",
        "![chart](chart.png)",
        "",
    ]
    return "\n".join(lines)


def rst(results: dict) -> str:
    """The table as reStructuredText, for the docs to ``.. include::``."""
    return "\n".join(
        [
            setting(results),
            "",
            *_list_table(
                "commerce and django-oscar-api side by side (medians of the rounds; "
                "checkout flows: flows per second; n/a: the stack has no such step)",
                HEADER,
                [_cells(row) for row in peer_rows(results)],
            ),
        ]
    )


def chart(results: dict, path: Path) -> None:
    """Grouped bars: each endpoint's req/s on both stacks (only a bar for a stack that
    ran it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = peer_rows(results)
    fig, ax = plt.subplots(figsize=(12, 6))
    positions = range(len(rows))
    width = 0.4
    for offset, (stack, key, colour) in zip(
        (-width / 2, width / 2),
        [("oscar-api", "oscar_rps", "#dd8452"), ("commerce", "commerce_rps", "#4c72b0")],
        strict=True,
    ):
        ran = [
            (p, r[key]) for p, r in zip(positions, rows, strict=True) if stack not in r["lacking"]
        ]
        bars = ax.bar(
            [p + offset for p, _ in ran],
            [value for _, value in ran],
            width,
            label=stack,
            color=colour,
        )
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
        for p, r in zip(positions, rows, strict=True):
            if stack in r["lacking"]:
                # Where the bar would be, at the foot of the axis: the stack has no such step.
                ax.annotate(
                    "n/a",
                    (p + offset, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                    color=colour,
                )
    labels = [textwrap.fill(r["label"], 18) for r in rows]
    ax.set_xticks(list(positions), labels, fontsize=8)
    # A log scale: the no-database ceiling is some hundred times the checkout flow.
    ax.set_yscale("log")
    ax.set_ylabel("requests per second (checkout flows: flows per second), log scale")
    ax.set_title(results["meta"]["label"])
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(results_path: Path) -> Path:
    """Write the peer run's files beside ``results_path``; return the markdown's path."""
    return write_files(results_path, markdown, rst, chart)
