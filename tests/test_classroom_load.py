"""The classroom load generator really drives the app: its students see what AppTest sees.

A real ``streamlit run app.py`` serves the students of ``bench/classroom_load.py``
(websocket protocol, no browser). The markdown each student's deltas carry for
the teacher's link, and after a widget change sent as a widget state, must be
exactly the markdown AppTest renders for the same link and the same change:
each stage's output shape, the formulas, the numbers.
"""

import asyncio
import json
import socket
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import classroom_load  # noqa: E402
import harness  # noqa: E402

pytestmark = pytest.mark.e2e
APP = str(ROOT / "app.py")
# A teacher's link, with the names of README's "Links" table.
LINK = "filters=3&padding=same&stride=2"


@pytest.fixture(scope="module")
def server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = harness.Server(ROOT / "app.py", port, name="classroom-test")
    try:
        server.start(timeout=120)
        yield server
    finally:
        server.stop()


def apptest_markdown(query, slider=None):
    """``at.markdown`` for a link, optionally after setting one slider by label."""
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in parse_qsl(query):
        at.query_params[name] = value
    at.run()
    if slider is not None:
        label, value = slider
        [widget] = [w for w in at.slider if w.label == label]
        widget.set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    return [m.value for m in at.markdown]


def test_three_students_see_what_apptest_sees(server, tmp_path):
    out = tmp_path / "class.json"
    status = classroom_load.main(
        [
            *("--url", server.url, "--link", LINK, "--students", "3", "--changes", "2"),
            *("--think", "0.1", "0.3", "--arrival", "1", "--step-timeout", "90"),
            *("--time-limit", "400", "--quiet", "--json", str(out)),
        ]
    )
    assert status == 0
    result = json.loads(out.read_text())
    expected = apptest_markdown(LINK)
    assert expected != apptest_markdown(""), "the link must change what the page shows"
    assert "**Output shape:** `(None, 256, 256, 3)`" in expected
    records = result["class"]["records"]
    assert [r["index"] for r in records] == [0, 1, 2]
    for record in records:
        assert record["lost"] is None
        assert record["first_markdown"] == expected
        assert [r["kind"] for r in record["reruns"]] == ["first", "change", "change"]
        assert all(r["bytes"] > 0 for r in record["reruns"])
    assert result["class"]["errors"] == [] and result["class"]["lost"] == []
    assert result["single"]["changes"] == 2


def test_a_widget_change_gives_what_apptest_gives(server):
    async def drive():
        student = classroom_load.Student(server.url, LINK, step_timeout=90)
        try:
            first = await student.open()
            before = student.shown.markdown()
            filters = student.find(label="Filters")
            assert filters is not None and filters.value == 3
            change = await student.set(filters, 4)
            return first, before, change, student.shown.markdown(), student.find(label="Filters")
        finally:
            await student.close()

    first, before, change, after, filters = asyncio.run(drive())
    assert not first.exceptions and not first.errors
    assert not change.exceptions and not change.errors
    assert before == apptest_markdown(LINK)
    assert after == apptest_markdown(LINK, slider=("Filters", 4))
    assert after != before
    assert filters.value == 4


def test_a_lost_session_fails_the_run():
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status = classroom_load.main(
        [
            *("--url", f"http://127.0.0.1:{port}/", "--students", "2", "--changes", "1"),
            *("--think", "0", "0", "--arrival", "0", "--step-timeout", "5", "--quiet"),
        ]
    )
    assert status == 1


def test_only_loopback_addresses():
    with pytest.raises(SystemExit):
        classroom_load.parse_args(["--url", "http://example.org/"])


def test_the_class_again_while_one_session_trains(server, tmp_path):
    """``--train``: a websocket session trains on the Train page while the class changes
    settings; it polls as the browser does, Stop ends it, and no worker is left."""
    import psutil

    out = tmp_path / "train.json"
    status = classroom_load.main(
        [
            *("--url", server.url, "--students", "1", "--changes", "2", "--no-single"),
            *("--think", "0.1", "0.2", "--arrival", "0", "--step-timeout", "90"),
            *("--time-limit", "400", "--quiet", "--train", "60", "--json", str(out)),
        ]
    )
    assert status == 0
    result = json.loads(out.read_text())
    assert result["class"]["changes"] == 2 and result["class"]["errors"] == []
    trainer = result["trainer"]
    assert trainer["lost"] is None and trainer["errors"] == []
    assert trainer["trainings"] == [] and trainer["stopped"] is True  # 60 epochs outlast 2 changes
    server_process = psutil.Process(server.proc.pid)

    def workers():
        found = []
        for proc in server_process.children(recursive=True):
            try:
                if "cnn_core.training.process" in " ".join(proc.cmdline()):
                    found.append(proc)
            except psutil.NoSuchProcess:
                pass
        return found

    for proc in workers():
        proc.wait(30)  # Stop ended it; it is reaped, not left as a zombie
    assert workers() == []
