"""The Feature maps page (``app.py``): every stage of every block on a real photo."""

import functools

import streamlit as st

from cnn_core.color_scale import pipeline_range
from cnn_core.figures import kernel_sum_note
from cnn_core.guard import estimate_cost
from cnn_core.kernels import describe_choice, filter_labels, flat_kernels
from cnn_core.shapes import block_summary
from ui import cached, exports
from ui.i18n import lang, t
from ui.lazy import lazy_expander
from ui.page import plan_layer, start_page
from ui.sidebar import image_title
from ui.stages import (
    current_tiles,
    overview_row,
    receptive_field_note,
    section_body,
    section_key,
    stage_section,
    summary_label,
    summary_table,
    tile_names,
    tile_page_control,
)

#: Session-state key of the model summary's expander: True while it is open.
SUMMARY_OPEN = "summary_open"


def _layer_calls(spec):
    return " → ".join(
        f"Conv2D({b.filters}, ({b.kernel_size}, {b.kernel_size}), strides={b.stride}"
        + (f", dilation_rate={b.dilation}" if b.dilation > 1 else "")
        + f", padding='{b.keras_padding}')"
        for b in spec.blocks
    )


def _weights_text(spec):
    """Where the weights come from: one phrase, or one per block when they differ."""
    texts = [describe_choice(block.weights, block.bias, lang()) for block in spec.blocks]
    if len(set(texts)) == 1:
        return texts[0]
    return t("feature_maps.separator").join(
        t("feature_maps.block_weights", number=number, text=text)
        for number, text in enumerate(texts, 1)
    )


def cost_guard(spec):
    """Return True if the forward pass may run; otherwise explain why not and
    offer "Run anyway" (the run still waits for one of the two compute slots)."""
    estimate = estimate_cost(spec)
    key = cached.model_key(spec)
    if not estimate.over or st.session_state.get("_run_anyway") == key:
        return True
    advice = "".join(f"\n- {line}" for line in estimate.advice_in(lang()))
    st.warning(
        t(
            "feature_maps.guard.warning",
            macs=f"{estimate.macs:,}",
            seconds=f"{estimate.seconds:.0f}",
            limit=f"{estimate.limit:,}",
        )
        + advice,
        icon=":material/hourglass_top:",
    )
    if st.button(
        t("feature_maps.guard.run"), key="run_anyway", help=t("feature_maps.guard.run_help")
    ):
        st.session_state["_run_anyway"] = key
        st.rerun()
    return False


def _set_sections(keys, value):
    for key in keys:
        st.session_state[key] = value


def section_buttons(plan):
    """Buttons that open or close every stage section at once, for a teacher
    who wants the whole pipeline on the page (thirteen charts at four
    blocks, so slower than the last block's three)."""
    keys = [section_key(stage) for stage in plan.stages if stage.kind != "padding"]
    buttons = (
        ("open_all", ":material/unfold_more:", True),
        ("close_all", ":material/unfold_less:", False),
    )
    for column, (name, icon, value) in zip(st.columns([1, 1, 2])[:2], buttons, strict=True):
        column.button(
            t(f"feature_maps.overview.{name}"),
            key=f"{name}_sections",
            icon=icon,
            on_click=_set_sections,
            args=(keys, value),
            width="stretch",
        )


def tile_key(number):
    """Widget key of block ``number``'s filter pages (1-based)."""
    return "tile_page" if number == 1 else f"tile_page_{number}"


def render():
    """Draw the Feature maps page."""
    selection = start_page("feature_maps", color_scale=True)
    spec = selection.spec

    if spec.depth == 1:
        st.title(t("feature_maps.title_one"))
    else:
        st.title(t("feature_maps.title_many", depth=spec.depth))
    st.caption(
        f"{image_title(selection.image_label)} · {_layer_calls(spec)} · {_weights_text(spec)}"
        + t("feature_maps.full_stop")
    )
    plan = plan_layer(selection)
    overview = st.container()
    # The model summary, in full when opened. Its table and receptive-field
    # picture are made only while it is open (opening it reruns the page).
    summary = lazy_expander(summary_label(plan), SUMMARY_OPEN)
    if summary.open:
        with summary:
            summary_table(plan)
    if not cost_guard(spec):
        return
    with st.spinner(t("pages.running")):
        stages = cached.stages_for(selection.image_key, spec, selection.image)
    if spec.depth > 1:  # one block's four sections fit the first screen already
        with overview:
            overview_row(plan, stages)
            st.caption(t("feature_maps.overview.sections"))
            section_buttons(plan)
    if summary.open:
        with summary:
            receptive_field_note(plan, stages["input"])
    exports.npz_button(
        selection,
        plan,
        [current_tiles(block.filters, tile_key(n)) for n, block in enumerate(spec.blocks, 1)],
    )

    pipeline = pipeline_range(stages.values())

    def section(stage, tiles, index=None):
        # The newest block's sections are open at first, the rest closed: the
        # overview above already shows every stage. A closed one needs nothing.
        body = section_body(stage, collapsible=spec.depth > 1, starts_open=index == spec.depth - 1)
        if body is None:
            return
        maps = stages[stage.key]
        extra = {}
        if index is not None:  # a block's stage: its kernels, filter names, activation
            block, channels = spec.blocks[index], spec.block_channels(index)
            extra = {
                "activation": block.activation,
                "kernels": flat_kernels(cached.kernels_for(spec, index)[0]),
                "kernel_note": kernel_sum_note(channels, lang()),
                "filter_names": filter_labels(block.weights, block.filters, lang()),
            }
        names = tile_names(stage.key, maps.full_shape[2], extra.get("filter_names"))
        downloads = functools.partial(exports.png_button, selection, stage, maps, tiles, names)
        stage_section(
            stage,
            maps,
            tiles,
            color_scale=selection.color_scale,
            pipeline=pipeline,
            downloads=downloads,
            body=body,
            **extra,
        )

    section(plan.stages[0], range(spec.channels))
    for number, block in enumerate(spec.blocks, start=1):
        block_stages = plan.block_stages(number)
        if not block_stages:
            break
        if spec.depth > 1:
            st.header(
                block_summary(number, block, lang()), anchor=f"block-{number}", divider="gray"
            )
        tiles = tile_page_control(block.filters, tile_key(number))
        for stage in block_stages:
            if stage.kind == "padding":
                continue
            section(stage, tiles, number - 1)
