"""Page runs take turns: at most RUN_SLOTS scripts draw at once, every page passes the gate."""

import ast
import threading
import time
from pathlib import Path

import pytest

from ui.cached import RUN_SLOTS, run_slots
from ui.page import run_page

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def test_at_most_run_slots_pages_draw_at_once_and_the_rest_wait_their_turn():
    lock = threading.Lock()
    inside, peak, done = 0, 0, []

    def render():
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        time.sleep(0.05)
        with lock:
            inside -= 1
            done.append(True)

    threads = [threading.Thread(target=run_page, args=(render,)) for _ in range(3 * RUN_SLOTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(done) == 3 * RUN_SLOTS
    assert peak == RUN_SLOTS


def test_a_page_that_raises_gives_its_slot_back():
    # Streamlit stops and reruns a script by raising inside it (StopException,
    # RerunException), and a page may fail: the slot must come back each time.
    def failing():
        raise RuntimeError("boom")

    for _ in range(RUN_SLOTS + 1):
        with pytest.raises(RuntimeError):
            run_page(failing)
    slots = run_slots()
    assert all(slots.acquire(timeout=1) for _ in range(RUN_SLOTS))
    for _ in range(RUN_SLOTS):
        slots.release()


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_every_page_draws_only_inside_run_page(path):
    # The page's drawing is one call, run_page(render), and nothing else at
    # the top level of the script draws (app.py: inside its __main__ branch).
    tree = ast.parse(path.read_text())
    body = tree.body
    if path.name == "app.py":
        [main] = [node for node in body if isinstance(node, ast.If)]
        body = main.body
    calls = [
        node.value
        for node in body
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
    ]
    assert [ast.unparse(call.func) for call in calls] == ["run_page"]
