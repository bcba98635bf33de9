"""Decode uploaded image bytes into the engine's canonical 8-bit form."""

from __future__ import annotations

import io

import numpy as np

from cnn_core.errors import ImageError

__all__ = ["decode_image"]


def decode_image(data):
    """Decode image file bytes into an 8-bit RGB or grayscale array.

    Parameters
    ----------
    data : bytes
        The file's contents.

    Returns
    -------
    ndarray of uint8, shape (H, W) or (H, W, 3)

    Raises
    ------
    ImageError
        If the bytes are empty or are not an image Pillow can read.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError("The file is empty. Choose a PNG or JPEG image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            mode = "L" if image.mode in ("1", "L", "I;16", "I", "F") else "RGB"
            return np.asarray(image.convert(mode), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageError(
            f"This file could not be read as an image ({exc}). Choose a PNG or JPEG image."
        ) from None
