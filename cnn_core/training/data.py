"""The digits: scikit-learn's 1,797 handwritten 8x8 digits, and a drawing made like them.

The digits ship inside scikit-learn (``sklearn.datasets.load_digits``), so
nothing is downloaded. Each was made from a 32x32 black-and-white bitmap of a
digit written on a form, scaled to fill the bitmap's height, by counting the
set pixels in each 4x4 block: 8x8 values from 0 to 16. A digit drawn on the
canvas goes through the same steps (:func:`drawing_to_digit`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from cnn_core.errors import SpecError

__all__ = [
    "BITMAP",
    "BLOCK",
    "DIGIT",
    "MAX_COUNT",
    "DigitSplits",
    "block_counts",
    "digit_splits",
    "drawing_to_digit",
    "ink_mask",
    "model_input",
    "normalise_bitmap",
]

#: Side of the bitmap a digit is drawn in, of the count blocks, and of the digit.
BITMAP, BLOCK = 32, 4
DIGIT = BITMAP // BLOCK
#: Largest count in a block: every pixel of a 4x4 block set.
MAX_COUNT = BLOCK * BLOCK
#: Share of the digits held out (never trained on) and used for validation.
TEST_SHARE = 0.2
VALIDATION_SHARE = 0.2
#: The one split of the data every model uses.
SPLIT_SEED = 0


@dataclass(frozen=True)
class DigitSplits:
    """The digits in three disjoint parts; images are (n, 8, 8, 1) float32 in 0..1.

    Attributes
    ----------
    x_train, y_train : ndarray
        What the model is fitted on.
    x_val, y_val : ndarray
        Validation: the curves' "validation" line, checked after every epoch.
    x_test, y_test : ndarray
        Held out: never seen in training or validation.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def model_input(counts):
    """Block counts (0-16) as the model reads them: float32 in 0..1, a channel axis.

    Parameters
    ----------
    counts : ndarray, shape (8, 8) or (n, 8, 8)

    Returns
    -------
    ndarray of float32, shape (8, 8, 1) or (n, 8, 8, 1)

    Examples
    --------
    >>> model_input(np.full((8, 8), 16)).max(), model_input(np.zeros((2, 8, 8))).shape
    (np.float32(1.0), (2, 8, 8, 1))
    """
    counts = np.asarray(counts, np.float32)
    if counts.shape[-2:] != (DIGIT, DIGIT):
        raise SpecError("train.errors.counts_shape", shape=str(counts.shape))
    return (counts / MAX_COUNT)[..., None]


@functools.cache
def digit_splits():
    """scikit-learn's digits, split once (stratified, seed 0) into train/validation/test.

    60% train (1,077), 20% validation (360), 20% held out (360).

    Returns
    -------
    DigitSplits
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x, y = model_input(digits.images), digits.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=TEST_SHARE, stratify=y, random_state=SPLIT_SEED
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest,
        y_rest,
        test_size=VALIDATION_SHARE / (1 - TEST_SHARE),
        stratify=y_rest,
        random_state=SPLIT_SEED,
    )
    return DigitSplits(x_train, y_train, x_val, y_val, x_test, y_test)


def ink_mask(image):
    """Where a canvas drawing has ink: True where a stroke was drawn.

    Parameters
    ----------
    image : ndarray of uint8, shape (h, w, 4) or (h, w, 3) or (h, w)
        RGBA from the canvas, seen over white paper (dark opaque strokes on
        a transparent or white background), or RGB/gray with dark ink on a
        light background.

    Returns
    -------
    ndarray of bool, shape (h, w)
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        # Over a white page: transparent is paper, opaque dark is ink.
        alpha = image[:, :, 3].astype(np.float32) / 255
        gray = cv2.cvtColor(np.ascontiguousarray(image[:, :, :3], np.uint8), cv2.COLOR_RGB2GRAY)
        return alpha * gray + (1 - alpha) * 255 < 128
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    if image.ndim != 2:
        raise SpecError("train.errors.drawing_shape", shape=str(image.shape))
    return image < 128


def normalise_bitmap(mask):
    """A binary drawing as the digits' 32x32 bitmap: cropped to its ink, scaled to
    fill the height (or the width, if wider than tall), centred.

    Parameters
    ----------
    mask : ndarray of bool, shape (h, w)

    Returns
    -------
    ndarray of bool, shape (32, 32), or None when there is no ink.

    Examples
    --------
    >>> mask = np.zeros((100, 100), bool)
    >>> mask[20:80, 45:55] = True  # a stroke: 60 tall, 10 wide
    >>> bitmap = normalise_bitmap(mask)
    >>> int(bitmap[:, 16].sum()), np.flatnonzero(bitmap[16]).tolist()
    (32, [13, 14, 15, 16, 17])
    """
    mask = np.asarray(mask, bool)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    crop = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = crop.shape
    scale = BITMAP / max(height, width)
    new_h = min(BITMAP, max(1, round(height * scale)))
    new_w = min(BITMAP, max(1, round(width * scale)))
    resized = cv2.resize(crop.astype(np.float32), (new_w, new_h), interpolation=cv2.INTER_AREA)
    bitmap = np.zeros((BITMAP, BITMAP), bool)
    top, left = (BITMAP - new_h) // 2, (BITMAP - new_w) // 2
    bitmap[top : top + new_h, left : left + new_w] = resized >= 0.5
    return bitmap


def block_counts(bitmap):
    """Set pixels per 4x4 block of a 32x32 bitmap: the 8x8 digit, 0-16.

    Examples
    --------
    >>> bitmap = np.zeros((32, 32), bool)
    >>> bitmap[:4, :4] = True
    >>> bitmap[4, 4] = True
    >>> block_counts(bitmap)[:2, :2].tolist()
    [[16, 0], [0, 1]]
    """
    bitmap = np.asarray(bitmap, bool)
    if bitmap.shape != (BITMAP, BITMAP):
        raise SpecError("train.errors.bitmap_shape", shape=str(bitmap.shape))
    return bitmap.reshape(DIGIT, BLOCK, DIGIT, BLOCK).sum(axis=(1, 3)).astype(np.int64)


def drawing_to_digit(image):
    """A canvas drawing as one of the digits: 32x32 binary, then 4x4 block counts.

    Parameters
    ----------
    image : ndarray of uint8, shape (h, w, 4)
        The canvas's RGBA image (see :func:`ink_mask` for other forms).

    Returns
    -------
    bitmap : ndarray of bool, shape (32, 32), or None for an empty drawing
    counts : ndarray of int64, shape (8, 8), or None for an empty drawing
    """
    bitmap = normalise_bitmap(ink_mask(image))
    if bitmap is None:
        return None, None
    return bitmap, block_counts(bitmap)
