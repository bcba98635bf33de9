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
from cnn_core.spec import activation_label
from cnn_core.step_figures import (
    animation_positions,
    input_figure,
    map_picture,
    step_grid_figure,
)
from ui import cached
from ui.charts import plotly_chart
from ui.i18n import labels, lang, say, t
from ui.page import plan_layer, start_page
from ui.sidebar import image_title

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
                t("step_page.filter.label"),
                range(filters),
                format_func=labels(lambda i: t("step_page.filter.option", number=i + 1)),
                key=FILTER,
            )
        columns = columns[1:]
    with columns[0]:
        row = st.number_input(t("step_page.row"), 0, out - 1, key=ROW)
    with columns[1]:
        col = st.number_input(t("step_page.column"), 0, out - 1, key=COL)
    with columns[2]:
        st.button(t("step_page.previous"), on_click=_move, args=(out, -1), width="stretch")
    with columns[3]:
        st.button(t("step_page.next"), on_click=_move, args=(out, 1), width="stretch")
    st.session_state[KEPT] = (row, col, chosen)
    return row, col, chosen


def render():
    """Draw the Convolution step page."""
    selection = start_page("conv_step")
    spec = selection.spec
    layer = first_conv(spec)
    st.title(t("step_page.title"))
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
        t(
            "step_page.caption",
            image=image_title(selection.image_label),
            n=n,
            channels=channels,
            k=k,
            stride=layer.stride,
            padding=layer.padding_mode,
            out=out,
        )
    )
    row, col, chosen = _pixel_controls(out, layer.filters)

    with st.spinner(t("pages.running")):
        kernel, bias = cached.kernels_for(spec, 0)
        conv = cached.conv_map_for(selection.image_key, spec, chosen, selection.image)
    step = conv_step(pixels, kernel, bias, row, col, chosen, geometry)
    engine = float(conv[row, col])
    value_range = (0.0, 1.0) if spec.scale_01 else (0.0, 255.0)
    mask = read_mask(geometry)

    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown(t("step_page.map", number=chosen + 1, out=out))
        streamlit_image_coordinates(
            map_picture(conv, row, col),
            key=CLICK,
            width="stretch",
            image_format="JPEG",
            jpeg_quality=85,
            on_click=functools.partial(_on_click, out),
            cursor="crosshair",
        )
        st.caption(t("step_page.red_box", row=row, col=col, value=format_value(engine)))
    with right:
        positions = animation_positions(out)
        play = [
            (conv_step(pixels, kernel, bias, row, j, chosen, geometry), float(conv[row, j]))
            for j in positions
        ]
        st.markdown(t("step_page.input", k=k, row=row, col=col))
        plotly_chart(
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
                lang=lang(),
            ),
            key="step_input",
        )
        if len(positions) == out:
            play_text = t("step_page.play", row=row)
        else:
            play_text = t("step_page.play_sampled", row=row, every=positions[1])
        st.caption(play_text + " " + padding_text(geometry, lang()))
        st.caption(unused_text(geometry, lang()))

    st.subheader(t("step_page.patch_title"))
    names = [t("step_page.gray")] if channels == 1 else ["R", "G", "B"]
    plotly_chart(step_grid_figure(step, names, value_range, lang=lang()), key="step_grid")
    if k > 7:
        st.caption(t("step_page.hover", k=k))
    if step.padding_cells:
        st.caption(t("step_page.padding_cells", count=step.padding_cells, total=k * k))
    difference, bound = abs(step.value - engine), float32_tolerance(step)
    lines = [
        *step.sum_lines(lang()),
        t("step_page.engine_value", row=row, col=col, value=format_value(engine)),
    ]
    st.code("\n".join(lines), language=None)
    if difference == 0:
        st.caption(t("step_page.identical"))
    elif difference <= bound:
        st.caption(
            t(
                "step_page.rounding",
                difference=f"{difference:.2g}",
                count=step.products.size,
                bound=f"{bound:.2g}",
            )
        )
    else:
        st.warning(t("step_page.mismatch", difference=f"{difference:.2g}", bound=f"{bound:.2g}"))

    st.subheader(t("step_page.then"))
    if layer.activation != "none":
        name = say(activation_label(layer.activation))
        st.markdown(t("step_page.activation", name=name))
    st.code(activation_text(engine, layer.activation, lang()), language=None)
    if layer.pooling != "none":
        st.markdown(f"**{t(f'step_page.pooling.{layer.pooling}')}**")
        if plan.stage("pool") is None:
            st.caption(t("step_page.pool_error"))
        else:
            pool = pool_step(
                conv, row, col, layer.activation, layer.pooling, layer.pool_size, layer.pool_stride
            )
            lines = pool_lines(
                pool, row, col, layer.pooling, layer.pool_size, layer.pool_stride, out, lang()
            )
            st.code("\n".join(lines), language=None)
