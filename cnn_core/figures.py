"""Plotly figure builders: tile grids of feature maps and kernels.

Figures are sized for the screen, not for the array. A feature map is sent
as a small 8-bit image resampled to display size, under an invisible heatmap
of exact values at every ``step``-th pixel; axes are in true pixel
coordinates, so hovering shows the real value of the pixel under the cursor's
sample.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from cnn_core.display import grid_shape, sample_step, tile_pages, tile_range, to_uint8

__all__ = [
    "grid_shape",
    "image_uri",
    "kernel_figure",
    "sample_step",
    "sampling_note",
    "stage_figure",
    "tile_pages",
    "tile_range",
    "to_uint8",
]


#: Black to white, as :func:`to_uint8` maps values to the tiles' gray levels.
_GRAY = [[0.0, "rgb(0, 0, 0)"], [1.0, "rgb(255, 255, 255)"]]

#: Right margin, px, that holds the colorbar and its tick labels. Margins are
#: fixed (``autoexpand`` off): left to expand, plotly.js draws each chart
#: twice, once to find how much room the colorbar wants and once with it.
_COLORBAR_MARGIN = 95

_COLORBAR = {
    "title": {"text": "value", "side": "top"},
    "ticklabeloverflow": "allow",  # as on the axes: no measuring of every label
    "thickness": 12,
    "lenmode": "pixels",
    "len": 260,
    "y": 1,
    "yanchor": "top",
}


def _margin(left, top, bottom):
    """Fixed margins (see :data:`_COLORBAR_MARGIN`) with room for the colorbar."""
    return {"l": left, "r": _COLORBAR_MARGIN, "t": top, "b": bottom, "autoexpand": False}


def _colorbar(figure_height, margin, **extra):
    """The colorbar, at most as long as the plot area is high (margins are
    fixed, so a longer one would be cut off at the bottom of the chart)."""
    plot_height = figure_height - margin["t"] - margin["b"]
    return _COLORBAR | {"len": min(_COLORBAR["len"], plot_height)} | extra


def sampling_note(step):
    """Say which pixels the hover values come from.

    Examples
    --------
    >>> sampling_note(1), sampling_note(2), sampling_note(4)
    ('hover shows the exact value of every pixel', \
'hover shows exact values at every 2nd pixel', 'hover shows exact values at every 4th pixel')
    """
    if step == 1:
        return "hover shows the exact value of every pixel"
    suffix = "th" if 10 <= step % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(step % 10, "th")
    return f"hover shows exact values at every {step}{suffix} pixel"


def _figure(data, layout):
    """Wrap a figure dict without Plotly's property validation.

    Validation costs more than building the figure (about 0.1 s for the
    first figure of a process); the dicts here are fixed by this module and
    ``tests/test_figures.py`` validates them, so the app need not.
    """
    return go.Figure({"data": data, "layout": layout}, _validate=False)


class _Grid:
    """Axes, domains and titles of a grid of square tiles, as a figure dict.

    Building the layout as plain data is many times faster than
    ``make_subplots`` followed by per-axis updates, which matters on every
    rerun.
    """

    def __init__(self, rows, cols, titles, hspace, vspace):
        self.rows, self.cols = rows, cols
        self.hspace = hspace if cols > 1 else 0.0
        self.vspace = vspace if rows > 1 else 0.0
        self.titles = titles
        self.axis_layout = {}

    def _domain(self, position):
        row, col = divmod(position, self.cols)
        width = (1 - self.hspace * (self.cols - 1)) / self.cols
        height = (1 - self.vspace * (self.rows - 1)) / self.rows
        x0 = col * (width + self.hspace)
        y1 = 1 - row * (height + self.vspace)

        def clip(value):
            return min(1.0, max(0.0, round(value, 6)))

        return [clip(x0), clip(x0 + width)], [clip(y1 - height), clip(y1)]

    def axes(self, position):
        """The trace keys that put a trace on tile ``position``."""
        suffix = "" if position == 0 else str(position + 1)
        return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}

    def style(self, position, x, y):
        """Set tile ``position``'s axes: square pixels, no grid, plus ``x``/``y``."""
        suffix = "" if position == 0 else str(position + 1)
        x_domain, y_domain = self._domain(position)
        # "allow": plotly.js otherwise measures every tick label after drawing
        # to hide those that overflow the chart, a forced page layout each.
        common = {
            "constrain": "domain",
            "showgrid": False,
            "zeroline": False,
            "ticklabeloverflow": "allow",
        }
        self.axis_layout[f"xaxis{suffix}"] = {
            "domain": x_domain,
            "anchor": f"y{suffix}",
            **common,
            **x,
        }
        self.axis_layout[f"yaxis{suffix}"] = {
            "domain": y_domain,
            "anchor": f"x{suffix}",
            "scaleanchor": f"x{suffix}",
            **common,
            **y,
        }

    def layout(self, **extra):
        """The layout dict: axes, one title annotation per tile, and ``extra``."""
        annotations = []
        for position, text in enumerate(self.titles):
            x_domain, y_domain = self._domain(position)
            annotations.append(
                {
                    "text": text,
                    "x": (x_domain[0] + x_domain[1]) / 2,
                    "y": y_domain[1],
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 14},
                }
            )
        return {**self.axis_layout, "annotations": annotations, **extra}


def _as_uint8(values, value_range):
    return values if values.dtype == np.uint8 else to_uint8(values, value_range)


def image_uri(pixels, lossless=False):
    """Encode an 8-bit grayscale image as a data URI for a Plotly Image trace.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (h, w)
    lossless : bool
        PNG, for maps shown at or above their real size, whose pixels are
        the point (and compress well). Otherwise JPEG, for maps shrunk to
        screen size, which look like photos and are far smaller as JPEG.

    Returns
    -------
    str
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if lossless:
        ok, buffer = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 6])
        kind = "png"
    else:
        ok, buffer = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
        kind = "jpeg"
    if not ok:
        raise ValueError(f"Could not encode an image of shape {pixels.shape}")
    return f"data:image/{kind};base64," + base64.b64encode(buffer.tobytes()).decode("ascii")


def stage_figure(
    display,
    samples,
    step,
    full_size,
    value_range,
    tile_names,
    tiles=None,
    title="",
    colorscale=None,
):
    """A grid of tiles, one per channel, drawn as images with exact values on hover.

    Each tile is an 8-bit image of ``display`` (the maps resampled to screen
    size) under an invisible heatmap of ``samples`` (every ``step``-th pixel
    of the real output, exact), so the picture is smooth and hovering tells
    the true value of the nearest sampled pixel, in real pixel coordinates.

    Parameters
    ----------
    display : ndarray, shape (h, w, C)
        Maps resampled for display (see :func:`cnn_core.forward.summarize_stage`):
        float values, or uint8 already mapped from ``value_range``.
    samples : ndarray, shape (hs, ws, C)
        ``full[::step, ::step, :]``.
    step : int
        Sampling stride of ``samples``.
    full_size : tuple of int
        ``(H, W)`` of the real output.
    value_range : tuple of float
        ``(min, max)`` mapped to black and white, shared by every tile.
    tile_names : sequence of str
        One title per channel.
    tiles : range or sequence of int, optional
        Which channels to show (default: all).
    title : str
        Figure title.
    colorscale : str, optional
        Plotly colorscale name for the colorbar; default black to white,
        exactly the tiles' mapping. Names are resolved here: without
        validation, plotly.js would not know plotly.py names such as "RdBu_r".

    Returns
    -------
    plotly.graph_objects.Figure
    """
    display = np.asarray(display)
    samples = np.asarray(samples)
    if display.ndim != 3 or samples.ndim != 3:
        raise ValueError(
            f"Expected display and samples of shape (H, W, C). Received: shapes "
            f"{display.shape} and {samples.shape}"
        )
    height, width = full_size
    channels = display.shape[2]
    tiles = list(range(channels) if tiles is None else tiles)
    if not tiles:
        raise ValueError("Expected at least one tile to show.")
    rows, cols = grid_shape(len(tiles))
    grid = _Grid(rows, cols, [tile_names[i] for i in tiles], 0.025, min(0.08, 0.25 / rows))
    dy = height / display.shape[0]
    dx = width / display.shape[1]
    ys = np.arange(samples.shape[0], dtype=np.int32) * step
    xs = np.arange(samples.shape[1], dtype=np.int32) * step
    low, high = value_range
    lossless = display.shape[0] >= height
    tile_px = 460 if cols == 1 else max(110, 470 // cols)
    margin = _margin(55, 50, 45)
    figure_height = int(rows * (tile_px + 22) + 95)
    colorbar = _colorbar(figure_height, margin)
    data = []
    for position, channel in enumerate(tiles):
        row, col = divmod(position, cols)
        axes = grid.axes(position)
        data.append(
            {
                "type": "image",
                "source": image_uri(_as_uint8(display[:, :, channel], value_range), lossless),
                "x0": dx / 2 - 0.5,
                "dx": dx,
                "y0": dy / 2 - 0.5,
                "dy": dy,
                "hoverinfo": "skip",
                **axes,
            }
        )
        data.append(
            {
                "type": "heatmap",
                "z": np.ascontiguousarray(samples[:, :, channel], dtype=np.float32),
                "x": xs,
                "y": ys,
                "zmin": low,
                "zmax": high if high > low else low + 1,
                "colorscale": _GRAY if colorscale is None else get_colorscale(colorscale),
                "opacity": 0,
                "showscale": position == 0,
                "colorbar": colorbar,
                "name": tile_names[channel],
                "hovertemplate": (
                    f"{tile_names[channel]}<br>row %{{y}}, column %{{x}}"
                    "<br>value %{z:.4f}<extra></extra>"
                ),
                **axes,
            }
        )
        grid.style(
            position,
            x={
                "title": {"text": "column (x)" if row + 1 == rows and col == 0 else None},
                "range": [-0.5, width - 0.5],
                "showticklabels": row + 1 == rows,
                "ticks": "outside" if row + 1 == rows else "",
            },
            y={
                "title": {"text": "row (y)" if col == 0 and row == 0 else None},
                "range": [height - 0.5, -0.5],
                "showticklabels": col == 0,
                "ticks": "outside" if col == 0 else "",
            },
        )
    layout = grid.layout(
        title={"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        height=figure_height,
        margin=margin,
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return _figure(data, layout)


def kernel_figure(kernel, filters=None, channel_names=None):
    """Heatmaps of conv kernel weights: one row per filter, one column per channel.

    Kernels of a one-channel input are laid out in a near-square grid of
    filters instead (:func:`grid_shape`), so eight 15x15 kernels fill a screen
    rather than a tall column.

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
    if channels == 1:
        rows, cols = grid_shape(len(filters))
        titles = [f"filter {f + 1}" for f in filters]
    else:
        rows, cols = len(filters), channels
        titles = [f"filter {f + 1}, {channel_names[c]}" for f in filters for c in range(channels)]
    grid = _Grid(rows, cols, titles, 0.06, min(0.1, 0.4 / rows))
    tile_px = min(220 if k > 5 else 160, 600 // cols)
    margin = _margin(40, 60, 30)
    figure_height = int(rows * tile_px + 80)
    colorbar = _colorbar(figure_height, margin, title={"text": "weight", "side": "top"})
    data = []
    for r, f in enumerate(filters):
        for c in range(channels):
            position = r * channels + c
            data.append(
                {
                    "type": "heatmap",
                    "z": kernel[:, :, c, f].astype(np.float32),
                    "colorscale": get_colorscale("RdBu_r"),
                    "zmin": -limit,
                    "zmax": limit,
                    "showscale": position == 0,
                    "colorbar": colorbar,
                    "hovertemplate": "row %{y}, column %{x}<br>weight %{z:.4f}<extra></extra>",
                    **grid.axes(position),
                }
            )
            grid.style(position, x={}, y={"autorange": "reversed"})
    layout = grid.layout(height=figure_height, margin=margin)
    return _figure(data, layout)
