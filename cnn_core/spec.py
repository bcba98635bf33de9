"""The frozen pipeline spec: one object that describes a whole conv layer.

Widgets produce a :class:`PipelineSpec`, the engine consumes it and the URL
carries it (:meth:`PipelineSpec.to_query` / :meth:`PipelineSpec.from_query`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.kernels import (
    WEIGHTS,
    check_choice,
    choice_filters,
    choice_sizes,
    fit_kernel_size,
    format_weights,
    parse_weights,
    size_note,
)

__all__ = [
    "ACTIVATIONS",
    "COLOR_MODES",
    "LIMITS",
    "PADDING_MODES",
    "POOLINGS",
    "PipelineSpec",
    "link_spec",
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


def _float32(value):
    return float(np.float32(value))


#: URL names of fields whose name in a link differs from the field's.
_URL_NAMES = {"custom": "w"}


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
    >>> spec = PipelineSpec()
    >>> spec.channels, spec.effective_pool_stride
    (1, 2)
    >>> PipelineSpec.from_query(spec.to_query()) == spec
    True
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
    weights: str = "random"
    bias: float = 0.0
    custom: tuple = ()

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
        check_choice(self.weights, self.kernel_size, self.filters, self.custom, self.bias)
        # The layer computes in float32: keep exactly the values it uses, so a
        # link (which writes float32's shortest form) gives back the same spec.
        object.__setattr__(self, "bias", _float32(self.bias))
        object.__setattr__(self, "custom", tuple(_float32(v) for v in self.custom))

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

    def to_query(self) -> dict[str, str]:
        """Encode the spec as URL query parameters (strings only).

        Only settings that differ from the defaults are written, so the
        default spec gives an empty query.
        """
        default = PipelineSpec()
        query = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value == getattr(default, field.name):
                continue
            if field.name in ("bias", "custom"):
                query[_URL_NAMES.get(field.name, field.name)] = format_weights(
                    value if field.name == "custom" else (value,)
                )
            elif isinstance(value, bool):
                query[field.name] = "1" if value else "0"
            else:
                query[field.name] = "" if value is None else str(value)
        return query

    @classmethod
    def from_query(cls, query) -> PipelineSpec:
        """Build a spec from URL query parameters.

        Unknown keys are ignored; a known key with a bad value raises
        :class:`SpecError` naming it.

        Parameters
        ----------
        query : Mapping[str, str]
            Query parameters, e.g. ``st.query_params`` as a dict.
        """
        values = {}
        for field in dataclasses.fields(cls):
            key = _URL_NAMES.get(field.name, field.name)
            if key not in query:
                continue
            raw = query[key]
            if isinstance(raw, list):
                if not raw:
                    raise SpecError(f"Expected a value for {key}. Received: nothing")
                raw = raw[-1]
            raw = str(raw)
            if field.name == "custom":
                values["custom"] = parse_weights(raw)
            elif field.name == "bias":
                values["bias"] = parse_weights(raw, 1)[0] if raw else 0.0
            elif field.name == "scale_01":
                if raw not in ("0", "1"):
                    raise SpecError(f"Expected scale_01 to be 0 or 1. Received: {raw!r}")
                values[field.name] = raw == "1"
            elif field.name in LIMITS:
                if field.name == "pool_stride" and raw == "":
                    values[field.name] = None
                    continue
                try:
                    values[field.name] = int(raw)
                except ValueError:
                    raise SpecError(
                        f"Expected {field.name} to be an integer. Received: {raw!r}"
                    ) from None
            else:
                values[field.name] = raw
        return cls(**values)


def link_spec(query):
    """The spec a link describes, with its kernel settings made to fit.

    A preset at a size it does not exist at moves to the nearest size it
    does; a choice other than Random gets its fixed filter count; a ``w``
    that is not k*k numbers falls back to Random. Each change is reported.

    Parameters
    ----------
    query : Mapping[str, str]

    Returns
    -------
    spec : PipelineSpec
    notes : list of str
        One warning per change, naming the setting.

    Raises
    ------
    SpecError
        For any other bad value, as :meth:`PipelineSpec.from_query`.

    Examples
    --------
    >>> spec, notes = link_spec({"weights": "sharpen"})
    >>> spec.kernel_size, notes
    (3, ['Sharpen exists at a kernel size of 3 only, so Kernel size moved from 15 to 3.'])
    >>> spec, notes = link_spec({"weights": "custom", "w": "1,2,x", "kernel_size": "3"})
    >>> spec.weights, notes[0].split(":")[0]
    ('random', "The link's w could not be used")
    """
    query = {
        key: (value[-1] if isinstance(value, list) and value else value)
        for key, value in dict(query).items()
    }
    notes = []
    weights = query.get("weights", "random")
    if not isinstance(weights, str) or weights not in WEIGHTS or weights == "random":
        return PipelineSpec.from_query(query), notes
    raw_size = query.get("kernel_size", str(PipelineSpec.kernel_size))
    try:
        size = int(str(raw_size))
    except ValueError:
        return PipelineSpec.from_query(query), notes
    if weights == "custom":
        try:
            parse_weights(str(query.get("w", "")), size)
        except SpecError as exc:
            notes.append(
                f"The link's w could not be used: {exc}. Showing {WEIGHTS['random']} "
                "weights instead."
            )
            for key in ("w", "bias"):
                query.pop(key, None)
            query["weights"] = "random"
            return PipelineSpec.from_query(query), notes
    fitted = fit_kernel_size(choice_sizes(weights), size)
    if fitted != size:
        notes.append(size_note(weights, size, fitted))
        query["kernel_size"] = str(fitted)
    query["filters"] = str(choice_filters(weights))
    return PipelineSpec.from_query(query), notes
