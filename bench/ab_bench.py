"""Two (or more) checkouts of the app, timed in one run, taking turns.

A change is best judged against the code before it on the same machine in
the same minutes: this machine's speed for heavy pages varied by a third
within one day. Each round starts every app (and the floor,
``bench/floor_app.py``) on a fresh server in turn, opens it twice (fresh,
then warm), and times the chosen steps exactly as ``browser_bench.py`` does
(input event to ``script_finished``, to the next painted frame, and until
the page has settled with every chart drawn). It
prints the medians per step and app, with ours/floor where the floor has the
step, and each app's ratio to the first app.

    git worktree add /tmp/before <commit>
    .venv/bin/python bench/ab_bench.py /tmp/before/app.py app.py --rounds 4
    .venv/bin/python bench/ab_bench.py /tmp/before/app.py app.py --steps filters,blocks

Steps: padding (same, then back to valid), stride (2, then 1), activation
(tanh), pooling (average), kernel (14), filters (64), blocks (4 blocks, from
``?filters=8``), compare ("stride 1 vs 2" on the Compare page). A run with
``blocks`` opens every page at ``?filters=8``; one with ``compare`` opens the
Compare page. ``rerun`` reruns the page with nothing changed (the R key), on
ours and on the floor alike. The floor has only Padding, Filters and that
rerun; other single changes are compared with its Padding change.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h
from playwright.sync_api import sync_playwright

FLOOR_APP = h.ROOT / "bench" / "floor_app.py"

#: step -> the (key, action) pairs it times, in order.
STEPS = {
    "padding": [
        ("padding_same", h.select_option("Padding", "same")),
        ("padding_valid", h.select_option("Padding", "valid")),
    ],
    "stride": [
        ("stride_2", h.slider_keys("Stride", "ArrowRight")),
        ("stride_1", h.slider_keys("Stride", "Home")),
    ],
    "activation": [("activation_tanh", h.select_option("Activation", "tanh"))],
    "pooling": [("pooling_average", h.select_option("Pooling", "average"))],
    "kernel": [("kernel_14", h.slider_keys("Kernel size", "ArrowLeft"))],
    "filters": [("filters_64", h.slider_keys("Filters", "End"))],
    "blocks": [("blocks_4", h.slider_keys("Blocks", "End"))],
    "compare": [("compare_stride", h.click_button("stride 1 vs 2"))],
    "rerun": [("rerun_nothing", h.rerun_key())],
}
#: Every timed step's key (the page opens are not steps).
STEP_KEYS = {key for pairs in STEPS.values() for key, _ in pairs}
#: The steps the floor takes too (it has a Padding box and a Filters slider).
FLOOR_RUNS = ("padding", "filters", "rerun")

#: The floor's own step for each of ours it takes too (others: its Padding -> same).
FLOOR_STEP = {key: key for step in FLOOR_RUNS for key, _ in STEPS[step]}


def run_app(browser, app, steps, port, floor=False):
    """One round on one app: (key -> RunResult) for the opens and the steps."""
    query = {"filters": "8"} if "blocks" in steps else None
    path = "/Compare" if "compare" in steps and not floor else ""
    server = h.Server(app, port, cwd=Path(app).resolve().parent if not floor else h.ROOT, name="ab")
    server.start(120)
    results = {"server_start": server.start_seconds}
    try:
        fresh = h.Session(browser, server)
        results["first_cold"] = fresh.open(query=query, path=path)
        fresh.close()
        session = h.Session(browser, server)
        results["first_warm"] = session.open(query=query, path=path)
        for step in steps:
            if floor and step not in FLOOR_RUNS:
                continue
            for key, action in STEPS[step]:
                results[key] = session.act(action)
        session.close()
    finally:
        server.stop()
    return results


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("apps", nargs="+", help="app.py of each checkout; the first is the base")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (3)")
    parser.add_argument("--steps", default="padding,stride", help="comma-separated list")
    parser.add_argument("--port", type=int, default=8711, help="the servers' port (8711)")
    args = parser.parse_args(argv)
    steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; choose from {sorted(STEPS)}")
    apps = [str(Path(app).resolve()) for app in args.apps]
    samples = {}  # (app, key) -> [(seconds, painted, drawn)]
    work = {}  # (app, key) -> [(server CPU s, Chromium CPU s, bytes)], the steps only
    with sync_playwright() as playwright:
        browser = h.launch_browser(playwright)
        for number in range(1, args.rounds + 1):
            for app in [str(FLOOR_APP), *apps]:
                round_results = run_app(browser, app, steps, args.port, floor=app == str(FLOOR_APP))
                for key, result in round_results.items():
                    if key == "server_start":
                        value = (result, None, None)
                    else:
                        value = (result.seconds, result.painted_seconds, result.drawn_seconds)
                    if key in STEP_KEYS:
                        used = (result.server_cpu, result.browser_cpu, result.total_bytes)
                        work.setdefault((app, key), []).append(used)
                    samples.setdefault((app, key), []).append(value)
                name = "floor" if app == str(FLOOR_APP) else f"app {apps.index(app) + 1}"
                print(f"round {number}, {name} done", flush=True)
        browser.close()

    keys = list(dict.fromkeys(key for _, key in samples))
    header = ["step", "floor"] + [f"app {i + 1}" for i in range(len(apps))]
    print()
    for i, app in enumerate(apps, 1):
        print(f"app {i}: {app} at {h.git_state(app)}")
    print(" | ".join(header))
    for key in keys:
        floor_key = key if key in ("server_start", "first_cold", "first_warm") else None
        floor_key = floor_key or FLOOR_STEP.get(key, "padding_same")
        floor_samples = samples.get((str(FLOOR_APP), floor_key), [])
        floor = median(s for s, _, _ in floor_samples)
        floor_drawn = median(d for _, _, d in floor_samples)
        cells = [key, h.fmt_seconds(floor) if floor is not None else "-"]
        if floor_drawn is not None:
            cells[-1] += f" (drawn {h.fmt_seconds(floor_drawn)})"
        base = None
        for app in apps:
            values = samples.get((app, key), [])
            seconds = median(s for s, _, _ in values)
            painted = median(p for _, p, _ in values)
            drawn = median(d for _, _, d in values)
            if seconds is None:
                cells.append("-")
                continue
            base = seconds if base is None else base
            cell = h.fmt_seconds(seconds)
            if painted is not None:
                cell += f" (painted {h.fmt_seconds(painted)}"
                if drawn is not None:
                    cell += f", drawn {h.fmt_seconds(drawn)}"
                    if floor_drawn:
                        cell += f" = {drawn / floor_drawn:.2f}x floor's"
                cell += ")"
            if floor and key != "server_start":
                cell += f", {seconds / floor:.2f}x floor"
            if app != apps[0] and base:
                cell += f", {seconds / base - 1:+.0%} vs app 1"
            cells.append(cell)
        print(" | ".join(cells))
    print_work(work, apps)


def print_work(work, apps):
    """Medians of CPU seconds (server, all of Chromium) and bytes per step.

    CPU seconds vary far less than times between runs on a shared 2-core
    machine: they count work done, not time spent waiting for a core.
    """
    print()
    print("CPU seconds and bytes per step (medians): server CPU / Chromium CPU / bytes")
    print(" | ".join(["step", "floor"] + [f"app {i + 1}" for i in range(len(apps))]))
    for key in dict.fromkeys(key for _, key in work):
        cells = [key]
        base = None
        for app in [str(FLOOR_APP), *apps]:
            values = work.get((app, key))
            if not values:
                cells.append("-")
                continue
            server, chromium, sent = (median(v[i] for v in values) for i in range(3))
            cell = f"{server or 0:.2f} / {chromium or 0:.2f} s / {h.fmt_bytes(sent or 0)}"
            total = (server or 0) + (chromium or 0)
            if app != str(FLOOR_APP):
                if base is None:
                    base = total
                elif base:
                    cell += f", CPU {total / base - 1:+.0%} vs app 1"
            cells.append(cell)
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
