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
import plotly.graph_objects as go

from cnn_core.errors import SpecError
from cnn_core.i18n import translate

__all__ = ["FINE_BINS", "MAX_BINS", "ValueHistogram", "coarsen", "count_values", "histogram_figure"]

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


def histogram_figure(histogram, value_range, colorscale, zero_fraction=None, lang="en"):
    """A small bar chart of a stage's values, bars coloured like the tiles.

    Parameters
    ----------
    histogram : ValueHistogram
    value_range : tuple of float
        The range the stage's colour map spans; each bar gets the colour its
        middle value has in the tiles.
    colorscale : list
        Plotly colour scale as colours (see :func:`cnn_core.color_scale.colorscale`).
    zero_fraction : float, optional
        Share of values exactly zero, stated in the title (after an
        activation or pooling: the sparsity ReLU creates).
    lang : str
        The language of the title, axis titles and hover text.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> h = count_values(np.array([0.0, 0.0, 1.0, 3.0]), bins=4)
    >>> fig = histogram_figure(h, (0.0, 3.0), [[0, "black"], [1, "white"]], 0.5)
    >>> fig.layout.title.text
    '4 values in 4 bins · exactly zero: 50.0%'
    >>> histogram_figure(h, (0.0, 3.0), [[0, "black"], [1, "white"]], 0.5, "zh").layout.title.text
    '4 个值，分为 4 个区间 · 恰好为零：50.0%'
    """
    widths = np.diff(histogram.edges)
    low, high = value_range
    title = translate(
        lang, "figures.histogram.title", total=histogram.total, bins=len(histogram.counts)
    )
    if zero_fraction is not None:
        title += " · " + translate(lang, "figures.histogram.zeros", share=zero_fraction)
    bar = {
        "type": "bar",
        "x": histogram.centres.astype(np.float32),
        "y": histogram.counts.astype(np.int32),
        "width": (widths * 0.98).astype(np.float32),
        "marker": {
            "color": histogram.centres.astype(np.float32),
            "colorscale": colorscale,
            "cmin": low,
            "cmax": high if high > low else low + 1,
            "line": {"width": 0.5, "color": "rgba(0,0,0,0.35)"},
        },
        "customdata": np.stack([histogram.edges[:-1], histogram.edges[1:]], axis=1).astype(
            np.float32
        ),
        "hovertemplate": translate(lang, "figures.histogram.hover"),
    }
    layout = {
        "title": {"text": title, "font": {"size": 12}, "x": 0, "xanchor": "left"},
        "height": 185,
        "margin": {"l": 50, "r": 10, "t": 30, "b": 48, "autoexpand": False},
        "bargap": 0,
        "xaxis": {
            "title": {"text": translate(lang, "figures.colorbar.value"), "standoff": 4},
            "ticklabeloverflow": "allow",
            "zeroline": False,
        },
        "yaxis": {
            "title": {"text": translate(lang, "figures.histogram.count")},
            "ticklabeloverflow": "allow",
            "rangemode": "tozero",
        },
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        # Not Plotly's default template (7 kB, nine tenths of this figure):
        # Streamlit's theme fills this one in the browser. Under Streamlit's
        # 10 kB message cache, a small chart is sent again on every rerun.
        "template": {"layout": {}},
    }
    return go.Figure({"data": [bar], "layout": layout}, _validate=False)
