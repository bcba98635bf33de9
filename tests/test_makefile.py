"""`make run` and `make test` as a newcomer meets them: a visible install, once."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


@pytest.fixture
def clone(tmp_path):
    """The Makefile and requirements in a fresh folder, with a stand-in .venv/bin/python."""
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    return tmp_path


#: A newcomer's shell, even when the suite itself runs under ``make test``
#: (a nested make would print "Entering directory" lines and share the jobserver).
SHELL_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}


def dry_run(folder, target):
    """The commands ``make <target>`` would run, one per line (``make -n``)."""
    result = subprocess.run(
        [MAKE, "-n", target, "PORT=8765"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env=SHELL_ENV,
    )
    return result.stdout.splitlines()


def install_lines(lines):
    return [line for line in lines if " -m pip install" in line]


def stamp(folder, *names):
    """Mark installs as done, after the requirements were last changed."""
    for name in names:
        path = folder / ".venv" / name
        path.touch()
        later = (folder / "requirements-dev.txt").stat().st_mtime + 10
        os.utime(path, (later, later))


def test_first_run_announces_the_install_and_lets_pip_show_progress(clone):
    lines = dry_run(clone, "run")
    [announce] = [line for line in lines if line.startswith("echo")]
    assert "Installing TensorFlow and the rest, about 1-2 minutes the first time" in announce
    [install] = install_lines(lines)
    assert "-r requirements.txt" in install
    assert "--quiet" not in install and " -q" not in install
    assert lines.index(announce) < lines.index(install)


def test_second_run_starts_at_once(clone):
    stamp(clone, ".installed")
    assert dry_run(clone, "run") == [
        ".venv/bin/python -m streamlit run app.py --server.port 8765 --server.fileWatcherType none"
    ]


def test_make_test_announces_its_own_install_once(clone):
    stamp(clone, ".installed")
    lines = dry_run(clone, "test")
    assert any(line.startswith("echo") and "Installing" in line for line in lines)
    [install] = install_lines(lines)
    assert "-r requirements-dev.txt" in install and "--quiet" not in install
    stamp(clone, ".installed-dev")
    assert install_lines(dry_run(clone, "test")) == []


def test_dev_keeps_a_watcher_that_does_not_walk_the_venv(clone):
    stamp(clone, ".installed")
    [command] = dry_run(clone, "dev")
    assert "--server.fileWatcherType poll" in command
    assert "--server.runOnSave true" in command
