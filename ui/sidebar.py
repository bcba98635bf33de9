"""The one sidebar every page draws first: navigation, image source, settings.

Widget values survive page changes because their keys are re-assigned in
``st.session_state`` at the top of every run (Streamlit's documented pattern
for multipage apps). The settings become one :class:`PipelineSpec`, which the
URL also carries, so a teacher can share a link to an exact setting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnn_core.decode import ACCEPTED_TYPES, decode_upload
from cnn_core.errors import ImageError, SpecError
from cnn_core.images import DEFAULT_SAMPLE, SAMPLES, image_digest, preprocessing_steps
from cnn_core.spec import ACTIVATIONS, LIMITS, POOLINGS, PipelineSpec
from ui import cached

PAGES = (
    ("app.py", "Feature maps", ":material/grid_view:"),
    ("pages/1_Kernels.py", "Kernels", ":material/blur_on:"),
    ("pages/2_Keras_code.py", "Keras code", ":material/code:"),
)
UPLOAD = "Upload"
SOURCES = (*SAMPLES, UPLOAD)
PADDING_LABELS = {"valid": "valid", "same": "same", "explicit": "explicit p"}
COLOR_LABELS = {"grayscale": "grayscale (1 channel)", "rgb": "RGB (3 channels)"}
SPEC_FIELDS = tuple(field.name for field in dataclasses.fields(PipelineSpec))
WIDGET_KEYS = ("source", *SPEC_FIELDS)


@dataclass(frozen=True)
class Selection:
    """What the sidebar produced: the spec and the image it applies to."""

    spec: PipelineSpec
    image: np.ndarray
    image_label: str
    image_key: str


def _widget_values(spec):
    """Widget state for a spec. A selectbox cannot show None, so the pool
    stride's "same as the pool size" is 0 in the widget."""
    values = dataclasses.asdict(spec)
    values["pool_stride"] = spec.pool_stride or 0
    return values


def _spec_from_state():
    values = {name: st.session_state[name] for name in SPEC_FIELDS}
    values["pool_stride"] = values["pool_stride"] or None
    return PipelineSpec(**values)


def _defaults():
    values = _widget_values(PipelineSpec())
    values["source"] = DEFAULT_SAMPLE
    return values


def _initialise_state():
    """Seed widget state once per session: from the URL if it has settings."""
    if st.session_state.get("_initialised"):
        for key in WIDGET_KEYS:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
        return
    values = _defaults()
    query = st.query_params.to_dict()
    try:
        values.update(_widget_values(PipelineSpec.from_query(query)))
    except SpecError as exc:
        st.session_state["_url_error"] = (
            f"The link's settings could not be used: {exc}. Showing the defaults instead."
        )
    if query.get("source") in SAMPLES:
        values["source"] = query["source"]
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state["_initialised"] = True


def _reset():
    for key, value in _defaults().items():
        st.session_state[key] = value


def _sync_url(spec, source):
    query = spec.to_query()
    if source != DEFAULT_SAMPLE and source in SAMPLES:
        query["source"] = source
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def _uploaded_image():
    """Decode a new upload once; on failure keep the image we had."""
    accepted = ", ".join(ext.upper() for ext in ACCEPTED_TYPES if ext not in ("jpeg", "tif"))
    upload = st.file_uploader(
        "Image file",
        type=list(ACCEPTED_TYPES),
        key="upload_file",
        help=f"Accepted: {accepted}.",
    )
    if upload is not None and upload.file_id != st.session_state.get("_upload_id"):
        st.session_state["_upload_id"] = upload.file_id
        st.session_state["_upload_error"] = None
        st.session_state["_upload_warnings"] = ()
        try:
            decoded = decode_upload(upload.getvalue())
        except ImageError as exc:
            st.session_state["_upload_error"] = f"{upload.name}: {exc}"
        else:
            st.session_state["_upload"] = (upload.name, decoded.image, image_digest(decoded.image))
            st.session_state["_upload_warnings"] = decoded.warnings
    if st.session_state.get("_upload_error"):
        st.error(st.session_state["_upload_error"])
    for warning in st.session_state.get("_upload_warnings", ()):
        st.warning(warning)
    return st.session_state.get("_upload")


def _image_choice(source):
    if source == UPLOAD:
        upload = _uploaded_image()
        if upload is not None:
            name, image, key = upload
            st.session_state["_last_image"] = (name, image, key)
            return upload
        if "_last_image" in st.session_state:
            st.info("No image uploaded yet: showing the last image until you upload one.")
            return st.session_state["_last_image"]
        st.info("No image uploaded yet: showing the cat until you upload one.")
        source = DEFAULT_SAMPLE
    image = cached.sample_image(source)
    chosen = (source, image, f"sample:{source}")
    st.session_state["_last_image"] = chosen
    return chosen


def _navigation():
    for path, label, icon in PAGES:
        st.page_link(path, label=label, icon=icon)
    st.divider()


def _slider(label, key, help=None):
    low, high = LIMITS[key]
    return st.slider(label, low, high, key=key, help=help)


def render_sidebar():
    """Draw the shared sidebar and return the user's :class:`Selection`.

    Every page calls this first, right after ``st.set_page_config``.
    """
    _initialise_state()
    with st.sidebar:
        _navigation()
        if st.session_state.get("_url_error"):
            st.error(st.session_state.pop("_url_error"))
        st.header("Image")
        source = st.selectbox("Image source", SOURCES, key="source")
        label, image, image_key = _image_choice(source)
        st.radio(
            "Color mode",
            list(COLOR_LABELS),
            format_func=COLOR_LABELS.get,
            key="color_mode",
            horizontal=True,
        )
        _slider(
            "Input size",
            "input_size",
            help="Side of the square the image is resized to, with OpenCV's INTER_AREA.",
        )
        st.checkbox(
            "Scale pixel values to 0-1",
            key="scale_01",
            help="The seed feeds 0-255 floats; tick to divide by 255 first.",
        )
        st.header("Convolution")
        _slider("Kernel size", "kernel_size", help="Side k of the k x k kernel.")
        _slider("Filters", "filters", help="Number of kernels, i.e. output channels.")
        _slider("Stride", "stride", help="How many pixels the kernel moves per step.")
        mode = st.selectbox(
            "Padding",
            list(PADDING_LABELS),
            format_func=PADDING_LABELS.get,
            key="padding_mode",
            help="valid: no padding. same: Keras pads so that output = ceil(n/stride). "
            "explicit p: p zero pixels on every side, then valid.",
        )
        if mode == "explicit":
            st.number_input("Padding p (pixels per side)", *LIMITS["padding"], key="padding")
        st.selectbox(
            "Activation", list(ACTIVATIONS), format_func=ACTIVATIONS.get, key="activation"
        )
        st.header("Pooling")
        pooling = st.selectbox("Pooling", list(POOLINGS), format_func=POOLINGS.get, key="pooling")
        if pooling != "none":
            _slider("Pool size", "pool_size")
            pool_size = st.session_state["pool_size"]
            st.selectbox(
                "Pool stride",
                [0, *range(LIMITS["pool_stride"][0], LIMITS["pool_stride"][1] + 1)],
                format_func=lambda v: f"= pool size ({pool_size})" if v == 0 else str(v),
                key="pool_stride",
                help="Keras's default stride for pooling is the pool size.",
            )
        st.header("Weights")
        st.number_input(
            "Seed",
            *LIMITS["seed"],
            key="seed",
            help="Kernels start from Keras's default Glorot-uniform initialiser with this "
            "seed, so the same settings always give the same maps.",
        )
        st.button("Reset to the seed article's settings", on_click=_reset)

        spec = _spec_from_state()
        st.caption(
            "Input: " + " → ".join(step.split(": ", 1)[-1] for step in
                                   preprocessing_steps(image.shape, spec)[:4])
        )
    _sync_url(spec, source)
    return Selection(spec, image, label, image_key)
