"""What a stage costs: multiply-adds and the memory of its output."""

from __future__ import annotations

import math

__all__ = ["BYTES_PER_VALUE", "activation_bytes", "conv_macs"]

#: Bytes of one float32 value.
BYTES_PER_VALUE = 4


def conv_macs(out_side, kernel_size, channels, filters):
    """Multiply-adds of a Conv2D: ``out*out*f*(k*k*c)``.

    Dilation spreads the taps but does not add any.

    Examples
    --------
    >>> conv_macs(498, 15, 1, 1)
    55800900
    """
    return out_side * out_side * filters * kernel_size * kernel_size * channels


def activation_bytes(shape):
    """float32 bytes of one stage's output for a batch of one.

    Examples
    --------
    >>> activation_bytes((249, 249, 1))
    248004
    """
    return math.prod(shape) * BYTES_PER_VALUE
