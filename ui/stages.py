"""Drawing of the Feature-maps page: overview, summary table, one section per stage."""

from __future__ import annotations

import hashlib
import html

import numpy as np
import streamlit as st

from cnn_core.color_scale import colorscale, is_signed, tile_ranges
from cnn_core.display import (
    DisplayBudget,
    field_overlay,
    format_bytes,
    overview_channels,
    thumbnail,
)
from cnn_core.figures import image_uri, sampling_note, stage_figure, tile_pages
from cnn_core.figures import tile_names as figure_tile_names
from cnn_core.histogram import with_histogram
from cnn_core.shapes import Plan, summary_columns
from ui import cached
from ui.charts import plotly_chart
from ui.i18n import labels, lang, t
from ui.lazy import lazy_expander

#: Most tiles one stage shows at once; more are paged.
TILES_PER_PAGE = DisplayBudget().max_tiles
#: Side of a stage's thumbnail in the overview row, px.
THUMBNAIL_PX = 64


def markdown_table(columns, rows):
    """A Markdown table: light to send, and no pandas/pyarrow import (which
    ``st.dataframe`` needs and which costs the first visitor most of a second)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def anchor(stage):
    """The HTML id of a stage's section, for links to it."""
    return f"stage-{stage.key.replace('_', '-')}"


def section_key(stage):
    """Session-state key of a stage's collapsible section: True while it is open."""
    return f"stage_open_{stage.key}"


def shape_text(shape):
    return "x".join(map(str, shape))


def overview_row(plan: Plan, stages):
    """One row of small thumbnails, one per stage, each a link to its section.

    Each block's thumbnails show one filter, its clearest at the block's
    output (:func:`cnn_core.display.overview_channels`), named in the
    thumbnail's tooltip.
    """
    channels = overview_channels(plan.stages, {key: maps.display for key, maps in stages.items()})
    items = []
    for stage in plan.stages:
        maps = stages.get(stage.key)
        if maps is None:
            continue
        channel = channels[stage.key]
        uri = image_uri(thumbnail(maps.display, THUMBNAIL_PX, channel))
        title = stage.title_in(lang())
        if stage.block:
            title = t("feature_maps.overview.in_block", number=stage.block, title=title)
        name = tile_names(stage.key, maps.full_shape[2])[channel]
        title = t("feature_maps.overview.map", title=title, name=name)
        label = html.escape(title)
        items.append(
            f'<a href="#{anchor(stage)}" title="{label}" '
            'style="text-decoration:none;color:inherit;text-align:center;flex:none">'
            f'<img src="{uri}" alt="{label}" style="width:{THUMBNAIL_PX}px;'
            'image-rendering:pixelated;border:1px solid #8884;display:block;margin:auto">'
            f'<span style="font-size:0.7rem">{shape_text(stage.shape)}</span></a>'
        )
    arrow = '<span style="flex:none;font-size:1.1rem;opacity:0.6">→</span>'
    st.markdown(
        '<div style="display:flex;align-items:center;gap:0.4rem;overflow-x:auto;'
        f'padding-bottom:0.3rem">{arrow.join(items)}</div>',
        unsafe_allow_html=True,
    )


def summary_table(plan: Plan):
    """Draw a table like Keras's ``model.summary()``, with cost and receptive field."""
    rows = [
        (
            f"{stage.layer_name} ({stage.layer_type})",
            f"`{stage.batch_shape}`",
            f"{stage.params:,}",
            f"{stage.macs:,}",
            format_bytes(stage.memory),
            f"{stage.field.size} · {stage.field.jump} · {stage.field.start}",
        )
        for stage in plan.stages
    ]
    rows.append(
        (
            f"**{t('feature_maps.summary.total')}**",
            "",
            f"**{plan.total_params:,}**",
            f"**{plan.total_macs:,}**",
            f"**{format_bytes(plan.total_memory)}**",
            "",
        )
    )
    st.markdown(markdown_table(summary_columns(lang()), rows))
    st.markdown(
        t(
            "feature_maps.summary.totals",
            params=f"{plan.total_params:,}",
            macs=f"{plan.total_macs:,}",
            memory=format_bytes(plan.total_memory),
        )
    )


def receptive_field_note(plan: Plan, input_maps):
    """Say what the receptive field is, and show the last stage's on the input."""
    last = plan.stages[-1]
    field = last.field
    middle = last.shape[0] // 2
    rows = field.span(middle)
    left, right = st.columns([1, 3], gap="medium")
    with left:
        st.image(
            field_overlay(input_maps.display, input_maps.full_shape[0], rows, rows),
            width=200,
        )
    with right:
        st.caption(
            t(
                "feature_maps.field.note",
                layer=last.layer_name,
                middle=middle,
                first=rows[0],
                last=rows[1],
                size=field.size,
                jump=t("feature_maps.field.pixels", count=field.jump)
                if field.jump != 1
                else t("feature_maps.field.pixel"),
            )
        )


def summary_label(plan: Plan):
    """The model summary in one line: each layer's type and output shape (each
    block's last output when there are several blocks), the parameters."""
    if plan.spec.depth == 1:
        parts = [f"{stage.layer_type} `{shape_text(stage.shape)}`" for stage in plan.stages]
    else:
        parts = [t("feature_maps.overview.input", shape=shape_text(plan.stages[0].shape))]
        for number in range(1, plan.spec.depth + 1):
            stages = plan.block_stages(number)
            if stages:
                parts.append(
                    t(
                        "feature_maps.overview.block",
                        number=number,
                        shape=shape_text(stages[-1].shape),
                    )
                )
    params = t("feature_maps.summary.total_params", params=f"{plan.total_params:,}")
    return f"{' → '.join(parts)} · **{params}**"


def tile_page_control(filters, key="tile_page"):
    """Let the user page through filters when there are more than fit; return the range."""
    if filters <= TILES_PER_PAGE:
        return range(filters)
    pages = tile_pages(filters, TILES_PER_PAGE)
    chosen = st.selectbox(
        t("feature_maps.tiles.label"),
        range(len(pages)),
        format_func=labels(
            lambda i: t("feature_maps.tiles.page", first=pages[i].start + 1, last=pages[i].stop)
        ),
        key=key,
        help=t("feature_maps.tiles.help", count=TILES_PER_PAGE),
    )
    return pages[min(chosen, len(pages) - 1)]


def tile_names(stage_key, channels, filter_names=None):
    """Tile titles of a stage: the input's channels, or the filters (``filter_names``
    when the kernel choice names them)."""
    return figure_tile_names(stage_key, channels, filter_names, lang())


#: Stages whose histogram states the share of exact zeros.
_SPARSE_STAGES = ("activation", "pool")


def content_key(maps, parts, arrays):
    """A digest of everything a stage's chart is drawn from.

    ``maps`` (a :class:`cnn_core.forward.StageMaps`), ``parts`` (anything
    with a faithful ``repr``) and ``arrays`` (numpy arrays or None). Two
    settings that give a stage the same maps and ranges, in any session,
    share its figure: an activation change leaves the input's and the
    convolution's charts as they were, and builds none of them again.
    """
    digest = hashlib.blake2b(digest_size=20)
    values = (
        maps.key,
        maps.step,
        maps.full_shape,
        maps.minimum,
        maps.maximum,
        maps.mean,
        maps.zero_fraction,
        *parts,
    )
    digest.update(repr(values).encode())
    for array in (
        maps.display,
        maps.samples,
        maps.channel_min,
        maps.channel_max,
        maps.histogram.counts,
        maps.histogram.edges,
        *arrays,
    ):
        if array is None:
            digest.update(b"-")
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()


def current_tiles(filters, key="tile_page"):
    """The filters :func:`tile_page_control` with ``key`` shows, without drawing it."""
    if filters <= TILES_PER_PAGE:
        return range(filters)
    pages = tile_pages(filters, TILES_PER_PAGE)
    return pages[min(st.session_state.get(key, 0), len(pages) - 1)]


def section_body(stage, collapsible=False, starts_open=True):
    """Draw a stage's heading (an anchor to jump to) and return the container
    its contents go in, or None while that is a closed section.

    ``collapsible`` makes it an expander whose contents are made only while
    it is open (:func:`ui.lazy.lazy_expander`), open at first if
    ``starts_open``: a long pipeline draws the sections the student looks
    at, not all thirteen, and a closed one costs a rerun nothing more than
    its bar. One block's four sections are not collapsible: they keep the
    first map on a projector's first screen.
    """
    st.subheader(stage.title_in(lang()), anchor=anchor(stage))
    if not collapsible:
        return st.container()
    label = f"{stage.layer_name} · {shape_text(stage.shape)}"
    box = lazy_expander(label, section_key(stage), default=starts_open)
    return box if box.open else None


def stage_section(
    stage,
    maps,
    tiles,
    *,
    color_scale="per stage",
    pipeline=None,
    activation="relu",
    kernels=None,
    kernel_note="",
    filter_names=None,
    downloads=None,
    body=None,
):
    """Draw one stage: one chart of the tiles and their histogram on the
    left, and shape and formulas on the right, in ``body`` (from
    :func:`section_body`; by default a heading to jump to and a plain
    container).

    ``kernels`` (k, k, filters) are drawn under the conv tiles; ``filter_names``
    title them. ``downloads``, if given, is called in the right column to draw them.
    The chart is built once per content (:func:`content_key`,
    :func:`ui.cached.stage_chart`) and shared.
    """
    if body is None:
        body = section_body(stage)
    signed = is_signed(stage.kind, activation)
    low, high = tile_ranges(color_scale, maps.channel_min, maps.channel_max, signed, pipeline)
    names = tile_names(stage.key, maps.full_shape[2], filter_names)
    shown = range(maps.full_shape[2]) if stage.key == "input" else tiles
    # Per map, each tile has its own range: the one colorbar is the first tile's.
    bar_title = (
        t("figures.colorbar.value_of", name=names[shown[0]])
        if color_scale == "per map" and len(shown) > 1
        else t("figures.colorbar.value")
    )
    with body:
        left, right = st.columns([5, 4], gap="medium")
        with left:

            def build():
                fig = stage_figure(
                    maps.display,
                    maps.samples,
                    maps.step,
                    maps.full_shape[:2],
                    (low, high),
                    names,
                    tiles=shown,
                    title=f"{shape_text(maps.full_shape)} · {sampling_note(maps.step, lang())}",
                    display_ranges=(maps.channel_min, maps.channel_max),
                    signed=signed,
                    kernels=kernels if stage.kind == "conv" else None,
                    kernel_note=kernel_note,
                    colorbar_title=bar_title,
                    lang=lang(),
                )
                # The histogram is a subplot under the tiles: one chart per stage.
                return with_histogram(
                    fig,
                    maps.histogram,
                    (float(low.min()), float(high.max())),
                    colorscale(signed),
                    maps.zero_fraction if stage.kind in _SPARSE_STAGES else None,
                    lang(),
                )

            parts = (stage.kind, names, list(shown), signed, kernel_note, bar_title, lang())
            arrays = (low, high, kernels if stage.kind == "conv" else None)
            fig = cached.stage_chart(content_key(maps, parts, arrays), build)
            plotly_chart(fig, key=f"chart_{stage.key}")
        with right:
            st.markdown(t("feature_maps.stage.output_shape", shape=f"`{stage.batch_shape}`"))
            for rule in stage.rules:
                st.latex(rule)
            st.code("\n".join(stage.formulas_in(lang())), language=None, wrap_lines=True)
            stats = t(
                "feature_maps.stage.stats",
                min=f"{maps.minimum:.4g}",
                max=f"{maps.maximum:.4g}",
                mean=f"{maps.mean:.4g}",
            )
            if stage.kind in _SPARSE_STAGES or maps.zero_fraction > 0.01:
                stats += t("feature_maps.stage.zeros", share=f"{maps.zero_fraction:.1%}")
            st.caption(stats)
            if downloads is not None:
                downloads()
