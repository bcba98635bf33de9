"""The frozen pipeline spec: input settings and a stack of 1-4 conv blocks.

Widgets produce a :class:`PipelineSpec`, the engine consumes it and the URL
carries it (:meth:`PipelineSpec.to_query` / :meth:`PipelineSpec.from_query`).
Each block is a :class:`BlockSpec`: optional zero padding, a convolution, an
activation and an optional pooling.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cnn_core.errors import SpecError

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
    "new_block",
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
        raise SpecError(f"Expected {name} to be a string. Received: {name}={value!r}")
    if value not in _CHOICES[name]:
        raise SpecError(
            f"Expected {name} to be one of {list(_CHOICES[name])}. Received: {name}={value!r}"
        )


def _check_integer(name, value):
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"Expected {name} to be an integer. Received: {name}={value!r}")
    if not low <= value <= high:
        raise SpecError(f"Expected {name} between {low} and {high}. Received: {name}={value}")


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
        Seed of the Glorot-uniform kernel initialiser.

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

    def __post_init__(self):
        for name in ("padding_mode", "activation", "pooling"):
            _check_choice(name, getattr(self, name))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in LIMITS and not (field.name == "pool_stride" and value is None):
                _check_integer(field.name, value)

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
    >>> PipelineSpec.from_query(spec.to_query()) == spec
    True
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
            raise SpecError(f"Expected scale_01 to be a bool. Received: {self.scale_01!r}")
        _check_integer("input_size", self.input_size)
        blocks = self.blocks
        if isinstance(blocks, list):
            blocks = tuple(blocks)
            object.__setattr__(self, "blocks", blocks)
        if not isinstance(blocks, tuple) or not all(isinstance(b, BlockSpec) for b in blocks):
            raise SpecError(f"Expected blocks to be a tuple of BlockSpec. Received: {blocks!r}")
        if not 1 <= len(blocks) <= MAX_BLOCKS:
            raise SpecError(
                f"Expected blocks between 1 and {MAX_BLOCKS}. Received: blocks={len(blocks)}"
            )

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

    def to_query(self) -> dict[str, str]:
        """Encode the spec as URL query parameters (strings only).

        Block 1 uses the plain field names, block ``i`` the same names with
        ``_i`` appended, and ``blocks`` says how many there are. Only settings
        that differ from the defaults are written (for block 2 on, the
        defaults are those :meth:`with_depth` would add), so the default spec
        gives an empty query.

        Examples
        --------
        >>> PipelineSpec().with_depth(2).replace_block(1, stride=2).to_query()
        {'blocks': '2', 'stride_2': '2'}
        """
        query = {}
        for name in INPUT_FIELDS:
            value = getattr(self, name)
            if value != getattr(PipelineSpec, name):
                query[name] = _encode(value)
        if self.depth > 1:
            query["blocks"] = str(self.depth)
        default = BlockSpec()
        for index, block in enumerate(self.blocks):
            suffix = _suffix(index)
            for name in BLOCK_FIELDS:
                value = getattr(block, name)
                if value != getattr(default, name):
                    query[name + suffix] = _encode(value)
            default = new_block(block)
        return query

    @classmethod
    def from_query(cls, query) -> PipelineSpec:
        """Build a spec from URL query parameters.

        Unknown keys are ignored; a known key with a bad value raises
        :class:`SpecError` naming it. Links from before blocks (plain names,
        no ``blocks``) open the same one-block view.

        Parameters
        ----------
        query : Mapping[str, str]
            Query parameters, e.g. ``st.query_params`` as a dict.
        """
        inputs = {name: _decode(name, _raw(query, name)) for name in INPUT_FIELDS if name in query}
        depth = 1
        if "blocks" in query:
            depth = _decode("blocks", _raw(query, "blocks"))
        blocks = []
        default = BlockSpec()
        for index in range(depth):
            suffix = _suffix(index)
            values = {
                name: _decode(name, _raw(query, name + suffix))
                for name in BLOCK_FIELDS
                if name + suffix in query
            }
            blocks.append(dataclasses.replace(default, **values))
            default = new_block(blocks[-1])
        return cls(**inputs, blocks=tuple(blocks))


def _suffix(index):
    return "" if index == 0 else f"_{index + 1}"


def _encode(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def _raw(query, key):
    raw = query[key]
    if isinstance(raw, list):
        if not raw:
            raise SpecError(f"Expected a value for {key}. Received: nothing")
        raw = raw[-1]
    return str(raw)


def _decode(name, raw):
    """One query value as the field ``name`` holds it."""
    if name == "scale_01":
        if raw not in ("0", "1"):
            raise SpecError(f"Expected scale_01 to be 0 or 1. Received: {raw!r}")
        return raw == "1"
    if name == "blocks":
        if raw not in {str(n) for n in range(1, MAX_BLOCKS + 1)}:
            raise SpecError(f"Expected blocks between 1 and {MAX_BLOCKS}. Received: {raw!r}")
        return int(raw)
    if name in LIMITS:
        if name == "pool_stride" and raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise SpecError(f"Expected {name} to be an integer. Received: {raw!r}") from None
    return raw
