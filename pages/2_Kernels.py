"""Kernels: the weights each filter of each block slides over its input."""

import streamlit as st

from cnn_core.figures import kernel_figure
from cnn_core.kernels import choice_source, filter_labels
from cnn_core.model import kernel_summary
from cnn_core.shapes import block_summary, conv_param_formula, glorot_limit
from ui import cached
from ui.charts import plotly_chart
from ui.i18n import lang, say, t
from ui.page import plan_layer, run_page, start_page
from ui.stages import markdown_table, tile_page_control

#: Most input channels drawn per filter; blocks after the first have many.
CHANNELS_SHOWN = 4


def block_kernels(spec, index):
    """Draw block ``index``'s kernels: the formula, the weights, a table per filter."""
    block = spec.blocks[index]
    k, c, f = block.kernel_size, spec.block_channels(index), block.filters
    if spec.depth > 1:
        st.header(block_summary(index + 1, block, lang()), divider="gray")
    if index == 0:
        source = t("kernels_page.source_image")
    else:
        source = t("kernels_page.source_block", number=index, channels=c)
    intro = "kernels_page.intro_one" if f == 1 else "kernels_page.intro"
    st.markdown(t(intro, f=f, k=k, c=c, source=source))
    if block.weights == "random":
        _, limit_text = glorot_limit(k, c, f)
        origin = t("kernels_page.glorot", seed=block.seed) + "\n" + say(limit_text)
    else:
        color_input = index == 0 and spec.color_mode == "rgb"
        origin = "\n".join(choice_source(block.weights, k, c, color_input, block.bias, lang()))
    st.code(f"{conv_param_formula(k, c, f)}\n{origin}", language=None)
    with st.spinner(t("pages.building")):
        kernel, bias = cached.kernels_for(spec, index)
    filters = tile_page_control(f, "tile_page" if index == 0 else f"tile_page_{index + 1}")
    if index == 0:
        names = [t("figures.tile.grayscale")] if c == 1 else ["R", "G", "B"]
    else:
        names = [t("figures.tile.map", number=i + 1) for i in range(c)]
    shown = min(c, CHANNELS_SHOWN)
    left, right = st.columns([3, 1], gap="large")
    with left:
        plotly_chart(
            kernel_figure(
                kernel[:, :, :shown],
                filters=filters,
                channel_names=names[:shown],
                filter_names=filter_labels(block.weights, f, lang()),
                lang=lang(),
            ),
            key=f"kernels_{index + 1}",
        )
        if shown < c:
            st.caption(t("kernels_page.first_channels", shown=shown, channels=c))
    with right:
        random = block.weights == "random"
        st.markdown(t("kernels_page.per_filter_random" if random else "kernels_page.per_filter"))
        rows = [
            (f"{row['filter']}", f"{row['bias']:g}", f"{row['weight_sum']:+.3f}")
            for row in kernel_summary(kernel, bias)
            if row["filter"] - 1 in filters
        ]
        columns = [t(f"kernels_page.table.{name}") for name in ("filter", "bias", "sum")]
        st.markdown(markdown_table(columns, rows))
        st.caption(t("kernels_page.sum_note"))


def main():
    selection = start_page("kernels")
    spec = selection.spec
    st.title(t("kernels_page.title"))
    plan_layer(selection)
    for index in range(spec.depth):
        block_kernels(spec, index)


run_page(main)
