"""Downloads: a stage's maps as one PNG grid, and every stage as one NPZ.

The cache keeps only what the screen shows (:mod:`cnn_core.forward`), so an
export runs the layer again at full resolution, when it is asked for.
:func:`full_outputs` does that a chunk of filters at a time, keeping only the
filters and stages asked for. Files have size caps: above them, an export
holds the filters on screen instead of all of them (:func:`export_filters`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage.util import montage

from cnn_core.color_scale import colormap_lut
from cnn_core.display import grid_shape, to_uint8
from cnn_core.errors import SpecError
from cnn_core.images import preprocessing_shapes
from cnn_core.links import spec_to_query
from cnn_core.model import run_forward

__all__ = [
    "NPZ_MAX_BYTES",
    "PNG_MAX_PIXELS",
    "export_filters",
    "full_outputs",
    "npz_bytes",
    "outputs_nbytes",
    "stage_png",
]

#: Largest NPZ, counted as raw float32 before compression (64 filters at
#: 512x512 are about 270 MB over four stages: too much to build on a shared
#: server for one click).
NPZ_MAX_BYTES = 64 * 2**20
#: Largest PNG grid, in pixels of map (64 filters of 498x498 fit).
PNG_MAX_PIXELS = 24_000_000
#: Tiles smaller than this many pixels a side are enlarged by a whole factor,
#: so their labels fit and every value stays one crisp square.
MIN_TILE_PX = 64
#: Height of the band above each tile that holds its label.
_LABEL_PX = 20
_TITLE_PX = 30
_KEY_PX = 44
_KEY_WIDTH = 256
_WHITE = 255
_TEXT = 0
#: Stage kinds whose channels are their input's (all of them), not the block's filters.
_INPUT_STAGES = ("input", "padding")


def outputs_nbytes(plan, filters):
    """Bytes of float32 every stage of ``plan`` takes with ``filters`` filters.

    Parameters
    ----------
    plan : Plan
    filters : int or sequence of int
        Filters kept per block; one number applies to every block.

    Examples
    --------
    >>> from cnn_core.shapes import plan_pipeline
    >>> from cnn_core.spec import PipelineSpec
    >>> outputs_nbytes(plan_pipeline(PipelineSpec()), 1)  # 512² + 2 * 498² + 249² floats
    3280612
    >>> round(outputs_nbytes(plan_pipeline(PipelineSpec.single(filters=64)), 64) / 1e6)
    144
    """
    total = 0
    for stage in plan.stages:
        height, width, channels = stage.shape
        if stage.kind not in _INPUT_STAGES:
            channels = filters if isinstance(filters, int) else filters[stage.block - 1]
        total += height * width * channels
    return total * 4


def export_filters(total, shown, cost_per_filter, budget):
    """Which filters an export holds: all of them, or as many on screen as fit.

    Parameters
    ----------
    total : int
        Filters in the layer.
    shown : range
        Filters on screen.
    cost_per_filter : int
        Bytes (or pixels) one filter adds.
    budget : int
        The cap.

    Returns
    -------
    range
        ``range(total)`` if it fits the budget, else the start of ``shown``
        (at least one filter).

    Examples
    --------
    >>> export_filters(64, range(16, 32), 10, 1000)
    range(0, 64)
    >>> export_filters(64, range(16, 32), 100, 1000)
    range(16, 26)
    >>> export_filters(64, range(16, 32), 5000, 1000)
    range(16, 17)
    """
    if total * cost_per_filter <= budget:
        return range(total)
    fit = max(1, budget // max(cost_per_filter, 1))
    return range(shown.start, min(shown.stop, shown.start + fit))


def _is_input_stage(key):
    return key.partition("_")[0] in _INPUT_STAGES


def full_outputs(models, batch, filters, keys=None, value_range=None):
    """Run the blocks at full resolution and keep the filters and stages asked for.

    Parameters
    ----------
    models : list of list of (range, keras.Model)
        Per block, from :func:`cnn_core.model.build_chunked_models`.
    batch : ndarray of float32, shape (1, n, n, c)
    filters : sequence of range
        Filter indices to keep, one range (at least one filter) per block;
        blocks after the last one given are not run. A block runs whole when
        a later block needs its output; otherwise its chunks without a
        filter to keep are not run.
    keys : collection of str, optional
        Stage keys to keep (default: all).
    value_range : tuple of float, optional
        If given, maps are turned into uint8 over this range chunk by chunk
        (:func:`cnn_core.display.to_uint8`), a quarter of the memory.

    Returns
    -------
    dict of str to ndarray, shape (H, W, C)
        Stage key -> maps; stages of a block's filters have as many channels
        as its range in ``filters``, the input and zero padding all of theirs.
    """
    if not all(len(kept) for kept in filters):
        raise SpecError("errors.internal.export_filters")

    def convert(maps):
        return maps if value_range is None else to_uint8(maps, value_range)

    wanted = None if keys is None else set(keys)
    parts = {}
    if wanted is None or "input" in wanted:
        parts["input"] = [convert(np.asarray(batch, np.float32)[0])]
    if wanted is not None and wanted <= {"input"}:
        return {key: value[0] for key, value in parts.items()}
    x = batch
    for index, (chunks, kept) in enumerate(zip(models, filters, strict=False)):
        feeds_next = index + 1 < len(filters)
        last = []
        for chunk, model in chunks:
            low, high = max(chunk.start, kept.start), min(chunk.stop, kept.stop)
            if low >= high and not feeds_next:
                continue
            outputs = run_forward(model, x)
            for key, maps in outputs.items():
                if low >= high or (wanted is not None and key not in wanted):
                    continue
                if _is_input_stage(key):
                    parts.setdefault(key, [convert(maps)])
                else:
                    part = maps[:, :, low - chunk.start : high - chunk.start]
                    parts.setdefault(key, []).append(convert(part))
            if feeds_next:
                last.append(outputs[next(reversed(outputs))])  # the block's last stage
            del outputs
        if feeds_next:
            x = np.concatenate(last, axis=-1)[np.newaxis]
            del last
    return {
        key: value[0] if len(value) == 1 else np.concatenate(value, axis=2)
        for key, value in parts.items()
    }


#: Fonts with Chinese glyphs, where Debian's fonts-noto-cjk puts them; Pillow's
#: own font has none, and would draw Chinese tile names as empty boxes.
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def _needs_cjk(texts):
    """Whether any text holds CJK characters (or other East Asian scripts)."""
    return any(char >= "\u2e80" for text in texts for char in text)


def _font(size, cjk=False):
    """Pillow's font, or for Chinese labels a CJK font if the system has one."""
    if cjk:
        for path in _CJK_FONTS:
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)


def stage_png(maps, value_range, tile_names, title, signed=False):
    """One stage's maps as a PNG grid at full resolution, labelled, with a colour key.

    Colours are the screen's "per stage" colours: ``value_range`` (the whole
    stage's range) maps to black..white, the same for every tile; a signed
    stage (``signed=True``: it can be negative) uses the screen's
    blue-white-red map over a range symmetric around zero (see
    :func:`cnn_core.color_scale.stage_range`), so zero is white. Tiles smaller
    than :data:`MIN_TILE_PX` are enlarged by a whole factor.

    Parameters
    ----------
    maps : ndarray, shape (H, W, C)
        float values, or uint8 already mapped from ``value_range``.
    value_range : tuple of float
    tile_names : sequence of str
        One label per channel.
    title : str
        Printed above the grid.
    signed : bool
        Draw with the diverging colour map (an RGB PNG) instead of gray.

    Returns
    -------
    bytes
        A grayscale PNG, or an RGB PNG when ``signed``.

    Examples
    --------
    >>> maps = np.arange(2 * 3 * 3, dtype=np.float32).reshape(3, 3, 2)
    >>> png = stage_png(maps, (0.0, 17.0), ["a", "b"], "test")
    >>> Image.open(io.BytesIO(png)).size
    (256, 180)
    """
    maps = np.asarray(maps)
    if maps.ndim != 3 or len(tile_names) != maps.shape[2]:
        raise SpecError(
            "errors.internal.export_names", shape=str(maps.shape), count=len(tile_names)
        )
    pixels = maps if maps.dtype == np.uint8 else to_uint8(maps, value_range)
    height, width, count = pixels.shape
    factor = math.ceil(MIN_TILE_PX / max(height, width)) if max(height, width) < MIN_TILE_PX else 1
    if factor > 1:
        pixels = np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)
        height, width = height * factor, width * factor
    rows, cols = grid_shape(count)
    grid = montage(
        np.moveaxis(pixels, 2, 0),
        fill=_WHITE,
        grid_shape=(rows, cols),
        padding_width=_LABEL_PX,
    )
    canvas_width = max(grid.shape[1], _KEY_WIDTH)
    canvas = np.full((_TITLE_PX + grid.shape[0] + _KEY_PX, canvas_width), _WHITE, np.uint8)
    canvas[_TITLE_PX : _TITLE_PX + grid.shape[0], : grid.shape[1]] = grid
    key_top = _TITLE_PX + grid.shape[0] + 4
    key_width = min(_KEY_WIDTH, canvas_width - 2 * _LABEL_PX)
    gradient = np.linspace(0, 255, key_width).round().astype(np.uint8)
    canvas[key_top : key_top + 10, _LABEL_PX : _LABEL_PX + key_width] = gradient
    lut = colormap_lut(True) if signed else None
    image = Image.fromarray(canvas, mode="L")
    if lut is not None:
        # Only the tiles and the key are levels; the rest (white, text gray) stays gray.
        colored = np.repeat(canvas[..., np.newaxis], 3, axis=2)
        tiles = canvas[_TITLE_PX : _TITLE_PX + grid.shape[0], : grid.shape[1]]
        inside = montage(
            np.ones((count, height, width), bool),
            fill=False,
            grid_shape=(rows, cols),
            padding_width=_LABEL_PX,
        )
        colored[_TITLE_PX : _TITLE_PX + grid.shape[0], : grid.shape[1]][inside] = lut[tiles[inside]]
        band = (slice(key_top, key_top + 10), slice(_LABEL_PX, _LABEL_PX + key_width))
        colored[band] = lut[canvas[band]]
        image = Image.fromarray(colored, mode="RGB")
    ink = _TEXT if lut is None else (_TEXT,) * 3
    draw = ImageDraw.Draw(image)
    draw.rectangle((_LABEL_PX - 1, key_top - 1, _LABEL_PX + key_width, key_top + 10), outline=ink)
    cjk = _needs_cjk([title, *tile_names])
    small, large = _font(13, cjk), _font(15, cjk)
    draw.text((_LABEL_PX, 8), title, fill=ink, font=large)
    for position, name in enumerate(tile_names):
        row, col = divmod(position, cols)
        x = _LABEL_PX + col * (width + _LABEL_PX)
        y = _TITLE_PX + row * (height + _LABEL_PX) + 3
        draw.text((x, y), name, fill=ink, font=small)
    low, high = value_range
    draw.text((_LABEL_PX, key_top + 14), f"{low:.4g}", fill=ink, font=small)
    draw.text(
        (_LABEL_PX + key_width, key_top + 14), f"{high:.4g}", fill=ink, font=small, anchor="ra"
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _suffix(index):
    return "" if index == 0 else f"_{index + 1}"


def npz_bytes(outputs, plan, weights, filters, image_shape):
    """Every stage's full-resolution maps, the weights and the spec, as one NPZ.

    Parameters
    ----------
    outputs : dict of str to ndarray, shape (H, W, C)
        From :func:`full_outputs` (float32) for ``filters``.
    plan : Plan
        Gives each stage's layer name, the key it is stored under.
    weights : sequence of (kernel, bias)
        Per block: kernel of shape (k, k, c, f), bias of shape (f,).
    filters : sequence of range
        Per block, the filters in ``outputs``; kernels and biases are cut to them.
    image_shape : tuple of int
        The image as loaded, for the preprocessing shapes.

    Returns
    -------
    bytes
        ``np.savez_compressed`` of: one float32 array per stage under its
        layer name (``input_layer``, ``conv2d``, ``conv2d_1``, ...); per
        block ``kernel``, ``bias`` and ``filters`` (their numbers, from 1),
        with ``_2``, ``_3``, ... after the first block's, as in links;
        ``spec`` (JSON); ``link`` (the view's link query);
        ``preprocessing_shapes`` (JSON: original, color, resized, batch).
    """
    spec = plan.spec
    arrays = {
        stage.layer_name: np.asarray(outputs[stage.key], np.float32)
        for stage in plan.stages
        if stage.key in outputs
    }
    for index, ((kernel, bias), kept) in enumerate(zip(weights, filters, strict=True)):
        suffix = _suffix(index)
        arrays |= {
            f"kernel{suffix}": np.asarray(kernel, np.float32)[..., kept.start : kept.stop],
            f"bias{suffix}": np.asarray(bias, np.float32)[kept.start : kept.stop],
            f"filters{suffix}": np.arange(kept.start + 1, kept.stop + 1),
        }
    original, color, resized, batch = preprocessing_shapes(image_shape, spec)
    arrays |= {
        "spec": np.array(json.dumps(dataclasses.asdict(spec))),
        "link": np.array("&".join(f"{k}={v}" for k, v in spec_to_query(spec).items())),
        "preprocessing_shapes": np.array(
            json.dumps({"original": original, "color": color, "resized": resized, "batch": batch})
        ),
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
