"""Display decisions: how many tiles, how big, which pixels keep exact values.

The forward pass (:mod:`cnn_core.forward`) gets a :class:`DisplayBudget`
as an argument and asks it; it never decides layout itself. The figure
builders (:mod:`cnn_core.figures`) lay tiles out with the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from cnn_core.errors import SpecError

__all__ = [
    "DisplayBudget",
    "field_overlay",
    "format_bytes",
    "grid_shape",
    "overview_channels",
    "sample_step",
    "thumbnail",
    "tile_pages",
    "tile_range",
    "to_uint8",
]


def grid_shape(count):
    """Rows and columns of a near-square grid of ``count`` tiles.

    Up to three tiles sit in one row; more make a ``ceil(sqrt(count))``-column
    grid, like :func:`skimage.util.montage`.

    Examples
    --------
    >>> grid_shape(1), grid_shape(3), grid_shape(16), grid_shape(17)
    ((1, 1), (1, 3), (4, 4), (4, 5))
    """
    if count < 1:
        raise SpecError("errors.internal.count", count=count)
    cols = count if count <= 3 else math.ceil(math.sqrt(count))
    return math.ceil(count / cols), cols


def sample_step(side, max_side):
    """Stride that brings ``side`` pixels down to at most ``max_side`` samples.

    Examples
    --------
    >>> sample_step(498, 160), sample_step(100, 160)
    (4, 1)
    """
    if max_side < 1:
        raise SpecError("errors.internal.max_side", value=max_side)
    return max(1, math.ceil(side / max_side))


def tile_range(count, page, per_page):
    """Indices of the tiles shown on ``page`` (0-based) of ``per_page`` tiles.

    Examples
    --------
    >>> tile_range(64, 1, 16)
    range(16, 32)
    >>> tile_range(3, 0, 16)
    range(0, 3)
    """
    if per_page < 1 or page < 0:
        raise SpecError("errors.internal.page", per_page=per_page, page=page)
    start = min(page * per_page, max(count - 1, 0))
    start -= start % per_page
    return range(start, min(start + per_page, count))


def tile_pages(count, per_page):
    """All pages of ``per_page`` tiles that ``count`` tiles make.

    Examples
    --------
    >>> tile_pages(20, 16)
    [range(0, 16), range(16, 20)]
    """
    return [tile_range(count, page, per_page) for page in range(math.ceil(count / per_page))]


def to_uint8(values, value_range):
    """Map ``values`` linearly from ``value_range`` to 0-255 (clipped).

    Examples
    --------
    >>> to_uint8(np.array([-1.0, 0.0, 1.0]), (-1.0, 1.0)).tolist()
    [0, 128, 255]
    """
    low, high = value_range
    if not high > low:
        return np.full(np.shape(values), 128, np.uint8)
    scaled = (np.asarray(values, np.float32) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class DisplayBudget:
    """What the screen can show of one stage: the forward pass keeps no more.

    Attributes
    ----------
    display_px : int
        Pixels across a stage's whole tile grid.
    hover_samples : int
        Exact-value samples across a stage's whole tile grid.
    max_tiles : int
        Most tiles a grid shows at once (more are paged).

    Examples
    --------
    >>> budget = DisplayBudget()
    >>> budget.columns(1), budget.columns(64), budget.tile_side(64), budget.hover_step(498, 64)
    (1, 4, 120, 32)
    """

    display_px: int = 480
    hover_samples: int = 64
    max_tiles: int = 16

    def columns(self, channels):
        """Columns of the tile grid of a stage with ``channels`` maps."""
        return grid_shape(min(channels, self.max_tiles))[1]

    def tile_side(self, channels):
        """Pixels across one tile of a stage with ``channels`` maps (at least 16)."""
        return max(16, self.display_px // self.columns(channels))

    def hover_step(self, side, channels):
        """Sampling stride of the exact hover values of a ``side``-pixel map."""
        return sample_step(side, max(8, self.hover_samples // self.columns(channels)))

    def encode(self, values, value_range):
        """The display maps as 8 bits over ``value_range`` (see :func:`to_uint8`)."""
        return to_uint8(values, value_range)


def thumbnail(display, side, channel=0):
    """One map of a stage's display maps, fitted into ``side`` pixels.

    Shrinks by area averaging and enlarges by repeating pixels (a 6x6 map
    stays 36 crisp blocks).

    Parameters
    ----------
    display : ndarray of uint8, shape (h, w, C)
    side : int
    channel : int
        Which map (0-based; default the first).

    Returns
    -------
    ndarray of uint8, shape (h', w')

    Examples
    --------
    >>> thumbnail(np.zeros((240, 120, 4), np.uint8), 64).shape
    (64, 32)
    >>> thumbnail(np.zeros((6, 6, 1), np.uint8), 64).shape
    (60, 60)
    >>> maps = np.zeros((2, 2, 3), np.uint8)
    >>> maps[:, :, 2] = 7
    >>> int(thumbnail(maps, 4, channel=2).max())
    7
    """
    first = np.ascontiguousarray(np.asarray(display)[:, :, channel], dtype=np.uint8)
    height, width = first.shape
    longest = max(height, width)
    if longest > side:
        size = (max(1, round(width * side / longest)), max(1, round(height * side / longest)))
        return cv2.resize(first, size, interpolation=cv2.INTER_AREA)
    factor = max(1, side // longest)
    return np.repeat(np.repeat(first, factor, axis=0), factor, axis=1)


def overview_channels(stages, displays):
    """Which map of each stage the overview row shows: per block, its clearest filter.

    Filter 1 of a random layer is as likely as any other to be negative
    almost everywhere, so after ReLU its map is black; a row of thumbnails
    of filter 1 would then show black squares for whole blocks. Each block
    instead shows the filter whose map at the block's output (its last
    stage) has the most contrast (the largest standard deviation of its
    display levels; the lowest number on a tie), and shows that same
    filter at each of the block's stages, so its thumbnails follow one map
    through convolution, activation and pooling. The input and a block's
    padding stage, whose maps are the previous block's (or the image's
    channels), show that block's choice (channel 0 for the image).

    Parameters
    ----------
    stages : sequence of cnn_core.shapes.Stage
        In pipeline order (``key``, ``block``, ``kind`` are read).
    displays : mapping of str to ndarray of uint8, shape (h, w, C)
        Display maps by stage key; stages without one are left out.

    Returns
    -------
    dict of str to int
        0-based channel per stage key.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> plan = [S(key="input", block=0, kind="input"), S(key="conv", block=1, kind="conv"),
    ...         S(key="activation", block=1, kind="activation")]
    >>> dead, lively = np.zeros((4, 4), np.uint8), np.eye(4, dtype=np.uint8) * 255
    >>> shown = {"input": np.zeros((4, 4, 1), np.uint8),
    ...          "conv": np.stack([lively, lively], axis=2),
    ...          "activation": np.stack([dead, lively], axis=2)}
    >>> overview_channels(plan, shown)
    {'input': 0, 'conv': 1, 'activation': 1}
    """
    outputs = {}  # block -> its last stage with maps
    for stage in stages:
        if stage.key in displays and stage.kind not in ("input", "padding"):
            outputs[stage.block] = displays[stage.key]
    clearest = {
        block: int(np.argmax(maps.reshape(-1, maps.shape[2]).astype(np.float32).std(axis=0)))
        for block, maps in outputs.items()
    }
    chosen = {}
    for stage in stages:
        if stage.key in displays:
            # The input's and a padding stage's maps are the previous block's.
            owner = stage.block - 1 if stage.kind in ("input", "padding") else stage.block
            channel = clearest.get(owner, 0)
            chosen[stage.key] = min(channel, displays[stage.key].shape[2] - 1)
    return chosen


def field_overlay(display, full_side, rows, cols):
    """The input's first map with a receptive field drawn on it as a square.

    Parameters
    ----------
    display : ndarray of uint8, shape (h, w, C)
        The input stage's display maps (the first channel is drawn).
    full_side : int
        Side of the real input, in pixels.
    rows, cols : tuple of int
        First and last input row and column of the field (inclusive); parts
        outside the image are clipped.

    Returns
    -------
    ndarray of uint8, shape (h, w, 3)
        RGB, the field outlined in red over a lightly tinted inside.

    Examples
    --------
    >>> out = field_overlay(np.zeros((100, 100, 1), np.uint8), 200, (50, 89), (-10, 9))
    >>> out.shape, out[25, 2].tolist(), out[30, 2].tolist(), out[60, 60].tolist()
    ((100, 100, 3), [255, 40, 40], [102, 16, 16], [0, 0, 0])
    """
    gray = np.ascontiguousarray(np.asarray(display)[:, :, 0], dtype=np.uint8)
    out = np.repeat(gray[:, :, np.newaxis], 3, axis=2)
    scale = gray.shape[0] / full_side
    top, bottom = (min(max(v, 0), full_side - 1) for v in rows)
    left, right = (min(max(v, 0), full_side - 1) for v in cols)
    y0, y1 = int(top * scale), max(int(top * scale), int((bottom + 1) * scale) - 1)
    x0, x1 = int(left * scale), max(int(left * scale), int((right + 1) * scale) - 1)
    inside = out[y0 : y1 + 1, x0 : x1 + 1]
    inside[:] = (0.6 * inside + 0.4 * np.array([255, 40, 40])).astype(np.uint8)
    thickness = max(1, gray.shape[0] // 100)
    cv2.rectangle(out, (x0, y0), (x1, y1), (255, 40, 40), thickness)
    return out


def format_bytes(count):
    """Bytes in kB or MB (powers of 1000), as the summary table shows them.

    Examples
    --------
    >>> format_bytes(248004), format_bytes(7936128), format_bytes(512)
    ('248 kB', '7.94 MB', '512 B')
    """
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.0f} kB"
    return f"{count / 1_000_000:.3g} MB"
