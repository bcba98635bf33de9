"""Histograms of a stage's values, counted from the full-resolution maps.

Counting uses OpenCV's ``calcHist``: a value within float rounding of a bin
edge may be counted in the bin beside it (on 8-bit images, whose values sit
on a grid, that is a few values per edge); every value is counted once.

A stage may be computed a few filters at a time
(:func:`cnn_core.model.build_chunked_models`), and its range is known only at
the end. Each part is therefore counted into :data:`FINE_BINS` bins over its
own range, and the parts are then added into at most :data:`MAX_BINS` bins
over the whole stage's range. With one part the fine bins fold exactly into
the coarse ones (``FINE_BINS`` is a multiple of ``MAX_BINS``); with several,
a value can land one fine bin (1/64 of a coarse bin or less) away. Either
way, the counts add up to the number of values.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnn_core.errors import SpecError
from cnn_core.i18n import translate

__all__ = [
    "FINE_BINS",
    "HISTOGRAM_GAP_PX",
    "HISTOGRAM_PLOT_PX",
    "MAX_BINS",
    "ValueHistogram",
    "coarsen",
    "count_values",
    "histogram_title",
    "histogram_trace",
    "with_histogram",
]

#: Most bins a histogram on the page has.
MAX_BINS = 64
#: Bins each part of a stage is counted into before the parts are added.
FINE_BINS = MAX_BINS * 64


@dataclass(frozen=True)
class ValueHistogram:
    """Counts of values per bin.

    Attributes
    ----------
    counts : ndarray of int64, shape (b,)
    edges : ndarray of float64, shape (b + 1,)
        Bin ``i`` holds values in ``[edges[i], edges[i + 1])``; the last bin
        also holds its upper edge, as in :func:`numpy.histogram`.
    """

    counts: np.ndarray
    edges: np.ndarray

    @property
    def total(self) -> int:
        """Number of values counted."""
        return int(self.counts.sum())

    @property
    def centres(self) -> np.ndarray:
        """Middle of each bin."""
        return (self.edges[:-1] + self.edges[1:]) / 2


def _single(total, value):
    return ValueHistogram(np.array([total], np.int64), np.array([value - 0.5, value + 0.5]))


def count_values(values, bins=FINE_BINS, value_range=None):
    """Count ``values`` into ``bins`` equal bins from their minimum to maximum.

    Uses OpenCV's ``calcHist`` (several times faster than
    :func:`numpy.histogram` on millions of values), whose float32 counts are
    exact below 2**24, so it is given at most 2**23 values at a time.

    Parameters
    ----------
    values : ndarray
        Any shape; every value is counted.
    bins : int
    value_range : tuple of float, optional
        ``(min, max)`` of ``values`` when already known.

    Returns
    -------
    ValueHistogram
        One bin around the value when all values are equal.

    Examples
    --------
    >>> h = count_values(np.array([0.0, 0.0, 1.0, 3.0, 4.0]), bins=4)
    >>> h.counts.tolist(), h.edges.tolist()
    ([2, 1, 0, 2], [0.0, 1.0, 2.0, 3.0, 4.0])
    >>> count_values(np.zeros((3, 3))).counts.tolist()
    [9]
    """
    values = np.asarray(values)
    if values.size == 0:
        raise SpecError("errors.internal.no_values")
    if value_range is None:
        value_range = (values.min(), values.max())
    low, high = float(value_range[0]), float(value_range[1])
    if not high > low:
        return _single(values.size, low)
    flat = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    counts = np.zeros(bins, np.int64)
    for start in range(0, flat.size, _CALCHIST_VALUES):
        part = flat[start : start + _CALCHIST_VALUES].reshape(1, -1)
        counted = cv2.calcHist([part], [0], None, [bins], [low, high])
        counts += np.rint(counted.reshape(-1)).astype(np.int64)
    # calcHist's upper bound is exclusive; numpy's last bin holds the maximum.
    counts[-1] += np.count_nonzero(flat >= np.float32(high))
    return ValueHistogram(counts, np.linspace(low, high, bins + 1))


#: Values per calcHist call: its float32 counts are exact up to 2**24.
_CALCHIST_VALUES = 2**23


def coarsen(parts, low, high, bins=MAX_BINS):
    """Add histograms of a stage's parts into ``bins`` bins over ``[low, high]``.

    Parameters
    ----------
    parts : sequence of ValueHistogram
        From :func:`count_values` on each part of one stage.
    low, high : float
        The whole stage's minimum and maximum.
    bins : int

    Returns
    -------
    ValueHistogram

    Examples
    --------
    >>> values = np.arange(100.0)
    >>> whole = coarsen([count_values(values)], 0.0, 99.0, bins=4)
    >>> whole.counts.tolist() == np.histogram(values, 4)[0].tolist()
    True
    >>> halves = coarsen([count_values(values[:50]), count_values(values[50:])], 0.0, 99.0, 4)
    >>> halves.total
    100
    """
    parts = list(parts)
    total = sum(part.total for part in parts)
    if not high > low:
        return _single(total, low)
    edges = np.linspace(low, high, bins + 1)
    if len(parts) == 1:
        part = parts[0]
        fine = len(part.counts)
        if part.edges[0] == low and part.edges[-1] == high and fine % bins == 0:
            counts = part.counts.reshape(bins, fine // bins).sum(axis=1)
            return ValueHistogram(counts, edges)
    counts = np.zeros(bins, np.int64)
    for part in parts:
        index = np.floor((part.centres - low) / (high - low) * bins).astype(np.int64)
        counts += np.bincount(
            np.clip(index, 0, bins - 1), weights=part.counts, minlength=bins
        ).astype(np.int64)
    return ValueHistogram(counts, edges)


#: Pixels a histogram adds under a stage figure's tiles: the gap that holds
#: the tiles' x tick labels and axis title and the histogram's title, then
#: the histogram's plot area (its own tick labels and axis title sit in the
#: figure's bottom margin, where the tiles' were).
HISTOGRAM_GAP_PX = 72
HISTOGRAM_PLOT_PX = 110
#: Pixels the figure's bottom margin grows by, so that the histogram's axis
#: title clears its tick labels: plotly.js keeps a title inside the margins,
#: and the stage figures' bottom margin holds only the tiles' tick labels and
#: title, which sit at the same standoff.
HISTOGRAM_TITLE_PX = 14
#: Left margin, px, at least: the histogram's counts ("100k") are wider than
#: the tiles' row numbers, and its "count" title must fit beside them.
HISTOGRAM_LEFT_PX = 66


def histogram_trace(histogram, value_range, colorscale, lang="en"):
    """A histogram as one stepped outline, filled with the tiles' colour map.

    One filled path instead of a bar per bin: a bar chart of 64 bins puts
    some 130 elements in the page per stage, which the browser lays out and
    paints on every redraw; the outline is two. The fill runs through
    ``colorscale`` from ``value_range[0]`` to ``value_range[1]`` along the
    value axis, so every bin has the colour its values have in the tiles.
    Hovering over a bin states its range and count.

    Parameters
    ----------
    histogram : ValueHistogram
    value_range : tuple of float
        The range the stage's colour map spans.
    colorscale : list
        Plotly colour scale as colours (see :func:`cnn_core.color_scale.colorscale`).
    lang : str
        The language of the hover text.

    Returns
    -------
    dict
        A Plotly scatter trace. Its points are the bins' middles, with the
        first and last bin repeated at the outer edges; ``line.shape``
        ``"hvh"`` steps halfway between points, which is at every edge.

    Examples
    --------
    >>> h = count_values(np.array([0.0, 0.0, 1.0, 3.0]), bins=4)
    >>> gray = [[0, "rgb(0, 0, 0)"], [1, "rgb(255, 255, 255)"]]
    >>> trace = histogram_trace(h, (0.0, 3.0), gray)
    >>> trace["x"].tolist(), trace["y"].tolist()
    ([0.0, 0.375, 1.125, 1.875, 2.625, 3.0], [2, 2, 1, 0, 1, 1])
    >>> trace["fillgradient"]["start"], trace["fillgradient"]["stop"]
    (0.0, 3.0)
    """
    low, high = (float(value) for value in value_range)
    if not high > low:
        high = low + 1.0
    edges = histogram.edges
    counts = histogram.counts.astype(np.int64)
    x = np.concatenate([[edges[0]], histogram.centres, [edges[-1]]]).astype(np.float32)
    y = np.concatenate([[counts[0]], counts, [counts[-1]]]).astype(np.int32)
    bins = np.stack([edges[:-1], edges[1:]], axis=1)
    customdata = np.concatenate([bins[:1], bins, bins[-1:]]).astype(np.float32)
    return {
        "type": "scatter",
        "mode": "lines",
        "x": x,
        "y": y,
        "line": {"shape": "hvh", "width": 1, "color": "rgba(0,0,0,0.45)"},
        "fill": "tozeroy",
        "fillgradient": {
            "type": "horizontal",
            "colorscale": colorscale,
            "start": low,
            "stop": high,
        },
        "customdata": customdata,
        "hovertemplate": translate(lang, "figures.histogram.hover"),
    }


def histogram_title(histogram, zero_fraction=None, lang="en"):
    """What a histogram counts, and the share of exact zeros if given.

    Examples
    --------
    >>> h = count_values(np.array([0.0, 0.0, 1.0, 3.0]), bins=4)
    >>> histogram_title(h, 0.5)
    '4 values in 4 bins · exactly zero: 50.0%'
    >>> histogram_title(h, 0.5, "zh")
    '4 个值，分为 4 个区间 · 恰好为零：50.0%'
    """
    title = translate(
        lang, "figures.histogram.title", total=histogram.total, bins=len(histogram.counts)
    )
    if zero_fraction is not None:
        title += " · " + translate(lang, "figures.histogram.zeros", share=zero_fraction)
    return title


def _histogram_axes(suffix, y_domain, lang):
    return {
        f"xaxis{suffix}": {
            "domain": [0.0, 1.0],
            "anchor": f"y{suffix}",
            "title": {"text": translate(lang, "figures.colorbar.value")},
            "ticklabeloverflow": "allow",
            "zeroline": False,
        },
        f"yaxis{suffix}": {
            "domain": y_domain,
            "anchor": f"x{suffix}",
            # Counts such as "100k" are wider than the tiles' row numbers.
            "title": {"text": translate(lang, "figures.histogram.count"), "standoff": 34},
            "ticklabeloverflow": "allow",
            "rangemode": "tozero",
        },
    }


def with_histogram(figure, histogram, value_range, colorscale, zero_fraction=None, lang="en"):
    """A stage figure with its histogram drawn under the tiles, in the same chart.

    One chart per stage instead of two: the browser lays out, draws and
    updates each Plotly chart on its own, and a small chart of its own is
    sent again on every rerun (Streamlit caches only messages over 10 kB).
    The figure grows by :data:`HISTOGRAM_GAP_PX` + :data:`HISTOGRAM_PLOT_PX`
    pixels; everything it had keeps its size in pixels.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure
        A figure of :mod:`cnn_core.figures` built without validation (fixed
        pixel margins and height, axes ``x``, ``x2``, ...); changed in place.
    histogram : ValueHistogram
    value_range : tuple of float
        The range the stage's colour map spans (see :func:`histogram_trace`).
    colorscale : list
        Plotly colour scale as colours.
    zero_fraction : float, optional
        Share of values exactly zero, stated in the histogram's title (after
        an activation or pooling: the sparsity ReLU creates).
    lang : str
        The language of the histogram's title, axis titles and hover text.

    Returns
    -------
    plotly.graph_objects.Figure
        ``figure`` itself, changed in place.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> layout = {"height": 300, "margin": {"t": 50, "b": 50}}
    >>> fig = go.Figure({"data": [], "layout": layout}, _validate=False)
    >>> h = count_values(np.array([0.0, 0.0, 1.0, 3.0]), bins=4)
    >>> gray = [[0, "rgb(0, 0, 0)"], [1, "rgb(255, 255, 255)"]]
    >>> out = with_histogram(fig, h, (0.0, 3.0), gray, 0.5)
    >>> out.layout.height, [trace.type for trace in out.data], out.layout.yaxis.domain
    (496, ['scatter'], (0.0, 0.287958))
    >>> out.layout.annotations[0].text
    '4 values in 4 bins · exactly zero: 50.0%'
    """
    # Edited in place: a copy (``to_dict`` and a new Figure) of a 16-tile
    # figure costs more than drawing its tiles. ``_layout`` is the dict the
    # figure and its layout object read their properties from.
    layout = figure._layout
    margin = layout["margin"]
    old_plot = layout["height"] - margin["t"] - margin["b"]
    added = HISTOGRAM_GAP_PX + HISTOGRAM_PLOT_PX
    plot = old_plot + added

    def lifted(y):  # a paper y of the old plot area, in the new one
        return round((added + y * old_plot) / plot, 6)

    taken = 0
    for key, axis in layout.items():
        if key.startswith("yaxis") and "domain" in axis:
            axis["domain"] = [lifted(axis["domain"][0]), lifted(axis["domain"][1])]
        if key.startswith(("xaxis", "yaxis")):
            taken = max(taken, int(key[5:] or 1))
    annotations = layout.setdefault("annotations", [])
    for note in annotations:
        if note.get("yref") == "paper":
            note["y"] = lifted(note["y"])
    top = round(HISTOGRAM_PLOT_PX / plot, 6)
    suffix = "" if taken == 0 else str(taken + 1)
    layout.update(_histogram_axes(suffix, [0.0, top], lang))
    margin["b"] += HISTOGRAM_TITLE_PX
    margin["l"] = max(margin.get("l", 0), HISTOGRAM_LEFT_PX)
    layout["height"] = layout["height"] + added + HISTOGRAM_TITLE_PX
    annotations.append(
        {
            "text": histogram_title(histogram, zero_fraction, lang),
            "x": 0,
            "y": top,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 12},
        }
    )
    trace = histogram_trace(histogram, value_range, colorscale, lang)
    trace.update({"xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "showlegend": False})
    figure.add_trace(trace)
    return figure
