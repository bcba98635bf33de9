"""Every Plotly chart of the app goes through :func:`plotly_chart`."""

from __future__ import annotations

import streamlit as st

from cnn_core.figures import freeze

#: Pictures in charts keep their pixels sharp when scaled up, as plotly.js
#: draws an image trace: a stage's tiles are layout images (see
#: :func:`cnn_core.figures.stage_figure`), which the browser would smooth.
CHART_STYLE = "<style>.js-plotly-plot svg image { image-rendering: pixelated; }</style>"


def chart_style():
    """Add :data:`CHART_STYLE` to the page (a style element takes no room)."""
    st.html(CHART_STYLE)


def plotly_chart(figure, *, key, container=None):
    """Show ``figure`` as Streamlit's chart, in the app's chart style.

    The figure is frozen (:func:`cnn_core.figures.freeze`): it carries
    Streamlit's chart style in its own layout (:mod:`cnn_core.screen`), so it
    is shown with ``theme=None``. Streamlit's theme would put the style back
    in a template, and plotly.js recomputes a chart whose template is a new
    object, which Streamlit gives every new chart a moment after mounting it.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure
        Not changed again after this call.
    key : str
        The chart's key.
    container : streamlit container, optional
        Where to draw (default: the current one). The chart takes its width.
    """
    target = st if container is None else container
    return target.plotly_chart(freeze(figure), width="stretch", theme=None, key=key)
