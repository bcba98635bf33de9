"""The sidebar's "Kernel" choice: select, size caption, custom grid, bias.

Written for one block's widget keys (``key(name)`` gives the widget key of a
block field), so each block of a stack can draw its own. The callbacks run
before the script, so they may move "Kernel size" and "Filters" (widgets
drawn later in the run) to what the choice needs.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from cnn_core.errors import SpecError
from cnn_core.kernels import (
    LUMINANCE,
    WEIGHTS,
    choice_filters,
    choice_sizes,
    fit_kernel_size,
    flat_kernels,
    format_weights,
    parse_grid,
    resize_grid,
    size_message,
    sizes_text,
)
from cnn_core.kernels.choice import choice_label
from cnn_core.kernels.learned import LEARNED, pretrained_shape
from ui import cached, trained
from ui.i18n import labels, lang, say, t

RANDOM = "random"


def learned_source():
    """The layer "Learned" means now: the session's trained one, else the committed model's.

    Returns
    -------
    (int, int, tuple, bool)
        Kernel size, filters, the block's ``custom`` values (empty for the
        committed model) and whether it is the session's own.
    """
    trained.collect()  # a training that ended while the student was on another page
    own = st.session_state.get(trained.SESSION_LEARNED)
    if own is not None:
        return (*own, True)
    return (*pretrained_shape(), (), False)


def follow_learned(key):
    """Before block ``key``'s widgets are drawn: a "Learned" block takes the model's
    kernel size, filters and weights (the sliders are then disabled)."""
    state = st.session_state
    if state.get(key("weights")) != LEARNED:
        return False
    size, filters, values, _ = learned_source()
    state[key("kernel_size")], state[key("filters")] = size, filters
    state[key("custom")], state[key("bias")] = values, 0.0
    return True


def _private(key, name):
    """A session key that belongs to the block whose ``filters`` widget is ``key("filters")``."""
    return f"_{name}:{key('filters')}"


def _shown_kernel(index, k):
    """Block ``index``'s first 2-D kernel as last shown (``_shown_spec``), resized to ``k``."""
    spec = st.session_state.get("_shown_spec")
    try:
        kernel = flat_kernels(cached.kernels_for(spec, index)[0])[:, :, 0]
    except Exception:  # no spec shown yet: start from the identity
        kernel = np.ones((1, 1), np.float32)
    return tuple(float(v) for v in resize_grid(kernel, k).ravel())


def custom_from_link(key, values):
    """A custom kernel from a link starts the grid (call before widgets are drawn)."""
    st.session_state[_private(key, "custom_base")] = values


def _start_custom(key, values):
    st.session_state[key("custom")] = values
    st.session_state[_private(key, "custom_base")] = values
    version = _private(key, "custom_version")
    st.session_state[version] = st.session_state.get(version, 0) + 1


def _settle(key, index, changed):
    """Make block ``index``'s kernel size, filters, bias and custom fit its choice
    (a callback)."""
    state = st.session_state
    weights = state[key("weights")]
    was = state.get(_private(key, "weights_was"), RANDOM)
    state[_private(key, "weights_was")] = weights
    size = state[key("kernel_size")]
    fitted = fit_kernel_size(choice_sizes(weights), size)
    state[_private(key, "note")] = size_message(weights, size, fitted)  # said at draw time
    state[key("kernel_size")] = fitted
    fixed = choice_filters(weights)
    if fixed is None:
        if was != RANDOM:
            state[key("filters")] = state.get(_private(key, "random_filters"), 1)
        state[key("bias")] = 0.0
    else:
        if was == RANDOM and changed == "weights":
            state[_private(key, "random_filters")] = state[key("filters")]
        state[key("filters")] = fixed
    if weights != "custom":
        state[key("custom")] = ()
    elif changed == "weights" or len(state[key("custom")]) != fitted**2:
        if state[key("custom")]:
            grid = np.asarray(state[key("custom")], np.float32)
            side = math.isqrt(len(grid))
            values = tuple(float(v) for v in resize_grid(grid.reshape(side, side), fitted).ravel())
        else:
            values = _shown_kernel(index, fitted)
        _start_custom(key, values)


def _custom_grid(key, k):
    """The editable k x k grid; returns nothing, keeps the last valid kernel in state."""
    import pandas as pd  # only when Custom is chosen: pandas costs the first page load

    base = st.session_state.get(_private(key, "custom_base")) or st.session_state[key("custom")]
    if len(base) != k * k:
        base = st.session_state[key("custom")]
    grid = np.asarray(base, np.float32).reshape(k, k)
    frame = pd.DataFrame(
        [[format_weights((v,)) for v in row] for row in grid],
        columns=[t("sidebar.kernel.column", number=c + 1) for c in range(k)],
        index=[t("sidebar.kernel.row", number=r + 1) for r in range(k)],
    )
    version = st.session_state.get(_private(key, "custom_version"), 0)
    edited = st.data_editor(
        frame,
        key=f"{_private(key, 'custom_grid')}:{version}",
        width="stretch",
        column_config={
            column: st.column_config.TextColumn(column, width=40) for column in frame.columns
        },
    )
    try:
        values = parse_grid(edited.to_numpy().tolist())
    except SpecError as exc:
        st.error(t("sidebar.kernel.custom_error", error=say(exc)))
        return
    st.session_state[key("custom")] = tuple(float(v) for v in values.ravel())


def kernel_widgets(key, index, channels, color_input):
    """Draw the "Kernel" select and what the choice needs, under "Kernel size".

    Parameters
    ----------
    key : callable
        Field name -> widget key for this block.
    index : int
        The block's index (0-based).
    channels : int
        Channels going into the block.
    color_input : bool
        The block sees the RGB image (luminance weighting) rather than maps.

    Returns
    -------
    str
        The choice (a key of :data:`cnn_core.kernels.WEIGHTS`).
    """
    weights = st.selectbox(
        t("sidebar.kernel.label"),
        list(WEIGHTS),
        format_func=labels(choice_name),
        key=key("weights"),
        on_change=_settle,
        args=(key, index, "weights"),
        help=t("sidebar.kernel.help"),
    )
    if weights == RANDOM:
        return weights
    if weights == LEARNED:
        size, filters, _, own = learned_source()
        what = "train.learned.caption_own" if own else "train.learned.caption_committed"
        st.caption(t(what, filters=filters, k=size))
        if own:
            st.caption(t("train.learned.link_note"))
        return weights
    _keep_fixed_filters(key, weights)
    sizes = choice_sizes(weights)
    note = st.session_state.get(_private(key, "note"))
    if note:
        st.caption(say(note))
    elif len(sizes) < 31:
        st.caption(
            t("sidebar.kernel.sizes", name=choice_name(weights), sizes=sizes_text(sizes, lang()))
        )
    if weights == "custom":
        _custom_grid(key, st.session_state[key("kernel_size")])
    st.number_input(
        t("sidebar.bias.label"),
        min_value=-1e6,
        max_value=1e6,
        step=0.5,
        format="%g",
        key=key("bias"),
        help=t("sidebar.bias.help"),
    )
    if color_input:
        shares = ", ".join(str(w) for w in LUMINANCE)
        st.caption(t("sidebar.kernel.rgb", shares=shares))
    elif channels > 1:
        st.caption(t("sidebar.kernel.maps", channels=channels))
    return weights


def _keep_fixed_filters(key, weights):
    """Set block ``key``'s filter count to what ``weights`` (not Random or
    Learned) fixes. A disabled slider cannot move in the browser, but a
    widget state sent by another client (or left from before) can: the
    choice decides."""
    fixed = choice_filters(weights)
    if st.session_state[key("filters")] != fixed:
        st.session_state[key("filters")] = fixed


def keep_kernel_state(key):
    """For a block whose widgets are not drawn this run (its expander is closed):
    keep true what :func:`kernel_widgets` keeps true when drawn.

    A "Learned" block follows the model, a choice that fixes the filter count
    keeps it, and a custom grid drawn again starts from the kernel in use (its
    editor's own edits are gone once it is not drawn).
    """
    state = st.session_state
    weights = state[key("weights")]
    if follow_learned(key) or weights == RANDOM:
        return
    _keep_fixed_filters(key, weights)
    if weights == "custom" and state.get(_private(key, "custom_base")) != state[key("custom")]:
        _start_custom(key, state[key("custom")])


def filters_help(weights):
    """The Filters slider's help, and whether the choice fixes the count."""
    fixed = choice_filters(weights)
    if weights == LEARNED:
        return t("train.learned.filters_help"), True
    if fixed is None:
        return t("sidebar.filters.help"), False
    if weights == "bank":
        why = t("sidebar.filters.fixed_bank", count=fixed)
    else:
        why = t("sidebar.filters.fixed_one", name=choice_name(weights))
    return t("sidebar.filters.fixed", count=fixed, why=why, random=choice_name(RANDOM)), True


def choice_name(weights):
    """The kernel choice's name in the current language."""
    return say(choice_label(weights))


def kernel_size_changed(key, index):
    """Callback of "Kernel size": keep a constrained choice at a size it has."""
    _settle(key, index, "kernel_size")
