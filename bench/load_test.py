"""Load and leak test for the issue "nothing breaks, nothing leaks".

Default mode: starts ``streamlit run app.py`` on 127.0.0.1, opens N (10)
browser sessions in one headless Chromium and lets each change a random
sidebar setting, wait for its rerun, and change another, for a bounded time
(60 s). Reports errors, p50/p95 rerun time and the server's memory (start,
peak, end). Errors are: Streamlit exception boxes, ``st.error`` boxes other
than the expected shape errors ("... output would be zero or negative"),
page crashes, dropped websockets, reruns that do not finish within the step
timeout, and a dead server. Exit status 1 if there is any.

``--leak``: one session, 200 reruns cycling through Filters 1..10 and back
with Padding toggled at each turn (20 distinct settings, more than the app's
caches keep, so models are rebuilt and evicted all along). The server's RSS
after a warm-up of 20 reruns is compared with the RSS after the last one; exit
status 1 if it grew by 50 MB or more (or on any error).

Usage::

    .venv/bin/python bench/load_test.py [--sessions 10] [--duration 60]
    .venv/bin/python bench/load_test.py --leak [--reruns 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

MB = 1e6
#: st.error texts the app shows on purpose (settings that give no output).
EXPECTED_ERRORS = (re.compile(r"output would be zero or negative"),)

#: slider label -> (low, high)
SLIDERS = {
    "Filters": (1, 64),
    "Kernel size": (1, 31),
    "Stride": (1, 8),
    "Input size": (16, 1024),
    "Pool size": (1, 8),
}
#: select box label -> option texts
SELECTS = {
    "Padding": ("valid", "same", "explicit p"),
    "Activation": ("none", "relu", "sigmoid", "tanh", "leaky relu", "elu"),
    "Pooling": ("none", "max", "average"),
}
RADIOS = {"Color mode": ("grayscale", "RGB")}


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def slider_value(page, label):
    """Current value of a sidebar slider, or None if it is not shown."""
    box = h.widget(page, "stSlider", label)
    if box.count() == 0:
        return None
    value = box.locator("input[type='range']").first.get_attribute("value", timeout=5_000)
    return int(value) if value is not None else None


def select_value(page, label):
    box = h.widget(page, "stSelectbox", label)
    if box.count() == 0:
        return None
    return box.locator("[role='combobox']").first.get_attribute("value", timeout=5_000)


def radio_value(page, label):
    box = h.widget(page, "stRadio", label)
    if box.count() == 0:
        return None
    return box.locator("label[data-selected='true']").first.inner_text(timeout=5_000).strip()


def random_change(session, rng):
    """Pick a setting the page shows and change it to another value.

    Returns (description, action). Sliders move by keyboard: one step, or to
    an end; select boxes and the radio pick another option.
    """
    page = session.page
    for _ in range(20):
        kind = rng.choice(("slider", "slider", "select", "radio"))
        if kind == "slider":
            label = rng.choice(list(SLIDERS))
            current = slider_value(page, label)
            if current is None:
                continue
            low, high = SLIDERS[label]
            key = rng.choice(("ArrowRight", "ArrowLeft", "Home", "End"))
            target = {
                "ArrowRight": min(current + 1, high),
                "ArrowLeft": max(current - 1, low),
                "Home": low,
                "End": high,
            }[key]
            if target != current:
                return f"{label} {current}->{target}", h.slider_keys(label, key)
        elif kind == "select":
            label = rng.choice(list(SELECTS))
            current = select_value(page, label)
            if current is None:
                continue
            options = [o for o in SELECTS[label] if o != current]
            option = rng.choice(options)
            return f"{label} {current}->{option}", h.select_option(label, option)
        else:
            label = rng.choice(list(RADIOS))
            current = radio_value(page, label)
            if current is None:
                continue
            options = [o for o in RADIOS[label] if not current.startswith(o)]
            option = rng.choice(options)
            return f"{label} -> {option}", h.radio_option(label, option)
    raise h.BenchError("no sidebar widget found to change")


def classify(session, description, errors, expected):
    """Record the exception and error boxes on the page after a rerun."""
    for text in session.exceptions():
        errors.append(f"exception after {description}: {text}")
    for text in session.errors():
        if any(p.search(text) for p in EXPECTED_ERRORS):
            expected.append(text[:80])
        else:
            errors.append(f"st.error after {description}: {text}")


def make_log(quiet):
    def log(message):
        if not quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    return log


def run_load(opts, browser, server, sampler, log):
    rng = random.Random(opts.seed)
    errors, expected, times, changes = [], [], [], []
    sessions = []
    result = {"mode": "load", "sessions": opts.sessions, "duration_s": opts.duration}
    for i in range(opts.sessions):
        sessions.append(h.Session(browser, server))
        log(f"opening session {i + 1}/{opts.sessions}")
    pending = [(s, *s.start_open(timeout=opts.step_timeout)) for s in sessions]
    for session, start, t0 in pending:
        try:
            session.wait_done(start, t0, opts.step_timeout, paint=False)
            session.wait_sidebar()
            classify(session, "page load", errors, expected)
        except (h.BenchError, PlaywrightError) as exc:
            errors.append(f"page load: {str(exc).splitlines()[0]}")
    result["rss_after_open"] = sampler.sample()
    log(f"{len(sessions)} sessions open; RSS {h.fmt_bytes(result['rss_after_open'])}")
    ws_before = [s.sockets for s in sessions]
    end = time.monotonic() + opts.duration
    active = {}  # index -> (watcher, description)
    idle = list(range(len(sessions)))
    while time.monotonic() < end or active:
        if not server.alive():
            errors.append("the server process died")
            break
        if time.monotonic() < end:
            retry = []
            for index in idle:
                session = sessions[index]
                if session.crashed:
                    continue
                try:
                    description, action = random_change(session, rng)
                    start = session.mark()
                    t0 = action(session)
                    watcher = h.RunWatcher(session, start, t0, opts.step_timeout)
                    active[index] = (watcher, description)
                except (h.BenchError, PlaywrightError) as exc:
                    errors.append(f"session {index + 1}: {str(exc).splitlines()[0]}")
                    retry.append(index)
            idle = retry
        for index, (watcher, description) in list(active.items()):
            session = sessions[index]
            try:
                run = watcher.poll()
            except h.StepTimeoutError:
                errors.append(f"session {index + 1}: {description}: no rerun end within limit")
                del active[index]
                continue
            except h.BenchError as exc:
                errors.append(f"session {index + 1}: {description}: {exc}")
                del active[index]
                continue
            if run is not None:
                times.append(run.seconds)
                changes.append({"session": index + 1, "change": description, **run.as_dict()})
                classify(session, description, errors, expected)
                del active[index]
                idle.append(index)
                log(f"session {index + 1}: {description}: {h.fmt_seconds(run.seconds)}")
        sessions[0].page.wait_for_timeout(25)
    for index, session in enumerate(sessions):
        if session.crashed:
            errors.append(f"session {index + 1}: page crashed")
        if session.sockets != ws_before[index]:
            errors.append(f"session {index + 1}: websocket reconnected")
        if any(kind == "ws_close" for _, kind, _, _ in session.events):
            errors.append(f"session {index + 1}: websocket closed")
    result.update(
        reruns=len(times),
        rerun_p50_s=percentile(times, 50),
        rerun_p95_s=percentile(times, 95),
        rerun_max_s=max(times) if times else None,
        errors=errors,
        expected_errors=len(expected),
        changes=changes,
    )
    for session in sessions:
        session.close()
    return result


def leak_actions():
    """One cycle of 20 changes: Filters 1->10 and back, Padding toggled at each turn."""
    up = [("Filters +1", h.slider_keys("Filters", "ArrowRight"))] * 9
    down = [("Filters -1", h.slider_keys("Filters", "ArrowLeft"))] * 9
    return [
        ("Padding -> same", h.select_option("Padding", "same")),
        *up,
        ("Padding -> valid", h.select_option("Padding", "valid")),
        *down,
    ]


def run_leak(opts, browser, server, sampler, log):
    errors, expected, times, rss = [], [], [], []
    result = {"mode": "leak", "reruns": opts.reruns, "warmup": opts.warmup}
    session = h.Session(browser, server)
    try:
        session.open(timeout=opts.step_timeout, paint=False)
        classify(session, "page load", errors, expected)
    except (h.BenchError, PlaywrightError) as exc:
        errors.append(f"page load: {str(exc).splitlines()[0]}")
        result["errors"] = errors
        return result
    cycle = leak_actions()
    warm_rss = None
    for n in range(opts.reruns):
        if time.monotonic() > opts.deadline:
            errors.append(f"time limit reached after {n} reruns")
            break
        description, action = cycle[n % len(cycle)]
        try:
            run = session.act(action, timeout=opts.step_timeout, paint=False)
        except (h.BenchError, PlaywrightError) as exc:
            errors.append(f"rerun {n + 1} ({description}): {str(exc).splitlines()[0]}")
            break
        times.append(run.seconds)
        classify(session, description, errors, expected)
        rss.append(sampler.sample())
        if n + 1 == opts.warmup:
            time.sleep(1.0)
            warm_rss = sampler.sample()
            log(f"after warm-up ({opts.warmup} reruns): RSS {h.fmt_bytes(warm_rss)}")
        elif (n + 1) % 20 == 0:
            log(f"{n + 1} reruns: RSS {h.fmt_bytes(rss[-1])}, last {h.fmt_seconds(run.seconds)}")
    time.sleep(1.0)
    end_rss = sampler.sample()
    # Trend over the RSS at the same point of every cycle after the warm-up,
    # so the ups and downs within a cycle (model builds) do not count.
    period = len(cycle)
    post = rss[opts.warmup - 1 :: period] if opts.warmup >= 1 else rss[::period]
    slope = None
    if len(post) >= 3:
        xs = [i * period for i in range(len(post))]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(post)
        cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, post, strict=True))
        slope = cov / sum((x - mean_x) ** 2 for x in xs) * 100  # bytes per 100 reruns
    if session.crashed:
        errors.append("page crashed")
    session.close()
    result.update(
        done=len(times),
        rerun_p50_s=percentile(times, 50),
        rerun_p95_s=percentile(times, 95),
        rerun_max_s=max(times) if times else None,
        rss_warm=warm_rss,
        rss_end=end_rss,
        growth=None if warm_rss is None else end_rss - warm_rss,
        slope_per_100=slope,
        rss_series=rss,
        errors=errors,
        expected_errors=len(expected),
    )
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leak", action="store_true", help="leak mode (one session)")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions (10)")
    parser.add_argument("--duration", type=float, default=60.0, help="load duration, s (60)")
    parser.add_argument("--reruns", type=int, default=200, help="leak mode reruns (200)")
    parser.add_argument("--warmup", type=int, default=20, help="leak mode warm-up reruns (20)")
    parser.add_argument(
        "--leak-budget-mb", type=float, default=50.0, help="max RSS growth after warm-up (50)"
    )
    parser.add_argument("--step-timeout", type=float, default=120.0, help="one rerun's limit, s")
    parser.add_argument("--time-limit", type=float, default=1200.0, help="overall limit, s")
    parser.add_argument("--port", type=int, default=8603)
    parser.add_argument("--app", default=str(h.ROOT / "app.py"))
    parser.add_argument("--seed", type=int, default=0, help="seed of the random changes")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="only the final report")
    return parser.parse_args(argv)


def main(argv=None):
    opts = parse_args(argv)
    python = shlex.quote(os.path.relpath(sys.executable, h.ROOT))
    args = shlex.join(sys.argv[1:] if argv is None else argv)
    command = f"cd {shlex.quote(str(h.ROOT))} && {python} bench/load_test.py {args}".rstrip()
    print(f"reproduce: {command}", flush=True)
    print(f"app: {opts.app} at {h.git_state(opts.app)}", flush=True)
    log = make_log(opts.quiet)
    started = time.monotonic()
    opts.deadline = started + opts.time_limit
    server = h.Server(opts.app, opts.port, cwd=Path(opts.app).resolve().parent, name="load")

    def hard_stop():
        print("hard time limit reached: stopping", flush=True)
        server.stop()
        os._exit(3)

    watchdog = threading.Timer(opts.time_limit + 120, hard_stop)
    watchdog.daemon = True
    watchdog.start()
    result = {}
    try:
        server.start()
        sampler = h.RssSampler(server).start()
        rss_start = sampler.sample()
        log(f"server up (pid {server.proc.pid}), RSS {h.fmt_bytes(rss_start)}")
        with sync_playwright() as pw:
            browser = h.launch_browser(pw)
            try:
                run = run_leak if opts.leak else run_load
                result = run(opts, browser, server, sampler, log)
            finally:
                browser.close()
        time.sleep(1.0)
        sampler.stop()
        result.update(
            rss_start=rss_start,
            rss_peak=max(sampler.peak, sampler.sample()),
            rss_final=sampler.sample(),
            server_alive=server.alive(),
        )
        if not server.alive():
            result.setdefault("errors", []).append("the server process died")
    finally:
        server.stop()
        watchdog.cancel()
    result["command"] = command
    result["app_commit"] = h.git_state(opts.app)
    result["elapsed_s"] = round(time.monotonic() - started, 1)
    ok = report(result, opts)
    if opts.json:
        Path(opts.json).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.json).write_text(json.dumps(result, indent=2, default=str))
        print(f"results written to {opts.json}")
    return 0 if ok else 1


def report(result, opts):
    errors = result.get("errors", [])
    rows = [("figure", "value", "budget", "verdict")]
    rows.append(("errors", str(len(errors)), "0", "PASS" if not errors else "FAIL"))
    rows.append(
        ("expected shape-error boxes (not errors)", str(result.get("expected_errors", 0)), "", "")
    )
    if result.get("mode") == "leak":
        rows.append(("reruns done", f"{result.get('done', 0)}/{opts.reruns}", "", ""))
    else:
        rows.append(("reruns done", str(result.get("reruns", 0)), "", ""))
        rows.append(("sessions", str(opts.sessions), "", ""))
    for key, label in (
        ("rerun_p50_s", "rerun p50"),
        ("rerun_p95_s", "rerun p95"),
        ("rerun_max_s", "rerun max"),
    ):
        rows.append((label, h.fmt_seconds(result.get(key)), "", ""))
    rows.append(("server RSS start", h.fmt_bytes(result.get("rss_start")), "", ""))
    if "rss_after_open" in result:
        rows.append(("server RSS, sessions open", h.fmt_bytes(result["rss_after_open"]), "", ""))
    rows.append(("server RSS peak", h.fmt_bytes(result.get("rss_peak")), "", ""))
    rows.append(("server RSS end", h.fmt_bytes(result.get("rss_final")), "", ""))
    leak_ok = True
    if result.get("mode") == "leak":
        growth = result.get("growth")
        budget = opts.leak_budget_mb * MB
        leak_ok = growth is not None and growth < budget
        rows.append(
            (f"RSS after {opts.warmup} warm-up reruns", h.fmt_bytes(result.get("rss_warm")), "", "")
        )
        rows.append(("RSS after the last rerun", h.fmt_bytes(result.get("rss_end")), "", ""))
        rows.append(
            (
                "RSS growth after warm-up",
                "-" if growth is None else f"{growth / MB:+.1f} MB",
                f"< {opts.leak_budget_mb:g} MB",
                "PASS" if leak_ok else "FAIL",
            )
        )
        slope = result.get("slope_per_100")
        rows.append(
            (
                "trend (least squares)",
                "-" if slope is None else f"{slope / MB:+.1f} MB per 100 reruns",
                "",
                "",
            )
        )
    print()
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    for n, row in enumerate(rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for text in errors[:20]:
        print(f"error: {text}")
    if len(errors) > 20:
        print(f"... and {len(errors) - 20} more")
    print(f"\nelapsed {result['elapsed_s']} s; reproduce: {result['command']}")
    return not errors and leak_ok


if __name__ == "__main__":
    sys.exit(main())
