"""Kernels: the weights each filter of each block slides over its input."""

import streamlit as st

from cnn_core.figures import kernel_figure
from cnn_core.kernels import choice_source, filter_labels
from cnn_core.model import kernel_summary
from cnn_core.shapes import block_summary, conv_param_formula, glorot_limit
from ui import cached
from ui.page import plan_layer, start_page
from ui.stages import markdown_table, tile_page_control

#: Most input channels drawn per filter; blocks after the first have many.
CHANNELS_SHOWN = 4


def block_kernels(spec, index):
    """Draw block ``index``'s kernels: the formula, the weights, a table per filter."""
    block = spec.blocks[index]
    k, c, f = block.kernel_size, spec.block_channels(index), block.filters
    if spec.depth > 1:
        st.header(block_summary(index + 1, block), divider="gray")
    source = "the image" if index == 0 else f"block {index}'s {c} maps"
    st.markdown(
        f"Each of the **{f}** filter{'s' if f > 1 else ''} is a {k}x{k}x{c} block of weights "
        f"plus one bias, one {k}x{k} slice per channel of {source}. The layer slides it over "
        "the input, multiplies it with the values under it and adds everything up: one "
        "output value per position."
    )
    if block.weights == "random":
        _, limit_text = glorot_limit(k, c, f)
        origin = (
            f"Glorot uniform: weights drawn from [-limit, limit], seed {block.seed}\n{limit_text}"
        )
    else:
        color_input = index == 0 and spec.color_mode == "rgb"
        origin = "\n".join(choice_source(block.weights, k, c, color_input, block.bias))
    st.code(f"{conv_param_formula(k, c, f)}\n{origin}", language=None)
    with st.spinner("Building the layer (the first run loads TensorFlow)..."):
        kernel, bias = cached.kernels_for(spec, index)
    filters = tile_page_control(f, "tile_page" if index == 0 else f"tile_page_{index + 1}")
    if index == 0:
        names = ["grayscale"] if c == 1 else ["R", "G", "B"]
    else:
        names = [f"map {i + 1}" for i in range(c)]
    shown = min(c, CHANNELS_SHOWN)
    left, right = st.columns([3, 1], gap="large")
    with left:
        st.plotly_chart(
            kernel_figure(
                kernel[:, :, :shown],
                filters=filters,
                channel_names=names[:shown],
                filter_names=filter_labels(block.weights, f),
            ),
            width="stretch",
            key=f"kernels_{index + 1}",
        )
        if shown < c:
            st.caption(
                f"The first {shown} of the {c} input channels each filter reads; the table "
                "sums over all of them."
            )
    with right:
        st.markdown(
            "**Per filter**" + (" (biases start at zero)" if block.weights == "random" else "")
        )
        rows = [
            (f"{row['filter']}", f"{row['bias']:g}", f"{row['weight_sum']:+.3f}")
            for row in kernel_summary(kernel, bias)
            if row["filter"] - 1 in filters
        ]
        st.markdown(markdown_table(("filter", "bias", "sum of weights"), rows))
        st.caption(
            "A kernel whose weights sum to more than zero keeps the input's brightness; "
            "one that sums to less turns it negative, and ReLU then blacks it out."
        )


def main():
    selection = start_page("kernels")
    spec = selection.spec
    st.title("The kernels")
    plan_layer(selection)
    for index in range(spec.depth):
        block_kernels(spec, index)


main()
