"""app.py is the first page when Streamlit runs it, and the server when `streamlit run` reads it."""

import subprocess
import sys
import textwrap
from pathlib import Path

from streamlit.web.server.app_discovery import discover_asgi_app

ROOT = Path(__file__).resolve().parents[1]


def run_python(script):
    """Run ``script`` in a fresh interpreter at the repo root (no Keras imported yet)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_streamlit_run_finds_the_asgi_app_in_app_py():
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app
    assert found.import_string == "app:app"


def test_imported_as_a_module_app_py_is_a_server_whose_lifespan_loads_keras():
    # Importing `app` must not draw the page or load TensorFlow; entering the
    # lifespan must load it. Headless: no browser is opened.
    result = run_python(
        """
        import asyncio, sys, webbrowser
        import streamlit as st
        from streamlit import config

        opened = []
        webbrowser.open = opened.append
        config.set_option("server.headless", True)
        import app

        assert isinstance(app.app, st.App), type(app.app)
        assert "keras" not in sys.modules
        assert "ui.feature_maps" not in sys.modules

        async def enter():
            async with app.warm_up(app.app):
                # The seed's view ran once: the first page's modules are loaded.
                return "keras" in sys.modules and "ui.feature_maps" in sys.modules

        assert asyncio.run(enter())
        assert opened == [], opened
        print("ok")
        """
    )
    assert result.stdout.strip().endswith("ok")
    assert "convlab: TensorFlow loaded in" in result.stderr
    assert "the seed's view warmed up in" in result.stderr
    assert "warm-up skipped" not in result.stderr


def test_with_a_screen_the_warm_server_opens_the_app_in_the_browser():
    result = run_python(
        """
        import asyncio, time, webbrowser
        from streamlit import config

        opened = []
        webbrowser.open = opened.append
        config.set_option("server.headless", False)
        config.set_option("server.port", 8765)
        from ui.server import warm_up

        async def enter():
            async with warm_up(None):
                pass

        asyncio.run(enter())
        deadline = time.monotonic() + 10
        while not opened and time.monotonic() < deadline:
            time.sleep(0.05)
        print(opened)
        """
    )
    assert result.stdout.strip() == "['http://localhost:8765']"


def test_streamlits_cleanup_after_a_run_keeps_keras_state():
    # Streamlit calls keras.backend.clear_session() after every script run; the
    # pages' loader makes that a no-op, so a run leaves TensorFlow's kernel cache
    # and Keras's global state (and another session's half-built layer) alone.
    result = run_python(
        """
        from keras.src.backend.common import global_state
        from streamlit.runtime.scriptrunner.script_runner import _clean_problem_modules

        import ui.cached

        keras = ui.cached.load_keras_for_pages()
        before = global_state.GLOBAL_STATE_TRACKER
        _clean_problem_modules()
        assert global_state.GLOBAL_STATE_TRACKER is before
        # Keras's own function is untouched for code that calls it directly.
        global_state.clear_session(free_memory=False)
        assert global_state.GLOBAL_STATE_TRACKER is not before
        print("ok")
        """
    )
    assert result.stdout.strip().endswith("ok")
