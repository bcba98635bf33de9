"""Training in a worker process: progress, Stop, a dying worker, and no process left behind."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from cnn_core.i18n import Message
from cnn_core.training.data import digit_splits
from cnn_core.training.loop import TrainingTurns, evaluate
from cnn_core.training.model import TrainSettings, first_layer
from cnn_core.training.process import NICE, OOM_SCORE, TrainingJob

ROOT = Path(__file__).resolve().parent.parent
WORKER = "cnn_core.training.process"


def workers(parent=None):
    """Worker processes alive under ``parent`` (default: this process)."""
    parent = psutil.Process(parent or os.getpid())
    found = []
    for proc in parent.children(recursive=True):
        try:
            if WORKER in " ".join(proc.cmdline()) and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.NoSuchProcess:
            pass
    return found


def thread_priorities(pid):
    """(niceness, scheduling policy) of each thread of ``pid`` (Linux: /proc stat
    fields 19 and 41)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread has just ended
        found.append((int(fields[16]), int(fields[38])))
    return found


def until(condition, timeout=120.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def no_worker_before_or_after():
    assert workers() == []
    yield
    until(lambda: workers() == [], 30, "every worker process ended")


def test_a_job_trains_in_a_lower_priority_process_and_the_model_comes_back():
    turns = TrainingTurns()
    settings = TrainSettings(filters=4, epochs=2)
    job = TrainingJob(settings, turns, "a").start()
    seen = set()
    pids = set()
    while job.active:
        if job.pid is not None and job.progress is not None:  # lowered before the import
            pids.add(job.pid)
            try:
                nice = psutil.Process(job.pid).nice()
                assert nice >= min(19, psutil.Process().nice() + NICE)
                oom = Path(f"/proc/{job.pid}/oom_score_adj")
                if oom.exists():
                    assert int(oom.read_text()) >= OOM_SCORE
                    # Every thread, also the ones numpy's import starts (OpenBLAS).
                    # None read: the process ended meanwhile, as in the except below.
                    threads = thread_priorities(job.pid)
                    if threads:
                        assert {nice for nice, _ in threads} == {nice}
                        if hasattr(os, "SCHED_IDLE"):
                            assert {p for _, p in threads} == {os.SCHED_IDLE}
            except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
                pass
        if job.progress is not None:
            seen.add((job.progress.epoch, job.progress.batch))
        time.sleep(0.01)
    job.join(60)
    assert job.state == "done", job.error
    assert len(pids) == 1 and os.getpid() not in pids
    assert job.pid is None and workers() == []  # reaped as soon as it ended
    batches = job.progress.batches
    assert (2, batches) in seen or job.progress.epoch == 2  # the last report arrived
    assert {epoch for epoch, _ in seen} <= {0, 1, 2} and len(seen) > 2
    result = job.result
    assert result.epochs_done == 2 and not result.stopped and result.settings == settings
    assert all(len(values) == 2 for values in result.history.values())
    # The model rebuilt here from the worker's weights predicts as the worker's did.
    splits = digit_splits()
    accuracy, _ = evaluate(result.model, splits.x_test, splits.y_test)
    assert accuracy == pytest.approx(result.test_accuracy, abs=1e-9)
    assert accuracy > 0.5
    kernel, bias = first_layer(result.model)
    np.testing.assert_array_equal(kernel, job.progress.kernel)
    np.testing.assert_array_equal(bias, job.progress.bias)
    assert turns.running is None


def test_stop_keeps_the_model_and_ends_the_worker():
    turns = TrainingTurns()
    job = TrainingJob(TrainSettings(filters=2, epochs=60), turns, "a").start()
    until(lambda: job.progress is not None and job.progress.epoch >= 1, what="one epoch")
    pid = job.pid
    job.stop()
    job.join(60)
    assert job.state == "stopped", job.error
    assert 1 <= job.result.epochs_done < 60 and job.result.stopped
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert workers() == [] and turns.running is None


def test_stop_before_the_worker_reports_still_gives_a_model():
    job = TrainingJob(TrainSettings(filters=2, epochs=60), TrainingTurns(), "a").start()
    until(lambda: job.pid is not None, what="the worker started")
    job.stop()  # while it still imports TensorFlow
    job.join(120)
    assert job.state == "stopped", job.error
    assert job.result.epochs_done == 1  # the batch in which Stop came ends its epoch
    assert workers() == []


def test_a_dead_worker_is_a_clear_error_and_the_queue_moves_on():
    turns = TrainingTurns()
    first = TrainingJob(TrainSettings(filters=2, epochs=60), turns, "first").start()
    second = TrainingJob(TrainSettings(filters=2, epochs=1), turns, "second").start()
    until(lambda: first.progress is not None, what="the first training's progress")
    assert second.state == "queued" and second.place() == 1
    os.kill(first.pid, signal.SIGKILL)
    first.join(60)
    assert first.state == "failed" and first.result is None
    assert first.error == Message.of("train.worker_died", code=-signal.SIGKILL)
    assert "exit code -9" in first.error.render("en")
    assert "退出码 -9" in first.error.render("zh")
    second.join(120)
    assert second.state == "done", second.error
    assert turns.running is None


def test_a_job_whose_session_is_gone_ends_its_worker():
    turns = TrainingTurns()
    job = TrainingJob(TrainSettings(filters=2, epochs=60), turns, "gone").start()
    until(lambda started=job: started.progress is not None, what="progress")
    [worker] = workers()
    assert worker.pid == job.pid
    queued = TrainingJob(TrainSettings(filters=2, epochs=60), turns, "queued too").start()
    del job, queued  # the session's state, the only holder, is dropped
    gc.collect()
    worker.wait(30)
    until(lambda: turns.running is None, 30, "the queue emptied")


def test_the_worker_ends_when_the_server_dies(tmp_path):
    """A server killed outright (no cleanup at all) leaves no training behind."""
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            sys.path.insert(0, {str(ROOT)!r})
            from cnn_core.training.loop import TrainingTurns
            from cnn_core.training.model import TrainSettings
            from cnn_core.training.process import TrainingJob
            job = TrainingJob(TrainSettings(filters=2, epochs=60), TrainingTurns(), "a").start()
            while job.progress is None:
                time.sleep(0.05)
            print(job.pid, flush=True)
            time.sleep(600)
            """
        )
    )
    server = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        worker = psutil.Process(int(server.stdout.readline()))
        assert WORKER in " ".join(worker.cmdline())
        server.kill()
        server.wait(30)
        worker.wait(30)  # raises TimeoutExpired if the worker outlives its server
    finally:
        if server.poll() is None:
            server.kill()
        server.stdout.close()


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "The training process ended unexpectedly (exit code -9)"), ("zh", "训练进程意外结束")],
)
def test_the_page_says_when_the_worker_died_and_keeps_working(lang, words):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["train_epochs"] = 60
    at.session_state["train_filters"] = 2
    at.run()
    at.switch_page("pages/6_Train.py").run()
    at.button(key="train_start").click().run()
    job = at.session_state["_train_job"]
    until(lambda: job.progress is not None, what="progress")
    os.kill(job.pid, signal.SIGKILL)
    job.join(60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [job.error.render(lang)]
    assert words in at.error[0].value
    assert not at.button(key="train_start").disabled  # Train again
    assert "_trained" not in at.session_state  # no model from that training
