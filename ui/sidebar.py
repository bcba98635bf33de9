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

from cnn_core.decode import ACCEPTED_TYPES, decode_upload, describe_limits
from cnn_core.errors import ConvlabError
from cnn_core.fetch import fetch_image
from cnn_core.images import DEFAULT_SAMPLE, SAMPLES, image_digest, preprocessing_shapes
from cnn_core.shapes import block_summary
from cnn_core.spec import (
    ACTIVATIONS,
    BLOCK_FIELDS,
    COLOR_MODES,
    INPUT_FIELDS,
    LIMITS,
    MAX_BLOCKS,
    POOLINGS,
    BlockSpec,
    PipelineSpec,
)
from ui import cached
from ui import links as link
from ui.display_widgets import color_scale_control
from ui.i18n import language_control, start_language, t
from ui.kernel_widgets import (
    custom_from_link,
    filters_help,
    follow_learned,
    kernel_size_changed,
    kernel_widgets,
)

PAGES = (
    ("app.py", "Feature maps", ":material/grid_view:"),
    ("pages/1_Convolution_step.py", "Convolution step", ":material/filter_center_focus:"),
    ("pages/2_Kernels.py", "Kernels", ":material/blur_on:"),
    ("pages/3_Keras_code.py", "Keras code", ":material/code:"),
    ("pages/6_Train.py", "train.nav", ":material/model_training:"),
)
UPLOAD = "Upload"
URL = "URL"
CAMERA = "Camera"
SOURCES = (*SAMPLES, UPLOAD, URL, CAMERA)
PADDING_LABELS = {"valid": "valid", "same": "same", "explicit": "explicit p"}
COLOR_LABELS = {"grayscale": "grayscale (1 channel)", "rgb": "RGB (3 channels)"}
BLOCKS = "blocks"


def block_key(name, index):
    """Widget key of block setting ``name`` for block ``index`` (0-based):
    block 1 keeps today's keys, later blocks add ``_2``, ``_3``, ..."""
    return name if index == 0 else f"{name}_{index + 1}"


SPEC_KEYS = (
    *INPUT_FIELDS,
    BLOCKS,
    *(block_key(name, index) for index in range(MAX_BLOCKS) for name in BLOCK_FIELDS),
)
WIDGET_KEYS = ("source", "image_url", *SPEC_KEYS)


@dataclass(frozen=True)
class Selection:
    """What the sidebar produced: the spec and the image it applies to."""

    spec: PipelineSpec
    image: np.ndarray
    image_label: str
    image_key: str
    color_scale: str = "per stage"


def _block_keys(index):
    """Field name -> widget key, for block ``index``."""
    return lambda name: block_key(name, index)


def _widget_values(spec):
    """Widget state for a spec, with every hidden block at what adding it would
    give. A selectbox cannot show None, so the pool stride's "same as the pool
    size" is 0 in the widget."""
    values = {name: getattr(spec, name) for name in INPUT_FIELDS}
    values[BLOCKS] = spec.depth
    for index, block in enumerate(spec.with_depth(MAX_BLOCKS).blocks):
        for name, value in dataclasses.asdict(block).items():
            values[block_key(name, index)] = value
        values[block_key("pool_stride", index)] = block.pool_stride or 0
    return values


def _block_from_state(index):
    values = {name: st.session_state[block_key(name, index)] for name in BLOCK_FIELDS}
    values["pool_stride"] = values["pool_stride"] or None
    return BlockSpec(**values)


def _spec_from_state():
    spec = PipelineSpec(**{name: st.session_state[name] for name in INPUT_FIELDS})
    blocks = tuple(_block_from_state(i) for i in range(st.session_state[BLOCKS]))
    return spec.replace(blocks=blocks)


#: Display settings that live outside the spec (and the URL) but survive page changes.
DISPLAY_DEFAULTS = {"color_scale": "per stage"}


def _defaults():
    values = _widget_values(PipelineSpec())
    values["source"] = DEFAULT_SAMPLE
    return values | DISPLAY_DEFAULTS


def _blocks_changed():
    """Blocks that appear start as a typical deeper block after the one before."""
    count = st.session_state[BLOCKS]
    shown = st.session_state.get("_blocks_shown", 1)
    if count > shown:
        values = _widget_values(_spec_from_state().with_depth(shown))
        for index in range(shown, count):
            for name in BLOCK_FIELDS:
                key = block_key(name, index)
                st.session_state[key] = values[key]


def _initialise_state():
    """Seed widget state once per session (from the link if it has settings),
    then keep every value alive across pages by re-assigning it."""
    if not st.session_state.get("_initialised"):
        state = link.read_link()
        start_language(state.lang)
        values = _defaults() | _widget_values(state.spec)
        values["source"] = link.SAMPLE_LABELS[state.sample]
        if state.url:
            values["source"], values["image_url"] = URL, state.url
        for index, block in enumerate(state.spec.blocks):
            if block.weights == "custom":
                custom_from_link(_block_keys(index), block.custom)
        for key, value in values.items():
            st.session_state[key] = value
        st.session_state["_initialised"] = True
        return
    for key, value in _defaults().items():
        st.session_state[key] = st.session_state.get(key, value)
    if "image_url" in st.session_state:
        st.session_state["image_url"] = st.session_state["image_url"]


def _reset():
    for key, value in _defaults().items():
        st.session_state[key] = value


def _take(kind, identity, name, load):
    """Decode a new upload, URL or camera picture once; on failure keep the image we had.

    ``identity`` says what is new (a file id, a URL); ``load`` returns a
    :class:`~cnn_core.decode.DecodedImage` or raises our own error. The
    outcome is kept in session state, so reruns neither decode nor fetch again.
    """
    if identity != st.session_state.get(f"_{kind}_id"):
        st.session_state[f"_{kind}_id"] = identity
        st.session_state[f"_{kind}_error"] = None
        st.session_state[f"_{kind}_warnings"] = ()
        try:
            decoded = load()
        except ConvlabError as exc:
            st.session_state[f"_{kind}_error"] = f"{name}: {exc}"
        else:
            image = decoded.image
            st.session_state[f"_{kind}"] = (name, image, image_digest(image))
            st.session_state[f"_{kind}_warnings"] = decoded.warnings
    if st.session_state.get(f"_{kind}_error"):
        st.error(st.session_state[f"_{kind}_error"])
    for warning in st.session_state.get(f"_{kind}_warnings", ()):
        st.warning(warning)
    return st.session_state.get(f"_{kind}")


def _uploaded_image():
    upload = st.file_uploader(
        "Image file",
        type=list(ACCEPTED_TYPES),
        key="upload_file",
        help=" ".join(describe_limits()),
    )
    st.caption(" ".join(describe_limits()[:4]))
    if upload is None:
        return st.session_state.get("_upload")
    return _take("upload", upload.file_id, upload.name, lambda: decode_upload(upload.getvalue()))


def _url_image(url=None):
    if url is None:
        url = st.text_input(
            "Image URL",
            key="image_url",
            help="A public http(s) address of a PNG, JPEG, BMP, TIFF, WebP or GIF image, "
            "such as https://example.org/cat.jpg. Press Enter to fetch it.",
        ).strip()
    if not url:
        return st.session_state.get("_url")
    with st.spinner("Fetching the image..."):
        return _take("url", url, url.rsplit("/", 1)[-1] or url, lambda: fetch_image(url))


def _camera_image():
    """A picture from the laptop's camera, decoded exactly like an upload."""
    photo = st.camera_input(
        "Take a picture",
        key="camera_photo",
        help="Hold a drawing up to the camera and take a picture: the page then shows its "
        "maps. The picture is checked and decoded exactly like an upload.",
    )
    if photo is None:
        return st.session_state.get("_camera")
    return _take("camera", photo.file_id, "camera picture", lambda: decode_upload(photo.getvalue()))


_NOTHING_YET = {UPLOAD: "No image uploaded", URL: "No image fetched", CAMERA: "No picture taken"}


def _image_choice(source, url=None):
    if source in _NOTHING_YET:
        readers = {UPLOAD: _uploaded_image, URL: lambda: _url_image(url), CAMERA: _camera_image}
        chosen = readers[source]()
        if chosen is not None:
            st.session_state["_last_image"] = chosen
            return chosen
        nothing = _NOTHING_YET[source]
        if "_last_image" in st.session_state:
            st.info(f"{nothing} yet: showing the last image until there is one.")
            return st.session_state["_last_image"]
        st.info(f"{nothing} yet: showing the cat until there is one.")
        source = DEFAULT_SAMPLE
    image = cached.sample_image(source)
    chosen = (source, image, f"sample:{source}")
    st.session_state["_last_image"] = chosen
    return chosen


def _navigation():
    for path, label, icon in PAGES:
        # A label with a dot is a catalogue key (the Train page's).
        st.page_link(path, label=t(label) if "." in label else label, icon=icon)
    st.divider()


def _slider(label, key, help=None, limits=None):
    low, high = LIMITS[limits or key]
    return st.slider(label, low, high, key=key, help=help)


def _conv_widgets(index):
    """Kernel size, the kernel choice, filters, stride, dilation, padding and
    activation of block ``index``."""
    key = _block_keys(index)
    low, high = LIMITS["kernel_size"]
    learned = follow_learned(key)
    st.slider(
        "Kernel size",
        low,
        high,
        key=key("kernel_size"),
        help="Side k of the k x k kernel.",
        on_change=kernel_size_changed,
        args=(key, index),
        disabled=learned,
    )
    if index == 0:
        color_mode = st.session_state["color_mode"]
        channels, color_input = COLOR_MODES[color_mode], color_mode == "rgb"
    else:
        channels, color_input = st.session_state[block_key("filters", index - 1)], False
    weights = kernel_widgets(key, index, channels, color_input)
    filters_text, fixed = filters_help(weights)
    low, high = LIMITS["filters"]
    st.slider("Filters", low, high, key=key("filters"), help=filters_text, disabled=fixed)
    _slider("Stride", key("stride"), "How many pixels the kernel moves per step.", "stride")
    _slider(
        "Dilation",
        key("dilation"),
        "Keras's dilation_rate d: the kernel's taps are d pixels apart, so a k x k "
        "kernel spans d*(k-1)+1 pixels with the same number of weights.",
        "dilation",
    )
    mode = st.selectbox(
        "Padding",
        list(PADDING_LABELS),
        format_func=PADDING_LABELS.get,
        key=key("padding_mode"),
        help="valid: no padding. same: Keras pads so that output = ceil(n/stride). "
        "explicit p: p zero pixels on every side, then valid.",
    )
    if mode == "explicit":
        st.number_input("Padding p (pixels per side)", *LIMITS["padding"], key=key("padding"))
    st.selectbox(
        "Activation", list(ACTIVATIONS), format_func=ACTIVATIONS.get, key=key("activation")
    )


def _pool_widgets(index):
    key = lambda name: block_key(name, index)  # noqa: E731
    pooling = st.selectbox("Pooling", list(POOLINGS), format_func=POOLINGS.get, key=key("pooling"))
    if pooling != "none":
        _slider("Pool size", key("pool_size"), limits="pool_size")
        pool_size = st.session_state[key("pool_size")]
        st.selectbox(
            "Pool stride",
            [0, *range(LIMITS["pool_stride"][0], LIMITS["pool_stride"][1] + 1)],
            format_func=lambda v: f"= pool size ({pool_size})" if v == 0 else str(v),
            key=key("pool_stride"),
            help="Keras's default stride for pooling is the pool size.",
        )


def _seed_widget(index):
    st.number_input(
        "Seed",
        *LIMITS["seed"],
        key=block_key("seed", index),
        disabled=st.session_state[block_key("weights", index)] != "random",
        help="Random kernels come from Keras's default Glorot-uniform initialiser with "
        "this seed, so the same settings always give the same maps. It applies only to "
        "Random (Glorot uniform).",
    )


def _render_locked(state):
    """Projector mode: navigation, the image and spec from the link, a note; no settings."""
    source = URL if state.url else link.SAMPLE_LABELS[state.sample]
    with st.sidebar:
        language_control()
        _navigation()
        if state.url and "_last_image" not in st.session_state:
            # If the link's image cannot be fetched, show its sample, never nothing.
            fallback = link.SAMPLE_LABELS[state.sample]
            st.session_state["_last_image"] = (
                fallback,
                cached.sample_image(fallback),
                f"sample:{fallback}",
            )
        label, image, image_key = _image_choice(source, url=state.url)
        link.lock_note(state)
        shapes = preprocessing_shapes(image.shape, state.spec)
        st.caption("Input: " + " → ".join(str(shape) for shape in shapes))
    link.show_rejections()
    link.sync_url(state.spec, state.sample, state.url)
    return Selection(state.spec, image, label, image_key)


def render_sidebar(color_scale=False):
    """Draw the shared sidebar and return the user's :class:`Selection`.

    Every page calls this first, right after ``st.set_page_config``. A link
    with ``lock=1`` gets navigation and a note instead of the settings.
    """
    _initialise_state()
    if link.locked() is not None:
        return _render_locked(link.locked())
    with st.sidebar:
        language_control()
        _navigation()
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
        if color_scale:
            color_scale_control()
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
        _conv_widgets(0)
        st.header("Pooling")
        _pool_widgets(0)
        st.header("Weights")
        _seed_widget(0)
        st.header("Depth")
        st.slider(
            "Blocks",
            1,
            MAX_BLOCKS,
            key=BLOCKS,
            on_change=_blocks_changed,
            help="Stack up to four conv blocks; each takes the previous block's output. "
            "A new block starts as 3x3, twice the filters, same padding, relu, max pool 2.",
        )
        for index in range(1, st.session_state[BLOCKS]):
            title = block_summary(index + 1, _block_from_state(index))
            # Keyed, so the expander stays open while its title follows the settings.
            with st.expander(title, key=f"block_expander_{index + 1}"):
                _conv_widgets(index)
                _pool_widgets(index)
                _seed_widget(index)
        st.button("Reset to the seed article's settings", on_click=_reset)

        spec = _spec_from_state()
        st.session_state["_blocks_shown"] = spec.depth
        shapes = preprocessing_shapes(image.shape, spec)
        st.caption("Input: " + " → ".join(str(shape) for shape in shapes))
        url = st.session_state.get("image_url", "").strip() if source == URL else None
        link.share(spec, source, url, uploaded=source == UPLOAD)
    st.session_state["_shown_spec"] = spec
    link.show_rejections()
    link.sync_url(spec, link.sample_slug(source), url)
    return Selection(spec, image, label, image_key, st.session_state["color_scale"])
