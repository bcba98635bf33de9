"""Where a convolution's windows sit along one axis: padding per side, output
size, and the rows (or columns) that no window reads.

Every function takes explicit numbers, not a pipeline spec. The sizes come
from :mod:`cnn_core.shapes` (:func:`~cnn_core.shapes.conv_output_size` and
:func:`~cnn_core.shapes.same_padding`), which is tested against Keras.

A dilation ``d`` spreads the ``k`` taps of a kernel ``d`` pixels apart, so a
window spans ``d*(k - 1) + 1`` pixels; Keras's output size and 'same' padding
are those of a kernel of that span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.explain import counted, join
from cnn_core.i18n import Message, translate
from cnn_core.shapes import conv_output_size, same_padding

__all__ = [
    "StepGeometry",
    "padding_text",
    "read_mask",
    "remainder_formula",
    "runs",
    "step_geometry",
    "unused_text",
]


@dataclass(frozen=True)
class StepGeometry:
    """Where the windows of a square convolution sit along one axis.

    Attributes
    ----------
    n : int
        Input side, before padding.
    kernel_size, stride, dilation : int
    padding_mode : {"valid", "same", "explicit"}
    pad_before, pad_after : int
        Zero rows (columns) added on the top (left) and bottom (right).
    out : int
        Output side: how many windows fit along the axis.
    """

    n: int
    kernel_size: int
    stride: int
    dilation: int
    padding_mode: str
    pad_before: int
    pad_after: int
    out: int

    @property
    def span(self):
        """Pixels a window covers: ``d*(k - 1) + 1``."""
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def padded(self):
        """Side of the padded input."""
        return self.n + self.pad_before + self.pad_after

    @property
    def remainder(self):
        """Rows of the padded input past the last window: ``(n + pads - span) mod s``."""
        return (self.padded - self.span) % self.stride

    def taps(self, index):
        """Image coordinates (negative or >= n in the padding) window ``index`` reads.

        Examples
        --------
        >>> step_geometry(10, 3, 2, "explicit", 1).taps(0).tolist()
        [-1, 0, 1]
        """
        if not 0 <= index < self.out:
            raise SpecError("errors.step.position", high=self.out - 1, value=index)
        start = index * self.stride - self.pad_before
        return start + np.arange(self.kernel_size) * self.dilation


def step_geometry(n, kernel_size, stride=1, padding_mode="valid", padding=0, dilation=1):
    """The windows of a convolution along one axis, with its padding per side.

    Parameters
    ----------
    n : int
        Input side.
    kernel_size, stride : int
    padding_mode : {"valid", "same", "explicit"}
        Keras's 'valid' or 'same', or ``padding`` zero pixels on every side
        followed by 'valid'.
    padding : int
        Pixels per side for "explicit" (ignored otherwise).
    dilation : int

    Returns
    -------
    StepGeometry

    Examples
    --------
    >>> g = step_geometry(512, 15, 2)
    >>> g.out, g.remainder
    (249, 1)
    >>> g = step_geometry(5, 4, 2, "same")
    >>> g.pad_before, g.pad_after, g.out
    (1, 2, 3)
    """
    if min(n, kernel_size, stride, dilation) < 1 or padding < 0:
        raise SpecError(
            "errors.internal.window_numbers",
            n=n,
            kernel_size=kernel_size,
            stride=stride,
            dilation=dilation,
            padding=padding,
        )
    span = dilation * (kernel_size - 1) + 1
    if padding_mode == "same":
        before, after = same_padding(n, span, stride)
        out = conv_output_size(n, span, stride, "same")
    elif padding_mode in ("valid", "explicit"):
        pad = padding if padding_mode == "explicit" else 0
        before = after = pad
        out = conv_output_size(n + 2 * pad, span, stride, "valid")
    else:
        raise SpecError("errors.spec.padding_mode", value=padding_mode)
    if out < 1:
        raise SpecError("errors.step.span", span=span, padded=n + before + after)
    return StepGeometry(n, kernel_size, stride, dilation, padding_mode, before, after, out)


def read_mask(geometry):
    """Which image rows (or columns) at least one window reads.

    Parameters
    ----------
    geometry : StepGeometry

    Returns
    -------
    ndarray of bool, shape (n,)

    Examples
    --------
    >>> read_mask(step_geometry(9, 2, 3)).astype(int).tolist()
    [1, 1, 0, 1, 1, 0, 1, 1, 0]
    """
    g = geometry
    starts = np.arange(g.out) * g.stride - g.pad_before
    taps = (starts[:, None] + np.arange(g.kernel_size) * g.dilation).ravel()
    mask = np.zeros(g.n, bool)
    mask[taps[(taps >= 0) & (taps < g.n)]] = True
    return mask


def runs(mask):
    """``(start, stop)`` of every run of False in ``mask``: the unread stretches.

    Examples
    --------
    >>> runs(np.array([True, False, False, True, False]))
    [(1, 3), (4, 5)]
    """
    mask = np.asarray(mask, bool)
    edges = np.diff(np.concatenate(([1], (~mask).astype(np.int8) * -1 + 1, [1])))
    starts = np.flatnonzero(edges == -1)
    stops = np.flatnonzero(edges == 1)
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _padded_side(g):
    """``n + 2*p`` or ``n + before + after`` as the formula text shows it."""
    if g.padding_mode == "explicit":
        return f"{g.n} + 2*{g.pad_before}"
    if g.padding_mode == "same":
        return f"{g.n} + {g.pad_before} + {g.pad_after}"
    return f"{g.n}"


def remainder_formula(geometry):
    """The remainder that decides how many rows the last window leaves over.

    Examples
    --------
    >>> remainder_formula(step_geometry(512, 15, 2))
    '(512 - 15) mod 2 = 1'
    >>> remainder_formula(step_geometry(512, 15, 2, "explicit", 3))
    '(512 + 2*3 - 15) mod 2 = 1'
    """
    g = geometry
    span = f"{g.span}" if g.dilation == 1 else f"({g.dilation}*({g.kernel_size} - 1) + 1)"
    return f"({_padded_side(g)} - {span}) mod {g.stride} = {g.remainder}"


def unused_text(geometry, lang="en"):
    """Say how many image rows and columns no window reads, and why.

    Examples
    --------
    >>> print(unused_text(step_geometry(512, 15, 2)))
    (512 - 15) mod 2 = 1: the last window stops 1 row short of the bottom edge \
(and 1 column short of the right edge). 1 row and 1 column of the image are never \
read (shaded).
    >>> print(unused_text(step_geometry(512, 15, 1)))
    (512 - 15) mod 1 = 0: the windows reach every row and column of the image.
    >>> print(unused_text(step_geometry(512, 15, 1), "zh"))
    (512 - 15) mod 1 = 0：窗口覆盖了图像的每一行和每一列。
    """
    g = geometry
    mask = read_mask(g)
    unused = int(g.n - mask.sum())
    key = "step.unused."
    parts = [Message.of(key + "formula", formula=remainder_formula(g))]
    if g.remainder:
        padding = unused == 0 and g.span >= g.stride
        parts.append(counted(key + ("stops_padding" if padding else "stops"), g.remainder))
    gap = g.stride - g.span
    if gap > 0:
        parts.append(counted(key + "gap", gap, stride=g.stride, span=g.span))
    if unused:
        parts.append(counted(key + "never_read", unused))
    elif not g.remainder and gap <= 0:
        parts.append(Message.of(key + "every"))
    return join(parts, lang)


def padding_text(geometry, lang="en"):
    """The zero padding on each side, as Keras applies it.

    Examples
    --------
    >>> padding_text(step_geometry(5, 4, 2, "same"))
    "'same' pads 3 = 1 top/left + 2 bottom/right: an odd total puts the extra row and \
column on the bottom and right, as Keras does."
    >>> padding_text(step_geometry(512, 15))
    "'valid': no padding; windows stay inside the image."
    """
    g = geometry
    key = "step.padding."
    if g.padding_mode == "valid":
        return translate(lang, key + "valid")
    if g.padding_mode == "explicit":
        return translate(lang, key + "explicit", pad=g.pad_before)
    total = g.pad_before + g.pad_after
    if total == 0:
        return translate(lang, key + "same_none")
    uneven = g.pad_before != g.pad_after
    return translate(
        lang,
        key + ("same_uneven" if uneven else "same_even"),
        total=total,
        before=g.pad_before,
        after=g.pad_after,
    )
