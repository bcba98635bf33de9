"""Baseline for the benchmarks: the seed's recipe done the obvious way.

Run with ``streamlit run bench/reference_app.py``. On every widget change the
whole script runs top to bottom: load the photo, convert and resize it, build a
fresh Keras ``Sequential`` (Conv2D with a seeded Glorot-uniform kernel,
Activation, pooling, ZeroPadding2D for explicit padding), call
``model.predict`` and draw every map of every stage as a full-resolution float
``go.Heatmap`` (one Plotly figure per stage, one subplot per channel). There is
no caching, no downsampling and no paging: this is the plain version the issue
"Instant at every setting" measures against, not a deliberately slowed one.

The sidebar has the same labels, widget types, ranges and defaults as
``app.py`` so one browser driver (``bench/browser_bench.py``) works for both.
Settings can also be given as URL query parameters with the field names of
``cnn_core.spec.PipelineSpec`` (``?filters=64&padding_mode=same``); they only
set the widgets' starting values, as in the real app.
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import keras
import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from skimage import data

SAMPLES = {
    "Cat (chelsea)": "chelsea",
    "Astronaut": "astronaut",
    "Camera man": "camera",
    "Coffee": "coffee",
}
COLOR_MODES = {"grayscale": "grayscale (1 channel)", "rgb": "RGB (3 channels)"}
PADDING_MODES = {"valid": "valid", "same": "same", "explicit": "explicit p"}
ACTIVATIONS = {
    "none": "none",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "leaky_relu": "leaky relu",
    "elu": "elu",
}
POOLINGS = {"none": "none", "max": "max", "average": "average"}
# field -> (default, low, high) of the integer settings.
INTS = {
    "input_size": (512, 16, 1024),
    "kernel_size": (15, 1, 31),
    "filters": (1, 1, 64),
    "stride": (1, 1, 8),
    "padding": (0, 0, 64),
    "pool_size": (2, 1, 8),
    "seed": (3, 0, 2**31 - 1),
}
CHOICES = {
    "color_mode": ("grayscale", list(COLOR_MODES)),
    "padding_mode": ("valid", list(PADDING_MODES)),
    "activation": ("relu", list(ACTIVATIONS)),
    "pooling": ("max", list(POOLINGS)),
}


def init_from_query():
    """Seed the widgets' session state from the URL once per session."""
    if st.session_state.get("_query_applied"):
        return
    st.session_state["_query_applied"] = True
    query = st.query_params
    for name, (default, low, high) in INTS.items():
        value = default
        if name in query:
            text = query[name]
            if text.lstrip("-").isdigit():
                value = min(max(int(text), low), high)
        st.session_state[name] = value
    for name, (default, options) in CHOICES.items():
        st.session_state[name] = query[name] if query.get(name) in options else default
    st.session_state["scale_01"] = query.get("scale_01") == "1"
    stride = query.get("pool_stride", "")
    st.session_state["pool_stride"] = (
        int(stride) if stride.isdigit() and 1 <= int(stride) <= 8 else None
    )
    st.session_state["source"] = "Cat (chelsea)"


st.set_page_config(page_title="convlab reference", layout="wide")
init_from_query()

with st.sidebar:
    st.header("Image")
    source = st.selectbox("Image source", list(SAMPLES), key="source")
    color_mode = st.radio(
        "Color mode",
        list(COLOR_MODES),
        format_func=COLOR_MODES.get,
        key="color_mode",
        horizontal=True,
    )
    input_size = st.slider("Input size", 16, 1024, key="input_size")
    scale_01 = st.checkbox("Scale pixel values to 0-1", key="scale_01")
    st.header("Convolution")
    kernel_size = st.slider("Kernel size", 1, 31, key="kernel_size")
    filters = st.slider("Filters", 1, 64, key="filters")
    stride = st.slider("Stride", 1, 8, key="stride")
    padding_mode = st.selectbox(
        "Padding", list(PADDING_MODES), format_func=PADDING_MODES.get, key="padding_mode"
    )
    padding = 0
    if padding_mode == "explicit":
        padding = st.number_input("Padding p (pixels per side)", 0, 64, key="padding")
    activation = st.selectbox(
        "Activation", list(ACTIVATIONS), format_func=ACTIVATIONS.get, key="activation"
    )
    st.header("Pooling")
    pooling = st.selectbox("Pooling", list(POOLINGS), format_func=POOLINGS.get, key="pooling")
    if pooling != "none":
        pool_size = st.slider("Pool size", 1, 8, key="pool_size")
        pool_stride = st.selectbox(
            "Pool stride",
            [None, *range(1, 9)],
            format_func=lambda v: "= pool size" if v is None else str(v),
            key="pool_stride",
        )
    st.header("Weights")
    seed = st.number_input("Seed", 0, 2**31 - 1, step=1, key="seed")

st.title("Conv layer (reference implementation)")

# The seed's preprocessing: color conversion, INTER_AREA resize, batch of one.
image = getattr(data, SAMPLES[source])()
channels = 1 if color_mode == "grayscale" else 3
if color_mode == "grayscale" and image.ndim == 3:
    image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
elif color_mode == "rgb" and image.ndim == 2:
    image = np.stack([image] * 3, axis=-1)
resized = cv2.resize(image, (input_size, input_size), interpolation=cv2.INTER_AREA)
batch = resized.reshape(1, input_size, input_size, channels).astype(np.float32)
if scale_01:
    batch /= 255.0

# A fresh model on every change.
layers = [keras.Input(shape=(input_size, input_size, channels))]
names = []
if padding_mode == "explicit":
    layers.append(keras.layers.ZeroPadding2D(padding))
    names.append(f"zero padding {padding}")
layers.append(
    keras.layers.Conv2D(
        filters,
        (kernel_size, kernel_size),
        strides=stride,
        padding="same" if padding_mode == "same" else "valid",
        kernel_initializer=keras.initializers.GlorotUniform(seed=int(seed)),
    )
)
names.append("Conv2D")
layers.append(keras.layers.Activation(activation if activation != "none" else "linear"))
names.append(f"activation {activation}")
if pooling != "none":
    pool = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
    layers.append(pool(pool_size=(pool_size, pool_size), strides=pool_stride or pool_size))
    names.append(f"{pooling} pooling")

try:
    model = keras.Sequential(layers)
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers])
    outputs = probe.predict(batch, verbose=0)
except ValueError as exc:  # kernel or pool larger than its input
    st.error(f"These settings give no output: {exc}")
    st.stop()

st.write(f"Parameters: {model.count_params()}")
stages = [("input", batch), *zip(names, outputs, strict=True)]


def stage_figure(title, maps):
    """One heatmap per channel of ``maps`` (1, H, W, C), full resolution, float."""
    count = maps.shape[-1]
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"{i}" for i in range(count)])
    for i in range(count):
        fig.add_trace(
            go.Heatmap(z=maps[0, :, :, i], colorscale="gray", showscale=False),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=f"{title}: {maps.shape[1:]}", height=400 * rows)
    return fig


for title, maps in stages:
    st.plotly_chart(stage_figure(title, maps))
