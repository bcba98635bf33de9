"""Shared helpers for the benchmarks: servers, memory, browser, widgets, reruns.

Everything here talks to 127.0.0.1 only and every wait has a timeout.

* :class:`Server` starts ``streamlit run`` on a port, polls ``/_stcore/health``
  and kills the whole process group on :meth:`Server.stop`.
* :class:`RssSampler` samples a server's resident memory (with children) in a
  background thread and keeps the peak.
* :func:`launch_browser` starts Debian's headless Chromium through Playwright.
* :class:`Session` is one browser page on one app: it counts the bytes the
  page receives (websocket frames plus HTTP responses) and recognises the end
  of a script run by decoding Streamlit's ``ForwardMsg`` protobufs, so a step
  is timed from the input event to the ``script_finished`` message.
* Widget helpers find sidebar widgets by their label and operate them the way
  a person would: keyboard on sliders, clicks on select boxes and radios.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psutil
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
HOST = "127.0.0.1"

# ForwardMsg.ScriptFinishedStatus values (streamlit/proto/ForwardMsg.proto).
FINISHED_EARLY_FOR_RERUN = 2


class BenchError(RuntimeError):
    """A step could not be carried out (widget missing, timeout, crash)."""


class StepTimeoutError(BenchError):
    """A step did not finish within its time limit."""


# --------------------------------------------------------------------------- servers


class Server:
    """One ``streamlit run`` process on ``127.0.0.1:port``, in its own process group.

    Parameters
    ----------
    script : str or Path
        The Streamlit script.
    port : int
    cwd : str or Path
        Working directory (the repo root, so ``app.py`` finds its packages).
    name : str
        For messages and the log file name.
    """

    def __init__(self, script, port, cwd=ROOT, name="app", extra_args=()):
        self.script = str(script)
        self.port = port
        self.cwd = str(cwd)
        self.name = name
        self.extra_args = list(extra_args)
        self.proc = None
        self.start_seconds = None  # from launch until healthy
        self.log_path = Path(tempfile.gettempdir()) / f"convlab-bench-{name}-{port}.log"
        self._log = None

    @property
    def url(self):
        return f"http://{HOST}:{self.port}/"

    def command(self):
        return [
            PYTHON,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            HOST,
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *self.extra_args,
        ]

    def start(self, timeout=60.0):
        """Start the server and wait until ``/_stcore/health`` says ``ok``."""
        if _port_busy(self.port):
            raise BenchError(f"Port {self.port} is already in use; pick another with --port-*.")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        launched = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        health = f"http://{HOST}:{self.port}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} server exited with {self.proc.returncode}; "
                    f"log: {self.log_path}\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        self.start_seconds = time.monotonic() - launched
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} server not healthy after {timeout:.0f} s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss(self):
        """Resident memory of the server and all its children, in bytes."""
        return process_tree_rss(self.proc.pid) if self.alive() else 0

    def log_tail(self, lines=20):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        """Terminate the process group (SIGTERM, then SIGKILL after 5 s)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None


def _port_busy(port):
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def chromium_cpu():
    """CPU seconds (user + system) of the Chromium processes under this process."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "chrom" in proc.name().lower():
                times = proc.cpu_times()
                total += times.user + times.system
    return total


def process_tree_rss(pid):
    """RSS of ``pid`` plus all its descendants, in bytes (0 if it is gone)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


class RssSampler:
    """Sample a server's tree RSS every ``interval`` seconds in a daemon thread."""

    def __init__(self, server, interval=0.1):
        self.server = server
        self.interval = interval
        self.peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self):
        value = self.server.rss()
        self.last = value
        self.peak = max(self.peak, value)
        return value

    def reset_peak(self):
        self.peak = self.sample()

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)


# --------------------------------------------------------------------------- browser


def launch_browser(playwright):
    """Headless Debian Chromium (never a downloaded browser build)."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        raise BenchError(f"{CHROMIUM} not found: apt-get install chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def app_url(server, query=None, path=""):
    query = {k: str(v) for k, v in (query or {}).items()}
    base = server.url.rstrip("/") + path if path else server.url
    return base + (("?" + urlencode(query)) if query else "")


@dataclass
class RunResult:
    """One measured rerun (or page load).

    Attributes
    ----------
    seconds : float
        From the input event (or navigation) to the last ``script_finished``.
    ws_bytes : int
        Websocket payload bytes received in that time.
    http_bytes : int
        HTTP response bytes other than the app's static assets (media files
        such as ``st.image`` PNGs, downloads) received in that time.
    static_bytes : int
        HTTP bytes of the frontend's own files (JS/CSS bundles, fonts):
        mostly on a page load, and cached by a browser after the first visit.
    frames : int
        Websocket frames received.
    largest_frame : int
        Biggest single websocket frame, bytes.
    send_seconds : float or None
        Input event to the browser sending its rerun request: widget debounce.
    painted_seconds : float or None
        Input event to the first animation frame after the finish, i.e. until
        the browser's main thread had drawn the result.
    first_delta_seconds : float or None
        Input event to the first element delta: server work before output.
    drawn_seconds : float or None
        Input event (or navigation) until the page has settled: every element
        is mounted (no loading skeleton left), every Plotly chart has drawn
        its SVG, and then the main thread had an idle moment. What a student
        waits for before the whole page is there. A page opens its charts
        after its run ends (Plotly's bundle loads lazily, then each chart
        draws), so a step taken as soon as the run ends would pay for the
        previous page's drawing; :meth:`Session.act` and :meth:`Session.open`
        therefore return only once the page has settled.
    server_cpu : float or None
        CPU seconds the server process spent (all threads) from the input
        event to the end of the measurement: far steadier than times on a
        busy machine.
    browser_task : float or None
        Seconds the page's main thread was busy in that time (Chrome's
        ``TaskDuration``: parsing, React, Plotly's drawing, layout); wall
        time of its tasks, so it grows when other jobs take the cores.
    browser_cpu : float or None
        CPU seconds of all Chromium processes this bench started (renderer,
        GPU, browser), in that time: the browser's work, steady under load.
    runs : int
        Script runs started (more than one means the app reran itself).
    by_element : dict
        Websocket bytes per element type ("plotly_chart", "dataframe", ...),
        and per non-delta message type in angle brackets.
    """

    seconds: float
    ws_bytes: int
    http_bytes: int
    static_bytes: int
    frames: int
    largest_frame: int
    send_seconds: float | None = None
    painted_seconds: float | None = None
    first_delta_seconds: float | None = None
    drawn_seconds: float | None = None
    server_cpu: float | None = None
    browser_task: float | None = None
    browser_cpu: float | None = None
    runs: int = 1
    by_element: dict = field(default_factory=dict)
    exceptions: list = field(default_factory=list)

    @property
    def total_bytes(self):
        """What a rerun costs on the wire: websocket plus media bytes."""
        return self.ws_bytes + self.http_bytes

    def as_dict(self):
        return {
            "seconds": round(self.seconds, 4),
            "ws_bytes": self.ws_bytes,
            "http_bytes": self.http_bytes,
            "total_bytes": self.total_bytes,
            "static_bytes": self.static_bytes,
            "frames": self.frames,
            "largest_frame": self.largest_frame,
            "send_seconds": None if self.send_seconds is None else round(self.send_seconds, 4),
            "painted_seconds": None
            if self.painted_seconds is None
            else round(self.painted_seconds, 4),
            "first_delta_seconds": None
            if self.first_delta_seconds is None
            else round(self.first_delta_seconds, 4),
            "drawn_seconds": None if self.drawn_seconds is None else round(self.drawn_seconds, 4),
            "server_cpu": None if self.server_cpu is None else round(self.server_cpu, 4),
            "browser_task": None if self.browser_task is None else round(self.browser_task, 4),
            "browser_cpu": None if self.browser_cpu is None else round(self.browser_cpu, 4),
            "runs": self.runs,
            "by_element": self.by_element,
            "exceptions": self.exceptions,
        }


def _decode_forward_msg(payload):
    """(type, detail) of a ForwardMsg, or (None, None) if it does not parse.

    detail is the ``script_finished`` status, the ``script_is_running`` flag
    of a status change, or for a delta the element type ("plotly_chart",
    "dataframe", "imgs", ... or "block").
    """
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:  # an undecodable frame is simply not a marker
        return None, None
    kind = msg.WhichOneof("type")
    if kind == "script_finished":
        return kind, msg.script_finished
    if kind == "session_status_changed":
        return kind, msg.session_status_changed.script_is_running
    if kind == "delta":
        delta = msg.delta.WhichOneof("type")
        if delta == "new_element":
            return kind, msg.delta.new_element.WhichOneof("type")
        return kind, "block" if delta == "add_block" else delta
    return kind, None


#: Resolves true once no element is still loading (Streamlit's ``stSkeleton``
#: stands in for a lazily loaded element such as a Plotly chart), every Plotly
#: chart has its SVG, and the main thread then had an idle moment (or false at
#: the time limit, in ms).
SETTLE_JS = """(ms) => new Promise((resolve) => {
    const end = performance.now() + ms;
    const drawn = () => !document.querySelector("[data-testid='stSkeleton']")
        && Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"))
            .every((chart) => chart.querySelector(".main-svg"));
    const idle = window.requestIdleCallback || ((f) => setTimeout(f, 0));
    const tick = () => {
        if (performance.now() > end) {
            resolve(false);
        } else if (drawn()) {
            requestAnimationFrame(() => idle(() => resolve(drawn()), {timeout: 5000}));
        } else {
            requestAnimationFrame(tick);
        }
    };
    tick();
})"""


class RunWatcher:
    """Non-blocking detector of the end of the script run(s) after an input.

    :meth:`poll` returns None while the run goes on and a :class:`RunResult`
    once a ``script_finished`` (other than "finished early for a rerun") has
    been followed by ``quiet`` seconds without a new run; it raises
    :class:`StepTimeoutError` after ``timeout`` seconds and
    :class:`BenchError` if the page crashed. Several watchers on several
    pages can be polled in turn, which is how concurrent sessions are timed.
    """

    def __init__(self, session, start, t0, timeout, quiet=0.4, paint=False):
        self.session = session
        self.start = start
        self.t0 = t0
        self.deadline = t0 + timeout
        self.timeout = timeout
        self.quiet = quiet
        self.paint = paint
        self.scanned = start
        self.finished_at = self.painted_at = self.drawn = None
        self.running = False
        self.runs = 0

    def poll(self):
        events = self.session.events
        for t, kind, _, info in events[self.scanned :]:
            if kind == "crash":
                raise BenchError("the browser page crashed")
            if kind != "frame" or info is None:
                continue
            msg_kind, value = info
            if msg_kind == "new_session" or (msg_kind == "session_status_changed" and value):
                self.runs += msg_kind == "new_session"
                self.running = True
                self.finished_at = self.painted_at = self.drawn = None
            elif msg_kind == "script_finished" and value != FINISHED_EARLY_FOR_RERUN:
                self.running = False
                self.finished_at = t
                self.painted_at = self.drawn = None
        self.scanned = len(events)
        now = time.perf_counter()
        if self.finished_at is not None and not self.running:
            if self.paint and self.painted_at is None:
                self.painted_at = self.session._paint(self.deadline)
                self.drawn = self.session.settle(self.t0, self.deadline)
                return None
            if now - self.finished_at >= self.quiet:
                result = self.session.measure(
                    self.start, self.t0, self.finished_at, self.painted_at, self.runs
                )
                result.drawn_seconds = self.drawn
                return result
        if now > self.deadline:
            raise StepTimeoutError(f"no finished script run within {self.timeout:.0f} s")
        return None


class Session:
    """One browser page on one Streamlit app, with a byte and run monitor.

    Every frame up to 256 MB is decoded as a ForwardMsg (run markers, element
    types for the byte breakdown); bigger ones are counted as deltas.
    """

    DECODE_MAX = 256 * 1024 * 1024

    def __init__(self, browser, server, viewport=(1400, 1000)):
        self.server = server
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, service_workers="block"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.events = []  # (time, kind, nbytes, info)
        self.crashed = False
        self.sockets = 0
        self.page.on("websocket", self._on_ws)
        self.page.on("response", self._on_response)
        self.page.on("crash", self._on_crash)
        self.cdp = None
        with contextlib.suppress(Exception):  # the CPU figures are extras
            self.cdp = self.context.new_cdp_session(self.page)
            self.cdp.send("Performance.enable")

    def cpu_mark(self):
        """(server CPU s, page main-thread busy s, Chromium CPU s) so far."""
        server = browser = None
        with contextlib.suppress(Exception):
            times = psutil.Process(self.server.proc.pid).cpu_times()
            server = times.user + times.system
        if self.cdp is not None:
            with contextlib.suppress(Exception):
                metrics = self.cdp.send("Performance.getMetrics")["metrics"]
                browser = next(m["value"] for m in metrics if m["name"] == "TaskDuration")
        return server, browser, chromium_cpu()

    # -- event plumbing
    def _on_crash(self, _page):
        self.crashed = True
        self.events.append((time.perf_counter(), "crash", 0, None))

    def _on_ws(self, ws):
        if "_stcore/stream" not in ws.url:
            return
        self.sockets += 1
        ws.on("framereceived", self._on_frame)
        ws.on("framesent", self._on_sent)
        ws.on("close", lambda _ws: self.events.append((time.perf_counter(), "ws_close", 0, None)))

    def _on_frame(self, payload):
        now = time.perf_counter()
        if isinstance(payload, str):
            size = len(payload.encode())
            info = None
        else:
            size = len(payload)
            info = _decode_forward_msg(payload) if size <= self.DECODE_MAX else ("delta", "?")
        self.events.append((now, "frame", size, info))

    def _on_sent(self, payload):
        size = len(payload) if isinstance(payload, bytes) else len(payload.encode())
        self.events.append((time.perf_counter(), "sent", size, None))

    def _on_response(self, response):
        if "_stcore/stream" in response.url:
            return
        self.events.append((time.perf_counter(), "http", 0, response))

    # -- measurements
    def mark(self):
        """Index of the next event: where a measurement starts."""
        return len(self.events)

    def _http_bytes(self, start, end_time):
        """(media and other bytes, static asset bytes) of HTTP responses since ``start``."""
        media = static = 0
        for t, kind, _, response in self.events[start:]:
            if kind != "http" or t > end_time:
                continue
            try:
                sizes = response.request.sizes()
                size = sizes.get("responseBodySize", 0) + sizes.get("responseHeadersSize", 0)
            except Exception:  # a response whose sizes are gone: use its header
                length = response.headers.get("content-length")
                size = int(length) if length and length.isdigit() else 0
            path = urlsplit(response.url).path
            if path.startswith("/static/") or path in ("/", "/favicon.png") or "/_stcore/" in path:
                static += size
            else:
                media += size
        return media, static

    def wait_done(self, start, t0, timeout, quiet=0.4, paint=True):
        """Wait for the script run(s) after event index ``start`` to finish.

        Done means: a ``script_finished`` (other than "finished early for a
        rerun") has arrived and no new run starts within ``quiet`` seconds.
        Returns a :class:`RunResult` timed from ``t0`` to that last finish.
        With ``paint``, right after each finish the page is asked for two
        animation frames, which it only gives once its main thread has
        handled everything queued before (parsing, React), and then waited
        for until it has settled (``RunResult.drawn_seconds``: the charts
        drawn), so that the next step starts on an idle page.
        """
        watcher = RunWatcher(self, start, t0, timeout, quiet=quiet, paint=paint)
        while True:
            result = watcher.poll()
            if result is not None:
                return result
            self.page.wait_for_timeout(25)

    def measure(self, start, t0, finished_at, painted_at=None, runs=1):
        """Sum up the events from index ``start`` up to ``finished_at``."""
        ws_bytes = frames = largest = 0
        send_at = first_delta = None
        by_element = {}
        for t, kind, size, info in self.events[start:]:
            if t > finished_at:
                continue
            if kind == "frame":
                ws_bytes += size
                frames += 1
                largest = max(largest, size)
                msg_kind, detail = info or (None, None)
                name = f"{detail}" if msg_kind == "delta" else f"<{msg_kind}>"
                by_element[name] = by_element.get(name, 0) + size
                if msg_kind == "delta" and first_delta is None:
                    first_delta = t
            elif kind == "sent" and send_at is None and size > 0:
                send_at = t
        http, static = self._http_bytes(start, finished_at)
        return RunResult(
            seconds=finished_at - t0,
            ws_bytes=ws_bytes,
            http_bytes=http,
            static_bytes=static,
            frames=frames,
            largest_frame=largest,
            send_seconds=None if send_at is None else send_at - t0,
            painted_seconds=None if painted_at is None else painted_at - t0,
            first_delta_seconds=None if first_delta is None else first_delta - t0,
            runs=max(runs, 1),
            by_element=dict(sorted(by_element.items(), key=lambda kv: -kv[1])),
        )

    def _paint(self, deadline):
        """Time at which the page had run two animation frames (bounded)."""
        budget = max(1.0, deadline - time.perf_counter())
        try:
            self.page.evaluate(
                """(ms) => Promise.race([
                    new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))),
                    new Promise(r => setTimeout(r, ms)),
                ])""",
                budget * 1000,
            )
        except Exception as exc:  # a page that cannot paint has crashed
            raise BenchError(f"page did not paint: {exc}") from None
        return time.perf_counter()

    def settle(self, t0, deadline):
        """Wait until the page has settled (see ``RunResult.drawn_seconds``);
        returns seconds since ``t0``, or None if it did not within ``deadline``."""
        budget = max(1.0, deadline - time.perf_counter())
        try:
            done = self.page.evaluate(SETTLE_JS, budget * 1000)
        except Exception as exc:  # a page that cannot run a script has crashed
            raise BenchError(f"page did not settle: {exc}") from None
        return time.perf_counter() - t0 if done else None

    def exceptions(self):
        """Texts of Streamlit exception boxes currently on the page."""
        return self._texts("[data-testid='stException']", "<page unreadable>")

    def errors(self):
        """Texts of ``st.error`` boxes currently on the page (not exception boxes)."""
        return self._texts("[data-testid='stAlertContentError']", None)

    def _texts(self, selector, unreadable):
        script = """(sel) => Array.from(document.querySelectorAll(sel))
            .filter(e => sel.includes('stException') || !e.closest("[data-testid='stException']"))
            .map(e => e.innerText)"""
        try:
            texts = self.page.evaluate(script, selector)
        except Exception:  # a crashed page has none to read
            return [unreadable] if unreadable else []
        return [" | ".join(t.strip().splitlines())[:300] for t in texts]

    def start_open(self, query=None, timeout=120.0, path=""):
        """Begin navigating (to page ``path``, e.g. "/Kernels"); returns (start, t0)
        for :meth:`wait_done`."""
        start = self.mark()
        t0 = time.perf_counter()
        self.page.goto(
            app_url(self.server, query, path), wait_until="commit", timeout=timeout * 1000
        )
        return start, t0

    def open(self, query=None, timeout=120.0, paint=True, path=""):
        """Navigate to the app and wait for its first complete run."""
        start, t0 = self.start_open(query, timeout, path)
        result = self.wait_done(start, t0, timeout, paint=paint)
        result.exceptions = self.exceptions()
        self.wait_sidebar(timeout=max(5.0, timeout - result.seconds))
        return result

    def wait_sidebar(self, timeout=30.0):
        self.page.locator("[data-testid='stSidebar']").first.wait_for(
            state="visible", timeout=timeout * 1000
        )

    def act(self, action, timeout=60.0, paint=True):
        """Perform ``action(session)`` -> t0 and wait for the rerun it causes."""
        start = self.mark()
        server, browser, chromium = self.cpu_mark()
        t0 = action(self)
        result = self.wait_done(start, t0, timeout, paint=paint)
        result.exceptions = self.exceptions()
        server_after, browser_after, chromium_after = self.cpu_mark()
        result.browser_cpu = chromium_after - chromium
        if server is not None and server_after is not None:
            result.server_cpu = server_after - server
        if browser is not None and browser_after is not None:
            result.browser_task = browser_after - browser
        return result

    def close(self):
        with contextlib.suppress(Exception):  # closing a broken context is best effort
            self.context.close()


# --------------------------------------------------------------------------- widgets


def _label_regex(label):
    return re.compile(rf"^\s*{re.escape(label)}\s*$")


def widget(page, testid, label):
    """The sidebar widget with ``data-testid=testid`` whose label is ``label``.

    Streamlit 1.67 renders select boxes as a react-aria combobox, sliders
    with a hidden ``input[type=range]`` and radios as ``label`` options.
    """
    sidebar = page.locator("[data-testid='stSidebar']")
    return (
        sidebar.locator(f"[data-testid='{testid}']")
        .filter(has=page.locator("[data-testid='stWidgetLabel']", has_text=_label_regex(label)))
        .first
    )


def _timed_click(page, target):
    """Click ``target`` and return the time of the click itself.

    ``hover`` first does Playwright's actionability checks (attached,
    visible, stable for two animation frames, not covered) and puts the
    pointer on the target; only the press and release are timed, so the
    figures start at the input event as a person makes it, not at
    Playwright's waits (about 70 ms with ``click()``).
    """
    target.hover()
    t0 = time.perf_counter()
    page.mouse.down()
    page.mouse.up()
    return t0


def slider_keys(label, *keys, settle=0.0):
    """Action: focus the slider labelled ``label`` and press ``keys``.

    Returns the time of the first key press. ``settle`` waits before pressing,
    outside the measured time.
    """

    def action(session):
        page = session.page
        thumb = (
            widget(page, "stSlider", label).locator("input[type='range'], [role='slider']").first
        )
        thumb.wait_for(state="attached", timeout=15_000)
        thumb.focus()
        if settle:
            page.wait_for_timeout(settle * 1000)
        t0 = time.perf_counter()
        for key in keys:
            page.keyboard.press(key)
        return t0

    action.__name__ = f"{label}: {'+'.join(keys)}"
    return action


def select_option(label, option):
    """Action: open the select box labelled ``label`` and click ``option``.

    ``option`` is the visible option text (exact match). Opening the list is
    not timed (it is retried if a re-layout swallowed the click); the click on
    the option is the input event.
    """

    def action(session):
        page = session.page
        box = widget(page, "stSelectbox", label)
        box.wait_for(state="visible", timeout=15_000)
        field = box.locator("[role='combobox'], [data-baseweb='select']").first
        choice = page.locator("[role='option']").filter(has_text=_label_regex(option)).first
        for attempt in range(4):
            if attempt == 3:
                field.focus()
                page.keyboard.press("ArrowDown")
            else:
                field.click()
            try:
                choice.wait_for(state="visible", timeout=2_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
                page.wait_for_timeout(300)
        else:
            raise BenchError(f"the {label!r} select box did not list {option!r}")
        if choice.get_attribute("aria-selected") == "true":
            page.keyboard.press("Escape")
            raise BenchError(f"{label!r} is already {option!r}: no rerun to measure")
        return _timed_click(page, choice)

    action.__name__ = f"{label}: {option}"
    return action


def rerun_key():
    """Action: rerun the page with nothing changed (Streamlit's "R" shortcut).

    What a page costs however little changes: every element is sent and
    rendered again. The focus leaves any widget first, or the key would go to it.
    """

    def action(session):
        page = session.page
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        t0 = time.perf_counter()
        page.keyboard.press("r")
        return t0

    action.__name__ = "rerun, nothing changed"
    return action


def click_button(label):
    """Action: click the main-area button labelled ``label`` (e.g. "Next")."""

    def action(session):
        page = session.page
        button = page.locator("[data-testid='stMain']").get_by_role(
            "button", name=label, exact=True
        )
        button.wait_for(state="visible", timeout=15_000)
        return _timed_click(page, button)

    action.__name__ = f"button {label}"
    return action


def click_image(frame_title, fx, fy):
    """Action: click the picture inside the component iframe whose title contains
    ``frame_title``, at fractions ``(fx, fy)`` of its width and height."""

    def action(session):
        page = session.page
        image = page.frame_locator(f"iframe[title*='{frame_title}']").locator("img").first
        image.wait_for(state="visible", timeout=15_000)
        box = image.bounding_box()
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        t0 = time.perf_counter()
        page.mouse.down()
        page.mouse.up()
        return t0

    action.__name__ = f"click {frame_title} at ({fx:.2f}, {fy:.2f})"
    return action


def radio_option(label, option_prefix):
    """Action: click the radio option of ``label`` whose text starts with ``option_prefix``."""

    def action(session):
        page = session.page
        group = widget(page, "stRadio", label)
        group.wait_for(state="visible", timeout=15_000)
        choice = (
            group.locator("label")
            .filter(has_text=re.compile(rf"^\s*{re.escape(option_prefix)}"))
            .first
        )
        return _timed_click(page, choice)

    action.__name__ = f"{label}: {option_prefix}"
    return action


def segmented_option(label, option):
    """Action: click the segmented-control button ``option`` of ``label``
    (the sidebar's "Language / 语言")."""

    def action(session):
        page = session.page
        group = widget(page, "stButtonGroup", label)
        group.wait_for(state="visible", timeout=15_000)
        return _timed_click(page, group.get_by_role("radio", name=option, exact=True))

    action.__name__ = f"{label}: {option}"
    return action


# --------------------------------------------------------------------------- formatting


def git_state(app):
    """Commit of the repo holding ``app``, plus its uncommitted app files, for the record."""
    cwd = Path(app).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=cwd, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "app.py", "pages", "ui", "cnn_core"],
            cwd=cwd,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
    except OSError:
        return "unknown"
    changed = [line[3:] for line in dirty if line.strip()]
    if not head:
        return "not a git checkout"
    return head + (f" + uncommitted changes to {', '.join(changed)}" if changed else "")


def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}" if n < 10 * size else f"{n / size:.1f} {unit}"
    return f"{n} B"


def fmt_seconds(s):
    if s is None:
        return "-"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"
