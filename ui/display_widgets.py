"""Sidebar controls of how the maps are drawn (not part of the spec or the link)."""

from __future__ import annotations

import streamlit as st

from cnn_core.color_scale import COLOR_SCALES


def color_scale_control():
    """The "Color scale" radio; its value survives page changes (see ui.sidebar)."""
    return st.radio(
        "Color scale",
        COLOR_SCALES,
        key="color_scale",
        horizontal=True,
        help="How values map to colours on Feature maps. per map: each tile spans its own "
        "min..max. per stage: one range for all tiles of a stage. whole pipeline: one range "
        "from the input to the last stage. Stages that can be negative use blue-white-red "
        "centred on zero.",
    )
