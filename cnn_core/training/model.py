"""The small digit classifier, built by the engine that builds the explorer's blocks.

Two conv blocks (:class:`~cnn_core.spec.BlockSpec` through
:func:`~cnn_core.layer_table.block_layers`, exactly as the explorer builds
them: conv, relu, 2x2 max pooling, ``same`` padding), then Flatten and a
Dense softmax over the ten digits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.layer_table import block_layers, layer_names
from cnn_core.model import _serialized, keras_layer, load_keras
from cnn_core.spec import BlockSpec
from cnn_core.training.data import DIGIT

__all__ = [
    "CLASSES",
    "SETTING_LIMITS",
    "TrainSettings",
    "build_classifier",
    "first_layer",
    "model_blocks",
    "summary_rows",
]

#: The ten digits.
CLASSES = 10
#: Inclusive (low, high) bounds of the Train page's settings.
SETTING_LIMITS = {
    "filters": (1, 16),
    "kernel_size": (1, 5),
    "epochs": (1, 60),
    "learning_rate": (0.0001, 0.1),
    "seed": (0, 2**31 - 1),
}


@dataclass(frozen=True)
class TrainSettings:
    """What the student sets before "Train" (the defaults train the committed model).

    Parameters
    ----------
    filters : int
        Filters of the first conv layer (the second has twice as many).
    kernel_size : int
        Side of the first layer's kernels (the second's are 3x3).
    epochs : int
        Passes over the training digits.
    learning_rate : float
        Adam's step size.
    seed : int
        Seeds the initial weights and the order of the batches.
    batch_size : int
        Digits per step.
    """

    filters: int = 16
    kernel_size: int = 3
    epochs: int = 15
    learning_rate: float = 0.01
    seed: int = 0
    batch_size: int = 32

    def __post_init__(self):
        for name, (low, high) in SETTING_LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not low <= value <= high:
                raise SpecError(
                    "train.errors.setting_range", name=name, low=low, high=high, value=value
                )
        for name in ("filters", "kernel_size", "epochs", "seed", "batch_size"):
            if not isinstance(getattr(self, name), int):
                raise SpecError("train.errors.setting_integer", name=name, value=value)

    def replace(self, **changes):
        """A copy with ``changes``, validated."""
        return dataclasses.replace(self, **changes)


def model_blocks(settings):
    """The two conv blocks of the classifier, as the explorer's block specs.

    Examples
    --------
    >>> [(b.filters, b.kernel_size, b.padding_mode) for b in model_blocks(TrainSettings())]
    [(16, 3, 'same'), (32, 3, 'same')]
    """
    common = {"padding_mode": "same", "activation": "relu", "pooling": "max", "pool_size": 2}
    seed = settings.seed % (2**31 - 2)
    return (
        BlockSpec(kernel_size=settings.kernel_size, filters=settings.filters, seed=seed, **common),
        BlockSpec(kernel_size=3, filters=min(2 * settings.filters, 64), seed=seed + 1, **common),
    )


@_serialized
def build_classifier(settings):
    """The untrained, compiled classifier for ``settings``.

    Its layers: per block Conv2D, Activation("relu"), MaxPooling2D (named as
    in the explorer: ``conv2d``, ``activation``, ``max_pooling2d``, then
    ``conv2d_1``, ...), then ``flatten`` and ``dense`` (softmax). Every
    initialiser is seeded from ``settings.seed``.

    Returns
    -------
    keras.Model
    """
    keras = load_keras()
    calls = [call for block in model_blocks(settings) for call in block_layers(block)]
    inputs = keras.Input(shape=(DIGIT, DIGIT, 1), name="digit")
    x = inputs
    for call, name in zip(calls, layer_names(calls), strict=True):
        x = keras_layer(call, name)(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(
        CLASSES,
        activation="softmax",
        kernel_initializer=keras.initializers.GlorotUniform(seed=settings.seed % 2**31 + 2),
        name="dense",
    )(x)
    model = keras.Model(inputs, outputs, name="digits")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def first_layer(model):
    """The first conv layer's kernel (k, k, 1, f) and bias (f,), as float32 copies."""
    conv = next(layer for layer in model.layers if layer.__class__.__name__ == "Conv2D")
    kernel, bias = conv.get_weights()
    return np.array(kernel, np.float32), np.array(bias, np.float32)


def summary_rows(model):
    """One row per layer: name, Keras class, output shape and parameters.

    Returns
    -------
    list of tuple (str, str, tuple, int)
        The input layer first, with shape ``(None, 8, 8, 1)``.
    """
    rows = [("digit", "InputLayer", (None, DIGIT, DIGIT, 1), 0)]
    for layer in model.layers[1:]:
        shape = tuple(layer.output.shape)
        rows.append((layer.name, layer.__class__.__name__, shape, int(layer.count_params())))
    return rows
