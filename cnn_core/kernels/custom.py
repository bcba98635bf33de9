"""Custom kernels: a k x k grid of numbers typed by the student."""

from __future__ import annotations

import math

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.i18n import Message

__all__ = ["MAX_WEIGHT", "format_weights", "parse_grid", "parse_weights", "resize_grid"]

#: Largest |weight| a custom kernel may hold (float32 keeps it exactly enough).
MAX_WEIGHT = 1e6


def _number(cell):
    """A cell as a finite float, or None if it is not one."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float, np.integer, np.floating)):
        value = float(cell)
    else:
        text = str(cell).strip().replace("\u2212", "-")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def parse_grid(rows):
    """Read a square grid of cells as a kernel, naming any bad cell.

    Parameters
    ----------
    rows : sequence of sequence
        ``k`` rows of ``k`` cells each: numbers or strings such as ``"-0.5"``.

    Returns
    -------
    ndarray of float32, shape (k, k)

    Raises
    ------
    SpecError
        If the grid is not square, or a cell is empty, not a number, or not
        finite; the message names the row and column (1-based).

    Examples
    --------
    >>> parse_grid([["1", "0"], [0, "-1"]]).tolist()
    [[1.0, 0.0], [0.0, -1.0]]
    >>> parse_grid([["1", "x"], ["", "2"]])
    Traceback (most recent call last):
    ...
    cnn_core.errors.SpecError: Expected a number in every cell. Received: 'x' in row 1, \
column 2; nothing in row 2, column 1.
    """
    rows = [list(row) for row in rows]
    k = len(rows)
    if k == 0 or any(len(row) != k for row in rows):
        raise SpecError(
            "errors.kernel.grid_not_square",
            rows=k,
            cells=str(sorted({len(row) for row in rows})),
        )
    values = np.empty((k, k), np.float32)
    bad = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            value = _number(cell)
            where = {"row": r + 1, "column": c + 1}
            if value is not None and abs(value) > MAX_WEIGHT:
                bad.append(
                    Message.of(
                        "errors.kernel.cell_too_large", value=value, high=MAX_WEIGHT, **where
                    )
                )
            elif value is None:
                empty = cell is None or (isinstance(cell, float) and math.isnan(cell))
                if empty or not str(cell).strip():
                    bad.append(Message.of("errors.kernel.cell_empty", **where))
                else:
                    bad.append(Message.of("errors.kernel.cell_text", text=str(cell), **where))
            else:
                values[r, c] = value
    if bad:
        cells = bad[min(len(bad), 5) - 1]
        for cell in reversed(bad[: min(len(bad), 5) - 1]):
            cells = Message.of("errors.kernel.cells", first=cell, rest=cells)
        if len(bad) > 5:
            cells = Message.of("errors.kernel.cells_more", cells=cells, more=len(bad) - 5)
        raise SpecError("errors.kernel.bad_cells", cells=cells)
    if not np.all(np.isfinite(values)):
        raise SpecError("errors.kernel.float32_overflow")
    return values


def parse_weights(text, k=None):
    """Read ``w=`` from a URL: k*k comma-separated numbers, row-major.

    Parameters
    ----------
    text : str
    k : int, optional
        Kernel size the numbers must fill; default: any square count.

    Returns
    -------
    tuple of float

    Raises
    ------
    SpecError
        Naming ``w`` and what is wrong (count, a value that is not a number).

    Examples
    --------
    >>> parse_weights("0,-1,0,-1,5,-1,0,-1,0", 3)[4]
    5.0
    >>> parse_weights("1,2,3", 3)
    Traceback (most recent call last):
    ...
    cnn_core.errors.SpecError: Expected w to hold 3*3 = 9 comma-separated numbers. Received: 3
    """
    parts = [part.strip() for part in str(text).split(",")]
    count = len(parts)
    if k is None:
        k = math.isqrt(count)
        if k * k != count:
            raise SpecError("errors.kernel.w_not_square", count=count)
    if count != k * k:
        raise SpecError("errors.kernel.w_count", size=k, needed=k * k, count=count)
    values = []
    for index, part in enumerate(parts):
        value = _number(part)
        if value is None or abs(value) > MAX_WEIGHT:
            raise SpecError(
                "errors.kernel.w_value",
                high=MAX_WEIGHT,
                text=part,
                position=index + 1,
                row=index // k + 1,
                column=index % k + 1,
            )
        values.append(float(np.float32(value)))
    return tuple(values)


def format_weights(values):
    """Write weights as ``w=`` text: shortest round-tripping float32 numbers.

    Examples
    --------
    >>> format_weights((0.0, -1.0, 0.125, 1 / 3))
    '0,-1,0.125,0.33333334'
    """
    return ",".join(
        np.format_float_positional(np.float32(value), trim="-", unique=True) for value in values
    )


def resize_grid(kernel, k):
    """Centre-crop or zero-pad a square kernel to ``k x k``.

    Examples
    --------
    >>> resize_grid(np.ones((2, 2)), 4).astype(int).tolist()
    [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    >>> resize_grid(np.arange(9.0).reshape(3, 3), 1).tolist()
    [[4.0]]
    """
    kernel = np.asarray(kernel, np.float32)
    old = kernel.shape[0]
    out = np.zeros((k, k), np.float32)
    if k <= old:
        start = (old - k) // 2
        out[:] = kernel[start : start + k, start : start + k]
    else:
        start = (k - old) // 2
        out[start : start + old, start : start + old] = kernel
    return out
