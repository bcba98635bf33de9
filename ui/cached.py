"""Caching at the boundary: the only place the engine's results are cached.

Every cached function gets everything that decides its result as arguments
(unhashable ones with a leading underscore, beside the hashable key that
identifies them) and reads no globals.
"""

from __future__ import annotations

import dataclasses
import threading

import streamlit as st

from cnn_core.display import DisplayBudget
from cnn_core.figures import freeze
from cnn_core.forward import compute_stages, conv_map
from cnn_core.images import load_sample, prepare_input
from cnn_core.memory import release_free_memory
from cnn_core.model import build_chunked_models, kernel_weights, load_keras, summary_text


def model_key(spec):
    """The part of a spec that decides the Keras model (not the pixel scaling)."""
    return dataclasses.astuple(spec.replace(scale_01=False))


def _keep_session(*_args, **_kwargs):
    """Stands in for ``keras.backend.clear_session`` (see :func:`load_keras_for_pages`)."""


def load_keras_for_pages():
    """Import Keras, and keep its state between script runs; return the module.

    After every script run Streamlit calls ``keras.backend.clear_session()``
    (``_clean_problem_modules`` in its script runner), for apps that build a
    new model on each run and would otherwise pile up layers. The pages build
    none: layers are made once per spec (:func:`models_for`), named by the
    plan, and Keras's naming state is per thread anyway. The call would cost
    every run two things: a full garbage collection (about 14 ms here, under
    the GIL), and TensorFlow's kernel cache, so the next forward pass sets
    its kernels up again (the seed's pass took 53-66 ms after a clear instead
    of 30-33 ms). It also swapped Keras's global state while another session
    might be building layers. Here it does nothing; Keras's own code never
    calls it through ``keras.backend``.
    """
    keras = load_keras()
    keras.backend.clear_session = _keep_session
    return keras


@st.cache_resource(show_spinner=False)
def start_loading_keras():
    """Import TensorFlow in the background, once per process.

    The first visitor's page then draws its sidebar, summary and formulas
    while the import runs, instead of after it; whoever needs Keras first
    simply waits on Python's import lock.
    """
    thread = threading.Thread(target=load_keras_for_pages, name="convlab-load-keras", daemon=True)
    thread.start()
    return thread


@st.cache_data(max_entries=16, show_spinner=False)
def sample_image(label):
    """A bundled sample image as uint8 pixels."""
    return load_sample(label)


@st.cache_resource(max_entries=4, show_spinner=False)
def models_for(key, _spec):
    """The layers for a spec, per block a few filters each
    (:func:`cnn_core.model.build_chunked_models`), made once per process.

    Never mutate them: every session shares them.
    """
    return build_chunked_models(_spec)


@st.cache_resource
def compute_slots():
    """At most two forward passes at once (two cores), so many students
    changing settings together queue instead of multiplying peak memory."""
    return threading.BoundedSemaphore(2)


#: Page runs (script runs) at once; the others wait their turn (see :func:`run_slots`).
RUN_SLOTS = 3


@st.cache_resource
def run_slots():
    """At most :data:`RUN_SLOTS` page runs at once, the others wait their turn.

    Most of a page run is Python under the one GIL (the sidebar, the
    figures, Streamlit's own element work), so 20 script threads at once do
    not go faster than 3: they take turns every few milliseconds, each
    waking thread finds its memory cold again, and the threads that come
    back from OpenCV or TensorFlow wait for the GIL. README ("How many
    students one server holds") has the class runs with and without the
    slots; two slots did no better than three. A waiting run holds
    nothing: the student sees the page as it was, marked as running, and a
    lone student never waits.
    """
    return threading.BoundedSemaphore(RUN_SLOTS)


@st.cache_data(max_entries=6, show_spinner=False)
def stages_for(image_key, spec, _image):
    """Every stage's display maps and statistics for an image and a spec."""
    prepared = prepare_input(_image, spec)
    models = models_for(model_key(spec), spec)
    with compute_slots():
        stages = compute_stages(models, prepared.batch, DisplayBudget())
        release_free_memory()
    return stages


@st.cache_data(max_entries=4, show_spinner=False)
def conv_map_for(image_key, spec, filter_index, _image):
    """One filter's full-resolution conv output (H, W) float32, for the Convolution step."""
    prepared = prepare_input(_image, spec)
    models = models_for(model_key(spec), spec)
    with compute_slots():
        result = conv_map(models[0], prepared.batch, filter_index)  # block 1's chunks
        release_free_memory()
    return result


#: Stage charts kept: one holds 0.3-1 MB in memory (its encoded tiles, hover
#: samples and Plotly's objects; 1 MB for 16 tiles and kernels), so at most
#: about 24 MB: a four-block page and a few one-block settings.
CHART_ENTRIES = 24


@st.cache_resource(max_entries=CHART_ENTRIES, show_spinner=False)
def stage_chart(key, _build):
    """A stage's finished figure, built by ``_build()`` once per ``key``.

    ``key`` must hold everything that decides the figure (image, spec, stage,
    the tiles shown, the colour scale, the language). Building a stage's
    figure (encoding its tiles, laying out its axes) is most of a rerun's
    script time once the forward pass is cached; with it cached, a rerun that
    changes one stage rebuilds only that one, and a class on the teacher's
    link builds each figure once. Shared by every session: never mutate it
    (it is frozen: :func:`cnn_core.figures.freeze`, so the dict
    ``st.plotly_chart`` serializes is made once, not on every rerun). ``key``
    is also the figure's ``datarevision``, which the figure would otherwise
    be JSON-encoded to digest.
    """
    return freeze(_build(), revision=key)


@st.cache_data(max_entries=8, show_spinner=False)
def kernels_for(spec, index):
    """Block ``index``'s conv kernel (k, k, c, f) and bias (f,) in a spec's model."""
    return kernel_weights(spec, index)


@st.cache_data(max_entries=8, show_spinner=False)
def keras_summary(spec):
    """The text ``model.summary()`` prints for the Keras code page's script."""
    return summary_text(spec)
