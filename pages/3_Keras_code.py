"""Keras code: the same layer as a script to run in a notebook."""

import streamlit as st

from cnn_core.codegen import keras_script
from ui import cached
from ui.i18n import lang, t
from ui.page import plan_layer, run_page, start_page


def main():
    selection = start_page("keras_code")
    depth = selection.spec.depth
    count = "one" if depth == 1 else "many"  # one layer, or so many blocks
    st.title(t(f"code_page.title.{count}", depth=depth))
    if plan_layer(selection).error is not None:
        st.caption(t(f"code_page.cannot_build.{count}", depth=depth))
    random = all(block.weights == "random" for block in selection.spec.blocks)
    same = t("code_page.same_random" if random else "code_page.same_chosen")
    st.markdown(t(f"code_page.intro.{count}", depth=depth, same=same))
    script = keras_script(selection.spec, selection.image_label, lang())
    st.code(script, language="python", line_numbers=True)
    st.download_button(
        t("code_page.download", file="convlab_layer.py"),
        script,
        file_name="convlab_layer.py",
        mime="text/x-python",
    )
    st.markdown("#### " + t("code_page.summary_title"))
    st.caption(t("code_page.summary_note"))
    with st.spinner(t("pages.building")):
        st.code(cached.keras_summary(selection.spec), language=None)


run_page(main)
