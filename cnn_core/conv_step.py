"""One output pixel of a convolution, explained: the arithmetic behind the map.

Every function takes explicit numbers (an input array, a kernel, a bias, the
window geometry from :mod:`cnn_core.conv_windows`), not a pipeline spec, so
any convolution of any block can be explained the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.explain import counted
from cnn_core.i18n import Message, translate

__all__ = [
    "ConvStep",
    "PoolStep",
    "activate",
    "activation_text",
    "conv_step",
    "float32_tolerance",
    "format_value",
    "pixel_from_click",
    "pool_lines",
    "pool_step",
    "row_positions",
]

#: Unit roundoff of float32 (half the gap between 1 and the next float32).
FLOAT32_UNIT = 2.0**-24


@dataclass(frozen=True)
class ConvStep:
    """One output value of a convolution, as the sum of a patch times a kernel.

    Attributes
    ----------
    row, col, filter_index : int
        Output position and filter (0-based).
    rows, cols : ndarray of int, shape (k,)
        Image coordinates of the patch (outside ``0..n-1`` in the padding).
    patch : ndarray of float32, shape (k, k, c)
        Input values under the kernel, zeros in the padding.
    inside : ndarray of bool, shape (k, k)
        True where the patch cell lies in the image, False in the padding.
    kernel : ndarray of float32, shape (k, k, c)
        The filter's weights.
    products : ndarray of float32, shape (k, k, c)
        ``patch * kernel``.
    total : float
        Sum of the products (float64 accumulation).
    bias : float
    """

    row: int
    col: int
    filter_index: int
    rows: np.ndarray
    cols: np.ndarray
    patch: np.ndarray
    inside: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float
    bias: float

    @property
    def value(self):
        """Sum of products plus bias: the convolution's output at (row, col)."""
        return self.total + self.bias

    @property
    def padding_cells(self):
        """How many of the patch's k*k cells lie in the padding."""
        return int(self.inside.size - self.inside.sum())

    def sum_lines(self, lang="en"):
        """The sum written out, one line per term.

        Examples
        --------
        >>> from cnn_core.conv_windows import step_geometry
        >>> g = step_geometry(3, 2)
        >>> s = conv_step(np.ones((3, 3, 1)), np.full((2, 2, 1, 1), 0.5), [0.25], 0, 0, 0, g, g)
        >>> s.sum_lines()
        ('sum of products = 2', '+ bias 0.25', '= 2.25')
        >>> s.sum_lines("zh")
        ('乘积之和 = 2', '+ 偏置 0.25', '= 2.25')
        """
        return (
            translate(lang, "step.sum.products", value=format_value(self.total)),
            translate(lang, "step.sum.bias", value=format_value(self.bias)),
            f"= {format_value(self.value)}",
        )


def conv_step(image, kernel, bias, row, col, filter_index, rows, cols=None):
    """Explain output ``(row, col)`` of filter ``filter_index``.

    Parameters
    ----------
    image : ndarray, shape (n, n, c)
        The convolution's input, as the layer sees it (scaled or not).
    kernel : ndarray, shape (k, k, c, f)
        Keras's Conv2D kernel layout.
    bias : sequence of float, length f
    row, col, filter_index : int
    rows : StepGeometry
        Geometry along the rows (from :func:`cnn_core.conv_windows.step_geometry`).
    cols : StepGeometry, optional
        Geometry along the columns; default ``rows`` (square inputs).

    Returns
    -------
    ConvStep

    Examples
    --------
    >>> image = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
    >>> from cnn_core.conv_windows import step_geometry
    >>> g = step_geometry(4, 3, 1, "same")
    >>> s = conv_step(image, np.ones((3, 3, 1, 1)), [0.0], 0, 0, 0, g)
    >>> s.patch[:, :, 0].tolist(), s.padding_cells, s.value
    ([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 4.0, 5.0]], 5, 10.0)
    """
    cols = rows if cols is None else cols
    image = np.asarray(image, np.float32)
    kernel = np.asarray(kernel, np.float32)
    if image.ndim != 3 or kernel.ndim != 4 or image.shape[2] != kernel.shape[2]:
        raise SpecError(
            "errors.internal.step_shapes", image=str(image.shape), kernel=str(kernel.shape)
        )
    k = kernel.shape[0]
    if (rows.kernel_size, cols.kernel_size) != (k, k) or (rows.n, cols.n) != image.shape[:2]:
        raise SpecError(
            "errors.internal.step_geometry",
            k=k,
            height=image.shape[0],
            width=image.shape[1],
            kernel=rows.kernel_size,
            rows=rows.n,
            cols=cols.n,
        )
    if not 0 <= filter_index < kernel.shape[3]:
        raise SpecError("errors.step.filter", high=kernel.shape[3] - 1, value=filter_index)
    row_taps, col_taps = rows.taps(row), cols.taps(col)
    row_in = (row_taps >= 0) & (row_taps < rows.n)
    col_in = (col_taps >= 0) & (col_taps < cols.n)
    inside = row_in[:, None] & col_in[None, :]
    patch = np.zeros((k, k, image.shape[2]), np.float32)
    block = image[np.ix_(row_taps[row_in], col_taps[col_in])]
    patch[np.ix_(row_in, col_in)] = block
    weights = kernel[:, :, :, filter_index]
    products = patch * weights
    return ConvStep(
        row=row,
        col=col,
        filter_index=filter_index,
        rows=row_taps,
        cols=col_taps,
        patch=patch,
        inside=inside,
        kernel=weights,
        products=products,
        total=float(products.sum(dtype=np.float64)),
        bias=float(np.asarray(bias, np.float32)[filter_index]),
    )


def float32_tolerance(step):
    """How far a float32 convolution may be from the exact sum of ``step``.

    The classic bound for summing ``m`` float32 terms in any order, each
    product rounded once: ``gamma(m) * sum |terms|`` with ``m = k*k*c + 1``
    and ``gamma(m) = m*u / (1 - m*u)``. Real errors are far smaller; a
    difference within this bound is float32 rounding, not a different value.

    Examples
    --------
    >>> from cnn_core.conv_windows import step_geometry
    >>> g = step_geometry(3, 3)
    >>> s = conv_step(np.ones((3, 3, 1)), np.ones((3, 3, 1, 1)), [0.0], 0, 0, 0, g)
    >>> float32_tolerance(s) < 1e-5
    True
    """
    m = step.products.size + 2
    gamma = m * FLOAT32_UNIT / (1 - m * FLOAT32_UNIT)
    return gamma * (float(np.abs(step.products).sum(dtype=np.float64)) + abs(step.bias))


def format_value(value):
    """A value with about six significant digits, for the sums on the page.

    Examples
    --------
    >>> format_value(1234.56789), format_value(0.000123456), format_value(-0.0), format_value(2.0)
    ('1234.57', '0.000123456', '0', '2')
    """
    text = f"{value:.6g}"
    if "e" in text:
        return text
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


_ACTIVATIONS = {
    "none": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.3 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
}


def activate(values, activation):
    """Apply a Keras activation (as convlab's layers use it) in numpy.

    Parameters
    ----------
    values : array_like
    activation : {"none", "relu", "sigmoid", "tanh", "leaky_relu", "elu"}
        ``leaky_relu`` has Keras's default slope 0.3.

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> activate([-2.0, 3.0], "leaky_relu").tolist()
    [-0.6, 3.0]
    """
    if activation not in _ACTIVATIONS:
        raise SpecError("errors.spec.activation", choices=str(list(_ACTIVATIONS)), value=activation)
    with np.errstate(over="ignore"):
        return np.asarray(_ACTIVATIONS[activation](np.asarray(values, np.float64)), np.float64)


_ACTIVATION_FORMULA = {
    "relu": "relu({x}) = max(0, {x})",
    "sigmoid": "sigmoid({x}) = 1 / (1 + exp(-{x}))",
    "tanh": "tanh({x})",
    "leaky_relu": "leaky_relu({x}) = {branch}",
    "elu": "elu({x}) = {branch}",
}


def activation_text(value, activation, lang="en"):
    """The activation applied to one value, written out.

    Examples
    --------
    >>> activation_text(-3.5, "relu")
    'relu(-3.5) = max(0, -3.5) = 0'
    >>> activation_text(-2.0, "leaky_relu")
    'leaky_relu(-2) = 0.3*(-2) = -0.6'
    """
    if activation == "none":
        return translate(lang, "step.activation.none", value=format_value(value))
    x = format_value(value)
    result = format_value(float(activate(value, activation)))
    if activation == "leaky_relu":
        branch = x if value > 0 else f"0.3*({x})"
    elif activation == "elu":
        branch = x if value > 0 else f"exp({x}) - 1"
    else:
        branch = ""
    return _ACTIVATION_FORMULA[activation].format(x=x, branch=branch) + f" = {result}"


@dataclass(frozen=True)
class PoolStep:
    """The pooling window that contains one activation value.

    Attributes
    ----------
    window_row, window_col : int or None
        Position of the window in the pooled map; None when no window
        contains the pixel (it lies past the last window).
    top, left : int
        First row and column of the window in the activation map.
    values : ndarray of float64, shape (P, P)
        The activations in the window (empty when there is none).
    result : float or None
        Their max or mean: the pooled value.
    windows : int
        How many windows contain the pixel (more than one when the pooling
        stride is smaller than the window).
    """

    window_row: int | None
    window_col: int | None
    top: int
    left: int
    values: np.ndarray
    result: float | None
    windows: int


def _windows_containing(index, size, pool_size, stride):
    out = (size - pool_size) // stride + 1
    return [w for w in range(out) if w * stride <= index < w * stride + pool_size]


def pool_step(conv_map, row, col, activation, pooling, pool_size, pool_stride):
    """The pooling window containing ``(row, col)`` and its max or mean.

    Parameters
    ----------
    conv_map : ndarray, shape (H, W)
        One filter's convolution output, before the activation.
    row, col : int
        Position in the convolution output.
    activation : str
        Applied to the window first (see :func:`activate`).
    pooling : {"max", "average"}
    pool_size, pool_stride : int

    Returns
    -------
    PoolStep
        For the first window (top-most, then left-most) that contains the pixel.

    Examples
    --------
    >>> conv = np.arange(16.0).reshape(4, 4) - 8
    >>> p = pool_step(conv, 1, 3, "relu", "max", 2, 2)
    >>> (p.window_row, p.window_col), p.values.tolist(), p.result
    ((0, 1), [[0.0, 0.0], [0.0, 0.0]], 0.0)
    >>> pool_step(conv, 3, 3, "none", "average", 3, 3).window_row is None
    True
    """
    conv_map = np.asarray(conv_map)
    if pooling not in ("max", "average"):
        raise SpecError("errors.spec.pooling", value=pooling)
    rows = _windows_containing(row, conv_map.shape[0], pool_size, pool_stride)
    cols = _windows_containing(col, conv_map.shape[1], pool_size, pool_stride)
    if not rows or not cols:
        return PoolStep(None, None, 0, 0, np.zeros((0, 0)), None, 0)
    top, left = rows[0] * pool_stride, cols[0] * pool_stride
    window = conv_map[top : top + pool_size, left : left + pool_size]
    values = activate(window.astype(np.float32), activation)
    result = float(values.max() if pooling == "max" else values.mean())
    return PoolStep(rows[0], cols[0], top, left, values, result, len(rows) * len(cols))


def pool_lines(pool, row, col, pooling, pool_size, pool_stride, out, lang="en"):
    """The pooling window of :func:`pool_step`, its values and their max or mean, as text.

    Parameters
    ----------
    pool : PoolStep
    row, col : int
        The pixel in the convolution output.
    pooling : {"max", "average"}
    pool_size, pool_stride : int
    out : int
        Side of the convolution output.
    lang : str
        The language of the words (the numbers are the same in every language).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> conv = np.arange(16.0).reshape(4, 4)
    >>> lines = pool_lines(pool_step(conv, 1, 3, "none", "max", 2, 2), 1, 3, "max", 2, 2, 4)
    >>> print("\\n".join(lines))
    2x2 max pooling, stride 2: window (0, 1) of the pooled map covers rows 0-1, columns 2-3
      2  3
      6  7
    max = 7
    >>> pool_lines(pool_step(conv, 3, 0, "none", "max", 3, 3), 3, 0, "max", 3, 3, 4)[-1]
    '(4 - 3) mod 3 = 1 row at the bottom (and column at the right) of the map are dropped.'
    """
    key = "step.pool."
    head = Message.of(key + f"head_{pooling}", size=pool_size, stride=pool_stride)
    if pool.window_row is None:
        left_over = (out - pool_size) % pool_stride
        if pool_stride <= pool_size:
            formula = f"({out} - {pool_size}) mod {pool_stride}"
            why = counted(key + "dropped", left_over, formula=formula)
        else:
            why = Message.of(key + "skipped", stride=pool_stride, size=pool_size)
        return (
            translate(lang, key + "no_window", head=head, row=row, col=col),
            why.render(lang),
        )
    top, left = pool.top, pool.left
    lines = [
        translate(
            lang,
            key + "covers",
            head=head,
            window_row=pool.window_row,
            window_col=pool.window_col,
            top=top,
            bottom=top + pool_size - 1,
            left=left,
            right=left + pool_size - 1,
        )
    ]
    cells = [[format_value(float(v)) for v in line] for line in pool.values]
    width = max(len(cell) for line in cells for cell in line)
    lines += ["  " + "  ".join(cell.rjust(width) for cell in line) for line in cells]
    name = "max" if pooling == "max" else "mean"
    lines.append(translate(lang, key + name, value=format_value(pool.result)))
    if pool.windows > 1:
        lines.append(translate(lang, key + "overlapping", windows=pool.windows))
    return tuple(lines)


def row_positions(out, max_frames):
    """Output columns an animation along a row visits: every m-th and the last,
    at most ``max_frames``.

    Examples
    --------
    >>> row_positions(10, 4)
    [0, 3, 6, 9]
    >>> row_positions(3, 64)
    [0, 1, 2]
    """
    if out < 1 or max_frames < 2:
        raise SpecError("errors.internal.frames", out=out, frames=max_frames)
    every = max(1, -(-(out - 1) // (max_frames - 1)))
    positions = list(range(0, out, every))
    if positions[-1] != out - 1:
        positions.append(out - 1)
    return positions


def pixel_from_click(x, y, width, height, out_rows, out_cols):
    """The output pixel under a click at ``(x, y)`` on a ``width`` x ``height`` picture of the map.

    ``x`` and ``y`` are the clicked screen pixel's offsets (0 to width - 1);
    its centre, half a pixel further, decides.

    Examples
    --------
    >>> pixel_from_click(479, 0, 480, 480, 498, 498)
    (0, 497)
    >>> pixel_from_click(240, 240, 480, 480, 6, 6)
    (3, 3)
    """
    if width <= 0 or height <= 0:
        raise SpecError("errors.internal.picture_size", width=width, height=height)
    row = min(max(int((y + 0.5) * out_rows // height), 0), out_rows - 1)
    col = min(max(int((x + 0.5) * out_cols // width), 0), out_cols - 1)
    return row, col
