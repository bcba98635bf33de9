"""The server's share of each bench step, without a browser: CPU s, charts, bytes.

Runs the Feature maps page under Streamlit's AppTest (in this process, no
server, no browser) through the steps of ``browser_bench.py`` and prints, per
rerun: the CPU seconds the process spent (all threads, TensorFlow's
included), the wall time, the number of Plotly charts on the page, and the
serialized size of every element the script produced (an upper bound of
what a rerun sends: Streamlit sends a reference instead of an element the
browser already has, and AppTest does not model that). These counts are
deterministic enough to compare two commits on a busy machine, where times
of a browser run are not.

    .venv/bin/python bench/rerun_profile.py
    .venv/bin/python bench/rerun_profile.py --profile padding   # cProfile of one step
    .venv/bin/python bench/rerun_profile.py --app ../other/app.py --json out.json

Each step starts from the defaults in a fresh AppTest session of the same
process, so a step's model and forward pass are cached only if an earlier
step computed the same setting (as on a server that has seen it).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _slider(key, value):
    return lambda at: at.slider(key=key).set_value(value)


def _select(key, value):
    return lambda at: at.selectbox(key=key).set_value(value)


def _radio(key, value):
    return lambda at: at.radio(key=key).set_value(value)


#: name -> (query string of the page it starts from, the change).
STEPS = {
    "padding": ({}, _select("padding_mode", "same")),
    "padding back": ({}, _select("padding_mode", "valid")),
    "stride": ({}, _slider("stride", 2)),
    "kernel": ({}, _slider("kernel_size", 14)),
    "color scale": ({}, _radio("color_scale", "whole pipeline")),
    "filters 64": ({}, _slider("filters", 64)),
    "blocks 4": ({"filters": "8"}, _slider("blocks", 4)),
}


def _elements(node):
    """Every element proto under an AppTest node."""
    proto = getattr(node, "proto", None)
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from _elements(child)
    elif proto is not None:
        yield proto


def page_counts(at):
    """Plotly charts on the page, and bytes of all element protos and of the charts."""
    charts = at.get("plotly_chart")
    element_bytes = sum(proto.ByteSize() for proto in _elements(at._tree))
    chart_bytes = sum(chart.proto.ByteSize() for chart in charts)
    return len(charts), element_bytes, chart_bytes


def measure(at, action=None):
    """Run the script once (after ``action``); return CPU s, wall s."""
    if action is not None:
        action(at)
    cpu, wall = time.process_time(), time.perf_counter()
    at.run()
    return time.process_time() - cpu, time.perf_counter() - wall


@contextlib.contextmanager
def profiled_script_thread():
    """cProfile the script runs (AppTest runs the script in a thread of its own)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    profiler = cProfile.Profile()
    original = ScriptRunner._run_script

    def run_script(self, *args, **kwargs):
        profiler.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profiler.disable()

    ScriptRunner._run_script = run_script
    try:
        yield profiler
    finally:
        ScriptRunner._run_script = original


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app", default=str(ROOT / "app.py"))
    parser.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    parser.add_argument("--profile", choices=list(STEPS), help="cProfile this step's rerun")
    parser.add_argument("--top", type=int, default=30, help="profile rows to print")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(args.app).resolve().parent))
    os.chdir(Path(args.app).resolve().parent)
    from streamlit.testing.v1 import AppTest

    def session(query):
        at = AppTest.from_file(args.app, default_timeout=300)
        for key, value in query.items():
            at.query_params[key] = value
        return at

    rows = []
    at = session({})
    cpu, wall = measure(at)
    rows.append(("first render (cold process)", cpu, wall, *page_counts(at)))
    at = session({})
    cpu, wall = measure(at)
    rows.append(("first render (warm)", cpu, wall, *page_counts(at)))
    for name in args.steps:
        query, action = STEPS[name]
        at = session(query)
        at.run()
        if args.profile == name:
            action(at)
            with profiled_script_thread() as profiler:
                cpu, wall = measure(at)
        else:
            cpu, wall = measure(at, action)
        if at.exception:
            raise SystemExit(f"{name}: {[e.value for e in at.exception]}")
        rows.append((name, cpu, wall, *page_counts(at)))
        if args.profile == name:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)

    header = ("step", "CPU s", "wall s", "charts", "element kB", "chart kB")
    print("{:<28} {:>7} {:>7} {:>6} {:>10} {:>9}".format(*header))
    for name, cpu, wall, charts, element_bytes, chart_bytes in rows:
        print(
            f"{name:<28} {cpu:7.3f} {wall:7.3f} {charts:6d} "
            f"{element_bytes / 1000:10.1f} {chart_bytes / 1000:9.1f}"
        )
    if args.json:
        keys = ("step", "cpu_s", "wall_s", "charts", "element_bytes", "chart_bytes")
        results = [dict(zip(keys, row, strict=True)) for row in rows]
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
