"""The floor for the benchmarks: the least a Streamlit page that redraws a picture costs.

Run with ``streamlit run bench/floor_app.py``. One select box, one slider, one
small Plotly chart and one 512x512 image, redrawn on every change, with no
model and no figure building beyond a five-bar chart. The widgets carry the
labels ``app.py`` uses ("Padding" with ``valid``/``same``, "Filters" 1-64) so
``bench/browser_bench.py`` drives all three apps with the same actions; the
ratio ours/floor, measured in one run on one machine, says what convlab adds
to what Streamlit itself costs there.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="convlab floor", layout="wide")


@st.cache_data
def base_image():
    """A fixed 512x512 gray ramp with a pattern: no file, no decoding."""
    y, x = np.mgrid[0:512, 0:512]
    return ((x + y) // 4 % 256).astype(np.uint8)


with st.sidebar:
    padding = st.selectbox("Padding", ["valid", "same"], key="padding_mode")
    filters = st.slider("Filters", 1, 64, 1, key="filters")

st.title("Floor: one select box, one slider, one chart, one image")
shift = filters * 7 + (3 if padding == "same" else 0)
image = np.roll(base_image(), shift, axis=1)
left, right = st.columns(2)
with left:
    st.image(image, caption=f"512x512, shifted by {shift} px", width=512)
with right:
    figure = go.Figure(go.Bar(x=list("abcde"), y=[filters, shift % 11, 3, 4, 5]))
    figure.update_layout(height=260, margin={"l": 30, "r": 10, "t": 10, "b": 30})
    st.plotly_chart(figure, key="bars")
