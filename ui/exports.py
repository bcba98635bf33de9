"""Downloads on the Feature-maps page, built only when clicked.

Each button gets a callable (``st.download_button(data=callable)``): a rerun
only registers it, and the click runs the layer again at full resolution
(the cache keeps screen-size maps only), through the same two compute slots
as the page's own forward passes.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.color_scale import is_signed, stage_range
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
from ui.i18n import t


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


def _computed_blocks(plan):
    """The blocks that have at least one computed stage, in order."""
    return [b for n, b in enumerate(plan.spec.blocks, 1) if plan.block_stages(n)]


def png_button(selection, stage, maps, tiles, tile_names):
    """The "PNG" button: one stage's maps at full resolution, as one labelled grid."""
    spec, image = selection.spec, selection.image
    height, width, channels = maps.full_shape
    earlier = [range(block.filters) for block in spec.blocks[: max(stage.block - 1, 0)]]
    if stage.kind in ("input", "padding"):
        shown = range(channels)
        filters = [*earlier, range(1)] if stage.block else []
    else:
        shown = export_filters(channels, tiles, height * width, PNG_MAX_PIXELS)
        filters = [*earlier, shown]
    activation = spec.blocks[stage.block - 1].activation if stage.block else "none"
    signed = is_signed(stage.kind, activation)
    value_range = stage_range(maps.minimum, maps.maximum, signed)
    title = f"{stage.layer_name} ({stage.layer_type}) · {height}x{width}x{channels}"
    if len(shown) < channels:
        title += " · " + t("feature_maps.png.of", span=_span(shown), channels=channels)
    names = [tile_names[i] for i in shown]

    def build():
        outputs = _run(spec, image, filters, (stage.key,), value_range)
        png = stage_png(outputs.pop(stage.key), value_range, names, title, signed)
        release_free_memory()
        return png

    whole = len(shown) == channels
    st.download_button(
        "PNG" if whole else t("feature_maps.png.some", span=_span(shown)),
        data=build,
        file_name=f"convlab_{stage.layer_name}.png",
        mime="image/png",
        key=f"png_{stage.key}",
        on_click="ignore",
        icon=":material/download:",
        help=t("feature_maps.png.help")
        + (
            ""
            if whole
            else t(
                "feature_maps.png.too_big",
                channels=channels,
                megapixels=f"{PNG_MAX_PIXELS / 1e6:.0f}",
            )
        ),
    )


def npz_button(selection, plan, tiles):
    """The "NPZ" button: every stage's float32 maps, the weights and the spec, in one file.

    ``tiles`` holds the filters on screen, one range per block.
    """
    spec, image = selection.spec, selection.image
    blocks = _computed_blocks(plan)
    every = [block.filters for block in blocks]
    total, fixed = outputs_nbytes(plan, every), outputs_nbytes(plan, [0] * len(blocks))
    if total <= NPZ_MAX_BYTES:
        filters = [range(count) for count in every]
    else:
        share = (NPZ_MAX_BYTES - fixed) // len(blocks)
        filters = []
        for index, block in enumerate(blocks):
            one = [int(i == index) for i in range(len(blocks))]
            per_filter = outputs_nbytes(plan, one) - fixed
            filters.append(export_filters(block.filters, tiles[index], per_filter, share))
    size = outputs_nbytes(plan, [len(kept) for kept in filters])

    def build():
        outputs = _run(spec, image, filters)
        weights = [kernel_weights(spec, index) for index in range(len(blocks))]
        data = npz_bytes(outputs, plan, weights, filters, image.shape)
        del outputs
        release_free_memory()
        return data

    whole = [len(kept) for kept in filters] == every
    label = ", ".join(_span(kept) for kept in filters)
    st.download_button(
        t("feature_maps.npz.label") if whole else t("feature_maps.npz.some", span=label),
        data=build,
        file_name="convlab_stages.npz",
        mime="application/octet-stream",
        key="npz",
        on_click="ignore",
        icon=":material/download:",
        help=t("feature_maps.npz.help", megabytes=f"{size / 2**20:.1f}"),
    )
    if not whole:
        if len(blocks) == 1:
            what = t("feature_maps.npz.all_filters", count=every[0])
        else:
            what = t("feature_maps.npz.every_block")
        paged = any(len(shown) < count for shown, count in zip(tiles, every, strict=False))
        st.caption(
            t(
                "feature_maps.npz.partial",
                what=what,
                total=f"{total / 2**20:.0f}",
                limit=f"{NPZ_MAX_BYTES / 2**20:.0f}",
                span=label,
            )
            + " "
            + t("feature_maps.npz.paged" if paged else "feature_maps.npz.smaller")
        )
