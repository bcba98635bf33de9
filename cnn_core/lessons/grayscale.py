"""The seed article's channel swap, measured on the image itself.

The article reads the photo with ``skimage.io`` (RGB) and then calls
``cv.cvtColor(image, cv.COLOR_BGR2RGB)``, which swaps red and blue, before
converting to grayscale. The app converts the RGB image directly
(:func:`cnn_core.images.to_color_mode`). :func:`channel_swap` computes both
grayscale images and how far apart they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnn_core.errors import CallError
from cnn_core.images import to_color_mode

__all__ = ["ChannelSwap", "channel_swap"]


@dataclass(frozen=True)
class ChannelSwap:
    """The correct and the article's grayscale image, and their difference.

    Attributes
    ----------
    correct : ndarray of uint8, shape (H, W)
        ``COLOR_RGB2GRAY`` of the RGB image, as the app does.
    swapped : ndarray of uint8, shape (H, W)
        ``COLOR_RGB2GRAY`` after ``COLOR_BGR2RGB``, as the article does.
    largest : int
        The largest absolute difference between them, in gray levels (0-255).
    mean : float
        The mean absolute difference.
    changed : float
        The share of pixels that differ, 0-1.
    """

    correct: np.ndarray
    swapped: np.ndarray
    largest: int
    mean: float
    changed: float


def channel_swap(image):
    """Both grayscale conversions of an RGB image and their difference.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
        An RGB image, as ``skimage.io`` reads it.

    Returns
    -------
    ChannelSwap

    Examples
    --------
    >>> pure_red = np.zeros((1, 1, 3), np.uint8)
    >>> pure_red[..., 0] = 255
    >>> swap = channel_swap(pure_red)
    >>> int(swap.correct[0, 0]), int(swap.swapped[0, 0]), swap.largest
    (76, 29, 47)
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise CallError("lessons.internal.rgb", dtype=str(image.dtype), shape=image.shape)
    correct = to_color_mode(image, "grayscale")
    swapped = to_color_mode(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), "grayscale")
    difference = np.abs(correct.astype(np.int16) - swapped.astype(np.int16))
    return ChannelSwap(
        correct,
        swapped,
        int(difference.max()),
        float(difference.mean()),
        float(np.count_nonzero(difference) / difference.size),
    )
