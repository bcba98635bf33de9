"""Display decisions: how many tiles, how big, which pixels keep exact values.

The forward pass (:mod:`cnn_core.forward`) gets a :class:`DisplayBudget`
as an argument and asks it; it never decides layout itself. The figure
builders (:mod:`cnn_core.figures`) lay tiles out with the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DisplayBudget",
    "grid_shape",
    "sample_step",
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
        raise ValueError(f"Expected count >= 1. Received: count={count}")
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
        raise ValueError(f"Expected max_side >= 1. Received: max_side={max_side}")
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
        raise ValueError(f"Expected per_page >= 1 and page >= 0. Received: {per_page}, {page}")
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
    (1, 4, 120, 25)
    """

    display_px: int = 480
    hover_samples: int = 80
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
