"""Which values map to which colours: the "Color scale" modes and colour maps.

Three modes, the same three as CNN Explainer:

* ``"per map"``: each tile spans its own minimum..maximum;
* ``"per stage"``: one range for all tiles of a stage;
* ``"whole pipeline"``: one range from the input to the last stage.

Stages whose values can be negative (the convolution, and an activation that
lets negative values through, and pooling after it) use a diverging colour
map centred on zero: their range is symmetric, ``[-m, m]``, so zero is the
same neutral colour in every tile and every stage. The others keep the
black-to-white sequential map.
"""

from __future__ import annotations

import functools

import numpy as np
from plotly.colors import get_colorscale, sample_colorscale

from cnn_core.errors import SpecError
from cnn_core.i18n import Message

__all__ = [
    "COLOR_SCALES",
    "DIVERGING",
    "SIGNED_ACTIVATIONS",
    "colormap_lut",
    "colorscale",
    "is_signed",
    "named_colorscale",
    "pipeline_range",
    "scale_label",
    "stage_range",
    "tile_ranges",
]

#: The "Color scale" options, in the order the page lists them.
COLOR_SCALES = ("per map", "per stage", "whole pipeline")
#: Activations whose output can be negative.
SIGNED_ACTIVATIONS = ("none", "tanh", "leaky_relu", "elu")
#: Plotly colour scale for signed stages: blue below zero, red above.
DIVERGING = "RdBu_r"
#: Black to white, as the tiles' gray levels.
SEQUENTIAL = [[0.0, "rgb(0, 0, 0)"], [1.0, "rgb(255, 255, 255)"]]


def scale_label(mode):
    """The display label of a "Color scale" mode (a value of :data:`COLOR_SCALES`).

    Examples
    --------
    >>> scale_label("per map").render("zh")
    '每张特征图单独'
    """
    return Message.of("figures.color_scale." + mode.replace(" ", "_"))


def is_signed(stage_key, activation):
    """Whether a stage's values can be negative, so it gets the diverging map.

    Parameters
    ----------
    stage_key : str
        "input", "conv", "activation" or "pool" (a later block's stage keys
        may carry a suffix, e.g. "conv_2").
    activation : str
        The block's activation.

    Examples
    --------
    >>> is_signed("conv", "relu"), is_signed("activation", "relu"), is_signed("pool", "tanh")
    (True, False, True)
    >>> is_signed("input", "none")
    False
    """
    kind = stage_key.split("_", 1)[0]
    if kind == "conv":
        return True
    if kind in ("activation", "pool"):
        return activation in SIGNED_ACTIVATIONS
    return False


def pipeline_range(stages):
    """The smallest and largest value over every stage.

    Parameters
    ----------
    stages : iterable of objects with ``minimum`` and ``maximum``
        E.g. the :class:`~cnn_core.forward.StageMaps` of a forward pass.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> pipeline_range([S(minimum=0.0, maximum=255.0), S(minimum=-40.0, maximum=90.0)])
    (-40.0, 255.0)
    """
    stages = list(stages)
    return (
        float(min(stage.minimum for stage in stages)),
        float(max(stage.maximum for stage in stages)),
    )


def _symmetric(low, high):
    limit = np.maximum(np.abs(low), np.abs(high))
    return -limit, limit


def stage_range(minimum, maximum, signed):
    """One stage's colour range as "per stage" shows it: symmetric around zero
    when the stage is signed, else its own minimum..maximum.

    Examples
    --------
    >>> stage_range(-2.0, 5.0, signed=True), stage_range(0.0, 5.0, signed=False)
    ((-5.0, 5.0), (0.0, 5.0))
    """
    if signed:
        low, high = _symmetric(minimum, maximum)
        return float(low), float(high)
    return float(minimum), float(maximum)


def tile_ranges(mode, channel_min, channel_max, signed, pipeline=None):
    """The value range each tile's colours span.

    Parameters
    ----------
    mode : {"per map", "per stage", "whole pipeline"}
    channel_min, channel_max : array_like, shape (C,)
        Each channel's minimum and maximum over its full map.
    signed : bool
        Diverging map: ranges are made symmetric around zero.
    pipeline : tuple of float, optional
        :func:`pipeline_range`; required for "whole pipeline".

    Returns
    -------
    low, high : ndarray of float64, shape (C,)

    Examples
    --------
    >>> lo, hi = tile_ranges("per map", [0.0, -2.0], [1.0, 1.0], signed=True)
    >>> lo.tolist(), hi.tolist()
    ([-1.0, -2.0], [1.0, 2.0])
    >>> lo, hi = tile_ranges("per stage", [0.0, 5.0], [1.0, 9.0], signed=False)
    >>> lo.tolist(), hi.tolist()
    ([0.0, 0.0], [9.0, 9.0])
    >>> tile_ranges("whole pipeline", [0.0], [1.0], False, pipeline=(-3.0, 255.0))[0].tolist()
    [-3.0]
    """
    low = np.asarray(channel_min, np.float64)
    high = np.asarray(channel_max, np.float64)
    if low.shape != high.shape or low.ndim != 1:
        raise SpecError(
            "errors.internal.tile_range_shape", low=str(low.shape), high=str(high.shape)
        )
    if mode == "per stage":
        low, high = np.full_like(low, low.min()), np.full_like(high, high.max())
    elif mode == "whole pipeline":
        if pipeline is None:
            raise SpecError("errors.internal.pipeline_range_missing")
        low, high = np.full_like(low, pipeline[0]), np.full_like(high, pipeline[1])
    elif mode != "per map":
        raise SpecError("errors.spec.color_scale", choices=str(list(COLOR_SCALES)), value=mode)
    if signed:
        low, high = _symmetric(low, high)
    return low, high


@functools.cache
def _named(name):
    return tuple((position, color) for position, color in get_colorscale(name))


def named_colorscale(name):
    """Plotly's colour scale ``name`` as ``[[position, colour], ...]``, a new list.

    ``plotly.colors.get_colorscale`` looks the name up by walking Plotly's
    colour modules on every call (about 0.45 ms, and a stage figure of 16
    tiles asked 17-18 times); this asks once per name.

    Examples
    --------
    >>> named_colorscale("RdBu_r")[0]
    [0.0, 'rgb(5,48,97)']
    >>> named_colorscale("RdBu_r") == [list(stop) for stop in get_colorscale("RdBu_r")]
    True
    """
    return [[position, color] for position, color in _named(name)]


def colorscale(signed):
    """The Plotly colour scale (as colours, not a name) of a signed or unsigned stage."""
    return named_colorscale(DIVERGING) if signed else SEQUENTIAL


@functools.cache
def colormap_lut(signed):
    """256 RGB colours for 8-bit levels, matching :func:`colorscale`.

    Level 128, where zero lands on a symmetric range, is exactly the
    diverging map's middle colour.

    Returns
    -------
    ndarray of uint8, shape (256, 3), or None for the sequential gray map
        (the tiles then stay one-channel images).

    Examples
    --------
    >>> lut = colormap_lut(True)
    >>> lut.shape, lut[128].tolist()
    ((256, 3), [247, 247, 247])
    >>> colormap_lut(False) is None
    True
    """
    if not signed:
        return None
    positions = np.clip(0.5 + (np.arange(256) - 128) / 254, 0.0, 1.0)
    colors = sample_colorscale(named_colorscale(DIVERGING), positions.tolist(), colortype="tuple")
    lut = np.rint(np.array(colors) * 255).astype(np.uint8)
    lut.setflags(write=False)
    return lut
