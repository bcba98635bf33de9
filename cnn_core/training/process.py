"""Training in a separate process at a lower CPU priority, one at a time.

A training used to run ``model.fit`` in a thread of the server process, where
it took both cores and the GIL, and every other student's reruns slowed down
2.5-3x. Here each training runs in its own worker process, started only for
that training (``python -c`` :data:`LAUNCH`: a fresh interpreter, never a
fork of a server that has TensorFlow loaded). Before it imports anything the
worker lowers its priority: Linux's ``SCHED_IDLE`` policy where there is one
(it runs only on a core nothing else wants, and any other task that wakes up
takes the core from it at once), and ``os.nice`` as well. It then trains with
:func:`~cnn_core.training.loop.train`, and sends what the page draws back
over a socket pair (:class:`multiprocessing.connection.Connection`):

- ``("progress", Progress)`` after every epoch, and after a batch at most
  every :data:`BATCH_EVERY` s;
- ``("result", {...})`` at the end: the weights, curves, epochs done, whether
  it was stopped, and the held-out accuracy;
- ``("error", Message or str)`` if training raised.

The worker also raises its out-of-memory score, so that the kernel, short of
memory, kills the training rather than the server. The server sends
``"stop"``; the worker then ends after the current batch and still sends its
result, so Stop keeps the model trained so far. When the
server's end of the socket closes (the server went away), the worker exits
at once. :class:`TrainingJob` is the server's side: it waits its turn in a
:class:`~cnn_core.training.loop.TrainingTurns`, starts the worker, reads its
messages in a thread (blocked in ``recv``, so it holds no GIL), rebuilds the
Keras model from the weights, and always reaps the worker. When the job
object itself is collected (the session that held it is gone), the worker is
killed.

Why not :mod:`multiprocessing`'s "spawn" start method: it also starts a
resource-tracker process that outlives the training (one more process per
server), and it re-imports the server's ``__main__`` in the child. A plain
``subprocess`` with an inherited socket needs neither.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import weakref
from multiprocessing.connection import Connection
from pathlib import Path

from cnn_core.errors import ConvlabError
from cnn_core.i18n import Message

__all__ = ["IDLE", "NICE", "OOM_SCORE", "THREADS", "TrainingJob", "main"]

#: Added to the worker's niceness before anything else: the server's reruns
#: win the CPU whenever both want it (Linux gives a nice-10 process about a
#: tenth of a nice-0 one's share), and the training takes what is left.
NICE = 10
#: Also put the worker under ``SCHED_IDLE`` (Linux): lower than any niceness,
#: and a waking server thread preempts it at once instead of after a time slice.
IDLE = True
#: TensorFlow threads in the worker (intra-op and inter-op); None: its default.
THREADS = None
#: Linux's out-of-memory badness added to the worker (-1000..1000; raising it needs
#: no privilege), so that an out-of-memory kill picks it before the server.
OOM_SCORE, OOM_SCORE_ADJ = 500, Path("/proc/self/oom_score_adj")
#: The repository root: the worker runs from it (``cnn_core`` is imported from there).
ROOT = Path(__file__).resolve().parents[2]
#: Seconds between two progress messages within an epoch (an epoch's end is always sent).
BATCH_EVERY = 0.1
#: Seconds to wait for a worker to exit after its last message, before killing it.
EXIT_GRACE = 10.0


# --------------------------------------------------------------------------- the worker


def _listen(conn, stop):
    """In the worker: set ``stop`` on "stop"; exit at once if the server goes away."""
    try:
        while True:
            if conn.recv() == "stop":
                stop.set()
    except (EOFError, OSError):
        os._exit(0)  # nobody is left to read the result


class _Sender:
    """Sends progress: every epoch's end, and within an epoch at most every
    :data:`BATCH_EVERY` seconds (the page polls every 0.5 s; fewer messages,
    fewer wake-ups of the server's thread)."""

    def __init__(self, conn):
        self.conn, self.last, self.epoch = conn, 0.0, None

    def __call__(self, progress):
        now = time.monotonic()
        new_epoch = progress.epoch != self.epoch
        if new_epoch or progress.batch >= progress.batches or now - self.last >= BATCH_EVERY:
            self.conn.send(("progress", progress))
            self.last, self.epoch = now, progress.epoch


def _configure_threads(threads):
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def run_worker(conn):
    """The worker's whole life, after its priority is lowered: train, report, return.

    Parameters
    ----------
    conn : multiprocessing.connection.Connection
        The first message it reads is the request: ``{"settings": TrainSettings,
        "threads": int or None}``.
    """
    request = conn.recv()
    stop = threading.Event()
    threading.Thread(target=_listen, args=(conn, stop), daemon=True).start()
    try:
        from cnn_core.model import load_keras

        load_keras()
        _configure_threads(request.get("threads"))
        from cnn_core.training.data import digit_splits
        from cnn_core.training.loop import evaluate, train

        splits = digit_splits()
        result = train(request["settings"], splits, _Sender(conn), stop)
        test_accuracy, _ = evaluate(result.model, splits.x_test, splits.y_test)
        conn.send(
            (
                "result",
                {
                    "weights": result.model.get_weights(),
                    "history": result.history,
                    "epochs_done": result.epochs_done,
                    "stopped": result.stopped,
                    "test_accuracy": test_accuracy,
                },
            )
        )
    except (BrokenPipeError, ConnectionResetError):
        return  # the server went away while we sent
    except ConvlabError as exc:
        conn.send(("error", exc.message))
    except Exception as exc:  # reported to the student; the worker then ends
        conn.send(("error", f"{type(exc).__name__}: {exc}"))


#: The worker's command: ``python -c LAUNCH FD NICE IDLE``. It lowers the
#: priority before any import: numpy's import (through ``cnn_core``) starts
#: OpenBLAS's threads, and a thread keeps the priority it was created with.
LAUNCH = """
import os, sys
os.nice(int(sys.argv[2]))
if sys.argv[3] == "idle" and hasattr(os, "SCHED_IDLE"):
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        pass
from cnn_core.training.process import main
main(sys.argv[1:])
"""


def main(argv):
    """The worker, once :data:`LAUNCH` has lowered its priority: ``argv[0]`` is FD."""
    fd = int(argv[0])
    # Out of memory (a container's limit), the kernel kills this process
    # rather than the server: the student reads that the training died.
    with contextlib.suppress(OSError):
        OOM_SCORE_ADJ.write_text(f"{OOM_SCORE}\n")
    conn = Connection(fd)
    try:
        run_worker(conn)
    finally:
        conn.close()


# --------------------------------------------------------------------------- the server's side


class _Run:
    """What the job's thread shares with the page; holds no reference to the job."""

    def __init__(self, settings, turns, ticket, nice, idle, threads):
        self.settings, self.turns, self.ticket = settings, turns, ticket
        self.nice, self.idle, self.threads = nice, idle, threads
        self.stop_event = threading.Event()
        self.abandoned = False
        self.progress = None
        self.result = None
        self.error = None
        self.state = "queued"
        self.proc = None
        self._conn = None
        self._lock = threading.Lock()

    def stop(self):
        self.stop_event.set()
        if self.state == "queued":
            self.turns.leave(self.ticket)
        self._send("stop")

    def abandon(self):
        """The job's owner is gone: leave the queue, end the worker now."""
        self.abandoned = True
        self.stop_event.set()
        self.turns.leave(self.ticket)
        with self._lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def _send(self, message):
        with self._lock:
            conn = self._conn
            if conn is None:
                return
            # The worker may have just ended; its last messages still arrive.
            with contextlib.suppress(OSError, ValueError):
                conn.send(message)

    def run(self):
        try:
            with self.turns.turn(self.ticket, self.stop_event) as ready:
                if not ready or self.abandoned:
                    self.state = "cancelled"
                    return
                self.state = "running"
                self._train()
        except Exception as exc:  # shown to the student; the server keeps running
            self.error = Message.of("train.failed", error=f"{type(exc).__name__}: {exc}")
            self.state = "failed"

    def _start_worker(self):
        ours, theirs = socket.socketpair()
        with theirs:
            fd = theirs.fileno()
            proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, str(fd), str(self.nice), self._policy],
                cwd=ROOT,
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
            )
        return proc, Connection(ours.detach())

    @property
    def _policy(self):
        return "idle" if self.idle else "normal"

    def _train(self):
        proc, conn = self._start_worker()
        with self._lock:
            self.proc, self._conn = proc, conn
        outcome = None
        try:
            conn.send({"settings": self.settings, "threads": self.threads})
            if self.stop_event.is_set():
                self._send("stop")
            while True:
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    break
                if kind == "progress":
                    self.progress = payload
                else:
                    outcome = (kind, payload)
        finally:
            with self._lock:
                self._conn = None
            conn.close()
            try:
                proc.wait(EXIT_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            with self._lock:
                self.proc = None
        self._finish(outcome, proc.returncode)

    def _finish(self, outcome, returncode):
        if self.abandoned:
            self.state = "cancelled"
        elif outcome is None:
            self.error = Message.of("train.worker_died", code=returncode)
            self.state = "failed"
        elif outcome[0] == "error":
            self.error = Message.of("train.failed", error=outcome[1])
            self.state = "failed"
        else:
            self.result = _result(self.settings, outcome[1])
            self.state = "stopped" if self.result.stopped else "done"


def _abandon(run_ref):
    run = run_ref()
    if run is not None:  # its thread still runs: queued, or training
        run.abandon()


def _result(settings, sent):
    """A :class:`~cnn_core.training.loop.TrainResult` with a model rebuilt from ``sent``."""
    from cnn_core.training.loop import TrainResult
    from cnn_core.training.model import build_classifier

    model = build_classifier(settings)
    model.set_weights(sent["weights"])
    return TrainResult(
        model,
        sent["history"],
        sent["epochs_done"],
        stopped=sent["stopped"],
        settings=settings,
        test_accuracy=sent["test_accuracy"],
    )


class TrainingJob:
    """One student's training, in a worker process, waiting its turn.

    The page starts it, polls :attr:`progress` and :attr:`state` to draw, and
    calls :meth:`stop`; nothing here draws. The job (and the trained model in
    its :attr:`result`) belongs to whoever holds it: a session's state. When
    the job is collected (the session is gone), its worker is killed.

    Parameters
    ----------
    settings : TrainSettings
    turns : TrainingTurns
        Shared by every job of the server: one training at a time.
    ticket : str
        Identifies this job in the queue.
    nice : int
        Added to the worker's niceness (:data:`NICE`).
    idle : bool
        Run the worker under ``SCHED_IDLE`` where Linux has it (:data:`IDLE`).
    threads : int or None
        TensorFlow's intra- and inter-op threads in the worker (:data:`THREADS`).

    Attributes
    ----------
    state : str
        "queued", "running", then "done", "stopped", "failed" or "cancelled".
    progress : Progress or None
        The worker's last report.
    result : TrainResult or None
        Once done or stopped: the model (rebuilt in this process) and its curves.
    error : Message or None
        Why it failed: ``train.failed`` with the worker's error, or
        ``train.worker_died`` with the worker's exit code.
    """

    def __init__(self, settings, turns, ticket, nice=NICE, idle=IDLE, threads=THREADS):
        self.settings, self.turns, self.ticket = settings, turns, ticket
        self._run = _Run(settings, turns, ticket, nice, idle, threads)
        self._thread = threading.Thread(target=self._run.run, name=f"convlab-train-{ticket}")
        self._thread.daemon = True
        # Weakly: a finalizer holding the run would keep its model alive through
        # the collection that frees the session, until the next one.
        weakref.finalize(self, _abandon, weakref.ref(self._run))

    def start(self):
        """Queue the job and start its thread; returns the job."""
        self.turns.join(self.ticket)
        self._thread.start()
        return self

    def stop(self):
        """Stop: a queued job leaves the queue, a running one ends after its batch."""
        self._run.stop()

    @property
    def state(self):
        return self._run.state

    @property
    def progress(self):
        return self._run.progress

    @property
    def result(self):
        return self._run.result

    @property
    def error(self):
        return self._run.error

    @property
    def stop_event(self):
        return self._run.stop_event

    @property
    def pid(self):
        """The worker process's pid while it runs, else None."""
        proc = self._run.proc
        return None if proc is None else proc.pid

    @property
    def active(self):
        """True while queued or running."""
        return self.state in ("queued", "running")

    def place(self):
        """Trainings ahead of this one in the queue (0 when running), or None."""
        return self.turns.place(self.ticket)

    def join(self, timeout=None):
        """Wait for the job's thread (and so its worker) to end (tests, shutdown)."""
        self._thread.join(timeout)
