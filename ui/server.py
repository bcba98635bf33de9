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
import time
from contextlib import asynccontextmanager

from cnn_core.model import load_keras


@asynccontextmanager
async def warm_up(_app):
    """Import Keras (TensorFlow) in a worker thread, then start serving."""
    started = time.perf_counter()
    await asyncio.to_thread(load_keras)
    seconds = time.perf_counter() - started
    print(f"convlab: TensorFlow loaded in {seconds:.1f} s; serving.", file=sys.stderr, flush=True)
    yield
