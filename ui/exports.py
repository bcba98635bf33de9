"""Downloads on the Feature-maps page, built only when clicked.

Each button gets a callable (``st.download_button(data=callable)``): a rerun
only registers it, and the click runs the layer again at full resolution
(the cache keeps screen-size maps only), through the same two compute slots
as the page's own forward passes.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.export import (
    NPZ_MAX_BYTES,
    PNG_MAX_PIXELS,
    export_filters,
    full_outputs,
    npz_bytes,
    outputs_nbytes,
    stage_png,
)
from cnn_core.images import prepare_input
from cnn_core.memory import release_free_memory
from cnn_core.model import kernel_weights
from ui import cached


def _span(filters):
    return f"{filters.start + 1}" if len(filters) == 1 else f"{filters.start + 1}-{filters.stop}"


def _run(spec, image, filters, keys=None, value_range=None):
    """The full-resolution outputs, computed in one of the shared compute slots."""
    slots = cached.compute_slots()
    prepared = prepare_input(image, spec)
    models = cached.models_for(cached.model_key(spec), spec)
    with slots:
        outputs = full_outputs(models, prepared.batch, filters, keys, value_range)
    return outputs


def png_button(selection, stage, maps, tiles, tile_names):
    """The "PNG" button: one stage's maps at full resolution, as one labelled grid."""
    spec, image = selection.spec, selection.image
    height, width, channels = maps.full_shape
    if stage.key in ("input", "padding"):
        filters = range(channels)
    else:
        filters = export_filters(channels, tiles, height * width, PNG_MAX_PIXELS)
    value_range = (maps.minimum, maps.maximum)
    title = f"{stage.layer_name} ({stage.layer_type}) · {height}x{width}x{channels}"
    if len(filters) < channels:
        title += f" · filters {_span(filters)} of {channels}"
    names = [tile_names[i] for i in filters]

    def build():
        outputs = _run(spec, image, filters, (stage.key,), value_range)
        png = stage_png(outputs.pop(stage.key), value_range, names, title)
        release_free_memory()
        return png

    whole = len(filters) == channels
    st.download_button(
        "PNG" if whole else f"PNG (filters {_span(filters)})",
        data=build,
        file_name=f"convlab_{stage.layer_name}.png",
        mime="image/png",
        key=f"png_{stage.key}",
        on_click="ignore",
        icon=":material/download:",
        help="Full resolution, the screen's gray scale, a key of the value range."
        + (
            "" if whole else f" All {channels} maps are over {PNG_MAX_PIXELS / 1e6:.0f} megapixels."
        ),
    )


def npz_button(selection, plan, tiles):
    """The "NPZ" button: every stage's float32 maps, the weights and the spec, in one file."""
    spec, image = selection.spec, selection.image
    total, fixed = outputs_nbytes(plan, spec.filters), outputs_nbytes(plan, 0)
    per_filter = outputs_nbytes(plan, 1) - fixed
    filters = export_filters(spec.filters, tiles, per_filter, NPZ_MAX_BYTES - fixed)
    size = outputs_nbytes(plan, len(filters))

    def build():
        outputs = _run(spec, image, filters)
        kernel, bias = kernel_weights(spec)
        data = npz_bytes(outputs, plan, kernel, bias, filters, image.shape)
        del outputs
        release_free_memory()
        return data

    whole = len(filters) == spec.filters
    st.download_button(
        "NPZ: every stage" if whole else f"NPZ: every stage, filters {_span(filters)}",
        data=build,
        file_name="convlab_stages.npz",
        mime="application/octet-stream",
        key="npz",
        on_click="ignore",
        icon=":material/download:",
        help=f"{size / 2**20:.1f} MB of float32 before compression: each stage under its "
        "Keras layer name, the kernel and bias, the spec as JSON and the preprocessing "
        "shapes. Read it with numpy.load.",
    )
    if not whole:
        st.caption(
            f"All {spec.filters} filters would be {total / 2**20:.0f} MB of float32, more than "
            f"the {NPZ_MAX_BYTES / 2**20:.0f} MB one download may hold on this shared server, "
            f"so the file holds the filters on screen that fit ({_span(filters)}). "
            + (
                'Choose others under "Filters shown" to download those.'
                if len(tiles) < spec.filters
                else "A smaller input size makes room for more."
            )
        )
