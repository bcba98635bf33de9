"""Output sizes of convolution and pooling along one axis, as Keras computes them.

Integers only: no text, no Keras. :mod:`cnn_core.shapes` renders the
formulas students read from these numbers.
"""

from __future__ import annotations

from cnn_core.errors import SpecError

__all__ = [
    "conv_output_size",
    "conv_param_count",
    "effective_kernel",
    "pool_output_size",
    "same_padding",
]


def conv_output_size(n, kernel_size, stride=1, padding="valid", dilation=1):
    """Output side of a convolution along one axis, as Keras computes it.

    Parameters
    ----------
    n : int
        Input side (after any explicit zero padding).
    kernel_size : int
        Kernel side.
    stride : int, optional
        Stride.
    padding : {"valid", "same"}
        Keras padding mode.
    dilation : int, optional
        Keras's ``dilation_rate``; the kernel spans ``k_eff = d*(k-1) + 1``.

    Returns
    -------
    int
        ``floor((n - k_eff)/s) + 1`` for "valid", ``ceil(n/s)`` for "same".
        May be zero or negative for "valid"; callers decide what that means.

    Examples
    --------
    >>> conv_output_size(512, 15)
    498
    >>> conv_output_size(512, 15, 2, "same")
    256
    >>> conv_output_size(512, 3, 1, "valid", dilation=4)
    504
    """
    if stride < 1:
        raise SpecError("errors.spec.stride", value=stride)
    if padding == "same":
        return (n - 1) // stride + 1
    if padding == "valid":
        return (n - effective_kernel(kernel_size, dilation)) // stride + 1
    raise SpecError("errors.spec.keras_padding", value=padding)


def effective_kernel(kernel_size, dilation=1):
    """Pixels a dilated kernel spans: ``d*(k - 1) + 1``.

    Examples
    --------
    >>> effective_kernel(3, 1), effective_kernel(3, 2), effective_kernel(15, 8)
    (3, 5, 113)
    """
    return dilation * (kernel_size - 1) + 1


def same_padding(n, kernel_size, stride=1, dilation=1):
    """Zero padding Keras (TensorFlow) applies for ``padding='same'``.

    Parameters
    ----------
    n, kernel_size, stride : int
        Input side, kernel side and stride.
    dilation : int, optional
        Keras's ``dilation_rate``: the padding covers the effective kernel.

    Returns
    -------
    before, after : int
        Rows (or columns) added on the top/left and on the bottom/right. The
        smaller half goes first.

    Examples
    --------
    >>> same_padding(512, 15, 1)
    (7, 7)
    >>> same_padding(5, 4, 2)
    (1, 2)
    """
    k = effective_kernel(kernel_size, dilation)
    remainder = n % stride
    total = max(k - stride, 0) if remainder == 0 else max(k - remainder, 0)
    return total // 2, total - total // 2


def pool_output_size(n, pool_size, stride=None):
    """Output side of a 'valid' pooling along one axis, as Keras computes it.

    Parameters
    ----------
    n, pool_size : int
        Input side and window side.
    stride : int, optional
        Stride; defaults to ``pool_size`` as in Keras.

    Returns
    -------
    int
        ``floor((n - pool_size)/stride) + 1``; zero or negative when the window
        is larger than the input.

    Examples
    --------
    >>> pool_output_size(498, 2)
    249
    """
    return conv_output_size(n, pool_size, pool_size if stride is None else stride, "valid")


def conv_param_count(kernel_size, channels, filters):
    """Trainable parameters of a Conv2D with bias: ``f*(k*k*c) + f``.

    Examples
    --------
    >>> conv_param_count(15, 1, 1)
    226
    """
    return filters * (kernel_size * kernel_size * channels) + filters
