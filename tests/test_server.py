"""app.py is the first page when Streamlit runs it, and the server when `streamlit run` reads it."""

import subprocess
import sys
import textwrap
from pathlib import Path

from streamlit.web.server.app_discovery import discover_asgi_app

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_run_finds_the_asgi_app_in_app_py():
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app
    assert found.import_string == "app:app"


def test_imported_as_a_module_app_py_is_a_server_whose_lifespan_loads_keras():
    # In a fresh interpreter: importing `app` must not draw the page or load
    # TensorFlow; entering the lifespan must load it.
    script = textwrap.dedent(
        """
        import asyncio, sys
        import streamlit as st
        import app

        assert isinstance(app.app, st.App), type(app.app)
        assert "keras" not in sys.modules
        assert "ui.feature_maps" not in sys.modules

        async def enter():
            async with app.warm_up(app.app):
                return "keras" in sys.modules

        assert asyncio.run(enter())
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
    assert "convlab: TensorFlow loaded in" in result.stderr
