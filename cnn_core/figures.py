"""Plotly figure builders: tile grids of feature maps and kernels.

Figures are sized for the screen, not for the array: a map larger than
``max_side`` samples per side is shown at every ``step``-th pixel, with the
axes in true pixel coordinates, so hovering shows the exact value of the
pixel under the cursor's sample.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = ["grid_shape", "kernel_figure", "sample_step", "stage_figure", "tile_pages", "tile_range"]


def grid_shape(count):
    """Rows and columns of a near-square grid of ``count`` tiles.

    Like :func:`skimage.util.montage`: ``ceil(sqrt(count))`` columns.

    Examples
    --------
    >>> grid_shape(1), grid_shape(3), grid_shape(16), grid_shape(17)
    ((1, 1), (2, 2), (4, 4), (4, 5))
    """
    if count < 1:
        raise ValueError(f"Expected count >= 1. Received: count={count}")
    cols = math.ceil(math.sqrt(count))
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


_COLORBAR = {
    "title": {"text": "value", "side": "right"},
    "orientation": "h",
    "thickness": 12,
    "len": 0.8,
    "y": -0.18,
    "yanchor": "top",
}


def tile_pages(count, per_page):
    """All pages of ``per_page`` tiles that ``count`` tiles make.

    Examples
    --------
    >>> tile_pages(20, 16)
    [range(0, 16), range(16, 20)]
    """
    return [tile_range(count, page, per_page) for page in range(math.ceil(count / per_page))]


def _ordinal(number):
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _axis_title(row, col, rows):
    return ("column (x)" if row == rows else None, "row (y)" if col == 1 else None)


def stage_figure(
    maps,
    title,
    tile_names=None,
    tiles=None,
    max_side=160,
    tile_px=None,
    colorscale="gray",
    zmid=None,
    pixel_step=1,
    full_size=None,
):
    """A grid of heatmaps, one tile per channel of ``maps``.

    Parameters
    ----------
    maps : ndarray, shape (H, W, C)
        One stage's output; each channel becomes a tile.
    title : str
        Figure title.
    tile_names : sequence of str, optional
        Tile titles; default "filter 1", "filter 2", ...
    tiles : range or sequence of int, optional
        Which channels to show (default: all).
    max_side : int
        Most samples per tile side across the whole grid; the per-tile
        budget is ``max_side / columns`` (at least 24).
    tile_px : int, optional
        Pixel height of one tile; default fills about 520 px.
    colorscale : str
        Plotly colorscale name.
    zmid : float, optional
        Centre of the colorscale (e.g. 0 for signed weights).
    pixel_step : int
        ``maps`` already holds every ``pixel_step``-th pixel of the real
        output (see :class:`cnn_core.forward.StageMaps`); axes and hover use
        the real pixel coordinates.
    full_size : tuple of int, optional
        ``(H, W)`` of the real output; default ``maps``' size times
        ``pixel_step``.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"Expected maps of shape (H, W, C). Received: shape {maps.shape}")
    sampled_h, sampled_w, channels = maps.shape
    height, width = full_size or (sampled_h * pixel_step, sampled_w * pixel_step)
    tiles = list(range(channels) if tiles is None else tiles)
    if not tiles:
        raise ValueError("Expected at least one tile to show.")
    if tile_names is None:
        tile_names = [f"filter {i + 1}" for i in range(channels)]
    rows, cols = grid_shape(len(tiles))
    extra = sample_step(max(sampled_h, sampled_w), max(24, max_side // cols))
    step = extra * pixel_step
    ys = np.arange(0, sampled_h, extra, dtype=np.int32) * pixel_step
    xs = np.arange(0, sampled_w, extra, dtype=np.int32) * pixel_step
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[tile_names[i] for i in tiles],
        horizontal_spacing=0.04 if cols > 1 else 0.0,
        vertical_spacing=min(0.12, 0.3 / rows) if rows > 1 else 0.0,
    )
    single = len(tiles) == 1
    for position, channel in enumerate(tiles):
        row, col = divmod(position, cols)
        z = np.ascontiguousarray(maps[::extra, ::extra, channel], dtype=np.float32)
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=xs,
                y=ys,
                colorscale=colorscale,
                zmid=zmid,
                showscale=single,
                colorbar=_COLORBAR if single else None,
                name=tile_names[channel],
                hovertemplate=(
                    f"{tile_names[channel]}<br>row %{{y}}, column %{{x}}"
                    "<br>value %{z:.4f}<extra></extra>"
                ),
            ),
            row=row + 1,
            col=col + 1,
        )
        x_title, y_title = _axis_title(row + 1, col + 1, rows)
        axis_id = "" if position == 0 else str(position + 1)
        fig.update_xaxes(
            title_text=x_title,
            range=[-0.5 * step, width - 0.5 * step],
            constrain="domain",
            showgrid=False,
            zeroline=False,
            row=row + 1,
            col=col + 1,
        )
        fig.update_yaxes(
            title_text=y_title,
            range=[height - 0.5 * step, -0.5 * step],
            scaleanchor=f"x{axis_id}",
            constrain="domain",
            showgrid=False,
            zeroline=False,
            row=row + 1,
            col=col + 1,
        )
    if tile_px is None:
        tile_px = max(120, 520 // cols) if not single else 480
    note = "" if step == 1 else f" (every {_ordinal(step)} pixel shown)"
    fig.update_layout(
        title={"text": f"{title}{note}", "font": {"size": 14}, "x": 0, "xanchor": "left"},
        height=int(rows * tile_px + (130 if single else 80)),
        margin={"l": 55, "r": 10, "t": 40, "b": 110 if single else 45},
    )
    return fig


def kernel_figure(kernel, filters=None, channel_names=None):
    """Heatmaps of conv kernel weights: one row per filter, one column per channel.

    Parameters
    ----------
    kernel : ndarray, shape (k, k, c, f)
        As stored by Keras's Conv2D.
    filters : range or sequence of int, optional
        Which filters to show (default: all).
    channel_names : sequence of str, optional
        Column titles; default "channel 1", ...

    Returns
    -------
    plotly.graph_objects.Figure
        Diverging colors centred at zero, weights on hover.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4:
        raise ValueError(f"Expected a kernel of shape (k, k, c, f). Received: {kernel.shape}")
    k, _, channels, count = kernel.shape
    filters = list(range(count) if filters is None else filters)
    if channel_names is None:
        channel_names = [f"channel {i + 1}" for i in range(channels)]
    limit = float(np.abs(kernel).max()) or 1.0
    fig = make_subplots(
        rows=len(filters),
        cols=channels,
        subplot_titles=[
            f"filter {f + 1}, {channel_names[c]}" for f in filters for c in range(channels)
        ],
        horizontal_spacing=0.06,
        vertical_spacing=min(0.1, 0.4 / max(len(filters), 1)),
    )
    for r, f in enumerate(filters):
        for c in range(channels):
            fig.add_trace(
                go.Heatmap(
                    z=kernel[:, :, c, f].astype(np.float32),
                    colorscale="RdBu",
                    zmin=-limit,
                    zmax=limit,
                    showscale=r == 0 and c == 0,
                    colorbar={"title": {"text": "weight"}, "thickness": 14},
                    hovertemplate="row %{y}, column %{x}<br>weight %{z:.4f}<extra></extra>",
                ),
                row=r + 1,
                col=c + 1,
            )
            position = r * channels + c
            axis_id = "" if position == 0 else str(position + 1)
            fig.update_yaxes(
                autorange="reversed",
                scaleanchor=f"x{axis_id}",
                constrain="domain",
                row=r + 1,
                col=c + 1,
            )
            fig.update_xaxes(constrain="domain", row=r + 1, col=c + 1)
    tile_px = 220 if k > 5 else 160
    fig.update_layout(
        height=int(len(filters) * tile_px + 80),
        margin={"l": 40, "r": 20, "t": 60, "b": 30},
    )
    return fig
