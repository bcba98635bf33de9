"""Browser benchmark for the issue "Instant at every setting".

Starts the real app (``app.py``), the plain baseline
(``bench/reference_app.py``) and the floor (``bench/floor_app.py``: the least
a Streamlit page that redraws a picture costs) with ``streamlit run``, drives
them through the same widget interactions in headless Chromium and prints,
per figure, ours, the budget, PASS/FAIL, the reference and the ratio
reference/ours; then, per timed step, ours/floor against its target ratio.

Measured, in this order, on each app:

1. first render, fresh server: the first page load after ``streamlit run``
   says it is up (``/_stcore/health`` answers ``ok``). Whatever the app does
   before that (ours imports TensorFlow in its server lifespan) is server
   start, which is printed too; whatever it does after is in this figure
   (the reference imports TensorFlow on the first visit);
2. first render, warm: a second, new browser session loading the page;
3. Padding -> same, in that second session (time and bytes of the rerun);
4. on ours only, Stride -> 2, Activation -> tanh, Pooling -> average,
   Kernel size -> 14, Color scale -> whole pipeline and Language -> 中文, each
   followed by the change back; then on every app
   Filters -> 64 (End key on the slider), from the defaults again;
4b. on ours only, the Convolution step page in a new session: a click on the
   map that moves to a new pixel (the cat's eye), then Next;
4c. on ours only, the Compare page in a new session (A the defaults, B
   ``same``), then its quick comparison "stride 1 vs 2": two pipelines per
   rerun, within the rerun budgets and at most 2x the bytes of one page's
   rerun (Padding -> same);
5. server RSS (process tree) right after these steps;
6. N sessions (default 10) opened at once, each then (once every page has
   drawn) changing Padding: peak RSS;
7. a sweep of expensive settings, chained in one session that starts from
   ``?color_mode=rgb``: the largest bytes of any single rerun;
8. four blocks (ours only; the reference has one layer): a new session at
   ``?filters=8``, then Blocks -> 4 (End key on the slider), which adds three
   blocks at the new-block defaults (3x3; 16, 32, 64 filters): time, bytes
   and the server's peak RSS during that rerun. ``--blocks-only`` runs just
   this step (a smoke run).

Steps 1-4c then run ``--rounds - 1`` more times (default 4 more), each on a
freshly started server, and the time figures are the medians of all rounds
(every round is printed): on two shared cores one sample varies by +-30%.
Bytes come from the first round.

A step is timed from the input event (the key press, or the mouse press on
the option after Playwright has found and hovered it) to the
``script_finished`` message on the websocket; bytes are the websocket payload
plus any non-static HTTP responses (media) received in that time. See
bench/README.md.

Usage::

    .venv/bin/python bench/browser_bench.py [--ours-only] [--sessions N] [--rounds N] [--json PATH]
    .venv/bin/python bench/browser_bench.py --step-page-only   # step 4b alone, one round
"""

from __future__ import annotations

import argparse
import json
import os
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

GB, MB, KB = 1e9, 1e6, 1e3

#: key -> (label, budget, kind) with kind "s" (seconds) or "B" (bytes).
BUDGETS = {
    "first_cold_s": ("first render, fresh server", 4.0, "s"),
    "first_warm_s": ("first render, warm (2nd session)", 4.0, "s"),
    "padding_s": ("Padding -> same: time", 0.5, "s"),
    "padding_B": ("Padding -> same: bytes", 400 * KB, "B"),
    "filters_s": ("Filters -> 64: time", 1.5, "s"),
    "filters_B": ("Filters -> 64: bytes", 3 * MB, "B"),
    "pixel_s": ("Convolution step, new pixel: time", 0.5, "s"),
    "pixel_B": ("Convolution step, new pixel: bytes", 400 * KB, "B"),
    "next_s": ("Convolution step, Next: time", 0.5, "s"),
    "next_B": ("Convolution step, Next: bytes", 400 * KB, "B"),
    "compare_s": ("Compare, stride 1 vs 2: time", 0.5, "s"),
    "compare_B": ("Compare, stride 1 vs 2: bytes (2x Padding's)", 800 * KB, "B"),
    "sweep_B": ("max bytes of one rerun, sweep", 3 * MB, "B"),
    "blocks_s": ("Blocks -> 4 (8, 16, 32, 64 filters): time", 1.5, "s"),
    "blocks_B": ("Blocks -> 4: bytes", 3 * MB, "B"),
    "blocks_rss": ("Blocks -> 4: peak server RSS", 1 * GB, "B"),
    "rss_after": ("server RSS after steps 1-4", 1 * GB, "B"),
    "sessions_rss": ("peak server RSS, N sessions", 1.5 * GB, "B"),
    "rss_end": ("server RSS at the end (after sweep)", 1 * GB, "B"),
}
#: Figures printed without a budget.
INFO = {
    "server_start_s": ("server start (launch until healthy)", "s"),
    "first_cold_B": ("first render, fresh server: ws bytes", "B"),
    "padding_paint_s": ("Padding -> same: painted", "s"),
    "compare_open_s": ("Compare page, first render (new session)", "s"),
    "compare_open_B": ("Compare page, first render: ws bytes", "B"),
    "filters_paint_s": ("Filters -> 64: painted", "s"),
    "sweep_s": ("slowest rerun of the sweep", "s"),
    "sessions_load_s": ("N sessions: slowest first load", "s"),
    "sessions_change_s": ("N sessions: slowest change", "s"),
    "sweep_peak_rss": ("peak server RSS during sweep", "B"),
}


#: URL path of the Convolution step page, and where on its map the cat's eye is
#: at the seed's settings (fractions of the picture's width and height).
STEP_PAGE = "/Convolution_step"
#: URL path of the Compare page.
COMPARE_PAGE = "/Compare"
CAT_EYE = (0.364, 0.328)


def sweep_steps():
    """(name, action) pairs, applied one after another from ``?color_mode=rgb``."""
    return [
        ("Filters 64 (RGB)", h.slider_keys("Filters", "End")),
        ("Input size 1024", h.slider_keys("Input size", "End")),
        ("Kernel size 1", h.slider_keys("Kernel size", "Home")),
        ("Padding same", h.select_option("Padding", "same")),
        ("Activation sigmoid", h.select_option("Activation", "sigmoid")),
        ("Pooling none", h.select_option("Pooling", "none")),
        ("Pooling average", h.select_option("Pooling", "average")),
        ("Pooling max", h.select_option("Pooling", "max")),
        ("Stride 2", h.slider_keys("Stride", "ArrowRight")),
        ("Stride 1", h.slider_keys("Stride", "Home")),
        ("Padding explicit", h.select_option("Padding", "explicit p")),
        ("Color grayscale", h.radio_option("Color mode", "grayscale")),
    ]


#: Single setting changes at the defaults, timed in every round on our app
#: only, each followed by the change back; the key names the step.
SETTING_CHANGES = (
    ("stride_2", h.slider_keys("Stride", "ArrowRight"), "slider"),
    ("stride_1", h.slider_keys("Stride", "Home"), None),
    ("activation_tanh", h.select_option("Activation", "tanh"), "select"),
    ("activation_relu", h.select_option("Activation", "relu"), None),
    ("pooling_average", h.select_option("Pooling", "average"), "select"),
    ("pooling_max", h.select_option("Pooling", "max"), None),
    ("kernel_14", h.slider_keys("Kernel size", "ArrowLeft"), "slider"),
    ("kernel_15", h.slider_keys("Kernel size", "ArrowRight"), None),
    ("color_scale_pipeline", h.radio_option("Color scale", "whole pipeline"), "radio"),
    ("color_scale_stage", h.radio_option("Color scale", "per stage"), None),
    ("language_zh", h.segmented_option("Language / 语言", "中文"), "radio"),
    ("language_en", h.segmented_option("Language / 语言", "English"), None),
)


def change_steps(reference, floor):
    """(key, action) of the timed changes after the second first render.

    Every app gets Padding -> same and back, then Filters -> 64 last (it
    makes every later rerun heavier). Ours also changes stride, activation,
    pooling and kernel size in between, each and back; the reference does
    not (a change there takes about a second, and its figures are compared
    on the first three only); the floor has only a "Padding" select box and
    a "Filters" slider.
    """
    steps = [
        ("padding_same", h.select_option("Padding", "same")),
        ("padding_valid", h.select_option("Padding", "valid")),
    ]
    if not (reference or floor):
        steps += [(key, action) for key, action, _ in SETTING_CHANGES]
    return [*steps, ("filters_64", h.slider_keys("Filters", "End"))]


class Runner:
    """Runs the steps on one app and collects plain-dict results."""

    def __init__(self, name, browser, server, sampler, opts, deadline, reference, floor=False):
        self.name = name
        self.floor = floor
        self.browser = browser
        self.server = server
        self.sampler = sampler
        self.opts = opts
        self.deadline = deadline
        self.reference = reference
        self.results = {
            "app": name,
            "script": server.script,
            "steps": {},
            "sweep": [],
            "server_start_s": [server.start_seconds],
        }

    def log(self, message):
        print(f"[{time.strftime('%H:%M:%S')}] {self.name}: {message}", flush=True)

    def out_of_time(self):
        return time.monotonic() > self.deadline

    def guarded(self, key, fn, limit, into=None):
        """Run ``fn()`` -> RunResult; record its dict, a timeout or an error
        in ``into`` (default: the main steps)."""
        if self.out_of_time():
            record = {"skipped": "overall time limit reached"}
        else:
            try:
                result = fn()
                record = result.as_dict() if isinstance(result, h.RunResult) else result
            except h.StepTimeoutError:
                record = {"timeout": limit}
            except (h.BenchError, PlaywrightError) as exc:
                record = {"error": str(exc).splitlines()[0][:300]}
        (self.results["steps"] if into is None else into)[key] = record
        self.log(f"{key}: {summarize(record)}")
        return record

    def first_steps(self, into=None):
        """Steps 1-4 on ``self.server``; returns the open second session."""
        o = self.opts
        step_limit = o.ref_step_timeout if self.reference else o.step_timeout
        # 1. cold first render.
        cold = h.Session(self.browser, self.server)
        self.guarded(
            "first_cold", lambda: cold.open(timeout=o.first_timeout), o.first_timeout, into
        )
        cold.close()
        # 2-4 in a second session.
        s = h.Session(self.browser, self.server)
        self.guarded("first_warm", lambda: s.open(timeout=o.first_timeout), o.first_timeout, into)
        for key, action in change_steps(self.reference, self.floor):
            self.guarded(
                key, lambda action=action: s.act(action, timeout=step_limit), step_limit, into
            )
        if not (self.reference or self.floor):
            self.step_page(into)
            self.compare_page(into)
        return s

    def page_steps(self, path, open_key, actions, into=None):
        """Open ``path`` in a new session as step ``open_key``, then time each
        ``(key, action)``; returns the records by key (empty if it did not open)."""
        o = self.opts
        s = h.Session(self.browser, self.server)
        records = {}
        try:
            opened = self.guarded(
                open_key,
                lambda: s.open(path=path, timeout=o.first_timeout),
                o.first_timeout,
                into,
            )
            if "seconds" not in opened:
                return records
            for key, action in actions:
                records[key] = self.guarded(
                    key,
                    lambda action=action: s.act(action, timeout=o.step_timeout),
                    o.step_timeout,
                    into,
                )
        finally:
            s.close()
        return records

    def step_page(self, into=None):
        """Step 4b: the Convolution step page, a new pixel by a click on the map, then Next."""
        actions = (
            ("step_pixel", h.click_image("streamlit_image_coordinates", *CAT_EYE)),
            ("step_next", h.click_button("Next")),
        )
        self.page_steps(STEP_PAGE, "step_open", actions, into)

    def compare_page(self, into=None):
        """Step 4c: the Compare page in a new session, then "stride 1 vs 2"."""
        actions = (("compare_stride", h.click_button("stride 1 vs 2")),)
        record = self.page_steps(COMPARE_PAGE, "compare_open", actions, into).get("compare_stride")
        single = (into if into is not None else self.results["steps"]).get("padding_same")
        if record and single and single.get("total_bytes") and record.get("total_bytes"):
            share = record["total_bytes"] / single["total_bytes"]
            self.log(f"compare_stride: {share:.2f}x the bytes of Padding -> same")

    def extra_round(self, server):
        """Steps 1-4 again on a freshly started ``server``: one more timing sample."""
        self.server = server
        self.results["server_start_s"].append(server.start_seconds)
        record = {}
        self.first_steps(into=record).close()
        self.results.setdefault("rounds", []).append(record)
        return record

    def run(self):
        o = self.opts
        if o.blocks_only:
            self.four_blocks(o.step_timeout)
            return self.results
        s = self.first_steps()
        if self.floor:  # the floor only has the timing steps
            s.close()
            return self.results
        # 5. memory with that session still open.
        time.sleep(1.0)
        self.results["rss_after"] = self.sampler.sample()
        self.results["peak_rss_steps"] = self.sampler.peak
        self.log(f"RSS after steps: {h.fmt_bytes(self.results['rss_after'])}")
        s.close()
        # 6. N sessions at once.
        self.results["sessions"] = self.sessions(o.sessions, o.sessions_timeout)
        # 7. sweep.
        if o.no_sweep:
            self.results["sweep_skipped"] = "--no-sweep"
        else:
            self.sweep(o.ref_sweep_timeout if self.reference else o.step_timeout)
        # 8. four blocks.
        if not self.reference:
            self.four_blocks(o.step_timeout)
        time.sleep(1.0)
        self.results["rss_end"] = self.sampler.sample()
        self.log(f"RSS at end: {h.fmt_bytes(self.results['rss_end'])}")
        return self.results

    def four_blocks(self, limit):
        """Step 8: a one-block page of 8 filters, then Blocks -> 4."""
        o = self.opts
        s = h.Session(self.browser, self.server)
        try:
            self.guarded(
                "blocks_open",
                lambda: s.open({"filters": "8"}, timeout=o.first_timeout),
                o.first_timeout,
            )
            time.sleep(0.5)
            self.sampler.reset_peak()
            self.guarded(
                "blocks_4", lambda: s.act(h.slider_keys("Blocks", "End"), timeout=limit), limit
            )
            self.results["blocks_peak_rss"] = self.sampler.peak
            self.log(f"Blocks -> 4: peak RSS {h.fmt_bytes(self.sampler.peak)}")
        finally:
            s.close()

    def sessions(self, count, limit):
        """Open ``count`` sessions at once, then (once every page has drawn its
        charts) let each change Padding to same."""
        record = {"count": count, "load_s": [], "change_s": [], "errors": []}
        if self.out_of_time() or count < 1:
            record["skipped"] = "overall time limit reached" if count else "--sessions 0"
            return record
        self.sampler.reset_peak()
        sessions = []
        t_start = time.perf_counter()
        try:
            pending = []
            for _ in range(count):
                session = h.Session(self.browser, self.server)
                sessions.append(session)
                pending.append(session.start_open(timeout=limit))
            for session, (start, t0) in zip(sessions, pending, strict=True):
                left = limit - (time.perf_counter() - t_start)
                result = session.wait_done(start, t0, max(left, 1.0), paint=False)
                record["load_s"].append(round(result.seconds, 3))
            # Every page draws its charts after its run has ended; ten pages on
            # two cores take a while, and a select box is not usable before.
            for session in sessions:
                session.settle(t_start, t_start + limit)
            marks = []
            for session in sessions:
                start = session.mark()
                marks.append((start, h.select_option("Padding", "same")(session)))
            for session, (start, t0) in zip(sessions, marks, strict=True):
                left = limit - (time.perf_counter() - t_start)
                result = session.wait_done(start, t0, max(left, 1.0), paint=False)
                record["change_s"].append(round(result.seconds, 3))
                record["errors"] += session.exceptions()
        except h.StepTimeoutError:
            record["timeout"] = limit
        except (h.BenchError, PlaywrightError) as exc:
            record["error"] = str(exc).splitlines()[0][:300]
        record["peak_rss"] = max(self.sampler.peak, self.sampler.sample())
        for session in sessions:
            session.close()
        self.log(
            f"{count} sessions: peak RSS {h.fmt_bytes(record['peak_rss'])}, "
            f"loads {fmt_list(record['load_s'])}, changes {fmt_list(record['change_s'])}"
            + (f", timeout {limit} s" if "timeout" in record else "")
            + (f", error {record['error']}" if "error" in record else "")
        )
        return record

    def sweep(self, limit):
        self.sampler.reset_peak()
        s = h.Session(self.browser, self.server)
        try:
            setup = self.guarded(
                "sweep_setup",
                lambda: s.open(query={"color_mode": "rgb"}, timeout=self.opts.first_timeout),
                self.opts.first_timeout,
            )
            broken = None if "seconds" in setup else "setup failed"
            for name, action in sweep_steps():
                if broken:
                    record = {"skipped": broken}
                elif self.out_of_time():
                    record = {"skipped": "overall time limit reached"}
                else:
                    try:
                        record = s.act(action, timeout=limit).as_dict()
                    except h.StepTimeoutError:
                        record = {"timeout": limit}
                        broken = f"a previous step timed out after {limit:.0f} s"
                    except (h.BenchError, PlaywrightError) as exc:
                        record = {"error": str(exc).splitlines()[0][:300]}
                        broken = "a previous step failed"
                record["step"] = name
                self.results["sweep"].append(record)
                self.log(f"sweep {name}: {summarize(record)}")
        finally:
            self.results["sweep_peak_rss"] = max(self.sampler.peak, self.sampler.sample())
            s.close()


# --------------------------------------------------------------------------- figures


def summarize(record):
    if "seconds" in record:
        text = (
            f"{h.fmt_seconds(record['seconds'])}, {h.fmt_bytes(record['total_bytes'])}"
            f" ({record['frames']} frames, largest {h.fmt_bytes(record['largest_frame'])})"
        )
        if record.get("server_cpu") is not None and record.get("browser_task") is not None:
            text += (
                f"; CPU: server {record['server_cpu']:.2f} s,"
                f" page main thread {record['browser_task']:.2f} s"
            )
            if record.get("browser_cpu") is not None:
                text += f", Chromium CPU {record['browser_cpu']:.2f} s"
        if record.get("exceptions"):
            text += f", {len(record['exceptions'])} exception box(es): {record['exceptions'][0]!r}"
        return text
    return ", ".join(f"{k}: {v}" for k, v in record.items())


def fmt_list(values):
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def _step_value(record, field):
    """(value, is_lower_bound) of a step record's field; (None, False) if absent."""
    if record is None:
        return None, False
    if "timeout" in record:
        return (record["timeout"], True) if field == "seconds" else (None, False)
    if field not in record:
        return None, False
    return record[field], False


def _median_value(rounds, step, field):
    """(median, is_lower_bound) of a step's field over the timing rounds.

    A round that timed out counts as its limit and makes the median a lower
    bound only if it moves the median, that is if half the rounds or more
    timed out; a round that failed otherwise is left out.
    """
    values = [_step_value(r.get(step), field) for r in rounds]
    values = [(v, low) for v, low in values if v is not None]
    if not values:
        return None, False
    median = statistics.median(v for v, _ in values)
    lows = sum(low for _, low in values)
    return median, lows * 2 >= len(values)


def round_values(results, step, field="seconds"):
    """A step's field in every timing round, in order (None where missing)."""
    if results is None:
        return []
    return [_step_value(r.get(step), field)[0] for r in _rounds(results)]


def _rounds(results):
    """Every timing round's steps: the main run's first, then the extra rounds."""
    return [results["steps"], *results.get("rounds", [])]


def figures(results):
    """key -> (value, is_lower_bound) for every row of the main table."""
    if results is None:
        return {}
    steps = results["steps"]
    rounds = _rounds(results)
    out = {
        "first_cold_s": _median_value(rounds, "first_cold", "seconds"),
        "first_cold_B": _step_value(steps.get("first_cold"), "ws_bytes"),
        "first_warm_s": _median_value(rounds, "first_warm", "seconds"),
        "padding_s": _median_value(rounds, "padding_same", "seconds"),
        "padding_B": _step_value(steps.get("padding_same"), "total_bytes"),
        "padding_paint_s": _median_value(rounds, "padding_same", "painted_seconds"),
        "filters_s": _median_value(rounds, "filters_64", "seconds"),
        "filters_B": _step_value(steps.get("filters_64"), "total_bytes"),
        "filters_paint_s": _median_value(rounds, "filters_64", "painted_seconds"),
        "pixel_s": _median_value(rounds, "step_pixel", "seconds"),
        "pixel_B": _step_value(steps.get("step_pixel"), "total_bytes"),
        "next_s": _median_value(rounds, "step_next", "seconds"),
        "next_B": _step_value(steps.get("step_next"), "total_bytes"),
        "compare_open_s": _median_value(rounds, "compare_open", "seconds"),
        "compare_open_B": _step_value(steps.get("compare_open"), "ws_bytes"),
        "compare_s": _median_value(rounds, "compare_stride", "seconds"),
        "compare_B": _step_value(steps.get("compare_stride"), "total_bytes"),
        "server_start_s": (
            statistics.median(results["server_start_s"]) if results.get("server_start_s") else None,
            False,
        ),
        "rss_after": (results.get("rss_after"), False),
        "rss_end": (results.get("rss_end"), False),
        "sweep_peak_rss": (results.get("sweep_peak_rss"), False),
        "blocks_s": _step_value(steps.get("blocks_4"), "seconds"),
        "blocks_B": _step_value(steps.get("blocks_4"), "total_bytes"),
        "blocks_rss": (results.get("blocks_peak_rss"), False),
    }
    sessions = results.get("sessions") or {}
    out["sessions_rss"] = (sessions.get("peak_rss"), False)
    timed_out = "timeout" in sessions
    out["sessions_load_s"] = (
        (max(sessions["load_s"]), False)
        if sessions.get("load_s") and not timed_out
        else ((sessions["timeout"], True) if timed_out else (None, False))
    )
    out["sessions_change_s"] = (
        (max(sessions["change_s"]), False)
        if sessions.get("change_s") and len(sessions["change_s"]) == sessions.get("count")
        else ((sessions["timeout"], True) if timed_out else (None, False))
    )
    done = [r for r in results.get("sweep", []) if "seconds" in r]
    # A step that timed out, or whose figures were replaced by an exception box
    # (e.g. Streamlit's MessageSizeError), makes the maximum a lower bound.
    incomplete = any("seconds" not in r or r.get("exceptions") for r in results.get("sweep", []))
    if done:
        worst = max(done, key=lambda r: r["total_bytes"])
        out["sweep_B"] = (worst["total_bytes"], incomplete)
        out["sweep_B_step"] = worst["step"]
        out["sweep_s"] = (max(r["seconds"] for r in done), incomplete)
    return out


def fmt_value(value, kind, lower=False):
    if value is None:
        return "-"
    text = h.fmt_seconds(value) if kind == "s" else h.fmt_bytes(value)
    return (">=" if lower else "") + text


def fmt_budget(limit, kind):
    return "<= " + (f"{limit:g} s" if kind == "s" else h.fmt_bytes(limit))


def ratio(ours, ref):
    (a, a_low), (b, b_low) = ours, ref
    if a is None or b is None or a <= 0 or a_low:
        return "-"
    return (">=" if b_low else "") + f"{b / a:.1f}x"


def verdict(value, lower, limit):
    if value is None:
        return "n/a"
    if lower:  # a timeout or an incomplete sweep: only a lower bound
        return "FAIL" if value > limit else "INCOMPLETE"
    return "PASS" if value <= limit else "FAIL"


def print_tables(ours, ref, sessions):
    f_ours, f_ref = figures(ours), figures(ref)
    rows = [("figure", "budget", "ours", "verdict", "reference", "ref/ours")]
    verdicts = {}
    for key, (label, limit, kind) in BUDGETS.items():
        label = label.replace("N sessions", f"{sessions} sessions")
        a, a_low = f_ours.get(key, (None, False))
        b = f_ref.get(key, (None, False))
        verdicts[key] = verdict(a, a_low, limit)
        rows.append(
            (
                label,
                fmt_budget(limit, kind),
                fmt_value(a, kind, a_low),
                verdicts[key],
                fmt_value(b[0], kind, b[1]) if ref else "",
                ratio((a, a_low), b) if ref else "",
            )
        )
    for key, (label, kind) in INFO.items():
        label = label.replace("N sessions", f"{sessions} sessions")
        a = f_ours.get(key, (None, False))
        b = f_ref.get(key, (None, False))
        rows.append(
            (
                label,
                "",
                fmt_value(a[0], kind, a[1]),
                "",
                fmt_value(b[0], kind, b[1]) if ref else "",
                ratio(a, b) if ref else "",
            )
        )
    print_table(rows)
    if "sweep_B_step" in f_ours:
        print(f"\nours: largest rerun of the sweep: {f_ours['sweep_B_step']}")
    if ref and "sweep_B_step" in f_ref:
        print(f"reference: largest rerun of the sweep: {f_ref['sweep_B_step']}")

    if not any((res or {}).get("sweep") for res in (ours, ref)):
        return verdicts
    # Sweep detail.
    names = [name for name, _ in sweep_steps()]
    by_step = {
        label: {r["step"]: r for r in (res or {}).get("sweep", [])}
        for label, res in (("ours", ours), ("ref", ref))
    }
    rows = [("sweep step (chained, from ?color_mode=rgb)", "ours time", "ours bytes")]
    if ref:
        rows[0] += ("ref time", "ref bytes")
    for name in names:
        row = (name, *sweep_cells(by_step["ours"].get(name)))
        if ref:
            row += sweep_cells(by_step["ref"].get(name))
        rows.append(row)
    print()
    print_table(rows)
    return verdicts


def sweep_cells(record):
    if record is None:
        return ("-", "-")
    if "seconds" in record:
        mark = " (exception shown)" if record.get("exceptions") else ""
        return (h.fmt_seconds(record["seconds"]), h.fmt_bytes(record["total_bytes"]) + mark)
    if "timeout" in record:
        return (f">timeout ({record['timeout']:.0f} s)", "-")
    if "skipped" in record:
        return ("skipped", "-")
    return ("error", record.get("error", "")[:40])


ROUND_STEPS = (
    ("first_cold", "first render, fresh server"),
    ("first_warm", "first render, 2nd session"),
    ("padding_same", "Padding -> same"),
    ("filters_64", "Filters -> 64"),
)
#: Timing rounds of the Convolution step page (ours only).
STEP_PAGE_ROUNDS = (
    ("step_pixel", "Convolution step, new pixel"),
    ("step_next", "Convolution step, Next"),
    ("compare_stride", "Compare, stride 1 vs 2"),
)


#: Rows of the floor table: (label, our step, the floor's step, field, target ratio).
#: A select-box change of ours is compared with the floor's select-box change
#: (Padding -> same), a slider change with the floor's slider change
#: (Filters -> 64, which costs the floor nothing more than any other value).
FLOOR_ROWS = (
    ("first render, fresh server", "first_cold", "first_cold", "seconds", 1.3),
    ("first render, warm (2nd session)", "first_warm", "first_warm", "seconds", 1.3),
    ("first render, fresh: every chart drawn", "first_cold", "first_cold", "drawn_seconds", 1.3),
    ("first render, warm: every chart drawn", "first_warm", "first_warm", "drawn_seconds", 1.3),
    ("Padding -> same", "padding_same", "padding_same", "seconds", 2.0),
    ("Padding -> same: painted", "padding_same", "padding_same", "painted_seconds", 2.0),
    ("Padding -> same: charts drawn", "padding_same", "padding_same", "drawn_seconds", 2.0),
    ("Stride -> 2", "stride_2", "filters_64", "seconds", 2.0),
    ("Activation -> tanh", "activation_tanh", "padding_same", "seconds", 2.0),
    ("Pooling -> average", "pooling_average", "padding_same", "seconds", 2.0),
    ("Kernel size -> 14", "kernel_14", "filters_64", "seconds", 2.0),
    ("Color scale -> whole pipeline", "color_scale_pipeline", "padding_same", "seconds", 2.0),
    ("Language -> 中文", "language_zh", "padding_same", "seconds", 2.0),
    ("Filters -> 64", "filters_64", "filters_64", "seconds", 4.0),
    ("Filters -> 64: painted", "filters_64", "filters_64", "painted_seconds", 4.0),
    ("Filters -> 64: charts drawn", "filters_64", "filters_64", "drawn_seconds", 4.0),
)


def floor_table(ours, floor):
    """Rows (label, ours, floor, ours/floor, target, verdict) from the medians
    of all timing rounds of both apps, measured in the same run."""
    rows = []
    for label, step, floor_step, field, target in FLOOR_ROWS:
        a, a_low = _median_value(_rounds(ours), step, field)
        b, b_low = _median_value(_rounds(floor), floor_step, field)
        if a is None or b is None or b <= 0 or b_low:
            rows.append((label, fmt_value(a, "s", a_low), fmt_value(b, "s", b_low), "-", "", "n/a"))
            continue
        value = a / b
        verdict_text = (
            ("FAIL" if value > target else "INCOMPLETE")
            if a_low
            else ("PASS" if value <= target else "FAIL")
        )
        rows.append(
            (
                label,
                fmt_value(a, "s", a_low),
                fmt_value(b, "s"),
                (">=" if a_low else "") + f"{value:.2f}x",
                f"<= {target:g}x",
                verdict_text,
            )
        )
    return rows


def print_floor(ours, floor):
    if not ours or not floor:
        return
    print("\nours against the floor (bench/floor_app.py), medians of every round, same run:")
    rows = [("step", "ours", "floor", "ours/floor", "target", "verdict")]
    print_table(rows + floor_table(ours, floor))


def print_rounds(results):
    """Each timing round's times: the budget table shows their medians."""
    for name in ("ours", "reference", "floor"):
        res = results.get(name)
        if not res or not res.get("rounds"):
            continue
        print(f"\n{name}: times in each round (each on a freshly started server; medians above):")
        starts = ", ".join(h.fmt_seconds(v) for v in res.get("server_start_s", []))
        print(f"  {'server start (until healthy)':28s} {starts}")
        steps = ROUND_STEPS
        if name == "ours":
            steps += tuple((key, key) for key, _, _ in SETTING_CHANGES) + STEP_PAGE_ROUNDS
        for step, label in steps:
            values = round_values(res, step)
            cells = ", ".join("-" if v is None else h.fmt_seconds(v) for v in values)
            print(f"  {label:28s} {cells}")


def print_breakdown(results):
    """Where the time and bytes of the two main reruns went."""
    print("\nwhere the bytes go (websocket payload per element type) and the time split:")
    for name in ("ours", "reference"):
        steps = (results.get(name) or {}).get("steps", {})
        for key in ("padding_same", "filters_64"):
            record = steps.get(key) or {}
            if "seconds" not in record:
                continue
            parts = ", ".join(
                f"{element} {h.fmt_bytes(size)}"
                for element, size in list(record["by_element"].items())[:4]
            )
            first = h.fmt_seconds(record["first_delta_seconds"])
            print(
                f"  {name} {key}: first element after {first}"
                f", finished {h.fmt_seconds(record['seconds'])}"
                f", painted {h.fmt_seconds(record['painted_seconds'])}; {parts}"
            )


def print_table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * width for width in widths))


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours-only", action="store_true", help="skip the reference app")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions (10)")
    parser.add_argument("--json", metavar="PATH", help="write all results as JSON")
    parser.add_argument("--no-sweep", action="store_true", help="skip the settings sweep")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timing rounds of steps 1-4, each on a fresh server; times are medians (5)",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the floor app")
    parser.add_argument("--port-ours", type=int, default=8601)
    parser.add_argument("--port-ref", type=int, default=8602)
    parser.add_argument("--port-floor", type=int, default=8604)
    parser.add_argument(
        "--floor", default=str(h.BENCH / "floor_app.py"), help="the floor app (minimal page)"
    )
    parser.add_argument("--app", default=str(h.ROOT / "app.py"), help="our app (app.py)")
    parser.add_argument(
        "--reference", default=str(h.BENCH / "reference_app.py"), help="the baseline app"
    )
    parser.add_argument("--first-timeout", type=float, default=120.0, help="page load limit, s")
    parser.add_argument("--step-timeout", type=float, default=60.0, help="our rerun limit, s")
    parser.add_argument(
        "--ref-step-timeout", type=float, default=240.0, help="reference rerun limit, s"
    )
    parser.add_argument(
        "--ref-sweep-timeout",
        type=float,
        default=120.0,
        help="reference sweep step limit, s; the rest of its sweep is skipped after one",
    )
    parser.add_argument(
        "--sessions-timeout", type=float, default=300.0, help="limit of the sessions phase, s"
    )
    parser.add_argument(
        "--time-limit", type=float, default=1800.0, help="overall limit, s (then hard stop)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a budget fails")
    parser.add_argument(
        "--blocks-only",
        action="store_true",
        help="smoke run: only step 8 (Blocks -> 4) on our app, one round",
    )
    parser.add_argument(
        "--step-page-only",
        action="store_true",
        help="only step 4b (Convolution step page: new pixel, Next) on ours, one round",
    )
    return parser.parse_args(argv)


def main(argv=None):
    opts = parse_args(argv)
    python = shlex.quote(os.path.relpath(sys.executable, h.ROOT))
    args = shlex.join(sys.argv[1:] if argv is None else argv)
    command = f"cd {shlex.quote(str(h.ROOT))} && {python} bench/browser_bench.py {args}".rstrip()
    print(f"reproduce: {command}", flush=True)
    print(f"app: {opts.app} at {h.git_state(opts.app)}", flush=True)
    started = time.monotonic()
    servers = []

    def hard_stop():
        print(f"\nhard time limit ({opts.time_limit + 120:.0f} s) reached: stopping", flush=True)
        for server in servers:
            server.stop()
        os._exit(3)

    if opts.step_page_only:
        return step_page_only(opts, command)
    watchdog = threading.Timer(opts.time_limit + 120, hard_stop)
    watchdog.daemon = True
    watchdog.start()
    ours = h.Server(opts.app, opts.port_ours, cwd=Path(opts.app).resolve().parent, name="ours")
    if opts.blocks_only:
        opts.ours_only, opts.no_floor, opts.rounds = True, True, 1
    ref = None if opts.ours_only else h.Server(opts.reference, opts.port_ref, name="reference")
    floor = None if opts.no_floor else h.Server(opts.floor, opts.port_floor, name="floor")
    results = {
        "command": command,
        "app_commit": h.git_state(opts.app),
        "budgets": {k: v[1] for k, v in BUDGETS.items()},
    }
    try:
        apps = [server for server in (ours, ref, floor) if server is not None]
        for server in apps:
            if server is not None:
                servers.append(server)
                server.start()
                print(f"{server.name}: {' '.join(server.command())} (pid {server.proc.pid})")
        with sync_playwright() as pw:
            for server in apps:
                sampler = h.RssSampler(server).start()
                browser = h.launch_browser(pw)
                try:
                    runner = Runner(
                        server.name,
                        browser,
                        server,
                        sampler,
                        opts,
                        started + opts.time_limit,
                        reference=server is ref,
                        floor=server is floor,
                    )
                    results[server.name] = runner.run()
                    results[server.name]["server_alive"] = server.alive()
                    if not server.alive():
                        print(f"{server.name} server died:\n{server.log_tail()}")
                    server.stop()
                    for number in range(2, opts.rounds + 1):
                        if runner.out_of_time():
                            break
                        fresh = h.Server(
                            server.script,
                            server.port,
                            cwd=server.cwd,
                            name=server.name,
                            extra_args=server.extra_args,
                        )
                        servers.append(fresh)
                        fresh.start()
                        runner.log(f"timing round {number} of {opts.rounds}, fresh server")
                        runner.extra_round(fresh)
                        fresh.stop()
                finally:
                    sampler.stop()
                    browser.close()
    finally:
        for server in servers:
            server.stop()
        watchdog.cancel()
    print()
    verdicts = print_tables(results.get("ours"), results.get("reference"), opts.sessions)
    print_floor(results.get("ours"), results.get("floor"))
    results["verdicts"] = verdicts
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    for name in ("ours", "reference"):
        sess = (results.get(name) or {}).get("sessions") or {}
        if sess.get("change_s"):
            print(
                f"\n{name}: {opts.sessions} sessions: change p50 "
                f"{statistics.median(sess['change_s']):.2f} s, max {max(sess['change_s']):.2f} s"
                f", exception boxes: {len(sess.get('errors', []))}"
            )
    print_rounds(results)
    print_breakdown(results)
    print(f"\nelapsed {results['elapsed_s']} s; reproduce: {command}")
    if opts.json:
        Path(opts.json).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.json).write_text(json.dumps(results, indent=2, default=str))
        print(f"results written to {opts.json}")
    failed = [k for k, v in verdicts.items() if v == "FAIL"]
    return 1 if opts.strict and failed else 0


def step_page_only(opts, command):
    """Run step 4b alone on ours: a quick check of the Convolution step page's reruns."""
    started = time.monotonic()
    server = h.Server(opts.app, opts.port_ours, cwd=Path(opts.app).resolve().parent, name="ours")
    try:
        server.start()
        with sync_playwright() as pw:
            browser = h.launch_browser(pw)
            sampler = h.RssSampler(server).start()
            try:
                runner = Runner(
                    "ours", browser, server, sampler, opts, started + opts.time_limit, False
                )
                runner.step_page()
            finally:
                sampler.stop()
                browser.close()
    finally:
        server.stop()
    steps = runner.results["steps"]
    found = figures(runner.results)
    rows = [("figure", "budget", "ours", "verdict")]
    failed = False
    for key in ("pixel_s", "pixel_B", "next_s", "next_B"):
        label, limit, kind = BUDGETS[key]
        value, lower = found.get(key, (None, False))
        result = verdict(value, lower, limit)
        failed |= result == "FAIL"
        rows.append((label, fmt_budget(limit, kind), fmt_value(value, kind, lower), result))
    print()
    print_table(rows)
    print(f"\nstep page opened in {summarize(steps.get('step_open', {}))}")
    print(f"elapsed {time.monotonic() - started:.1f} s; reproduce: {command}")
    if opts.json:
        Path(opts.json).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.json).write_text(json.dumps(runner.results, indent=2, default=str))
        print(f"results written to {opts.json}")
    return 1 if opts.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
