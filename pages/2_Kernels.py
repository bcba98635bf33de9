"""Kernels: the weights each filter slides over the image."""

import streamlit as st

from cnn_core.figures import kernel_figure
from cnn_core.model import kernel_summary
from cnn_core.shapes import conv_param_formula, glorot_limit
from ui import cached
from ui.page import plan_layer, start_page
from ui.stages import markdown_table, tile_page_control


def main():
    selection = start_page("Kernels")
    spec = selection.spec
    k, c, f = spec.kernel_size, spec.channels, spec.filters
    st.title("The kernels")
    plan_layer(selection)
    st.markdown(
        f"Each of the **{f}** filter{'s' if f > 1 else ''} is a {k}x{k}x{c} block of weights "
        "plus one bias. The layer slides it over the input, multiplies it with the pixels "
        "under it and adds everything up: one output value per position."
    )
    _, limit_text = glorot_limit(k, c, f)
    st.code(
        f"{conv_param_formula(k, c, f)}\n"
        f"Glorot uniform: weights drawn from [-limit, limit], seed {spec.seed}\n{limit_text}",
        language=None,
    )
    with st.spinner("Building the layer (the first run loads TensorFlow)..."):
        kernel, bias = cached.kernels_for(spec)
    filters = tile_page_control(f)
    names = ["grayscale"] if c == 1 else ["R", "G", "B"]
    left, right = st.columns([3, 1], gap="large")
    with left:
        st.plotly_chart(
            kernel_figure(kernel, filters=filters, channel_names=names),
            width="stretch",
            key="kernels",
        )
    with right:
        st.markdown("**Per filter** (biases start at zero)")
        rows = [
            (f"{row['filter']}", f"{row['bias']:g}", f"{row['weight_sum']:+.3f}")
            for row in kernel_summary(kernel, bias)
            if row["filter"] - 1 in filters
        ]
        st.markdown(markdown_table(("filter", "bias", "sum of weights"), rows))
        st.caption(
            "A kernel whose weights sum to more than zero keeps the image's brightness; "
            "one that sums to less turns it negative, and ReLU then blacks it out."
        )


main()
