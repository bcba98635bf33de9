"""The server that ``streamlit run app.py`` starts: Streamlit's own, warmed up.

``app.py`` defines ``app = st.App("app.py", lifespan=warm_up)``, which
``streamlit run`` finds and serves (Streamlit's standard Starlette server, the
same one it uses for any script). The only difference is :func:`warm_up`: the
server imports TensorFlow (about 2-4 s and 700 MB) *before* it starts to
accept connections, so the first student who opens the page gets it as fast
as the second, instead of waiting for the import.

It then runs the seed's pipeline once, outside any session (:func:`warm_engine`):
the first convolution, pooling and JPEG encoding of a process, and the first
Plotly figure, each cost a one-time setup that would otherwise fall on the
first student.

Run any other way (AppTest, a bare ``Server``), the pages still work: they
start the import themselves on the first visit (:func:`ui.cached.start_loading_keras`).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import webbrowser
from contextlib import asynccontextmanager

import streamlit as st

from cnn_core.memory import limit_malloc_arenas

# As early as the server lets us: before it starts its threads, TensorFlow
# its thread pools and Streamlit its script threads (cnn_core.memory).
limit_malloc_arenas(2)


def warm_engine():
    """Run the seed's view once: forward pass, maps, one stage figure.

    Nothing is kept (the pages' caches fill on the first visit as before);
    what stays warm is the process: TensorFlow's convolution and pooling
    kernels, OpenCV's encoders, and Plotly's figure classes, imported and set
    up. Returns the seconds it took. A failure is reported and ignored: the
    first visit then pays for the set-up, as it did before.
    """
    started = time.perf_counter()
    try:
        from cnn_core.display import DisplayBudget
        from cnn_core.figures import stage_figure
        from cnn_core.forward import compute_stages
        from cnn_core.images import DEFAULT_SAMPLE, load_sample, prepare_input
        from cnn_core.model import build_chunked_models
        from cnn_core.spec import PipelineSpec

        spec = PipelineSpec()
        prepared = prepare_input(load_sample(DEFAULT_SAMPLE), spec)
        stages = compute_stages(build_chunked_models(spec), prepared.batch, DisplayBudget())
        maps = stages["conv"]
        stage_figure(
            maps.display,
            maps.samples,
            maps.step,
            maps.full_shape[:2],
            (maps.minimum, maps.maximum),
            ["filter 1"],
            display_ranges=(maps.channel_min, maps.channel_max),
        ).to_dict()
        import ui.feature_maps  # noqa: F401 - the first page's modules, imported once
    except Exception as exc:  # the first visit will set up what this could not
        print(f"convlab: warm-up skipped ({exc!r}).", file=sys.stderr, flush=True)
    # As after the TensorFlow import: move what the set-up created out of the
    # collector's way (Streamlit collects after every rerun).
    gc.freeze()
    return time.perf_counter() - started


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
    from ui.cached import load_keras_for_pages  # the pages' modules load with Keras, not before

    started = time.perf_counter()
    await asyncio.to_thread(load_keras_for_pages)
    seconds = time.perf_counter() - started
    warm = await asyncio.to_thread(warm_engine)
    print(
        f"convlab: TensorFlow loaded in {seconds:.1f} s, the seed's view warmed up in"
        f" {warm:.1f} s; serving.",
        file=sys.stderr,
        flush=True,
    )
    if not st.get_option("server.headless"):
        threading.Thread(target=webbrowser.open, args=(local_url(),), daemon=True).start()
    yield
