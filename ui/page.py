"""What every page does first: page config, then the shared sidebar."""

from __future__ import annotations

import streamlit as st

from ui.cached import start_loading_keras
from ui.sidebar import render_sidebar


def start_page(title):
    """Configure the page, draw the sidebar and return the :class:`Selection`."""
    start_loading_keras()
    st.set_page_config(
        page_title=f"{title} · convlab", page_icon=":material/grid_on:", layout="wide"
    )
    return render_sidebar()
