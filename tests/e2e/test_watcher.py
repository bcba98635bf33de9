"""`make run` in a fresh clone, whose .venv lives inside the app folder.

Streamlit's watchdog watcher watches the app folder recursively, .venv included,
and importing TensorFlow opens tens of thousands of files there: "Inotify queue
overflowed; filesystem events were lost", again and again. The test builds that
clone for real: the app's files, and a .venv of hard links to this virtualenv's
files (so the server's imports happen inside the folder, as in a fresh clone),
then starts the server with the command `make run` (and `make dev`) itself prints.
"""

import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.e2e.conftest import ROOT, _free_port, _require_browser
from tests.test_makefile import SHELL_ENV

pytestmark = pytest.mark.e2e

#: CPU seconds the idle server may use over IDLE_SECONDS: a resource bound, generous.
IDLE_SECONDS = 5
IDLE_CPU_BUDGET = 0.5


def _hard_link_tree(source, target):
    """Recreate ``source`` under ``target``: directories made, files hard-linked,
    symlinks copied as symlinks. Raises OSError when the two are on different disks."""
    for folder, dirs, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(exist_ok=True)
        for name in dirs + files:
            path = Path(folder) / name
            if path.is_symlink():
                (target / relative / name).symlink_to(os.readlink(path))
                if name in dirs:
                    dirs.remove(name)
            elif name in files and not name.startswith(".installed"):
                os.link(path, target / relative / name)


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    _require_browser()
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    folder = tmp_path_factory.mktemp("clone")
    shutil.copytree(
        ROOT,
        folder,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".*_cache", "bench"),
    )
    try:
        _hard_link_tree(Path(sys.prefix), folder / ".venv")
    except OSError as error:
        pytest.skip(f"cannot hard-link the virtualenv into a temporary folder: {error}")
    for stamp in (".installed", ".installed-dev"):  # installed after the requirements changed
        (folder / ".venv" / stamp).touch()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _make_command(folder, target, port):
    result = subprocess.run(
        ["make", "-n", target, f"PORT={port}"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=SHELL_ENV,
    )
    [command] = result.stdout.splitlines()  # installed: nothing but the server
    return shlex.split(command)


def _cpu_seconds(process):
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


@pytest.mark.parametrize("target", ["run", "dev"])
def test_make_run_logs_no_watcher_overflow_and_idles(clone, browser, target):
    """`make run` (no watcher) and `make dev` (the polling watcher, rerun on save)."""
    port = _free_port()
    command = _make_command(clone, target, port)
    assert command[0] == ".venv/bin/python"  # the clone's own interpreter and packages
    log_path = clone / f"server-{target}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=clone, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode() == "ok":
                        break
            except OSError:
                pass
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "make run's server did not become healthy"
            time.sleep(0.3)
        # A session starts the watcher, and its first run builds and runs the layer.
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=90_000)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
        process = psutil.Process(server.pid)
        before = _cpu_seconds(process)
        time.sleep(IDLE_SECONDS)
        idle_cpu = _cpu_seconds(process) - before
        context.close()
        mapped = [m.path for m in process.memory_maps()]
        log = log_path.read_text()
        assert "overflow" not in log.lower() and "events were lost" not in log, log[-2000:]
        assert idle_cpu < IDLE_CPU_BUDGET, f"idle server used {idle_cpu:.2f} s of CPU"
        venv = str(clone / ".venv")  # TensorFlow really was loaded from inside the clone
        assert any(path.startswith(venv) for path in mapped)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
