"""Sidebar controls of how the maps are drawn (not part of the spec or the link)."""

from __future__ import annotations

import streamlit as st

from cnn_core.color_scale import COLOR_SCALES, scale_label
from ui.i18n import labels, say, t


def color_scale_control():
    """The "Color scale" radio; its value survives page changes (see ui.sidebar)."""
    return st.radio(
        t("sidebar.color_scale.label"),
        COLOR_SCALES,
        format_func=labels(lambda scale: say(scale_label(scale))),
        key="color_scale",
        horizontal=True,
        help=t("sidebar.color_scale.help"),
    )
