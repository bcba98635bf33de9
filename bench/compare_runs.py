"""Compare browser_bench.py JSON results of two apps, step by step.

Each side is one or more ``--json`` files of ``browser_bench.py`` runs (for
an A/B, interleave the runs of the two apps on the same machine). Per step it
prints the medians over the files of: time to the finish, server CPU seconds,
the page's main-thread busy seconds, and websocket bytes. On a busy machine
the CPU figures move far less than the times.

    .venv/bin/python bench/compare_runs.py --a bench/results/ab-base-*.json \\
        --b bench/results/ab-perf-*.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

FIELDS = (
    ("seconds", "time s"),
    ("server_cpu", "server CPU s"),
    ("browser_task", "page busy s"),
    ("browser_cpu", "Chromium CPU s"),
    ("total_bytes", "kB"),
)


def step_values(paths):
    """step -> field -> list of values, over every round of every file."""
    values = {}
    for path in paths:
        ours = json.loads(Path(path).read_text())["ours"]
        rounds = [ours["steps"], *[r.get("steps", {}) for r in ours.get("rounds", [])]]
        for steps in rounds:
            for step, record in steps.items():
                if not isinstance(record, dict):
                    continue
                for key, _ in FIELDS:
                    if record.get(key) is not None:
                        values.setdefault(step, {}).setdefault(key, []).append(record[key])
    return values


def median(values, key, step):
    found = values.get(step, {}).get(key)
    return statistics.median(found) if found else None


def fmt(value, key):
    if value is None:
        return "-"
    return f"{value / 1000:.1f}" if key == "total_bytes" else f"{value:.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", nargs="+", required=True, help="JSON files of app A")
    parser.add_argument("--b", nargs="+", required=True, help="JSON files of app B")
    args = parser.parse_args(argv)
    a, b = step_values(args.a), step_values(args.b)
    header = ["step"] + [f"{label} A / B" for _, label in FIELDS]
    rows = [header]
    for step in a:
        if step not in b:
            continue
        cells = [step]
        for key, _ in FIELDS:
            cells.append(f"{fmt(median(a, key, step), key)} / {fmt(median(b, key, step), key)}")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
