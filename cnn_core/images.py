"""Image sources and the seed's preprocessing: color mode, INTER_AREA resize, batch.

All sample images ship inside scikit-image, so nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cnn_core.errors import ImageError
from cnn_core.i18n import Message

__all__ = [
    "DEFAULT_SAMPLE",
    "SAMPLES",
    "PreparedInput",
    "image_digest",
    "load_sample",
    "prepare_input",
    "preprocessing_messages",
    "preprocessing_shapes",
    "preprocessing_steps",
    "sample_label",
    "to_color_mode",
]

#: Sample label -> scikit-image ``data`` function name. All are bundled files.
SAMPLES = {
    "Cat (chelsea)": "chelsea",
    "Astronaut": "astronaut",
    "Camera man": "camera",
    "Coffee": "coffee",
    "Checkerboard": "checkerboard",
    "Brick wall": "brick",
    "Text": "text",
    "Coins": "coins",
    "Moon": "moon",
    "Rocket": "rocket",
}
#: The seed's photo.
DEFAULT_SAMPLE = "Cat (chelsea)"
#: The file in scikit-image's data folder behind each ``skimage.data`` function.
_SAMPLE_FILES = {
    "chelsea": "chelsea.png",
    "astronaut": "astronaut.png",
    "camera": "camera.png",
    "coffee": "coffee.png",
    "checkerboard": "chessboard_GRAY.png",
    "brick": "brick.png",
    "text": "text.png",
    "coins": "coins.png",
    "moon": "moon.png",
    "rocket": "rocket.jpg",
}


def sample_label(label):
    """A sample's display name in any language, as a :class:`~cnn_core.i18n.Message`.

    ``label`` (a key of :data:`SAMPLES`) stays the widget's value and the
    link's; only what the student reads changes with the language.

    Examples
    --------
    >>> sample_label("Cat (chelsea)").render("zh")
    '猫（chelsea）'
    """
    return Message.of(f"images.sample.{SAMPLES[label]}")


def load_sample(label):
    """Load a bundled sample image.

    Parameters
    ----------
    label : str
        A key of :data:`SAMPLES`.

    Returns
    -------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)

    Examples
    --------
    >>> load_sample("Cat (chelsea)").shape
    (300, 451, 3)
    """
    if label not in SAMPLES:
        raise ImageError("errors.image.unknown_sample", choices=str(list(SAMPLES)), value=label)
    name = SAMPLES[label]
    # skimage.data's loaders go through skimage.io, whose first import scans
    # its plugins (a quarter of a second, more on a busy first page load);
    # the files themselves are in the package, so read them directly.
    import skimage.data
    from PIL import Image

    path = Path(skimage.data.__file__).parent / _SAMPLE_FILES[name]
    if not path.is_file():
        return np.ascontiguousarray(getattr(skimage.data, name)(), dtype=np.uint8)
    with Image.open(path) as image:
        return np.ascontiguousarray(np.asarray(image), dtype=np.uint8)


def to_color_mode(image, color_mode):
    """Convert an 8-bit image to grayscale (H, W) or RGB (H, W, 3).

    Grayscale uses OpenCV's ``COLOR_RGB2GRAY`` as in the seed; a grayscale
    image asked for as RGB gets three equal channels.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
    color_mode : {"grayscale", "rgb"}

    Returns
    -------
    ndarray of uint8, shape (H, W) or (H, W, 3)
    """
    if image.ndim == 2:
        return image if color_mode == "grayscale" else np.repeat(image[..., None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if color_mode == "grayscale" else image
    raise ImageError("errors.image.bad_shape", shape=str(image.shape))


@dataclass(frozen=True)
class PreparedInput:
    """The network input and how it was made from the original image.

    Attributes
    ----------
    batch : ndarray of float32, shape (1, n, n, c)
        Pixel values as 0-255 floats, or 0-1 if the spec scales them.
    original_shape : tuple of int
        Shape of the image as loaded.
    steps : tuple of str
        One line per preprocessing step, with the shapes.
    """

    batch: np.ndarray
    original_shape: tuple
    steps: tuple


def prepare_input(image, spec):
    """Apply the seed's preprocessing to ``image`` according to ``spec``.

    Color conversion, then ``cv2.resize(..., interpolation=cv2.INTER_AREA)``
    to ``spec.input_size`` squared, then a batch axis (and a channel axis).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
    spec : PipelineSpec

    Returns
    -------
    PreparedInput

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> prepared = prepare_input(load_sample("Cat (chelsea)"), PipelineSpec())
    >>> prepared.batch.shape
    (1, 512, 512, 1)
    >>> prepared.steps[3]
    'reshape to a batch of one: (1, 512, 512, 1)'
    """
    n, c = spec.input_size, spec.channels
    converted = to_color_mode(image, spec.color_mode)
    resized = cv2.resize(converted, (n, n), interpolation=cv2.INTER_AREA)
    batch = resized.reshape(1, n, n, c).astype(np.float32)
    if spec.scale_01:
        batch /= 255.0
    steps = preprocessing_steps(image.shape, spec)
    return PreparedInput(batch, tuple(image.shape), steps)


def preprocessing_shapes(image_shape, spec):
    """The shape after each preprocessing step: original, color, resize, batch.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> preprocessing_shapes((300, 451, 3), PipelineSpec())
    ((300, 451, 3), (300, 451), (512, 512), (1, 512, 512, 1))
    """
    height, width = image_shape[:2]
    n, c = spec.input_size, spec.channels
    converted = (height, width) if c == 1 else (height, width, 3)
    resized = (n, n) if c == 1 else (n, n, 3)
    return tuple(image_shape), converted, resized, (1, n, n, c)


def preprocessing_messages(image_shape, spec):
    """Each preprocessing step with the shape it produces, as messages.

    Returns
    -------
    tuple of Message
        Original, color conversion, resize, batch reshape, value range.
    """
    original, converted, resized, batch = preprocessing_shapes(image_shape, spec)
    n, c = spec.input_size, spec.channels
    key = "explain.preprocess."
    return (
        Message.of(key + "original", shape=str(original)),
        Message.of(key + ("grayscale" if c == 1 else "rgb"), shape=str(converted)),
        Message.of(key + "resize", n=n, shape=str(resized)),
        Message.of(key + "batch", shape=str(batch)),
        Message.of(key + ("scaled" if spec.scale_01 else "kept")),
    )


def preprocessing_steps(image_shape, spec, lang="en"):
    """Describe each preprocessing step with the shape it produces.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` or ``(H, W, 3)`` as loaded.
    spec : PipelineSpec
    lang : str, optional
        The language of the words (the shapes are the same in every language).

    Returns
    -------
    tuple of str
        Original, color conversion, resize, batch reshape, value range.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> for step in preprocessing_steps((300, 451, 3), PipelineSpec())[:4]:
    ...     print(step)
    original image: (300, 451, 3)
    grayscale: (300, 451)
    resize to 512x512 with INTER_AREA: (512, 512)
    reshape to a batch of one: (1, 512, 512, 1)
    """
    return tuple(step.render(lang) for step in preprocessing_messages(image_shape, spec))


def image_digest(image):
    """A short stable hash of an image's pixels and shape, for cache keys.

    Examples
    --------
    >>> image_digest(np.zeros((2, 2), np.uint8)) == image_digest(np.zeros((2, 2), np.uint8))
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((image.shape, image.dtype.str)).encode())
    digest.update(np.ascontiguousarray(image).tobytes())
    return digest.hexdigest()
