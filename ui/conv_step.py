"""The Convolution step page: one output pixel as patch x kernel, summed, plus bias.

The page explains the first convolution (the one applied to the photo).
:func:`first_conv` is the only place that reads the layer's settings from the
spec; everything else gets explicit numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

from cnn_core.conv_step import (
    activation_text,
    conv_step,
    float32_tolerance,
    format_value,
    pixel_from_click,
    pool_lines,
    pool_step,
)
from cnn_core.conv_windows import padding_text, read_mask, step_geometry, unused_text
from cnn_core.images import prepare_input
from cnn_core.spec import ACTIVATIONS
from cnn_core.step_figures import (
    animation_positions,
    input_figure,
    map_picture,
    step_grid_figure,
)
from ui import cached
from ui.page import plan_layer, start_page

ROW, COL, FILTER, CLICK = "step_row", "step_col", "step_filter", "step_click"
#: Session key that keeps the chosen pixel while other pages are shown.
KEPT = "_step_pixel"


@dataclass(frozen=True)
class FirstConv:
    """The settings of the convolution this page explains, and what follows it."""

    kernel_size: int
    filters: int
    stride: int
    padding_mode: str
    padding: int
    dilation: int
    activation: str
    pooling: str
    pool_size: int
    pool_stride: int


def first_conv(spec):
    """Read the first convolution's settings from the spec (the one place that does)."""
    block = spec.blocks[0]
    return FirstConv(
        kernel_size=block.kernel_size,
        filters=block.filters,
        stride=block.stride,
        padding_mode=block.padding_mode,
        padding=block.padding,
        dilation=block.dilation,
        activation=block.activation,
        pooling=block.pooling,
        pool_size=block.pool_size,
        pool_stride=block.effective_pool_stride,
    )


def _on_click(out):
    value = st.session_state.get(CLICK)
    if value and value.get("width"):
        row, col = pixel_from_click(
            value["x"], value["y"], value["width"], value["height"], out, out
        )
        st.session_state[ROW], st.session_state[COL] = row, col


def _move(out, delta):
    """Step the window by one output position (``stride`` input pixels) in reading order."""
    index = (st.session_state[ROW] * out + st.session_state[COL] + delta) % (out * out)
    st.session_state[ROW], st.session_state[COL] = divmod(index, out)


def _pixel_controls(out, filters):
    """Filter, Output row and Output column widgets, Previous/Next; returns (row, col, filter)."""
    kept = st.session_state.get(KEPT, (out // 2, out // 2, 0))
    for key, value, high in ((ROW, kept[0], out - 1), (COL, kept[1], out - 1)):
        st.session_state[key] = min(st.session_state.get(key, value), high)
    if filters > 1:
        st.session_state[FILTER] = min(st.session_state.get(FILTER, kept[2]), filters - 1)
    columns = st.columns(
        [2, 2, 2, 1, 1] if filters > 1 else [2, 2, 1, 1], vertical_alignment="bottom"
    )
    chosen = 0
    if filters > 1:
        with columns[0]:
            chosen = st.selectbox(
                "Filter", range(filters), format_func=lambda i: f"filter {i + 1}", key=FILTER
            )
        columns = columns[1:]
    with columns[0]:
        row = st.number_input("Output row", 0, out - 1, key=ROW)
    with columns[1]:
        col = st.number_input("Output column", 0, out - 1, key=COL)
    with columns[2]:
        st.button("Previous", on_click=_move, args=(out, -1), width="stretch")
    with columns[3]:
        st.button("Next", on_click=_move, args=(out, 1), width="stretch")
    st.session_state[KEPT] = (row, col, chosen)
    return row, col, chosen


def render():
    """Draw the Convolution step page."""
    selection = start_page("conv_step")
    spec = selection.spec
    layer = first_conv(spec)
    st.title("One output pixel, step by step")
    plan = plan_layer(selection)  # a setting that cannot be computed: its error, first
    if plan.stage("conv") is None:
        return
    pixels = prepare_input(selection.image, spec).batch[0]
    n, channels = pixels.shape[0], pixels.shape[2]
    geometry = step_geometry(
        n, layer.kernel_size, layer.stride, layer.padding_mode, layer.padding, layer.dilation
    )
    out, k = geometry.out, layer.kernel_size
    st.caption(
        f"{selection.image_label} · {n}x{n}x{channels} input · {k}x{k} kernel, stride "
        f"{layer.stride}, padding '{layer.padding_mode}' · {out}x{out} output. Each value of "
        "the map is the patch under the kernel times the kernel, summed, plus the bias."
    )
    row, col, chosen = _pixel_controls(out, layer.filters)

    with st.spinner("Running the layer (the first run loads TensorFlow)..."):
        kernel, bias = cached.kernels_for(spec, 0)
        conv = cached.conv_map_for(selection.image_key, spec, chosen, selection.image)
    step = conv_step(pixels, kernel, bias, row, col, chosen, geometry)
    engine = float(conv[row, col])
    value_range = (0.0, 1.0) if spec.scale_01 else (0.0, 255.0)
    mask = read_mask(geometry)

    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown(f"**Feature map, filter {chosen + 1}** ({out}x{out}): click a pixel")
        streamlit_image_coordinates(
            map_picture(conv, row, col),
            key=CLICK,
            width="stretch",
            image_format="JPEG",
            jpeg_quality=85,
            on_click=functools.partial(_on_click, out),
            cursor="crosshair",
        )
        st.caption(f"The red box is output ({row}, {col}): {format_value(engine)}.")
    with right:
        positions = animation_positions(out)
        play = [
            (conv_step(pixels, kernel, bias, row, j, chosen, geometry), float(conv[row, j]))
            for j in positions
        ]
        st.markdown(f"**Input** with the {k}x{k} window of output ({row}, {col})")
        st.plotly_chart(
            input_figure(
                pixels[:, :, 0] if channels == 1 else pixels,
                value_range,
                geometry,
                geometry,
                step,
                engine,
                mask,
                mask,
                play,
            ),
            width="stretch",
            key="step_input",
        )
        every = "" if len(positions) == out else f" (one frame every {positions[1]} positions)"
        st.caption(
            f"▶ Play slides the window along row {row}{every} in your browser. "
            + padding_text(geometry)
        )
        st.caption(unused_text(geometry))

    st.subheader("Patch x kernel")
    names = ["gray"] if channels == 1 else ["R", "G", "B"]
    st.plotly_chart(step_grid_figure(step, names, value_range), width="stretch", key="step_grid")
    if k > 7:
        st.caption(f"{k}x{k} cells: hover a cell for its value.")
    if step.padding_cells:
        st.caption(
            f"{step.padding_cells} of the {k * k} cells lie in the zero padding (hatched): "
            "their products are zero."
        )
    difference, bound = abs(step.value - engine), float32_tolerance(step)
    lines = [
        *step.sum_lines(),
        f"feature map at ({row}, {col}) = {format_value(engine)}   (from the forward pass)",
    ]
    st.code("\n".join(lines), language=None)
    if difference == 0:
        st.caption("The two are identical.")
    elif difference <= bound:
        st.caption(
            f"The two differ by {difference:.2g}: float32 rounding (the layer adds "
            f"{step.products.size} float32 products in its own order; rounding can move the "
            f"sum by at most {bound:.2g})."
        )
    else:
        st.warning(
            f"The two differ by {difference:.2g}, more than float32 rounding can explain "
            f"({bound:.2g}). Please report these settings."
        )

    st.subheader("Then")
    if layer.activation != "none":
        st.markdown(f"**Activation ({ACTIVATIONS[layer.activation]})**")
    st.code(activation_text(engine, layer.activation), language=None)
    if layer.pooling != "none":
        st.markdown(f"**{layer.pooling.capitalize()} pooling**")
        if plan.stage("pool") is None:
            st.caption("This pooling cannot be computed at these settings: see the error above.")
        else:
            pool = pool_step(
                conv, row, col, layer.activation, layer.pooling, layer.pool_size, layer.pool_stride
            )
            st.code(
                "\n".join(
                    pool_lines(
                        pool, row, col, layer.pooling, layer.pool_size, layer.pool_stride, out
                    )
                ),
                language=None,
            )
