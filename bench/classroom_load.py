"""A classroom at once: N simulated students on one Streamlit server, no browser.

Each student speaks Streamlit's own websocket protocol with the protobuf
classes the installed ``streamlit`` ships, the way the frontend does:

* it connects to ``/_stcore/stream`` (subprotocol ``streamlit``) after the
  frontend's two HTTP calls (``/_stcore/health``, ``/_stcore/host-config``);
* it opens the teacher's link: a ``rerun_script`` BackMsg whose
  ``ClientState`` carries the link's query string, and waits for
  ``script_finished``;
* it keeps the page as the frontend does: every delta at its ``delta_path``,
  a fresh tree per script run, cacheable messages kept by hash and announced
  in ``cached_message_hashes`` so the server sends references for what the
  student already has, and the query string from ``page_info_changed``;
* every 5-20 s (seeded think time) it changes one setting it sees on the
  page (a slider one step or to an end, another option of a select box or a
  radio, a checkbox), found by label among the widgets in the deltas, and
  sends all widget states as the frontend does; the time from the request to
  ``script_finished``, the bytes received and every exception element or
  unexpected ``st.error`` are recorded.

The scenario "lesson start": the teacher opens the link once (not measured:
the cold start), then one student runs the scenario alone (the reference for
the ratios), then N students arrive at random over ``--arrival`` seconds on
the same link and make ``--changes`` changes each. The server's RSS (with
children) is sampled every 0.1 s and its CPU time read before and after.

    .venv/bin/python bench/classroom_load.py --students 40
    .venv/bin/python bench/classroom_load.py --students 40 --url http://127.0.0.1:8501/
    .venv/bin/python bench/classroom_load.py --students 3 --changes 2 --think 0.2 0.5

``--train EPOCHS``: the class runs while one more session trains on the
Train page, as a browser does it: it opens ``/Train``, sets Epochs, presses
Train and sends the page's fragment auto-reruns every 0.5 s (presses Train
again when a training ends, Stop at the end). The students arrive once the
first progress bar shows. Compare with the same command without ``--train``
(a fresh server, the same seed: the same changes, idle); issue 14: Feature
maps keeps its rerun budgets while a training runs.

    .venv/bin/python bench/classroom_load.py --students 5 --arrival 2 --changes 8 \\
        --think 1 3 --no-single            # idle
    .venv/bin/python bench/classroom_load.py --students 5 --arrival 2 --changes 8 \\
        --think 1 3 --no-single --train 60 # the same class, one session training

Exit status: 0; 1 if any student saw an exception or an unexpected error or
lost its session (connection closed, a run not finished within
``--step-timeout``, the server gone); 3 if the watchdog stopped a run past
``--time-limit``. ``--strict`` also fails on the issue's targets (change p95
<= 5x the single student's change p50, peak RSS <= 1.5 GB).
Everything talks to loopback only, and every wait has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shlex
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h

FINISHED_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
FINISHED_SUCCESSFULLY = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
ALERT_ERROR = 1  # Alert.Format.ERROR (streamlit/proto/Alert.proto)
MARKDOWN_NATIVE = 1  # Markdown.Type.NATIVE: plain st.markdown
# Errors the app shows on purpose for a setting that cannot be computed.
EXPECTED_ERRORS = (
    re.compile(r"would be zero or negative"),
    re.compile(r"Keras cannot combine stride \d+ with dilation \d+"),
)
# Select-box options a student does not pick here: they need a file or an address.
SKIPPED_OPTIONS = frozenset({"Upload", "URL"})
CHANGEABLE = ("slider", "selectbox", "radio", "checkbox")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
TARGET_RATIO = 5.0
TARGET_PEAK_RSS = 1.5e9
VERDICTS = {True: "PASS", False: "FAIL", None: "n/a"}


# --------------------------------------------------------------------------- the page


@dataclass
class Widget:
    """A widget as the deltas describe it, with the value the page shows."""

    kind: str
    id: str
    label: str
    key: str | None
    value: object
    options: tuple = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None

    def state(self):
        """The ``WidgetState`` the frontend sends for this widget's value."""
        state = WidgetState(id=self.id)
        if self.kind == "slider":
            state.double_array_value.data.extend([float(self.value)])
        elif self.kind in ("selectbox", "radio"):
            state.string_value = str(self.value)
        elif self.kind == "checkbox":
            state.bool_value = bool(self.value)
        return state

    def describe(self, value):
        def show(v):
            return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

        return f"{self.label} {show(self.value)}->{show(value)}"


def _widget_from(kind, proto, remembered):
    """A :class:`Widget` for a new_element's widget proto, or None if the
    student does not operate that kind (buttons, uploads, text inputs...).

    ``remembered`` holds the values this client last had for each widget id:
    like the frontend, a value the server sets (``set_value``) wins, then the
    value the client had, then the widget's default.
    """
    from streamlit.runtime.state.common import user_key_from_element_id

    key = user_key_from_element_id(proto.id)
    common = {"kind": kind, "id": proto.id, "label": proto.label, "key": key}
    if kind == "slider":
        if proto.options or proto.data_type != proto.INT or len(proto.default) != 1:
            return None  # select sliders, ranges and float sliders: not in this app
        value = proto.value[0] if proto.set_value and proto.value else proto.default[0]
        value = remembered.get(proto.id, value) if not proto.set_value else value
        return Widget(value=value, low=proto.min, high=proto.max, step=proto.step, **common)
    if kind in ("selectbox", "radio"):
        options = tuple(proto.options)
        if proto.set_value and proto.raw_value:
            value = proto.raw_value
        elif proto.id in remembered:
            value = remembered[proto.id]
        elif _has(proto, "default") and 0 <= proto.default < len(options):
            value = options[proto.default]
        else:
            return None
        return Widget(value=value, options=options, **common)
    if kind == "checkbox":
        value = proto.value if proto.set_value else remembered.get(proto.id, proto.default)
        return Widget(value=value, **common)
    return None


def _has(proto, name):
    """``HasField`` for optional fields; plain proto3 scalars are always set."""
    try:
        return proto.HasField(name)
    except ValueError:
        return True


class Page:
    """What the frontend would show: elements by delta path, rebuilt per run."""

    def __init__(self):
        self.elements = {}  # delta path -> (element type, proto)

    def add(self, path, delta):
        kind = delta.WhichOneof("type")
        if kind == "new_element":
            element = delta.new_element
            self.elements[tuple(path)] = (element.WhichOneof("type"), element)
        elif kind == "add_block":
            self.elements[tuple(path)] = ("block", delta.add_block)

    def ordered(self):
        return [self.elements[path] for path in sorted(self.elements)]

    def markdown(self):
        """Every ``st.markdown`` body on the page, in page order (what AppTest
        lists as ``at.markdown``: not captions, code, LaTeX or dividers)."""
        return [
            e.markdown.body
            for kind, e in self.ordered()
            if kind == "markdown" and e.markdown.element_type == MARKDOWN_NATIVE
        ]

    def exceptions(self):
        return [
            f"{e.exception.type}: {e.exception.message}"
            for kind, e in self.ordered()
            if kind == "exception"
        ]

    def errors(self):
        return [
            e.alert.body
            for kind, e in self.ordered()
            if kind == "alert" and e.alert.format == ALERT_ERROR
        ]

    def widgets(self, remembered):
        found = []
        for kind, element in self.ordered():
            if kind in CHANGEABLE:
                widget = _widget_from(kind, getattr(element, kind), remembered)
                if widget is not None:
                    found.append(widget)
        return found


# --------------------------------------------------------------------------- one student


class SessionLostError(h.BenchError):
    """The websocket closed, the server went away, or a run never finished."""


@dataclass
class Rerun:
    """One measured request: the first page or a change."""

    kind: str  # "first" or "change"
    what: str
    seconds: float
    bytes: int
    messages: int
    first_delta_seconds: float | None
    exceptions: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    expected_errors: list = field(default_factory=list)


class Student:
    """One simulated student: one websocket session on the app.

    Parameters
    ----------
    base_url : str
        The app's address, e.g. ``http://127.0.0.1:8501/``.
    query : str
        The teacher's link's query string, without ``?``.
    rng : random.Random
        Think times and choices.
    step_timeout : float
        Limit for one request, from sending it to ``script_finished``.
    """

    def __init__(self, base_url, query="", rng=None, step_timeout=120.0, name="student"):
        parts = urlsplit(base_url)
        if parts.hostname not in LOOPBACK:
            raise h.BenchError(f"loopback addresses only, got {parts.hostname!r}")
        self.base_url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws_url = urlunsplit(
            (scheme, parts.netloc, (parts.path or "/").rstrip("/") + "/_stcore/stream", "", "")
        )
        self.query = query.lstrip("?")
        self.rng = rng or random.Random(0)
        self.step_timeout = step_timeout
        self.name = name
        self.page = Page()
        self.shown = Page()  # the last finished run's page
        self.cache = {}  # message hash -> ForwardMsg (cacheable deltas)
        self.remembered = {}  # widget id -> value this client holds
        self.session_id = None
        self.page_script_hash = ""
        self.received = 0  # payload bytes
        self.messages = 0
        self.ws = None
        self.reader = None
        self.lost = None  # why the session was lost, if it was
        self.page_name = ""  # a page's URL name, for the first request ("Train")
        self._finished = None
        self._first_delta_at = None

    # -- connection

    async def connect(self):
        """The frontend's handshake: health, host config, then the websocket."""
        for path in ("_stcore/health", "_stcore/host-config"):
            await asyncio.to_thread(self._http_get, self.base_url + path)
        self.ws = await connect(
            self.ws_url,
            subprotocols=["streamlit"],
            max_size=None,
            compression=None,
            open_timeout=self.step_timeout,
            ping_interval=None,
        )
        self._finished = asyncio.Event()
        self.reader = asyncio.create_task(self._read(), name=f"{self.name}-reader")

    def _http_get(self, url):
        with urllib.request.urlopen(url, timeout=self.step_timeout) as response:
            response.read()

    async def close(self):
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader

    async def _read(self):
        try:
            async for payload in self.ws:
                if isinstance(payload, str):
                    continue
                self.received += len(payload)
                self.messages += 1
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                self._handle(msg)
        except ConnectionClosed as exc:
            self.lost = f"websocket closed ({exc})"
        except Exception as exc:  # a frame that does not parse is a lost session too
            self.lost = f"{type(exc).__name__}: {exc}"
        else:
            self.lost = "websocket closed by the server"
        finally:
            if self._finished is not None:
                self._finished.set()

    def _handle(self, msg):
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self.lost = f"reference to a message this client never had: {msg.ref_hash}"
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
        if kind == "new_session":
            new = msg.new_session
            session_id = new.initialize.session_id
            if self.session_id is None:
                self.session_id = session_id
            elif session_id and session_id != self.session_id:
                self.lost = f"session changed from {self.session_id} to {session_id}"
            self.page_script_hash = new.page_script_hash
            self.page = Page()
        elif kind == "delta":
            if self._first_delta_at is None:
                self._first_delta_at = time.perf_counter()
            self.page.add(msg.metadata.delta_path, msg.delta)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string

        elif kind == "script_finished" and msg.script_finished != FINISHED_EARLY_FOR_RERUN:
            self.shown = self.page
            self._finished.set()

    # -- requests

    def _rerun_msg(self, states, fragment_id=""):
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_script_hash
        if not self.page_script_hash:
            state.page_name = self.page_name
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        state.widget_states.widgets.extend(states)
        state.cached_message_hashes.extend(self.cache)
        info = state.context_info
        info.timezone = "Europe/Paris"
        info.timezone_offset = -60
        info.locale = "en-GB"
        info.url = self.base_url + (f"?{self.query}" if self.query else "")
        return msg

    async def _request(self, kind, what, states, fragment_id=""):
        if self.lost:
            raise SessionLostError(self.lost)
        self._finished.clear()
        self._first_delta_at = None
        received, messages = self.received, self.messages
        started = time.perf_counter()
        try:
            await self.ws.send(self._rerun_msg(states, fragment_id).SerializeToString())
            await asyncio.wait_for(self._finished.wait(), self.step_timeout)
        except TimeoutError:
            self.lost = f"{what}: no script_finished within {self.step_timeout:.0f} s"
        except ConnectionClosed as exc:
            self.lost = f"websocket closed ({exc})"
        if self.lost:
            raise SessionLostError(self.lost)
        seconds = time.perf_counter() - started
        first = self._first_delta_at
        errors = self.shown.errors()
        return Rerun(
            kind=kind,
            what=what,
            seconds=seconds,
            bytes=self.received - received,
            messages=self.messages - messages,
            first_delta_seconds=None if first is None else first - started,
            exceptions=self.shown.exceptions(),
            errors=[e for e in errors if not any(p.search(e) for p in EXPECTED_ERRORS)],
            expected_errors=[e for e in errors if any(p.search(e) for p in EXPECTED_ERRORS)],
        )

    async def open(self):
        """Open the teacher's link: connect, then the first run."""
        await self.connect()
        return await self._request("first", "first page", [])

    def widgets(self):
        return self.shown.widgets(self.remembered)

    def find(self, label=None, key=None):
        """A widget on the page by its label or its user key, or None."""
        for widget in self.widgets():
            if (label is not None and widget.label == label) or (
                key is not None and widget.key == key
            ):
                return widget
        return None

    async def set(self, widget, value):
        """Change one widget to ``value`` and wait for the run it triggers."""
        what = widget.describe(value)
        states = []
        for shown in self.widgets():
            if shown.id == widget.id:
                shown.value = value
            states.append(shown.state())
            self.remembered[shown.id] = shown.value
        return await self._request("change", what, states)

    def pick_change(self):
        """A random setting the page shows and another value for it."""
        widgets = [w for w in self.widgets() if self._targets(w)]
        if not widgets:
            raise h.BenchError(f"{self.name}: no widget to change on the page")
        widget = self.rng.choice(widgets)
        return widget, self.rng.choice(self._targets(widget))

    @staticmethod
    def _targets(widget):
        if widget.kind == "slider":
            step = widget.step or 1
            candidates = {
                min(widget.value + step, widget.high),
                max(widget.value - step, widget.low),
                widget.low,
                widget.high,
            }
            return sorted(v for v in candidates if v != widget.value)
        if widget.kind == "checkbox":
            return [not widget.value]
        return [o for o in widget.options if o != widget.value and o not in SKIPPED_OPTIONS]


async def run_student(index, opts, query, start_at, changes, think, results):
    """One student's lesson: arrive, open the link, make ``changes`` changes."""
    rng = random.Random(f"{opts.seed}-{index}")
    student = Student(opts.url, query, rng, opts.step_timeout, name=f"student-{index}")
    record = {"index": index, "reruns": [], "lost": None, "first_markdown": None}
    results.append(record)
    try:
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        record["reruns"].append(await student.open())
        record["first_markdown"] = student.shown.markdown()
        for _ in range(changes):
            await asyncio.sleep(rng.uniform(*think))
            widget, value = student.pick_change()
            record["reruns"].append(await student.set(widget, value))
        record["final_markdown"] = student.shown.markdown()
        record["final_settings"] = {w.label: w.value for w in student.widgets()}
    except SessionLostError as exc:
        record["lost"] = str(exc)
    except Exception as exc:  # a refused handshake, a dead server: the session is lost
        record["lost"] = f"{type(exc).__name__}: {exc}"
    finally:
        await student.close()
    return record


async def run_scenario(opts, students, query, arrival, changes, think):
    """``students`` students arrive at random over ``arrival`` s; returns their records."""
    rng = random.Random(f"{opts.seed}-arrivals")
    now = time.perf_counter()
    offsets = sorted(rng.uniform(0, arrival) for _ in range(students)) if students > 1 else [0]
    results = []
    tasks = [
        asyncio.create_task(run_student(i, opts, query, now + offsets[i], changes, think, results))
        for i in range(students)
    ]
    limit = arrival + changes * (think[1] + opts.step_timeout) + opts.step_timeout + 30
    _, pending = await asyncio.wait(tasks, timeout=limit)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    for record in results:
        if record["lost"] is None and "final_markdown" not in record:
            record["lost"] = f"the scenario did not finish within {limit:.0f} s"
    return sorted(results, key=lambda r: r["index"])


# --------------------------------------------------------------------------- one session training


class Trainer(Student):
    """A student on the Train page who trains, as the browser does it.

    Opens ``/Train``, sets Epochs, presses Train, then polls the page's
    fragment every ``run_every`` seconds (the auto-reruns the frontend sends)
    until the training ends; presses Train again while ``keep_going`` says so,
    and Stop at the end.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_name = "Train"
        self.full = Page()  # the last full run's page: its widgets and buttons
        self.auto_reruns = {}  # fragment id -> interval, s (st.fragment(run_every=...))
        self._registered = {}  # the auto-reruns the current run asked for

    def _handle(self, msg):
        super()._handle(msg)
        kind = msg.WhichOneof("type")
        if kind == "navigation" and msg.navigation.page_script_hash:
            # The page that ran (new_session names the main script's hash here).
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "new_session":
            self._registered = {}
        elif kind == "auto_rerun":
            self._registered[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment, None)
        elif kind == "script_finished" and msg.script_finished == FINISHED_SUCCESSFULLY:
            # As the frontend: a full run keeps only the timers it registered.
            self.auto_reruns = dict(self._registered)

    async def run(self, kind, what, states=(), fragment_id=""):
        rerun = await self._request(kind, what, list(states), fragment_id)
        if not fragment_id:
            self.full = self.shown
        return rerun

    def states(self):
        return [w.state() for w in self.full.widgets(self.remembered)]

    def button_id(self, key):
        from streamlit.runtime.state.common import user_key_from_element_id

        for kind, element in self.full.ordered():
            if kind == "button" and user_key_from_element_id(element.button.id) == key:
                return element.button.id
        raise h.BenchError(f"trainer: no button {key!r} on the Train page")

    async def press(self, key):
        pressed = WidgetState(id=self.button_id(key), trigger_value=True)
        return await self.run("press", key, [*self.states(), pressed])

    async def set_epochs(self, epochs):
        widgets = self.full.widgets(self.remembered)
        if not any(widget.key == "train_epochs" for widget in widgets):
            raise h.BenchError("trainer: no Epochs slider on the Train page")
        for widget in widgets:
            if widget.key == "train_epochs":
                widget.value = epochs
            self.remembered[widget.id] = widget.value
        return await self.run("set", f"Epochs {epochs}", [w.state() for w in widgets])

    async def poll(self):
        """One auto-rerun of each polling fragment, as the frontend sends them."""
        for fragment, interval in list(self.auto_reruns.items()):
            await asyncio.sleep(interval)
            await self.run("poll", "fragment", self.states(), fragment)

    def shows_progress(self):
        return any(kind == "progress" for kind, _ in self.shown.ordered())

    def epochs_done(self, epochs):
        """Epochs the first progress bar shows done, or None."""
        for kind, element in self.shown.ordered():
            if kind == "progress":
                return round(element.progress.value / 100 * epochs)
        return None


async def run_trainer(opts, started, done, record):
    """Train on the Train page until ``done`` is set; ``started`` once batches run."""
    trainer = Trainer(opts.url, "", random.Random(0), opts.step_timeout, name="trainer")
    record.update(trainings=[], errors=[], lost=None)
    try:
        await trainer.open()
        trainer.full = trainer.shown
        await trainer.set_epochs(opts.train)
        while not done.is_set():
            began = time.perf_counter()
            await trainer.press("train_start")
            first_batch = epochs = None
            while trainer.auto_reruns and not done.is_set():
                await trainer.poll()
                if first_batch is None and trainer.shows_progress():
                    first_batch = time.perf_counter() - began
                    started.set()
                epochs = trainer.epochs_done(opts.train) or epochs
                record["errors"] += trainer.shown.errors() + trainer.shown.exceptions()
            row = {"seconds": time.perf_counter() - began, "first_batch_s": first_batch}
            if not trainer.auto_reruns:  # it ended by itself
                record["trainings"].append(row)
            else:  # the class has finished: how far it got meanwhile
                record["in_flight"] = {**row, "epochs": epochs}
            record["errors"] += trainer.full.errors() + trainer.full.exceptions()
            if record["errors"]:
                break
        if trainer.auto_reruns:
            await trainer.press("train_stop")
            limit = time.perf_counter() + opts.step_timeout
            while trainer.auto_reruns and time.perf_counter() < limit:
                await trainer.poll()
            record["stopped"] = not trainer.auto_reruns
    except Exception as exc:  # a lost trainer is reported, the class goes on
        record["lost"] = f"{type(exc).__name__}: {exc}"
    finally:
        started.set()
        await trainer.close()
    return record


# --------------------------------------------------------------------------- the server


def server_pid_for(url):
    """The pid of the process listening on ``url``'s port, or None."""
    port = urlsplit(url).port
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
                return conn.pid
    return None


def tree_cpu_seconds(pid):
    """User plus system CPU seconds of ``pid`` and its children (also ended ones), or None."""
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            times = p.cpu_times()
            # children_*: children that have ended (a training's worker process).
            total += times.user + times.system + times.children_user + times.children_system
    return total


class PidSampler(h.RssSampler):
    """:class:`harness.RssSampler` for a server given by pid (``--url`` mode)."""

    def __init__(self, pid, interval=0.1):
        super().__init__(server=None, interval=interval)
        self.pid = pid

    def sample(self):
        value = h.process_tree_rss(self.pid) if self.pid else 0
        self.last = value
        self.peak = max(self.peak, value)
        return value


# --------------------------------------------------------------------------- figures


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summarise(records, wall, cpu, rss_peak, rss_final, own_cpu):
    reruns = [r for record in records for r in record["reruns"]]
    first = [r for r in reruns if r.kind == "first"]
    change = [r for r in reruns if r.kind == "change"]
    errors = []
    for record in records:
        for r in record["reruns"]:
            errors += [f"student {record['index']}, {r.what}: exception {e}" for e in r.exceptions]
            errors += [f"student {record['index']}, {r.what}: st.error {e}" for e in r.errors]
    lost = [f"student {r['index']}: {r['lost']}" for r in records if r["lost"]]

    def times(rs, q):
        return percentile([r.seconds for r in rs], q)

    return {
        "students": len(records),
        "first_pages": len(first),
        "changes": len(change),
        "first_p50_s": times(first, 50),
        "first_p95_s": times(first, 95),
        "change_p50_s": times(change, 50),
        "change_p95_s": times(change, 95),
        "change_max_s": times(change, 100),
        "change_first_delta_p50_s": percentile(
            [r.first_delta_seconds for r in change if r.first_delta_seconds is not None], 50
        ),
        "first_bytes_p50": percentile([r.bytes for r in first], 50),
        "change_bytes_p50": percentile([r.bytes for r in change], 50),
        "change_bytes_max": percentile([r.bytes for r in change], 100),
        "errors": errors,
        "expected_errors": sum(len(r.expected_errors) for r in reruns),
        "lost": lost,
        "wall_s": wall,
        "server_cpu_s": cpu,
        "server_cpu_per_rerun_s": (cpu / len(reruns)) if cpu is not None and reruns else None,
        "server_cpu_per_change_s": (cpu / len(change)) if cpu is not None and change else None,
        "server_cores_busy": (cpu / wall) if cpu is not None and wall else None,
        "generator_cpu_s": own_cpu,
        "rss_peak": rss_peak,
        "rss_final": rss_final,
    }


async def measured(opts, sampler, pid, students, query, arrival, changes, think):
    sampler.reset_peak()
    cpu0, own0, t0 = tree_cpu_seconds(pid), time.process_time(), time.perf_counter()
    machine0, load0 = machine_busy_seconds(), os.getloadavg()
    records = await run_scenario(opts, students, query, arrival, changes, think)
    wall = time.perf_counter() - t0
    cpu1, own = tree_cpu_seconds(pid), time.process_time() - own0
    cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    result = summarise(records, wall, cpu, sampler.peak, sampler.sample(), own)
    result["records"] = records
    # The machine as a whole: other work on the same cores shows up here.
    busy = (machine_busy_seconds() - machine0) / wall
    result["machine_cores_busy"] = busy
    result["other_cores_busy"] = busy - (cpu or 0) / wall - own / wall
    result["load_average_1min"] = (load0[0], os.getloadavg()[0])
    return result


def machine_busy_seconds():
    """CPU seconds all processes on the machine used so far (not idle, not iowait)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _ratio(a, b):
    return None if a is None or not b else a / b


def _fmt_ratio(r):
    return "-" if r is None else f"{r:.1f}x"


def report(result, opts):
    """Print the tables; return True unless an error, a lost session, or
    (with ``--strict``) a missed target."""
    one, many = result.get("single"), result["class"]
    rows = [("figure", "1 student", f"{many['students']} students", "ratio")]

    def row(label, key, fmt):
        a = one.get(key) if one else None
        b = many.get(key)
        rows.append((label, fmt(a), fmt(b), _fmt_ratio(_ratio(b, a)) if a is not None else ""))

    row("first page p50", "first_p50_s", h.fmt_seconds)
    row("first page p95", "first_p95_s", h.fmt_seconds)
    row("change p50", "change_p50_s", h.fmt_seconds)
    row("change p95", "change_p95_s", h.fmt_seconds)
    row("change max", "change_max_s", h.fmt_seconds)
    row("change: request to first delta, p50", "change_first_delta_p50_s", h.fmt_seconds)
    row("first page bytes, p50", "first_bytes_p50", h.fmt_bytes)
    row("change bytes, p50", "change_bytes_p50", h.fmt_bytes)
    row("change bytes, max", "change_bytes_max", h.fmt_bytes)
    row("server CPU s per rerun (first pages + changes)", "server_cpu_per_rerun_s", _fmt_cpu)
    row("server CPU s per change (all server CPU / changes)", "server_cpu_per_change_s", _fmt_cpu)
    row("server cores busy (CPU s / wall s)", "server_cores_busy", _fmt_cpu)
    row("machine cores busy, all processes", "machine_cores_busy", _fmt_cpu)
    row("  of which other work (not server, not generator)", "other_cores_busy", _fmt_cpu)
    row("server peak RSS", "rss_peak", h.fmt_bytes)
    row("server RSS at the end", "rss_final", h.fmt_bytes)
    rows.append(("reruns (first pages + changes)", *_counts(one), *_counts(many)[:1], ""))
    rows.append(("errors", *_len(one, "errors"), str(len(many["errors"])), ""))
    rows.append(("lost sessions", *_len(one, "lost"), str(len(many["lost"])), ""))
    rows.append(
        (
            "expected shape-error boxes (not errors)",
            str(one["expected_errors"]) if one else "-",
            str(many["expected_errors"]),
            "",
        )
    )
    rows.append(
        (
            "load generator CPU s",
            _fmt_cpu(one and one["generator_cpu_s"]),
            _fmt_cpu(many["generator_cpu_s"]),
            "",
        )
    )
    _table(rows)
    loads = [part["load_average_1min"] for part in (one, many) if part]
    print(
        f"machine: {os.cpu_count()} CPUs; 1-min load average at start/end: "
        + "; ".join(f"{a:.1f}/{b:.1f}" for a, b in loads)
    )

    baseline = one["change_p50_s"] if one else None
    ratio = _ratio(many["change_p95_s"], baseline)
    targets = [
        ("errors", str(len(many["errors"])), "0", not many["errors"]),
        ("lost sessions", str(len(many["lost"])), "0", not many["lost"]),
        (
            "change p95 / single student's change p50",
            _fmt_ratio(ratio),
            f"<= {TARGET_RATIO:.0f}x",
            None if ratio is None else ratio <= TARGET_RATIO,
        ),
        (
            "peak RSS",
            h.fmt_bytes(many["rss_peak"]),
            "<= 1.5 GB",
            many["rss_peak"] <= TARGET_PEAK_RSS if many["rss_peak"] else None,  # no server pid
        ),
    ]
    print()
    _table(
        [("target", "value", "budget", "verdict")]
        + [(a, b, c, VERDICTS[ok]) for a, b, c, ok in targets]
    )
    for label, part in (("1 student", one), (f"{many['students']} students", many)):
        for line in (part or {}).get("errors", [])[:20] + (part or {}).get("lost", [])[:20]:
            print(f"  {label}: {line}")
    ok = not many["errors"] and not many["lost"]
    if one:
        ok = ok and not one["errors"] and not one["lost"]
    if opts.strict:
        ok = ok and all(t[3] is not False for t in targets)
    return ok


def report_training(result):
    """What the session that trained meanwhile did; True if it went well."""
    trainer = result.get("trainer", {})
    trainings = trainer.get("trainings", [])
    print()
    print(
        "one session trained meanwhile; trainings finished during the run: "
        + (", ".join(f"{t['seconds']:.1f} s" for t in trainings) or "none")
        + (f"; stopped at the end: {trainer.get('stopped')}" if "stopped" in trainer else "")
    )
    flight = trainer.get("in_flight")
    if flight:
        print(
            f"training when the class ended: {flight['epochs']} of its epochs done "
            f"{flight['seconds']:.1f} s after Train (first progress after "
            f"{flight['first_batch_s'] or 0:.1f} s)"
        )
    for line in trainer.get("errors", [])[:10]:
        print(f"  trainer: {line}")
    if trainer.get("lost"):
        print(f"  trainer lost: {trainer['lost']}")
    return bool(trainer) and not trainer.get("errors") and not trainer.get("lost")


def _fmt_cpu(value):
    return "-" if value is None else f"{value:.2f}"


def _counts(part):
    if not part:
        return ("-",)
    return (f"{part['first_pages'] + part['changes']}",)


def _len(part, key):
    return (str(len(part[key])) if part else "-",)


def _table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for n, r in enumerate(rows):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def _jsonable(result):
    def convert(value):
        if isinstance(value, Rerun):
            return value.__dict__
        return str(value)

    return json.loads(json.dumps(result, default=convert))


# --------------------------------------------------------------------------- main


async def lesson(opts, sampler, pid, log):
    think = tuple(opts.think)
    result = {}
    log("the teacher opens the link (cold caches; not measured)")
    teacher = await run_scenario(opts, 1, opts.link, 0, 0, think)
    result["teacher"] = {"seconds": [r.seconds for r in teacher[0]["reruns"]]}
    if teacher[0]["lost"]:
        result["teacher"]["lost"] = teacher[0]["lost"]
    if not opts.no_single:
        log(f"1 student: {opts.changes} changes, think {think[0]}-{think[1]} s")
        result["single"] = await measured(opts, sampler, pid, 1, opts.link, 0, opts.changes, think)
    record, done, trainer = {}, asyncio.Event(), None
    if opts.train:
        # The class then runs while it trains: run once more without --train, on a
        # fresh server with the same seed, for the same changes idle. (The same
        # changes again on this server would find the first run's results cached.)
        started = asyncio.Event()
        log(f"one session trains {opts.train} epochs on the Train page (again when it ends)")
        trainer = asyncio.create_task(run_trainer(opts, started, done, record))
        await asyncio.wait_for(started.wait(), opts.step_timeout)
    log(f"{opts.students} students arrive over {opts.arrival:.0f} s, {opts.changes} changes each")
    result["class"] = await measured(
        opts, sampler, pid, opts.students, opts.link, opts.arrival, opts.changes, think
    )
    if trainer is not None:
        done.set()
        result["trainer"] = await trainer
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=40, help="students in the class (40)")
    parser.add_argument("--arrival", type=float, default=30.0, help="they arrive over s (30)")
    parser.add_argument("--changes", type=int, default=10, help="changes per student (10)")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(5.0, 20.0),
        metavar=("MIN", "MAX"),
        help="think time between changes, s (5 20)",
    )
    parser.add_argument(
        "--link",
        default="filters=8&padding=same",
        help="the teacher's link's query string (filters=8&padding=same)",
    )
    parser.add_argument("--url", help="a running server (loopback); default: start one")
    parser.add_argument("--server-pid", type=int, help="its pid, for RSS/CPU (default: found)")
    parser.add_argument("--port", type=int, default=8604, help="port of the started server")
    parser.add_argument("--app", default=str(h.ROOT / "app.py"))
    parser.add_argument("--no-single", action="store_true", help="skip the 1-student run")
    parser.add_argument("--step-timeout", type=float, default=120.0, help="one request, s")
    parser.add_argument("--time-limit", type=float, default=1200.0, help="whole run, s")
    parser.add_argument("--seed", type=int, default=0, help="seed of arrivals, thinks, choices")
    parser.add_argument(
        "--train",
        type=int,
        metavar="EPOCHS",
        help="the class runs while one more session trains EPOCHS epochs on the Train page",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target too")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="only the final report")
    opts = parser.parse_args(argv)
    if opts.students < 1 or opts.changes < 0 or not 0 <= opts.think[0] <= opts.think[1]:
        parser.error("need --students >= 1, --changes >= 0 and 0 <= MIN <= MAX think")
    if opts.url and urlsplit(opts.url).hostname not in LOOPBACK:
        parser.error(f"--url must be a loopback address ({', '.join(LOOPBACK)})")
    return opts


def main(argv=None):
    opts = parse_args(argv)
    args = shlex.join(sys.argv[1:] if argv is None else argv)
    python = shlex.quote(os.path.relpath(sys.executable, h.ROOT))
    command = f"cd {shlex.quote(str(h.ROOT))} && {python} bench/classroom_load.py {args}".rstrip()
    print(f"reproduce: {command}", flush=True)

    def log(message):
        if not opts.quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    server = None
    if opts.url is None:
        server = h.Server(opts.app, opts.port, cwd=Path(opts.app).resolve().parent, name="class")
        opts.url = server.url
        print(f"app: {opts.app} at {h.git_state(opts.app)}", flush=True)

    def hard_stop():
        print("hard time limit reached: stopping", flush=True)
        if server is not None:
            server.stop()
        os._exit(3)

    watchdog = threading.Timer(opts.time_limit + 60, hard_stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        if server is not None:
            server.start()
            log(f"server up in {server.start_seconds:.1f} s (pid {server.proc.pid})")
        pid = opts.server_pid or (server.proc.pid if server else server_pid_for(opts.url))
        sampler = PidSampler(pid).start()
        rss_start = sampler.sample()
        try:
            result = asyncio.run(asyncio.wait_for(lesson(opts, sampler, pid, log), opts.time_limit))
        except TimeoutError:
            print(f"the run exceeded --time-limit {opts.time_limit:.0f} s", flush=True)
            return 1
        finally:
            sampler.stop()
        result["rss_start"] = rss_start
        result["server_alive"] = server.alive() if server else pid is None or psutil.pid_exists(pid)
        if not result["server_alive"]:
            result["class"]["lost"].append("the server process died")
    finally:
        if server is not None:
            server.stop()
        watchdog.cancel()
    result["command"] = command
    result["machine"] = f"{os.cpu_count()} CPUs"
    print()
    print(
        f"server RSS at start {h.fmt_bytes(rss_start)}; teacher's cold open "
        f"{', '.join(h.fmt_seconds(s) for s in result['teacher']['seconds']) or '-'}"
        + (f" (lost: {result['teacher']['lost']})" if "lost" in result["teacher"] else "")
    )
    ok = report(result, opts) and "lost" not in result["teacher"]
    if opts.train:
        ok = report_training(result) and ok
    if opts.json:
        Path(opts.json).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.json).write_text(json.dumps(_jsonable(result), indent=2))
        print(f"results written to {opts.json}")
    print(f"reproduce: {command}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
