"""What every page does first: page config, then the shared sidebar."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st
from PIL import Image

from cnn_core.shapes import plan_pipeline
from ui.cached import run_slots, start_loading_keras
from ui.charts import chart_style
from ui.i18n import say, t
from ui.sidebar import initialise_state, render_sidebar


def run_page(render):
    """Run a page's ``render()`` in one of the server's few run slots.

    Every page script's whole body is ``run_page(render)``, so at most
    :data:`ui.cached.RUN_SLOTS` runs execute at once and the rest wait their
    turn before drawing anything (:func:`ui.cached.run_slots` says why).
    A fragment's own reruns (the Train page's progress) do not pass here.
    """
    with run_slots():
        render()


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
        page_icon=page_icon(),
        layout="wide",
    )
    chart_style()
    return render_sidebar(color_scale=color_scale)


@functools.cache
def page_icon():
    """The browser tab's icon: a 3x3 kernel of blue cells, drawn here.

    A Material icon name (``:material/grid_on:``) makes the page fetch the
    icon from fonts.gstatic.com on every page view and rerun: a request to a
    third party for each student's every click, which fails without internet
    (a school's filtered network, a laptop offline). This image is served by
    the app itself.
    """
    side, cell, gap = 48, 14, 3
    shades = np.array([[0.55, 1.0, 0.7], [0.85, 0.4, 0.95], [0.65, 0.9, 0.5]])
    pixels = np.zeros((side, side, 4), dtype=np.uint8)
    pixels[..., :3] = (0x1F, 0x5F, 0xBF)  # the theme's primary colour
    start = (side - 3 * cell - 2 * gap) // 2
    for row in range(3):
        for col in range(3):
            top, left = start + row * (cell + gap), start + col * (cell + gap)
            pixels[top : top + cell, left : left + cell, 3] = round(255 * shades[row, col])
    return Image.fromarray(pixels, "RGBA")


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
