"""Where the page's main thread spends a rerun: a JS CPU profile of one step.

Starts ``streamlit run`` on a free port, opens the page in headless Chromium,
then records Chrome's JS sampling profiler (CDP ``Profiler``) around one
change and prints the functions with the most self time, grouped by script,
with the page's main-thread busy time (``TaskDuration``) and the number of
Plotly charts on the page.

    .venv/bin/python bench/browser_profile.py                 # Padding -> same
    .venv/bin/python bench/browser_profile.py --step padding_back
    .venv/bin/python bench/browser_profile.py --step filters_64 --top 40
    .venv/bin/python bench/browser_profile.py --step rerun       # nothing changed (R)

It also prints when the step's websocket frames passed on the network,
which is the server's own pace, unlike the page's ``script_finished``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h
from playwright.sync_api import sync_playwright

#: name -> (steps before it, not profiled; the profiled step).
STEPS = {
    "padding": ([], h.select_option("Padding", "same")),
    "padding_back": ([h.select_option("Padding", "same")], h.select_option("Padding", "valid")),
    "padding_again": (
        [h.select_option("Padding", "same"), h.select_option("Padding", "valid")],
        h.select_option("Padding", "same"),
    ),
    "stride": ([], h.slider_keys("Stride", "ArrowRight")),
    "filters_64": ([], h.slider_keys("Filters", "End")),
    "blocks_4": ([], h.slider_keys("Blocks", "End")),
    "rerun": ([], h.rerun_key()),
}

#: Steps that start from a link other than the bare address (as browser_bench's).
STEP_QUERY = {"blocks_4": {"filters": "8"}}


#: Counts nodes added inside Plotly charts (a redrawn chart replaces its SVG).
MUTATIONS_START = """() => {
    window.__convlabMutations = 0;
    new MutationObserver((records) => {
        for (const record of records) {
            if (record.target.closest && record.target.closest("[data-testid='stPlotlyChart']")) {
                window.__convlabMutations += record.addedNodes.length;
            }
        }
    }).observe(document.body, {childList: true, subtree: true});
}"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_times(profile):
    """Self time (s) per (function, script) from a CDP CPU profile."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    deltas = profile["timeDeltas"]
    totals = collections.Counter()
    for sample, delta in zip(profile["samples"], deltas, strict=True):
        frame = nodes[sample]["callFrame"]
        script = frame["url"].rsplit("/", 1)[-1] or "(native)"
        totals[(frame["functionName"] or "(anonymous)", script)] += delta / 1e6
    return totals


def wire_span(frames):
    """The step's websocket frames as the network saw them: a line of text.

    ``frames``: ``(kind, timestamp)`` in order, kind "sent" or "recv", from
    CDP's Network events, which are stamped as the frames pass, however busy
    the page is.
    """
    sent = [t for kind, t in frames if kind == "sent"]
    if not sent:
        return "websocket frames: none sent during the step"
    received = [t for kind, t in frames if kind == "recv" and t >= sent[0]]
    if not received:
        return "websocket frames: none received after the request"
    return (
        f"websocket frames on the wire: {len(received)} received, the first"
        f" {(received[0] - sent[0]) * 1000:.0f} ms and the last"
        f" {(received[-1] - sent[0]) * 1000:.0f} ms after the request"
    )


def step_arguments(parser):
    """Add ``--step`` (one of :data:`STEPS`) and ``--app`` to ``parser``."""
    parser.add_argument("--step", choices=list(STEPS), default="padding")
    parser.add_argument("--app", default=str(h.ROOT / "app.py"))


@contextlib.contextmanager
def before_step(app, step, name):
    """Start ``app`` on a free port and open it in headless Chromium, take the
    steps that come before ``step`` there, and yield ``(session, action)``:
    the settled page and the step's own action, still to be taken. The
    server stops when the block ends."""
    server = h.Server(app, free_port(), cwd=Path(app).resolve().parent, name=name)
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = h.launch_browser(playwright)
            session = h.Session(browser, server)
            session.open(query=STEP_QUERY.get(step), timeout=120)
            before, action = STEPS[step]
            for earlier in before:
                session.act(earlier)
            try:
                yield session, action
            finally:
                browser.close()
    finally:
        server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    step_arguments(parser)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    with before_step(args.app, args.step, "profile") as (session, step):
        console = collections.Counter()
        session.page.on("console", lambda msg: console.update([f"{msg.type}: {msg.text[:150]}"]))
        cdp = session.cdp
        # When the server's messages reach the browser (network-side times,
        # not delayed by a busy page): the server's own pace during the step.
        frames = []
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameSent", lambda p: frames.append(("sent", p["timestamp"])))
        cdp.on("Network.webSocketFrameReceived", lambda p: frames.append(("recv", p["timestamp"])))
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        session.page.evaluate(MUTATIONS_START)
        result = session.act(step)
        mutations = session.page.evaluate("() => window.__convlabMutations")
        profile = cdp.send("Profiler.stop")["profile"]
        charts = session.page.locator("[data-testid='stPlotlyChart']").count()
    totals = self_times(profile)
    total = sum(totals.values())
    print(
        f"{args.step}: finished {result.seconds:.2f} s, {result.ws_bytes / 1000:.1f} kB,"
        f" {result.frames} frames; server CPU {result.server_cpu:.2f} s, page main thread"
        f" {result.browser_task:.2f} s; {charts} Plotly charts; profiled JS {total:.2f} s"
    )
    by_script = collections.Counter()
    for (_, script), seconds in totals.items():
        by_script[script] += seconds
    print("by script:", ", ".join(f"{s} {t:.2f} s" for s, t in by_script.most_common(8)))
    print(wire_span(frames))
    for (function, script), seconds in totals.most_common(args.top):
        print(f"{seconds:7.3f} s  {function:<40} {script}")
    print(f"DOM nodes added inside Plotly charts during the step: {mutations}")
    for text, count in console.most_common(10):
        print(f"console x{count}: {text}")


if __name__ == "__main__":
    main()
