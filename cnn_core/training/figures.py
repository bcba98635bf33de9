"""Figures of the Train page: curves, the drawn digit, probabilities, layer maps.

Builders take every word they show as an argument (the page passes them in
the student's language); the numbers come from the training and the model.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnn_core.display import grid_shape

__all__ = ["curves_figure", "digit_figure", "maps_figure", "probabilities_figure"]

_TRAIN, _VAL = "#1f5fbf", "#d9534f"


def curves_figure(history, words):
    """Loss and accuracy per epoch, training and validation, side by side.

    Parameters
    ----------
    history : dict of str to sequence of float
        ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` per epoch.
    words : dict of str to str
        ``loss``, ``accuracy``, ``train``, ``validation``, ``epoch``.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> words = dict(loss="loss", accuracy="accuracy", train="train",
    ...              validation="validation", epoch="epoch")
    >>> figure = curves_figure({"loss": [2.0, 1.0], "accuracy": [0.5, 0.8],
    ...                         "val_loss": [1.5, 1.1], "val_accuracy": [0.6, 0.7]}, words)
    >>> [trace.name for trace in figure.data], list(figure.data[3].y)
    (['train', 'validation', 'train', 'validation'], [0.6, 0.7])
    """
    figure = make_subplots(rows=1, cols=2, subplot_titles=(words["loss"], words["accuracy"]))
    for col, metric in enumerate(("loss", "accuracy"), start=1):
        for key, name, color in ((metric, "train", _TRAIN), (f"val_{metric}", "validation", _VAL)):
            values = list(history.get(key, ()))
            figure.add_trace(
                go.Scatter(
                    x=list(range(1, len(values) + 1)),
                    y=values,
                    mode="lines+markers",
                    name=words[name],
                    legendgroup=name,
                    showlegend=col == 1,
                    line={"color": color},
                ),
                row=1,
                col=col,
            )
        figure.update_xaxes(title_text=words["epoch"], row=1, col=col, rangemode="tozero")
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    figure.update_yaxes(range=[0, 1.02], row=1, col=2)
    figure.update_layout(
        height=300,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


_HOVER = ("row", "column")


def _hover(axes, value):
    """A hover template: "row %{y}, column %{x}: <value>", in the page's words."""
    row, column = axes
    return f"{row} %{{y}}, {column} %{{x}}: {value}<extra></extra>"


def digit_figure(values, title, max_value=16, show_numbers=True, axes=_HOVER):
    """A small grid of values (the 8x8 counts, or the 32x32 bitmap) as a heatmap.

    Ink is dark, as drawn; with ``show_numbers`` each cell prints its value.
    ``axes`` are the words for row and column in the hover text.

    Examples
    --------
    >>> figure = digit_figure(np.eye(8, dtype=int) * 16, "8x8")
    >>> figure.data[0].zmax, figure.data[0].texttemplate
    (16, '%{z}')
    """
    values = np.asarray(values)
    heatmap = go.Heatmap(
        z=values.astype(np.int64),
        zmin=0,
        zmax=max_value,
        colorscale="Greys",
        showscale=False,
        hovertemplate=_hover(axes, "%{z}"),
        texttemplate="%{z}" if show_numbers else None,
        textfont={"size": 11},
    )
    figure = go.Figure(heatmap)
    figure.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    figure.update_xaxes(showticklabels=False, constrain="domain")
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=260,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def probabilities_figure(probabilities, words):
    """The softmax output as bars, the top digit highlighted and named in the title.

    Parameters
    ----------
    probabilities : ndarray, shape (10,)
    words : dict
        ``title`` (naming the top digit), ``digit``, ``probability``.

    Examples
    --------
    >>> p = np.full(10, 0.05); p[3] = 0.55
    >>> figure = probabilities_figure(p, {"title": "a 3", "digit": "digit",
    ...                                   "probability": "probability"})
    >>> figure.layout.title.text, figure.data[0].marker.color[3]
    ('a 3', '#1f5fbf')
    """
    probabilities = np.asarray(probabilities, np.float64)
    top = int(probabilities.argmax())
    colors = [_TRAIN if d == top else "#aab4c3" for d in range(len(probabilities))]
    figure = go.Figure(
        go.Bar(
            x=[str(d) for d in range(len(probabilities))],
            y=probabilities,
            marker={"color": colors},
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": words["title"]},
        xaxis_title=words["digit"],
        yaxis={"title": words["probability"], "range": [0, 1.1]},
        height=300,
        margin={"l": 50, "r": 10, "t": 50, "b": 40},
    )
    return figure


def maps_figure(maps, title, names, axes=_HOVER):
    """One layer's maps for the drawn digit, a small heatmap per channel.

    Parameters
    ----------
    maps : ndarray, shape (h, w, channels)
    title : str
    names : sequence of str
        One tile title per channel.
    axes : (str, str)
        The words for row and column in the hover text.

    Examples
    --------
    >>> figure = maps_figure(np.zeros((4, 4, 5)), "pool", [f"map {i}" for i in range(5)])
    >>> len(figure.data), figure.layout.height
    (5, 220)
    """
    maps = np.asarray(maps, np.float32)
    channels = maps.shape[2]
    rows, cols = grid_shape(channels)
    figure = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=list(names)[:channels],
        horizontal_spacing=0.02,
        vertical_spacing=min(0.08, 0.3 / rows),
    )
    low, high = float(maps.min()), float(maps.max())
    if high <= low:
        high = low + 1.0
    for c in range(channels):
        figure.add_trace(
            go.Heatmap(
                z=maps[:, :, c],
                zmin=low,
                zmax=high,
                colorscale="Viridis",
                showscale=c == 0,
                colorbar={"len": 0.8, "thickness": 12},
                hovertemplate=_hover(axes, "%{z:.3f}"),
            ),
            row=c // cols + 1,
            col=c % cols + 1,
        )
    figure.update_yaxes(autorange="reversed", showticklabels=False)
    figure.update_xaxes(showticklabels=False, constrain="domain")
    for c in range(channels):  # square pixels in every tile
        suffix = "" if c == 0 else str(c + 1)
        figure.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    figure.update_annotations(font={"size": 10})
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=int(60 + rows * 80 if rows > 1 else 220),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return figure
