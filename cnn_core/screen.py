"""A figure as the browser gets it: styled in place, and cheap to draw again.

Streamlit 1.67 draws every new chart twice: once as it mounts, and again as
soon as its chart component re-applies the theme to a JSON copy of the
figure. plotly.js then compares the copy with what it drew, and three things
make it recompute and redraw everything, which costs a stage chart as much as
the first draw (40-60 ms on a 2-core machine, per chart, per change):

- ``layout.template``: Streamlit's theme lives there, and a template is
  compared by identity, so a copy always differs;
- one-dimensional arrays sent as typed arrays (``{"dtype", "bdata"}``) are
  compared by identity too;
- without ``layout.datarevision``, every data array is.

:func:`screen_dict` removes all three: it writes the theme's values into the
layout itself (:data:`STYLE`, which the chart must then be shown with
``theme=None``), sends one-dimensional arrays as plain lists, and sets
``datarevision`` to a digest of the figure, so that plotly.js trusts equal
arrays to be equal. The second draw then only restyles (about 12 ms).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import numpy as np

__all__ = ["STYLE", "screen_dict"]

#: Streamlit's sans-serif, as its chart theme names it.
FONT = '"Source Sans", sans-serif'

#: Labels, ticks and hover text: grey, three quarters of the base font size.
_LABELS = {"color": "#808495", "size": 12.75}

#: Tick, grid and zero lines.
_LINES = "#e6eaf1"

#: What Streamlit 1.67's chart theme sets for this app's light theme
#: (``.streamlit/config.toml``: text colour #111418, base font size 17 px,
#: of which charts use three quarters), read from a chart it drew. Grey
#: labels, light tick and grid lines, bold dark titles.
STYLE = {
    "font": {"family": FONT, **_LABELS},
    "title": {
        "font": {"family": FONT, "size": 17, "color": "#111418", "weight": 700},
        "pad": {"l": 4.25},
        "x": 0,
        "xanchor": "left",
    },
    "hoverlabel": {
        "bgcolor": "#ffffff",
        "bordercolor": "rgba(17, 20, 24, 0.2)",
        "font": {"family": FONT, **_LABELS},
    },
    "colorway": [
        "#0068c9",
        "#83c9ff",
        "#ff2b2b",
        "#ffabab",
        "#29b09d",
        "#7defa1",
        "#ff8700",
        "#ffd16a",
        "#6d3fc0",
        "#d5dae5",
    ],
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "margin": {"pad": 8.5, "l": 0, "r": 0},
}

_AXIS = {
    "zerolinecolor": _LINES,
    "gridcolor": _LINES,
    "tickcolor": _LINES,
    "tickfont": _LABELS,
    "automargin": True,
}

#: Every x axis and every y axis (a template's ``xaxis`` applies to all).
#: Not the theme's minor grid colour: set in the layout rather than in a
#: template, ``minor`` turns plotly.js's minor grid on.
AXES = {
    "xaxis": _AXIS
    | {
        "showgrid": False,
        "zeroline": False,
        "title": {"font": {"size": 14.875}, "standoff": 21.25},
    },
    "yaxis": _AXIS
    | {"ticklabelposition": "outside", "title": {"font": {"size": 14.875}, "standoff": 25.5}},
}


def _under(style, given):
    """``given`` with ``style`` filled in wherever ``given`` says nothing."""
    if not isinstance(style, dict) or not isinstance(given, dict):
        return given
    merged = {key: copy.deepcopy(value) for key, value in style.items() if key not in given}
    for key, value in given.items():
        merged[key] = _under(style[key], value) if key in style else value
    return merged


def _plain(value):
    """Plotly's base64 one-dimensional arrays, at any depth, as lists."""
    if isinstance(value, dict):
        if set(value) == {"dtype", "bdata"}:
            return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _digest(figure):
    """A short digest of a figure's content (its arrays included)."""

    def encode(value):
        if isinstance(value, np.ndarray):
            return {"array": value.dtype.str, "shape": value.shape, "bytes": value.tobytes().hex()}
        raise TypeError(type(value).__name__)

    text = json.dumps(figure, sort_keys=True, default=encode)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def screen_dict(figure):
    """A figure dict made ready for the browser (see the module's text).

    Parameters
    ----------
    figure : dict
        ``Figure.to_dict()``: ``data`` and ``layout``.

    Returns
    -------
    dict
        A new dict, ``figure`` is not changed: no ``layout.template``;
        :data:`STYLE` and :data:`AXES` under the layout's own values (which
        win); one-dimensional arrays as lists; ``layout.datarevision`` a
        digest of everything else, so equal figures get equal digests.

    Examples
    --------
    >>> made = screen_dict({"data": [], "layout": {"template": {}, "title": {"text": "t"}}})
    >>> "template" in made["layout"], made["layout"]["title"]["font"]["weight"]
    (False, 700)
    """
    layout = {key: value for key, value in figure.get("layout", {}).items() if key != "template"}
    layout = _under(STYLE, layout)
    for name in ("xaxis", "yaxis"):
        layout.setdefault(name, {})
    for name in list(layout):
        kind = name.rstrip("0123456789")
        if kind in AXES and isinstance(layout[name], dict):
            layout[name] = _under(AXES[kind], layout[name])
    made = {**figure, "data": _plain(figure.get("data", [])), "layout": _plain(layout)}
    made["layout"]["datarevision"] = _digest(made)
    return made
