"""The frozen pipeline spec: one object that describes a whole conv layer.

Widgets produce a :class:`PipelineSpec`, the engine consumes it and the URL
carries it (:mod:`cnn_core.links`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cnn_core.errors import SpecError

__all__ = [
    "ACTIVATIONS",
    "COLOR_MODES",
    "LIMITS",
    "PADDING_MODES",
    "POOLINGS",
    "PipelineSpec",
]

#: Color modes and the number of channels each gives.
COLOR_MODES = {"grayscale": 1, "rgb": 3}
#: Activation names, in the order the sidebar lists them, with display labels.
ACTIVATIONS = {
    "none": "none",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "leaky_relu": "leaky relu",
    "elu": "elu",
}
#: Pooling names with display labels.
POOLINGS = {"none": "none", "max": "max", "average": "average"}
#: Padding modes; "explicit" means zero-padding ``padding`` pixels on every side.
PADDING_MODES = ("valid", "same", "explicit")
#: Inclusive (low, high) bounds of every integer setting the UI offers.
LIMITS = {
    "input_size": (16, 1024),
    "kernel_size": (1, 31),
    "filters": (1, 64),
    "stride": (1, 8),
    "padding": (0, 64),
    "pool_size": (1, 8),
    "pool_stride": (1, 8),
    "seed": (0, 2**31 - 1),
}


@dataclass(frozen=True)
class PipelineSpec:
    """Everything that decides what one conv layer does to an image.

    Parameters
    ----------
    color_mode : {"grayscale", "rgb"}
        Grayscale gives one input channel, RGB three.
    input_size : int
        Side of the square the image is resized to (INTER_AREA).
    scale_01 : bool
        Divide pixel values by 255 so they lie in [0, 1]; otherwise 0-255 floats.
    kernel_size : int
        Side of the square convolution kernel.
    filters : int
        Number of convolution filters, i.e. output channels.
    stride : int
        Convolution stride, the same along both axes.
    padding_mode : {"valid", "same", "explicit"}
        Keras's ``valid`` or ``same``, or zero-padding ``padding`` pixels on
        every side followed by a ``valid`` convolution.
    padding : int
        Pixels of zero padding per side; only used when ``padding_mode`` is
        ``"explicit"``.
    activation : str
        One of :data:`ACTIVATIONS`.
    pooling : {"none", "max", "average"}
        Pooling after the activation.
    pool_size : int
        Side of the square pooling window.
    pool_stride : int or None
        Pooling stride; ``None`` means the pool size, as in Keras.
    seed : int
        Seed of the Glorot-uniform kernel initialiser.

    Examples
    --------
    >>> spec = PipelineSpec()
    >>> spec.channels, spec.effective_pool_stride
    (1, 2)
    """

    color_mode: str = "grayscale"
    input_size: int = 512
    scale_01: bool = False
    kernel_size: int = 15
    filters: int = 1
    stride: int = 1
    padding_mode: str = "valid"
    padding: int = 0
    activation: str = "relu"
    pooling: str = "max"
    pool_size: int = 2
    pool_stride: int | None = None
    seed: int = 3

    def __post_init__(self):
        for name in ("color_mode", "padding_mode", "activation", "pooling"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(
                    f"Expected {name} to be a string. Received: {name}={getattr(self, name)!r}"
                )
        if self.color_mode not in COLOR_MODES:
            raise SpecError(
                f"Expected color_mode to be one of {sorted(COLOR_MODES)}. "
                f"Received: color_mode={self.color_mode!r}"
            )
        if self.padding_mode not in PADDING_MODES:
            raise SpecError(
                f"Expected padding_mode to be one of {list(PADDING_MODES)}. "
                f"Received: padding_mode={self.padding_mode!r}"
            )
        if self.activation not in ACTIVATIONS:
            raise SpecError(
                f"Expected activation to be one of {list(ACTIVATIONS)}. "
                f"Received: activation={self.activation!r}"
            )
        if self.pooling not in POOLINGS:
            raise SpecError(
                f"Expected pooling to be one of {list(POOLINGS)}. "
                f"Received: pooling={self.pooling!r}"
            )
        if not isinstance(self.scale_01, bool):
            raise SpecError(f"Expected scale_01 to be a bool. Received: {self.scale_01!r}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if name == "pool_stride" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"Expected {name} to be an integer. Received: {name}={value!r}")
            if not low <= value <= high:
                raise SpecError(
                    f"Expected {name} between {low} and {high}. Received: {name}={value}"
                )

    @property
    def channels(self) -> int:
        """Number of input channels (1 for grayscale, 3 for RGB)."""
        return COLOR_MODES[self.color_mode]

    @property
    def effective_pool_stride(self) -> int:
        """Pooling stride actually used: ``pool_stride``, or the pool size."""
        return self.pool_size if self.pool_stride is None else self.pool_stride

    @property
    def keras_padding(self) -> str:
        """The ``padding`` argument Keras's Conv2D gets ("valid" or "same")."""
        return "same" if self.padding_mode == "same" else "valid"

    @property
    def explicit_padding(self) -> int:
        """Zero padding added per side before the convolution (0 unless explicit)."""
        return self.padding if self.padding_mode == "explicit" else 0

    def replace(self, **changes) -> PipelineSpec:
        """Return a copy with ``changes`` applied, validated like a new spec."""
        return dataclasses.replace(self, **changes)
