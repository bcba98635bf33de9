"""What every page does first: page config, then the shared sidebar."""

from __future__ import annotations

import streamlit as st

from cnn_core.shapes import plan_pipeline
from ui.cached import start_loading_keras
from ui.i18n import say, t
from ui.sidebar import initialise_state, render_sidebar


def start_page(name, color_scale=False):
    """Configure the page, draw the sidebar and return the :class:`Selection`.

    ``name`` is the page's catalogue name (``pages.<name>``), or the full key
    of its navigation label for a page with a catalogue file of its own
    (``lessons.nav``). ``color_scale``: the page draws maps, so the sidebar
    offers "Color scale".
    """
    start_loading_keras()
    initialise_state()  # reads the link's language first, so the tab's title is in it
    # A name with a dot is a whole catalogue key (the Train page's, in train.toml).
    nav = name if "." in name else f"pages.{name}.nav"
    st.set_page_config(
        page_title=t("pages.tab", page=t(nav)),
        page_icon=":material/grid_on:",
        layout="wide",
    )
    return render_sidebar(color_scale=color_scale)


def plan_layer(selection):
    """Plan the layer for the sidebar's selection and return the :class:`Plan`.

    Call it right after the page's title: when part of the layer cannot be
    computed, the error goes first in the main pane, where a student who has just
    moved a slider looks, instead of below the stages that still work.
    """
    plan = plan_pipeline(selection.spec, selection.image.shape)
    if plan.error is not None:
        st.error(say(plan.error), icon=":material/error:")
    return plan
