"""A drawn digit through a trained classifier: probabilities and every layer's maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_core.model import _serialized, load_keras
from cnn_core.training.data import model_input

__all__ = ["Prediction", "layer_probe", "load_classifier", "predict_digit"]


@dataclass(frozen=True)
class Prediction:
    """What the classifier makes of one digit.

    Attributes
    ----------
    probabilities : ndarray of float32, shape (10,)
        The softmax output.
    digit : int
        The most probable digit.
    maps : tuple of (str, str, ndarray)
        Per conv, activation and pooling layer: its name, Keras class and
        output (h, w, channels) for this digit.
    """

    probabilities: np.ndarray
    digit: int
    maps: tuple


def load_classifier(path):
    """A saved classifier (``.keras``), for prediction only."""
    return load_keras().saving.load_model(path, compile=False)


@_serialized
def layer_probe(model):
    """A model with the same layers whose outputs are every layer's output.

    Returns
    -------
    keras.Model
        Outputs: one per layer after the input, in order (the softmax last).
    """
    keras = load_keras()
    return keras.Model(model.input, [layer.output for layer in model.layers[1:]])


def predict_digit(probe, counts):
    """Run a digit (8x8 block counts, 0-16) through :func:`layer_probe`'s model.

    Parameters
    ----------
    probe : keras.Model
    counts : ndarray, shape (8, 8)

    Returns
    -------
    Prediction
    """
    batch = model_input(np.asarray(counts)[None])
    outputs = probe(batch, training=False)
    layers = probe.layers[1:]
    maps = tuple(
        (layer.name, layer.__class__.__name__, np.asarray(out)[0])
        for layer, out in zip(layers, outputs, strict=True)
        if np.asarray(out).ndim == 4
    )
    probabilities = np.asarray(outputs[-1])[0].astype(np.float32)
    return Prediction(probabilities, int(probabilities.argmax()), maps)
