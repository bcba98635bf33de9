"""The server that ``streamlit run app.py`` starts: Streamlit's own, warmed up.

``app.py`` defines ``app = st.App("app.py", lifespan=warm_up)``, which
``streamlit run`` finds and serves (Streamlit's standard Starlette server, the
same one it uses for any script). The only difference is :func:`warm_up`: the
server imports TensorFlow (about 2-4 s and 700 MB) *before* it starts to
accept connections, so the first student who opens the page gets it as fast
as the second, instead of waiting for the import.

Run any other way (AppTest, a bare ``Server``), the pages still work: they
start the import themselves on the first visit (:func:`ui.cached.start_loading_keras`).
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import webbrowser
from contextlib import asynccontextmanager

import streamlit as st

from cnn_core.model import load_keras


def local_url():
    """The app's address on this machine, from Streamlit's settings."""
    port = st.get_option("server.port")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://localhost:{port}/{base}" if base else f"http://localhost:{port}"


@asynccontextmanager
async def warm_up(_app):
    """Import Keras (TensorFlow) in a worker thread, then start serving.

    Like a plain ``streamlit run``, a server with a screen (not
    ``server.headless``) then opens the app in the browser: by then the page
    is ready to draw at once.
    """
    started = time.perf_counter()
    await asyncio.to_thread(load_keras)
    seconds = time.perf_counter() - started
    print(f"convlab: TensorFlow loaded in {seconds:.1f} s; serving.", file=sys.stderr, flush=True)
    if not st.get_option("server.headless"):
        threading.Thread(target=webbrowser.open, args=(local_url(),), daemon=True).start()
    yield
