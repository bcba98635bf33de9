"""The frozen pipeline spec: input settings and a stack of 1-4 conv blocks.

Widgets produce a :class:`PipelineSpec`, the engine consumes it and the URL
carries it (:mod:`cnn_core.links`, which also names every block's settings).
Each block is a :class:`BlockSpec`: optional zero padding, a convolution, an
activation and an optional pooling.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.i18n import Message
from cnn_core.kernels import check_choice

__all__ = [
    "ACTIVATIONS",
    "BLOCK_FIELDS",
    "COLOR_MODES",
    "INPUT_FIELDS",
    "LIMITS",
    "MAX_BLOCKS",
    "PADDING_MODES",
    "POOLINGS",
    "BlockSpec",
    "PipelineSpec",
    "activation_label",
    "new_block",
    "pooling_label",
]

#: Color modes and the number of channels each gives.
COLOR_MODES = {"grayscale": 1, "rgb": 3}
#: Activation names, in the order the sidebar lists them, with English display
#: labels (:func:`activation_label` gives them in any language; the keys are
#: what widgets and links hold, whatever the language).
ACTIVATIONS = {
    "none": "none",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "leaky_relu": "leaky relu",
    "elu": "elu",
}
#: Pooling names with English display labels (:func:`pooling_label` for any language).
POOLINGS = {"none": "none", "max": "max", "average": "average"}


def activation_label(name):
    """The display label of activation ``name`` (a key of :data:`ACTIVATIONS`).

    Examples
    --------
    >>> activation_label("leaky_relu").render("en"), activation_label("none").render("zh")
    ('leaky relu', '无')
    """
    return Message.of(f"explain.activation_name.{name}")


def pooling_label(name):
    """The display label of pooling ``name`` (a key of :data:`POOLINGS`).

    Examples
    --------
    >>> pooling_label("max").render("zh")
    '最大池化'
    """
    return Message.of(f"explain.pooling_name.{name}")


#: Padding modes; "explicit" means zero-padding ``padding`` pixels on every side.
PADDING_MODES = ("valid", "same", "explicit")
#: Most blocks a pipeline stacks.
MAX_BLOCKS = 4
#: Inclusive (low, high) bounds of every integer setting the UI offers.
LIMITS = {
    "input_size": (16, 1024),
    "kernel_size": (1, 31),
    "filters": (1, 64),
    "stride": (1, 8),
    "padding": (0, 64),
    "dilation": (1, 8),
    "pool_size": (1, 8),
    "pool_stride": (1, 8),
    "seed": (0, 2**31 - 1),
}
_CHOICES = {
    "color_mode": COLOR_MODES,
    "padding_mode": PADDING_MODES,
    "activation": ACTIVATIONS,
    "pooling": POOLINGS,
}


def _check_choice(name, value):
    if not isinstance(value, str):
        raise SpecError("errors.spec.not_string", name=name, value=value)
    if value not in _CHOICES[name]:
        raise SpecError(
            "errors.spec.not_choice", name=name, value=value, choices=str(list(_CHOICES[name]))
        )


def _check_integer(name, value):
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError("errors.spec.not_integer", name=name, value=value)
    if not low <= value <= high:
        raise SpecError("errors.spec.out_of_range", name=name, value=value, low=low, high=high)


def _float32(value):
    return float(np.float32(value))


@dataclass(frozen=True)
class BlockSpec:
    """One conv block: optional zero padding, Conv2D, activation, optional pooling.

    Parameters
    ----------
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
    dilation : int
        Keras's ``dilation_rate``: the kernel's taps are ``dilation`` pixels
        apart, so it spans ``dilation*(kernel_size - 1) + 1`` pixels.
    activation : str
        One of :data:`ACTIVATIONS`.
    pooling : {"none", "max", "average"}
        Pooling after the activation.
    pool_size : int
        Side of the square pooling window.
    pool_stride : int or None
        Pooling stride; ``None`` means the pool size, as in Keras.
    seed : int
        Seed of the Glorot-uniform kernel initialiser (``weights="random"`` only).
    weights : str
        The "Kernel" choice, a key of :data:`cnn_core.kernels.WEIGHTS`:
        "random" (Glorot uniform), a preset such as "sobel_x", "bank" (one
        filter per preset) or "custom". Anything but "random" fixes
        ``filters`` (1, or the bank's size) and limits ``kernel_size`` to the
        sizes the choice exists at.
    bias : float
        Every filter's bias (0 with random weights).
    custom : tuple of float
        The custom kernel, ``kernel_size**2`` values row-major, when
        ``weights == "custom"``; empty otherwise.

    Examples
    --------
    >>> block = BlockSpec(kernel_size=3, dilation=2)
    >>> block.effective_kernel, block.effective_pool_stride
    (5, 2)
    """

    kernel_size: int = 15
    filters: int = 1
    stride: int = 1
    padding_mode: str = "valid"
    padding: int = 0
    dilation: int = 1
    activation: str = "relu"
    pooling: str = "max"
    pool_size: int = 2
    pool_stride: int | None = None
    seed: int = 3
    weights: str = "random"
    bias: float = 0.0
    custom: tuple = ()

    def __post_init__(self):
        for name in ("padding_mode", "activation", "pooling"):
            _check_choice(name, getattr(self, name))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in LIMITS and not (field.name == "pool_stride" and value is None):
                _check_integer(field.name, value)
        if isinstance(self.custom, list):  # e.g. read back from JSON
            object.__setattr__(self, "custom", tuple(self.custom))
        check_choice(self.weights, self.kernel_size, self.filters, self.custom, self.bias)
        # The layer computes in float32: keep exactly the values it uses, so a
        # link (which writes float32's shortest form) gives back the same spec.
        object.__setattr__(self, "bias", _float32(self.bias))
        object.__setattr__(self, "custom", tuple(_float32(v) for v in self.custom))

    @property
    def effective_pool_stride(self) -> int:
        """Pooling stride actually used: ``pool_stride``, or the pool size."""
        return self.pool_size if self.pool_stride is None else self.pool_stride

    @property
    def effective_kernel(self) -> int:
        """Pixels the dilated kernel spans: ``dilation*(kernel_size - 1) + 1``."""
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def keras_padding(self) -> str:
        """The ``padding`` argument Keras's Conv2D gets ("valid" or "same")."""
        return "same" if self.padding_mode == "same" else "valid"

    @property
    def explicit_padding(self) -> int:
        """Zero padding added per side before the convolution (0 unless explicit)."""
        return self.padding if self.padding_mode == "explicit" else 0

    def replace(self, **changes) -> BlockSpec:
        """Return a copy with ``changes`` applied, validated like a new block."""
        return dataclasses.replace(self, **changes)


def new_block(previous):
    """The block a student gets on adding one after ``previous``.

    A typical deeper block: 3x3, twice the previous filters (at most 64),
    ``same`` padding, relu, 2x2 max pooling.

    Examples
    --------
    >>> new_block(BlockSpec(filters=8)).filters, new_block(BlockSpec(filters=40)).filters
    (16, 64)
    """
    return BlockSpec(
        kernel_size=3,
        filters=min(2 * previous.filters, LIMITS["filters"][1]),
        padding_mode="same",
        activation="relu",
        pooling="max",
        pool_size=2,
    )


#: Field names of a block and of the pipeline's input settings.
BLOCK_FIELDS = tuple(field.name for field in dataclasses.fields(BlockSpec))
INPUT_FIELDS = ("color_mode", "input_size", "scale_01")


@dataclass(frozen=True)
class PipelineSpec:
    """Everything that decides what the stacked blocks do to an image.

    Parameters
    ----------
    color_mode : {"grayscale", "rgb"}
        Grayscale gives one input channel, RGB three.
    input_size : int
        Side of the square the image is resized to (INTER_AREA).
    scale_01 : bool
        Divide pixel values by 255 so they lie in [0, 1]; otherwise 0-255 floats.
    blocks : tuple of BlockSpec
        1 to :data:`MAX_BLOCKS` blocks, applied in order (a list is accepted
        and stored as a tuple).

    Examples
    --------
    >>> spec = PipelineSpec()
    >>> spec.channels, spec.depth, spec.blocks[0].kernel_size
    (1, 1, 15)
    >>> deeper = spec.with_depth(3)
    >>> [block.filters for block in deeper.blocks], deeper.block_channels(2)
    ([1, 2, 4], 2)
    """

    color_mode: str = "grayscale"
    input_size: int = 512
    scale_01: bool = False
    blocks: tuple = (BlockSpec(),)

    def __post_init__(self):
        _check_choice("color_mode", self.color_mode)
        if not isinstance(self.scale_01, bool):
            raise SpecError("errors.spec.scale_not_bool", value=self.scale_01)
        _check_integer("input_size", self.input_size)
        blocks = self.blocks
        if isinstance(blocks, list):
            blocks = tuple(blocks)
            object.__setattr__(self, "blocks", blocks)
        if not isinstance(blocks, tuple) or not all(isinstance(b, BlockSpec) for b in blocks):
            raise SpecError("errors.spec.blocks_type", value=repr(blocks))
        if not 1 <= len(blocks) <= MAX_BLOCKS:
            raise SpecError("errors.spec.blocks_count", high=MAX_BLOCKS, count=len(blocks))

    @classmethod
    def single(cls, **settings) -> PipelineSpec:
        """A one-block spec from input and block settings given together.

        Examples
        --------
        >>> PipelineSpec.single(input_size=64, filters=8).blocks[0].filters
        8
        """
        inputs = {name: settings.pop(name) for name in INPUT_FIELDS if name in settings}
        return cls(**inputs, blocks=(BlockSpec(**settings),))

    @property
    def channels(self) -> int:
        """Number of input channels (1 for grayscale, 3 for RGB)."""
        return COLOR_MODES[self.color_mode]

    @property
    def depth(self) -> int:
        """Number of blocks."""
        return len(self.blocks)

    def block_channels(self, index) -> int:
        """Channels going into block ``index`` (0-based): the image's, or the
        previous block's filters."""
        return self.channels if index == 0 else self.blocks[index - 1].filters

    def replace(self, **changes) -> PipelineSpec:
        """Return a copy with ``changes`` applied, validated like a new spec."""
        return dataclasses.replace(self, **changes)

    def replace_block(self, index, **changes) -> PipelineSpec:
        """Return a copy whose block ``index`` (0-based) has ``changes`` applied."""
        blocks = list(self.blocks)
        blocks[index] = blocks[index].replace(**changes)
        return self.replace(blocks=tuple(blocks))

    def with_depth(self, count) -> PipelineSpec:
        """Keep the first ``count`` blocks, adding :func:`new_block` ones as needed."""
        blocks = list(self.blocks[:count])
        while len(blocks) < count:
            blocks.append(new_block(blocks[-1]))
        return self.replace(blocks=tuple(blocks))
