"""Keras code: the same layer as a script to run in a notebook."""

import streamlit as st

from cnn_core.codegen import keras_script
from ui import cached
from ui.page import plan_layer, start_page


def main():
    selection = start_page("keras_code")
    depth = selection.spec.depth
    what = "layer" if depth == 1 else f"{depth} blocks"
    st.title(f"The same {what} in Keras")
    if plan_layer(selection).error is not None:
        st.caption(f"Keras cannot build this {what} either: the script below stops with an error.")
    same = (
        "initialisers and seeds"
        if all(block.weights == "random" for block in selection.spec.blocks)
        else "initialisers, seeds and chosen weights (set with `layer.set_weights`)"
    )
    st.markdown(
        f"This script builds and runs exactly the {what} the app shows, with the same {same}, "
        "so it prints the same shapes and computes the same values."
    )
    script = keras_script(selection.spec, selection.image_label)
    st.code(script, language="python", line_numbers=True)
    st.download_button("Download convlab_layer.py", script, "convlab_layer.py", "text/x-python")
    st.markdown("#### What `model.summary()` prints")
    st.caption(
        "The same layers, names, shapes and parameter counts as the Feature-maps page's "
        "model summary (a Sequential model does not list its input layer)."
    )
    with st.spinner("Building the layer (the first run loads TensorFlow)..."):
        st.code(cached.keras_summary(selection.spec), language=None)


main()
