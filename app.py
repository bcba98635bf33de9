"""Feature maps: every stage of one conv layer on a real photo.

This file is both the app's first page and its server:

* Streamlit runs it as ``__main__`` on every rerun, and it draws the page.
* ``streamlit run app.py`` first reads it for an ASGI app, finds ``app``
  below, imports it as the module ``app`` and serves this page and
  ``pages/`` through Streamlit's standard server. The lifespan imports
  TensorFlow before the server accepts anyone, so the first visitor does not
  wait for it (see :mod:`ui.server`).
"""

import streamlit as st

if __name__ == "__main__":
    from ui.feature_maps import render
    from ui.page import run_page

    run_page(render)
else:
    from ui.server import warm_up

    app = st.App("app.py", lifespan=warm_up)
