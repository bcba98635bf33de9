"""Pictures for the Convolution step: the map to click, the input with the
window on it (and its animation along a row), and patch x kernel = products.

Like :mod:`cnn_core.figures`, figures are plain dicts wrapped without
Plotly's validation (``tests/test_step_figures.py`` validates them).
"""

from __future__ import annotations

import cv2
import numpy as np
import plotly.graph_objects as go

from cnn_core.color_scale import DIVERGING, named_colorscale
from cnn_core.conv_step import format_value, row_positions
from cnn_core.conv_windows import runs
from cnn_core.explain import counted
from cnn_core.figures import _GRAY, _figure, _Grid, image_uri, to_uint8
from cnn_core.i18n import translate

__all__ = [
    "MAX_FRAMES",
    "animation_positions",
    "input_figure",
    "map_picture",
    "step_grid_figure",
]

#: Most animation frames "Play" has: longer rows are played every m-th position.
MAX_FRAMES = 64
#: Largest side of the pictures of the input and of the map, px.
PICTURE_PX = 480
#: Colour of the window's outline and of the chosen pixel.
WINDOW_COLOR = "rgb(230, 30, 30)"
#: Shading of rows and columns that no window reads.
UNUSED_COLOR = "rgba(255, 150, 0, 0.45)"
#: Hatching of zero padding.
PAD_PATTERN = {"shape": "/", "fgcolor": "rgb(70, 110, 200)", "bgcolor": "rgba(255,255,255,0.9)"}


def _resized(pixels, side):
    """Shrink to ``side`` (area average) or enlarge by a whole factor (crisp blocks)."""
    height, width = pixels.shape[:2]
    longest = max(height, width)
    if longest > side:
        scale = side / longest
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    factor = max(1, side // longest)
    return np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)


def map_picture(conv_map, row, col, side=PICTURE_PX):
    """One filter's map as an RGB picture to click on, the chosen pixel boxed in red.

    Parameters
    ----------
    conv_map : ndarray, shape (H, W)
    row, col : int
        The chosen output pixel.
    side : int
        About the longer side of the picture, px.

    Returns
    -------
    ndarray of uint8, shape (h, w, 3)
        Black to white from the map's minimum to its maximum. Clicks map back
        to pixels with :func:`cnn_core.conv_step.pixel_from_click`.

    Examples
    --------
    >>> picture = map_picture(np.zeros((6, 6)), 2, 3)
    >>> picture.shape, picture[159, 280].tolist(), picture[200, 280].tolist()
    ((480, 480, 3), [230, 30, 30], [128, 128, 128])
    """
    conv_map = np.asarray(conv_map, np.float32)
    height, width = conv_map.shape
    gray = to_uint8(conv_map, (float(conv_map.min()), float(conv_map.max())))
    picture = np.repeat(_resized(gray, side)[:, :, None], 3, axis=2)
    ph, pw = picture.shape[:2]
    cy, cx = (row + 0.5) * ph / height, (col + 0.5) * pw / width
    half = max(ph / height, pw / width, 8.0) / 2 + 1
    top, bottom = round(cy - half), round(cy + half)
    left, right = round(cx - half), round(cx + half)
    cv2.rectangle(picture, (left, top), (right, bottom), (230, 30, 30), 2)
    if ph / height < 8:  # a pixel smaller than the box: mark its centre too
        picture[int(cy), int(cx)] = (230, 30, 30)
    return picture


def _uri(pixels):
    """JPEG data URI of an 8-bit grayscale or RGB picture (:func:`image_uri`
    takes BGR, as OpenCV encodes it)."""
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2BGR)
    return image_uri(pixels)


def _count(count, word, lang):
    return counted(f"step.count.{word}", count).render(lang)


def _box(top, bottom, left, right):
    """Closed outline of the cells ``top..bottom`` x ``left..right`` (inclusive)."""
    y0, y1, x0, x1 = top - 0.5, bottom + 0.5, left - 0.5, right + 0.5
    return [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]


def _polygons(boxes):
    """Several outlines as one trace's x and y, separated by None."""
    xs, ys = [], []
    for box in boxes:
        x, y = _box(*box)
        xs += [*x, None]
        ys += [*y, None]
    return xs, ys


def _filled_boxes(boxes, name, fillcolor, line, **extra):
    """One scatter trace that fills ``boxes`` (see :func:`_box`), named ``name`` on hover."""
    xs, ys = _polygons(boxes)
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "lines",
        "fill": "toself",
        "fillcolor": fillcolor,
        "line": line,
        "name": name,
        "hoverinfo": "name",
        **extra,
    }


def _outline(step):
    top, bottom = int(step.rows[0]), int(step.rows[-1])
    left, right = int(step.cols[0]), int(step.cols[-1])
    return _box(top, bottom, left, right)


def _label(step, value, above):
    """Where and what the moving label says: the output position and its value."""
    x = float((step.cols[0] + step.cols[-1]) / 2)
    y = float(step.rows[0] - 1.5) if above else float(step.rows[-1] + 1.5)
    return [x], [y], [f"({step.row}, {step.col}) = {format_value(value)}"]


def input_figure(
    pixels, value_range, rows, cols, step, value, read_rows, read_cols, play_steps=None, lang="en"
):
    """The input with the window outlined, padding hatched and unread rows shaded.

    Parameters
    ----------
    pixels : ndarray, shape (n, n) or (n, n, 3)
        The convolution's input.
    value_range : tuple of float
        Pixel values mapped to black and white (``(0, 255)`` or ``(0, 1)``).
    rows, cols : StepGeometry
        Geometry along each axis (padding per side, output size).
    step : ConvStep
        The chosen position.
    value : float
        The forward pass's value there, for the label.
    read_rows, read_cols : ndarray of bool, shape (n,)
        :func:`cnn_core.conv_windows.read_mask` along each axis.
    play_steps : sequence of (ConvStep, float), optional
        Positions along the row for "Play" (see :func:`animation_positions`),
        each with the forward pass's value; animated in the browser.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    pixels = np.asarray(pixels, np.float32)
    n_rows, n_cols = pixels.shape[:2]
    picture = _resized(to_uint8(pixels, value_range), PICTURE_PX)
    dy, dx = n_rows / picture.shape[0], n_cols / picture.shape[1]
    y_range = [n_rows + rows.pad_after - 0.5, -rows.pad_before - 0.5]
    x_range = [-cols.pad_before - 0.5, n_cols + cols.pad_after - 0.5]
    data = [
        {
            "type": "image",
            "source": _uri(picture),
            "x0": dx / 2 - 0.5,
            "dx": dx,
            "y0": dy / 2 - 0.5,
            "dy": dy,
            "hoverinfo": "skip",
            "name": "input",
        }
    ]
    pads = []
    if rows.pad_before:
        pads.append((-rows.pad_before, -1, -cols.pad_before, n_cols + cols.pad_after - 1))
    if rows.pad_after:
        pads.append((n_rows, n_rows + rows.pad_after - 1, -cols.pad_before, n_cols - 1))
    if cols.pad_before:
        pads.append((0, n_rows + rows.pad_after - 1, -cols.pad_before, -1))
    if cols.pad_after:
        pads.append((0, n_rows + rows.pad_after - 1, n_cols, n_cols + cols.pad_after - 1))
    if pads:
        data.append(
            _filled_boxes(
                pads,
                translate(lang, "step.figure.zero_padding"),
                "rgba(255,255,255,0.9)",
                {"width": 0.5, "color": PAD_PATTERN["fgcolor"]},
                fillpattern=PAD_PATTERN,
            )
        )
    unused = [(a, b - 1, 0, n_cols - 1) for a, b in runs(read_rows)]
    unused += [(0, n_rows - 1, a, b - 1) for a, b in runs(read_cols)]
    if unused:
        data.append(
            _filled_boxes(
                unused, translate(lang, "step.figure.never_read"), UNUSED_COLOR, {"width": 0}
            )
        )
    window_trace = len(data)
    ox, oy = _outline(step)
    data.append(
        {
            "type": "scatter",
            "x": ox,
            "y": oy,
            "mode": "lines",
            "line": {"color": WINDOW_COLOR, "width": 2.5},
            "name": "window",
            "hoverinfo": "skip",
        }
    )
    above = step.row * 2 >= rows.out
    lx, ly, text = _label(step, value, above)
    data.append(
        {
            "type": "scatter",
            "x": lx,
            "y": ly,
            "mode": "text",
            "text": text,
            "textposition": "top center" if above else "bottom center",
            "textfont": {
                "color": WINDOW_COLOR,
                "size": 14,
                "weight": 700,
                "shadow": "0 0 3px white, 0 0 3px white, 0 0 2px white",
            },
            "hoverinfo": "skip",
            "name": "output",
        }
    )
    annotations = []
    for text_, x, y, anchor in (
        (_count(rows.pad_before, "zero_row", lang), 0.5, 1.0, "bottom"),
        (_count(rows.pad_after, "zero_row", lang), 0.5, 0.0, "top"),
    ):
        if rows.pad_before or rows.pad_after:
            annotations.append(
                {
                    "text": text_,
                    "x": x,
                    "y": y,
                    "xref": "paper",
                    "yref": "paper",
                    "yanchor": anchor,
                    "showarrow": False,
                    "font": {"size": 12, "color": PAD_PATTERN["fgcolor"]},
                }
            )
    if cols.pad_before or cols.pad_after:
        for text_, x, anchor in (
            (_count(cols.pad_before, "zero_column", lang), 0.0, "right"),
            (_count(cols.pad_after, "zero_column", lang), 1.0, "left"),
        ):
            annotations.append(
                {
                    "text": text_,
                    "x": x,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": anchor,
                    "textangle": -90,
                    "showarrow": False,
                    "font": {"size": 12, "color": PAD_PATTERN["fgcolor"]},
                }
            )
    axis = {"showgrid": False, "zeroline": False, "ticklabeloverflow": "allow"}
    layout = {
        "xaxis": {
            **axis,
            "range": x_range,
            "title": {"text": translate(lang, "figures.axis.column")},
            "constrain": "domain",
        },
        "yaxis": {
            **axis,
            "range": y_range,
            "title": {"text": translate(lang, "figures.axis.row")},
            "scaleanchor": "x",
            "constrain": "domain",
        },
        "height": 500,
        "margin": {"l": 60, "r": 30, "t": 30, "b": 95, "autoexpand": False},
        "showlegend": False,
        "annotations": annotations,
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    figure = {"data": data, "layout": layout}
    if play_steps:
        frames = []
        for frame_step, frame_value in play_steps:
            fx, fy = _outline(frame_step)
            lx, ly, text = _label(frame_step, frame_value, above)
            frames.append(
                {
                    "name": str(frame_step.col),
                    "data": [{"x": fx, "y": fy}, {"x": lx, "y": ly, "text": text}],
                    "traces": [window_trace, window_trace + 1],
                }
            )
        figure["frames"] = frames
        play = {"frame": {"duration": 160, "redraw": False}, "transition": {"duration": 0}}
        layout["updatemenus"] = [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0,
                "y": -0.1,
                "xanchor": "left",
                "yanchor": "top",
                "showactive": False,
                "pad": {"t": 10},
                "buttons": [
                    {
                        "label": "▶ " + translate(lang, "step.figure.play"),
                        "method": "animate",
                        "args": [None, {**play, "fromcurrent": True, "mode": "immediate"}],
                    },
                    {
                        "label": "❚❚ " + translate(lang, "step.figure.pause"),
                        "method": "animate",
                        "args": [[None], {**play, "mode": "immediate"}],
                    },
                ],
            }
        ]
    if play_steps:
        return _AnimatedFigure(data, layout, figure["frames"])
    return _figure(data, layout)


class _AnimatedFigure(go.Figure):
    """A figure whose animation frames stay plain dicts until :meth:`to_dict`.

    Plotly turns every frame into a ``Frame`` holding one ``Scatter`` object
    per trace, validated or not, which costs several times more than the
    rest of the figure (about 60 ms for 64 frames). Streamlit only needs
    ``to_dict()``; ``tests/test_step_figures.py`` validates the result.
    """

    def __init__(self, data, layout, frames):
        super().__init__({"data": data, "layout": layout}, _validate=False)
        self._plain_frames = frames

    def to_dict(self):
        """The figure as a dict, frames included."""
        result = super().to_dict()
        result["frames"] = [dict(frame) for frame in self._plain_frames]
        return result


def animation_positions(out, max_frames=MAX_FRAMES):
    """Output columns "Play" visits along a row (see :func:`row_positions`)."""
    return row_positions(out, max_frames)


def _cells(inside):
    """Outlines of the padding cells of a patch."""
    return [(int(r), int(r), int(c), int(c)) for r, c in zip(*np.nonzero(~inside), strict=True)]


def step_grid_figure(step, channel_names, value_range, numbers=None, lang="en"):
    """Patch, kernel and their elementwise products side by side, one row per channel.

    Parameters
    ----------
    step : ConvStep
    channel_names : sequence of str
        One per input channel.
    value_range : tuple of float
        Pixel range of the input, for the patch's gray levels.
    numbers : bool, optional
        Print each value in its cell; default when k <= 7 (otherwise hover).
    lang : str
        The language of the titles and hover text.

    Returns
    -------
    plotly.graph_objects.Figure
        Padding cells of the patch and the products are hatched (they hold zeros).
    """
    k, _, channels = step.patch.shape
    numbers = k <= 7 if numbers is None else numbers
    titles = []
    for name in channel_names:
        for what in ("patch", "kernel", "product"):
            if channels == 1:
                titles.append(translate(lang, f"step.grid.{what}"))
            else:
                titles.append(translate(lang, f"step.grid.{what}_of", channel=name))
    grid = _Grid(channels, 3, titles, 0.06, 0.16 if channels > 1 else 0.0)
    weight_limit = float(np.abs(step.kernel).max()) or 1.0
    product_limit = float(np.abs(step.products).max()) or 1.0
    low, high = value_range
    padding = _cells(step.inside)
    column_title = translate(lang, "step.grid.column")
    row_title = translate(lang, "step.grid.row")
    diverging = named_colorscale(DIVERGING)
    data = []
    for c in range(channels):
        tiles = (
            (step.patch[:, :, c], _GRAY, low, high, "pixel"),
            (step.kernel[:, :, c], diverging, -weight_limit, weight_limit, "weight"),
            (
                step.products[:, :, c],
                diverging,
                -product_limit,
                product_limit,
                "product",
            ),
        )
        for position_in_row, (z, scale, zmin, zmax, what) in enumerate(tiles):
            position = c * 3 + position_in_row
            axes = grid.axes(position)
            trace = {
                "type": "heatmap",
                "z": np.ascontiguousarray(z, dtype=np.float32),
                "x": step.cols.tolist(),
                "y": step.rows.tolist(),
                "colorscale": scale,
                "zmin": zmin,
                "zmax": zmax,
                "showscale": False,
                "xgap": 1 if k <= 15 else 0,
                "ygap": 1 if k <= 15 else 0,
                "hovertemplate": translate(lang, f"step.grid.hover_{what}"),
                **axes,
            }
            if what == "weight":
                trace["x"] = list(range(k))
                trace["y"] = list(range(k))
                trace["hovertemplate"] = translate(lang, "step.grid.hover_kernel")
            if numbers:
                trace["texttemplate"] = "%{z:.3g}"
                trace["textfont"] = {"size": 13 if k <= 5 else 11}
            data.append(trace)
            if padding and what != "weight":
                cells = [
                    (step.rows[r], step.rows[r], step.cols[col], step.cols[col])
                    for r, _, col, _ in padding
                ]
                data.append(
                    _filled_boxes(
                        cells,
                        translate(lang, "step.grid.padding"),
                        "rgba(255,255,255,0.5)",
                        {"width": 0},
                        # Light hatching over the cell, so its printed 0 shows through.
                        fillpattern=PAD_PATTERN | {"bgcolor": "rgba(0,0,0,0)", "fgopacity": 0.45},
                        **axes,
                    )
                )
            grid.style(
                position,
                x={"title": {"text": column_title}, "ticklabeloverflow": "allow"},
                y={
                    "title": {"text": row_title if position_in_row == 0 else None},
                    "autorange": "reversed",
                },
            )
    layout = grid.layout(
        height=int(channels * 340 + 60),
        margin={"l": 62, "r": 20, "t": 40, "b": 60, "autoexpand": False},
        showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return _figure(data, layout)
