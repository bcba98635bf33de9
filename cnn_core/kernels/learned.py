"""Learned kernels: the first layer of a trained digit classifier.

"Learned" is the committed model's first layer (``weights="learned"`` with no
values), or a session's own trained model, whose first layer then travels in
the block's ``custom`` values: the ``k*k*f`` kernel values (shape
``(k, k, f)``, row-major) followed by the ``f`` biases. A spec therefore
carries exactly the weights its maps are made with, and the Kernels page and
the Keras code reproduce them.
"""

from __future__ import annotations

import functools
import json
import math
import zipfile
from pathlib import Path

import numpy as np

from cnn_core.errors import SpecError

__all__ = [
    "LEARNED",
    "LEARNED_SIZES",
    "PRETRAINED_PATH",
    "check_learned",
    "learned_layer",
    "learned_values",
    "portable_block",
    "pretrained_shape",
]

#: The kernel choice's name (``weights=learned`` in a link).
LEARNED = "learned"
#: The committed model, trained by ``python -m cnn_core.training.pretrain``.
PRETRAINED_PATH = Path(__file__).resolve().parents[1] / "training" / "pretrained_digits.keras"
#: First-layer kernel sizes a trained model may have (the Train page's range).
LEARNED_SIZES = tuple(range(1, 6))
#: Largest |value| a learned weight may have in a spec.
MAX_LEARNED = 1e6


@functools.cache
def pretrained_shape(path=PRETRAINED_PATH):
    """Kernel size and filters of the committed model's first conv layer.

    Read from the ``.keras`` file's ``config.json``, without importing Keras.

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> pretrained_shape()
    (3, 16)
    """
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Conv2D":
            settings = layer["config"]
            return int(settings["kernel_size"][0]), int(settings["filters"])
    raise SpecError("train.errors.no_conv", path=str(path))


@functools.cache
def _pretrained_layer(path):
    from cnn_core.model import load_keras

    model = load_keras().saving.load_model(path, compile=False)
    conv = next(layer for layer in model.layers if layer.__class__.__name__ == "Conv2D")
    kernel, bias = conv.get_weights()
    kernel, bias = np.array(kernel[:, :, 0, :], np.float32), np.array(bias, np.float32)
    kernel.flags.writeable = bias.flags.writeable = False
    return kernel, bias


def learned_values(kernel, bias):
    """A first layer's weights as a block's ``custom`` values.

    Parameters
    ----------
    kernel : ndarray, shape (k, k, 1, f) or (k, k, f)
    bias : ndarray, shape (f,)

    Returns
    -------
    tuple of float
        ``k*k*f`` kernel values then ``f`` biases, each a float32 value.

    Examples
    --------
    >>> learned_values(np.arange(8).reshape(2, 2, 1, 2), [0.5, -1])
    (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 0.5, -1.0)
    """
    kernel = np.asarray(kernel, np.float32)
    if kernel.ndim == 4:
        if kernel.shape[2] != 1:
            raise SpecError("train.errors.first_layer", shape=str(kernel.shape))
        kernel = kernel[:, :, 0, :]
    bias = np.asarray(bias, np.float32)
    if kernel.ndim != 3 or bias.shape != (kernel.shape[2],):
        raise SpecError("train.errors.kernel_bias", shape=str(kernel.shape))
    return tuple(float(v) for v in np.concatenate([kernel.ravel(), bias]))


def check_learned(kernel_size, filters, custom, bias):
    """Raise :class:`SpecError` unless a learned block's settings fit its model.

    With no ``custom`` values the block is the committed model's first layer,
    so its kernel size and filters are that layer's; otherwise the values
    must be ``filters*(kernel_size**2 + 1)`` finite numbers.
    """
    if bias != 0:
        raise SpecError("train.errors.learned_bias", bias=bias)
    if not custom:
        k, f = pretrained_shape()
        if (kernel_size, filters) != (k, f):
            raise SpecError(
                "train.errors.learned_shape",
                kernel_size=kernel_size,
                filters=filters,
                k=k,
                f=f,
            )
        return
    if kernel_size not in LEARNED_SIZES:
        raise SpecError(
            "train.errors.learned_size",
            kernel_size=kernel_size,
            low=LEARNED_SIZES[0],
            high=LEARNED_SIZES[-1],
        )
    expected = filters * (kernel_size**2 + 1)
    if len(custom) != expected:
        raise SpecError(
            "train.errors.learned_count",
            count=len(custom),
            expected=expected,
            filters=filters,
            kernel_size=kernel_size,
        )
    if not all(isinstance(v, float) and math.isfinite(v) and abs(v) <= MAX_LEARNED for v in custom):
        raise SpecError("train.errors.learned_values", limit=f"{MAX_LEARNED:g}")


def learned_layer(kernel_size, custom=()):
    """A learned block's 2-D kernels and biases.

    Parameters
    ----------
    kernel_size : int
    custom : tuple of float
        :func:`learned_values` of a session's model, or empty for the
        committed model.

    Returns
    -------
    kernels : ndarray of float32, shape (k, k, f)
    bias : ndarray of float32, shape (f,)

    Examples
    --------
    >>> kernels, bias = learned_layer(1, (2.0, 3.0, 0.5, 0.25))
    >>> kernels.shape, kernels[0, 0].tolist(), bias.tolist()
    ((1, 1, 2), [2.0, 3.0], [0.5, 0.25])
    """
    if not custom:
        kernels, bias = _pretrained_layer(PRETRAINED_PATH)
        if kernels.shape[0] != kernel_size:
            raise SpecError(
                "train.errors.learned_shape",
                kernel_size=kernel_size,
                filters=kernels.shape[2],
                k=kernels.shape[0],
                f=kernels.shape[2],
            )
        return kernels.copy(), bias.copy()
    values = np.asarray(custom, np.float32)
    filters = len(values) // (kernel_size**2 + 1)
    if filters * (kernel_size**2 + 1) != len(values) or filters == 0:
        raise SpecError(
            "train.errors.learned_count",
            count=len(values),
            expected=max(filters, 1) * (kernel_size**2 + 1),
            filters=max(filters, 1),
            kernel_size=kernel_size,
        )
    split = kernel_size * kernel_size * filters
    return values[:split].reshape(kernel_size, kernel_size, filters), values[split:].copy()


def portable_block(block):
    """What a link can carry of a block: a learned block becomes the committed model's.

    A session's own model lives in that session only; a link with
    ``weights=learned`` opens the committed model's first layer.
    """
    if block.weights != LEARNED or not block.custom:
        return block
    k, f = pretrained_shape()
    return block.replace(custom=(), kernel_size=k, filters=f)
