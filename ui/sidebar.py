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
from cnn_core.images import (
    DEFAULT_SAMPLE,
    SAMPLES,
    image_digest,
    preprocessing_shapes,
    sample_label,
)
from cnn_core.shapes import block_summary
from cnn_core.spec import (
    ACTIVATIONS,
    BLOCK_FIELDS,
    COLOR_MODES,
    INPUT_FIELDS,
    LIMITS,
    MAX_BLOCKS,
    PADDING_MODES,
    POOLINGS,
    BlockSpec,
    PipelineSpec,
    activation_label,
    pooling_label,
)
from ui import cached
from ui import links as link
from ui.display_widgets import color_scale_control
from ui.i18n import LANG, labels, lang, language_control, say, start_language, t
from ui.kernel_widgets import (
    custom_from_link,
    filters_help,
    follow_learned,
    keep_kernel_state,
    kernel_size_changed,
    kernel_widgets,
)
from ui.lazy import lazy_expander

#: Page file, its catalogue name (``pages.<name>``) or a whole navigation key, and icon.
PAGES = (
    ("app.py", "feature_maps", ":material/grid_view:"),
    ("pages/4_Lesson.py", "lessons.nav", ":material/school:"),
    ("pages/5_Compare.py", "compare.nav", ":material/compare:"),
    ("pages/1_Convolution_step.py", "conv_step", ":material/filter_center_focus:"),
    ("pages/2_Kernels.py", "kernels", ":material/blur_on:"),
    ("pages/3_Keras_code.py", "keras_code", ":material/code:"),
    ("pages/6_Train.py", "train.nav", ":material/model_training:"),
)
#: Image sources beside the samples. The select's values never change with
#: the language; its labels are the catalogue's ``sidebar.source.*``.
UPLOAD = "Upload"
URL = "URL"
CAMERA = "Camera"
SOURCES = (*SAMPLES, UPLOAD, URL, CAMERA)
#: The name a camera picture goes by (shown as ``sidebar.camera.picture``).
CAMERA_PICTURE = "camera picture"
BLOCKS = "blocks"


def image_title(label):
    """What to call an image in the current language: a sample's or the camera
    picture's translated name, else the file name it came with."""
    if label in SAMPLES:
        return say(sample_label(label))
    if label == CAMERA_PICTURE:
        return t("sidebar.camera.picture")
    return label


def source_label(source):
    """The image-source select's label of ``source`` (a sample or another source)."""
    if source in SAMPLES:
        return image_title(source)
    return t(f"sidebar.source.{source.lower()}")


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


def block_expander_key(index):
    """Session-state key of block ``index``'s sidebar expander (0-based; from 1):
    True while it is open."""
    return f"block_expander_{index + 1}"


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


def _browser_values():
    """Keys of the widgets whose values the browser sent with this run, and a
    way to give the others' readers a value that yields to the browser's.

    A browser that reconnects to a server that does not know its session (a
    restarted server, or another replica after one failed) sends every
    widget's value with its first run there, a change just made included.
    Those values are what the student sees, so seeding from the link must not
    overwrite them. Streamlit has no public API for them: this reads its
    session state's incoming widget values (widget ids end in ``-<key>``) and
    returns ``(keys, yielding_setter)``. ``yielding_setter(key, value)`` puts
    the link's value where Streamlit keeps the previous run's values: code
    reading the key before its widget is drawn gets the link's value, the
    widget itself the browser's. If Streamlit's internals ever move, this
    finds no values, as on a fresh page load, and the link seeds everything.
    """
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        state = get_script_run_ctx().session_state._state
        sent = {widget_id.rsplit("-", 1)[-1] for widget_id in state._new_widget_state.states}
        previous = state._old_state
    except Exception:  # internals moved: behave as on a fresh page load
        return set(), None
    return sent, previous.__setitem__


def initialise_state():
    """Seed widget state once per session (from the link if it has settings;
    a reconnecting browser's own widget values win), then keep every value
    alive across pages by re-assigning it."""
    if not st.session_state.get("_initialised"):
        state = link.read_link()
        sent, yielding = _browser_values()
        values = _defaults() | _widget_values(state.spec)
        values["source"] = link.SAMPLE_LABELS[state.sample]
        if state.url:
            values["source"], values["image_url"] = URL, state.url
        for index, block in enumerate(state.spec.blocks):
            if block.weights == "custom":
                custom_from_link(_block_keys(index), block.custom)
        if LANG in sent and yielding is not None:
            yielding(LANG, state.lang or lang())
        else:
            start_language(state.lang)
        for key, value in values.items():
            if key in sent and yielding is not None:
                yielding(key, value)
            else:
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
            # The message itself, said at draw time: a language switch re-says it.
            st.session_state[f"_{kind}_error"] = (name, exc.message)
        else:
            image = decoded.image
            st.session_state[f"_{kind}"] = (name, image, image_digest(image))
            st.session_state[f"_{kind}_warnings"] = decoded.warnings
    if st.session_state.get(f"_{kind}_error"):
        failed, message = st.session_state[f"_{kind}_error"]
        st.error(t("sidebar.image.error", name=image_title(failed), error=say(message)))
    for warning in st.session_state.get(f"_{kind}_warnings", ()):
        st.warning(say(warning))
    return st.session_state.get(f"_{kind}")


def _uploaded_image():
    limits = describe_limits(lang())
    upload = st.file_uploader(
        t("sidebar.upload.label"),
        type=list(ACCEPTED_TYPES),
        key="upload_file",
        help=" ".join(limits),
    )
    st.caption(" ".join(limits[:4]))
    if upload is None:
        return st.session_state.get("_upload")
    return _take("upload", upload.file_id, upload.name, lambda: decode_upload(upload.getvalue()))


def _url_image(url=None):
    if url is None:
        url = st.text_input(
            t("sidebar.url.label"), key="image_url", help=t("sidebar.url.help")
        ).strip()
    if not url:
        return st.session_state.get("_url")
    with st.spinner(t("sidebar.url.fetching")):
        return _take("url", url, url.rsplit("/", 1)[-1] or url, lambda: fetch_image(url))


def _camera_image():
    """A picture from the laptop's camera, decoded exactly like an upload."""
    photo = st.camera_input(
        t("sidebar.camera.label"), key="camera_photo", help=t("sidebar.camera.help")
    )
    if photo is None:
        return st.session_state.get("_camera")
    return _take("camera", photo.file_id, CAMERA_PICTURE, lambda: decode_upload(photo.getvalue()))


_READERS = (UPLOAD, URL, CAMERA)


def _image_choice(source, url=None):
    if source in _READERS:
        readers = {UPLOAD: _uploaded_image, URL: lambda: _url_image(url), CAMERA: _camera_image}
        chosen = readers[source]()
        if chosen is not None:
            st.session_state["_last_image"] = chosen
            return chosen
        nothing = source.lower()
        if "_last_image" in st.session_state:
            st.info(t(f"sidebar.nothing_yet.{nothing}") + t("sidebar.nothing_yet.last"))
            return st.session_state["_last_image"]
        st.info(t(f"sidebar.nothing_yet.{nothing}") + t("sidebar.nothing_yet.cat"))
        source = DEFAULT_SAMPLE
    image = cached.sample_image(source)
    chosen = (source, image, f"sample:{source}")
    st.session_state["_last_image"] = chosen
    return chosen


def _navigation():
    for path, name, icon in PAGES:
        # A name with a dot is a whole catalogue key (Lesson, Compare, Train: their own files).
        key = name if "." in name else f"pages.{name}.nav"
        st.page_link(path, label=t(key), icon=icon)
    st.divider()


def _slider(name, key, limits=None, help=True):
    """A slider labelled ``sidebar.<name>.label`` (and ``.help`` unless ``help`` is False)."""
    low, high = LIMITS[limits or key]
    tip = t(f"sidebar.{name}.help") if help else None
    return st.slider(t(f"sidebar.{name}.label"), low, high, key=key, help=tip)


def _conv_widgets(index):
    """Kernel size, the kernel choice, filters, stride, dilation, padding and
    activation of block ``index``."""
    key = _block_keys(index)
    low, high = LIMITS["kernel_size"]
    learned = follow_learned(key)
    st.slider(
        t("sidebar.kernel_size.label"),
        low,
        high,
        key=key("kernel_size"),
        help=t("sidebar.kernel_size.help"),
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
    st.slider(
        t("sidebar.filters.label"),
        low,
        high,
        key=key("filters"),
        help=filters_text,
        disabled=fixed,
    )
    _slider("stride", key("stride"), "stride")
    _slider("dilation", key("dilation"), "dilation")
    mode = st.selectbox(
        t("sidebar.padding.label"),
        PADDING_MODES,
        format_func=labels(lambda mode: t(f"sidebar.padding.{mode}")),
        key=key("padding_mode"),
        help=t("sidebar.padding.help"),
    )
    if mode == "explicit":
        st.number_input(t("sidebar.padding.pixels"), *LIMITS["padding"], key=key("padding"))
    st.selectbox(
        t("sidebar.activation.label"),
        list(ACTIVATIONS),
        format_func=labels(lambda name: say(activation_label(name))),
        key=key("activation"),
        help=t("sidebar.activation.help"),
    )


def _pool_widgets(index):
    key = lambda name: block_key(name, index)  # noqa: E731
    pooling = st.selectbox(
        t("sidebar.pooling.label"),
        list(POOLINGS),
        format_func=labels(lambda name: say(pooling_label(name))),
        key=key("pooling"),
    )
    if pooling != "none":
        _slider("pool_size", key("pool_size"), limits="pool_size", help=False)
        pool_size = st.session_state[key("pool_size")]
        st.selectbox(
            t("sidebar.pool_stride.label"),
            [0, *range(LIMITS["pool_stride"][0], LIMITS["pool_stride"][1] + 1)],
            format_func=labels(
                lambda v: str(v) if v else t("sidebar.pool_stride.same", size=pool_size)
            ),
            key=key("pool_stride"),
            help=t("sidebar.pool_stride.help"),
        )


def _seed_widget(index):
    st.number_input(
        t("sidebar.seed.label"),
        *LIMITS["seed"],
        key=block_key("seed", index),
        disabled=st.session_state[block_key("weights", index)] != "random",
        help=t("sidebar.seed.help"),
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
        st.caption(t("sidebar.input_shapes", shapes=" → ".join(str(shape) for shape in shapes)))
    link.show_rejections()
    link.sync_url(state.spec, state.sample, state.url)
    return Selection(state.spec, image, label, image_key)


def render_sidebar(color_scale=False):
    """Draw the shared sidebar and return the user's :class:`Selection`.

    Every page calls this first (:func:`ui.page.start_page`), after
    :func:`initialise_state` and ``st.set_page_config``. A link with
    ``lock=1`` gets navigation and a note instead of the settings.
    """
    if link.locked() is not None:
        return _render_locked(link.locked())
    with st.sidebar:
        language_control()
        _navigation()
        st.header(t("sidebar.headers.image"))
        source = st.selectbox(
            t("sidebar.source.label"), SOURCES, format_func=labels(source_label), key="source"
        )
        label, image, image_key = _image_choice(source)
        st.radio(
            t("sidebar.color_mode.label"),
            list(COLOR_MODES),
            format_func=labels(lambda mode: t(f"sidebar.color_mode.{mode}")),
            key="color_mode",
            horizontal=True,
        )
        if color_scale:
            color_scale_control()
        _slider("input_size", "input_size")
        st.checkbox(t("sidebar.scale_01.label"), key="scale_01", help=t("sidebar.scale_01.help"))
        st.header(t("sidebar.headers.convolution"))
        _conv_widgets(0)
        st.header(t("sidebar.headers.pooling"))
        _pool_widgets(0)
        st.header(t("sidebar.headers.weights"))
        _seed_widget(0)
        st.header(t("sidebar.headers.depth"))
        st.slider(
            t("sidebar.blocks.label"),
            1,
            MAX_BLOCKS,
            key=BLOCKS,
            on_change=_blocks_changed,
            help=t("sidebar.blocks.help"),
        )
        for index in range(1, st.session_state[BLOCKS]):
            title = block_summary(index + 1, _block_from_state(index), lang())
            # Keyed, so the expander stays open while its title follows the
            # settings. Its widgets are drawn only while it is open (opening it
            # reruns the page): a closed block costs the page one element.
            box = lazy_expander(title, block_expander_key(index))
            if not box.open:
                keep_kernel_state(_block_keys(index))
                continue
            with box:
                _conv_widgets(index)
                _pool_widgets(index)
                _seed_widget(index)
        st.button(t("sidebar.reset"), on_click=_reset)

        spec = _spec_from_state()
        st.session_state["_blocks_shown"] = spec.depth
        shapes = preprocessing_shapes(image.shape, spec)
        st.caption(t("sidebar.input_shapes", shapes=" → ".join(str(shape) for shape in shapes)))
        url = st.session_state.get("image_url", "").strip() if source == URL else None
        link.share(spec, source, url, uploaded=source == UPLOAD)
    st.session_state["_shown_spec"] = spec
    link.show_rejections()
    link.sync_url(spec, link.sample_slug(source), url)
    return Selection(spec, image, label, image_key, st.session_state["color_scale"])
