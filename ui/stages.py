"""Drawing of the Feature-maps page: summary table and one section per stage."""

from __future__ import annotations

import streamlit as st

from cnn_core.display import DisplayBudget
from cnn_core.figures import sampling_note, stage_figure, tile_pages
from cnn_core.shapes import Plan

#: Most tiles one stage shows at once; more are paged.
TILES_PER_PAGE = DisplayBudget().max_tiles


def markdown_table(columns, rows):
    """A Markdown table: light to send, and no pandas/pyarrow import (which
    ``st.dataframe`` needs and which costs the first visitor most of a second)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_table(plan: Plan):
    """Draw a table like Keras's ``model.summary()``."""
    rows = [
        (f"{stage.layer_name} ({stage.layer_type})", f"`{stage.batch_shape}`", f"{stage.params:,}")
        for stage in plan.stages
    ]
    st.markdown(markdown_table(("Layer (type)", "Output Shape", "Param #"), rows))
    st.markdown(
        f"**Total params: {plan.total_params:,}** (all trainable) · "
        f"multiply-adds per image: {plan.total_macs:,}"
    )


def tile_page_control(filters):
    """Let the user page through filters when there are more than fit; return the range."""
    if filters <= TILES_PER_PAGE:
        return range(filters)
    pages = tile_pages(filters, TILES_PER_PAGE)
    chosen = st.selectbox(
        "Filters shown",
        range(len(pages)),
        format_func=lambda i: f"filters {pages[i].start + 1}-{pages[i].stop}",
        key="tile_page",
        help=f"At most {TILES_PER_PAGE} maps per stage are drawn at once.",
    )
    return pages[min(chosen, len(pages) - 1)]


def _tile_names(stage_key, channels):
    if stage_key == "input":
        if channels == 1:
            return ["grayscale"]
        return ["channel 1 (R)", "channel 2 (G)", "channel 3 (B)"]
    return [f"filter {i + 1}" for i in range(channels)]


def stage_section(stage, maps, tiles):
    """Draw one stage: tiles on the left, shape and formulas on the right."""
    st.subheader(stage.title)
    left, right = st.columns([5, 4], gap="medium")
    shown = range(maps.full_shape[2]) if stage.key == "input" else tiles
    with left:
        fig = stage_figure(
            maps.display,
            maps.samples,
            maps.step,
            maps.full_shape[:2],
            (maps.minimum, maps.maximum),
            _tile_names(stage.key, maps.full_shape[2]),
            tiles=shown,
            title=f"{'x'.join(map(str, maps.full_shape))} · {sampling_note(maps.step)}",
        )
        st.plotly_chart(fig, width="stretch", key=f"chart_{stage.key}")
    with right:
        st.markdown(f"**Output shape:** `{stage.batch_shape}`")
        for rule in stage.rules:
            st.latex(rule)
        st.code("\n".join(stage.formulas), language=None, wrap_lines=True)
        stats = f"min {maps.minimum:.4g} · max {maps.maximum:.4g} · mean {maps.mean:.4g}"
        if stage.key in ("activation", "pool") or maps.zero_fraction > 0.01:
            stats += f" · zeros {maps.zero_fraction:.1%}"
        st.caption(stats)
