"""The Feature maps page (``app.py``): every stage of one conv layer on a real photo."""

import functools

import streamlit as st

from ui import cached, exports
from ui.page import plan_layer, start_page
from ui.stages import stage_section, summary_label, summary_table, tile_names, tile_page_control


def render():
    """Draw the Feature maps page."""
    selection = start_page("Feature maps")
    spec = selection.spec

    st.title("What one conv layer does to a photo")
    st.caption(
        f"{selection.image_label} · Conv2D({spec.filters}, ({spec.kernel_size}, "
        f"{spec.kernel_size}), strides={spec.stride}, padding='{spec.keras_padding}') · "
        "random Glorot-uniform weights, untrained: the maps show the arithmetic."
    )
    plan = plan_layer(selection)
    with st.expander(summary_label(plan)):  # the model summary, in full when opened
        summary_table(plan)
    with st.spinner("Running the layer (the first run loads TensorFlow)..."):
        stages = cached.stages_for(selection.image_key, spec, selection.image)
    tiles = tile_page_control(spec.filters)
    exports.npz_button(selection, plan, tiles)

    for stage in plan.stages:
        if stage.key == "padding":
            continue
        maps = stages[stage.key]
        names = tile_names(stage.key, maps.full_shape[2])
        stage_section(
            stage,
            maps,
            tiles,
            downloads=functools.partial(exports.png_button, selection, stage, maps, tiles, names),
        )
