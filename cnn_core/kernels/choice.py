"""The "Kernel" choice: Random, a preset, the classic bank or a custom grid.

Everything here takes explicit arguments (kernel size, channels, values), not
a spec, so it serves the first block (1 or 3 image channels) and later blocks
(many input channels) alike.
"""

from __future__ import annotations

import math

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.i18n import Message
from cnn_core.kernels.custom import MAX_WEIGHT
from cnn_core.kernels.learned import LEARNED, check_learned, learned_layer, pretrained_shape
from cnn_core.kernels.presets import (
    BANK,
    KERNEL_SIZES,
    PRESETS,
    bank_kernels,
    bank_sizes,
    preset_kernel,
    sizes_text,
)

__all__ = [
    "LUMINANCE",
    "WEIGHTS",
    "channel_weights",
    "check_choice",
    "choice_filters",
    "choice_sizes",
    "choice_source",
    "describe_choice",
    "filter_labels",
    "flat_kernels",
    "kernel_stack",
    "layer_weights",
    "size_note",
]

#: Sidebar labels by URL name (``weights=``), in the order the sidebar lists them.
WEIGHTS = {
    "random": "Random (Glorot uniform)",
    **{name: preset.label for name, preset in PRESETS.items()},
    "bank": "Classic bank",
    "custom": "Custom",
    LEARNED: "Learned (trained on digits)",
}
#: ITU-R BT.601 luma weights, the ones cv2.COLOR_RGB2GRAY uses.
LUMINANCE = (0.299, 0.587, 0.114)
#: Largest |bias| accepted.
MAX_BIAS = MAX_WEIGHT


def choice_sizes(weights):
    """Kernel sizes a choice exists at.

    Examples
    --------
    >>> choice_sizes("prewitt_x"), choice_sizes("bank"), len(choice_sizes("custom"))
    ((3,), (3,), 31)
    """
    if not isinstance(weights, str):
        raise SpecError(f"Expected weights to be a string. Received: weights={weights!r}")
    if weights in PRESETS:
        return PRESETS[weights].sizes
    if weights == "bank":
        return bank_sizes()
    if weights == LEARNED:
        return (pretrained_shape()[0],)
    if weights in WEIGHTS:
        return tuple(KERNEL_SIZES)
    raise SpecError(f"Expected weights to be one of {list(WEIGHTS)}. Received: {weights!r}")


def choice_filters(weights):
    """The filter count a choice fixes, or None for Random (any count).

    Examples
    --------
    >>> choice_filters("random"), choice_filters("sobel_x"), choice_filters("bank")
    (None, 1, 11)
    """
    choice_sizes(weights)
    if weights == "random":
        return None
    if weights == LEARNED:
        return pretrained_shape()[1]
    return len(BANK) if weights == "bank" else 1


def size_note(weights, old, new):
    """The caption saying why "Kernel size" moved, or None if it did not.

    Examples
    --------
    >>> size_note("sharpen", 15, 3)
    'Sharpen exists at a kernel size of 3 only, so Kernel size moved from 15 to 3.'
    >>> size_note("sobel_x", 5, 5) is None
    True
    """
    if old == new:
        return None
    return (
        f"{WEIGHTS[weights]} exists at a kernel size {sizes_text(choice_sizes(weights))}, "
        f"so Kernel size moved from {old} to {new}."
    )


def check_choice(weights, kernel_size, filters, custom=(), bias=0.0):
    """Raise :class:`SpecError` unless the kernel settings fit together.

    Parameters
    ----------
    weights : str
        A key of :data:`WEIGHTS`.
    kernel_size, filters : int
    custom : tuple of float
        ``kernel_size**2`` values, row-major, when ``weights == "custom"``;
        a trained first layer's values for "learned" (see
        :mod:`cnn_core.kernels.learned`); empty otherwise.
    bias : float
    """
    if weights == LEARNED:
        if not isinstance(custom, tuple):
            raise SpecError(
                f"Expected custom weights as a tuple. Received: {type(custom).__name__}"
            )
        check_learned(kernel_size, filters, custom, bias)
        return
    sizes = choice_sizes(weights)
    if kernel_size not in sizes:
        raise SpecError(
            f"Expected a kernel size {sizes_text(sizes)} for {WEIGHTS[weights]}. "
            f"Received: kernel_size={kernel_size}"
        )
    fixed = choice_filters(weights)
    if fixed is not None and filters != fixed:
        raise SpecError(
            f"Expected filters={fixed} for {WEIGHTS[weights]}. Received: filters={filters}"
        )
    if not isinstance(custom, tuple):
        raise SpecError(f"Expected custom weights as a tuple. Received: {type(custom).__name__}")
    if weights == "custom":
        if len(custom) != kernel_size**2:
            raise SpecError(
                f"Expected {kernel_size}*{kernel_size} = {kernel_size**2} custom weights. "
                f"Received: {len(custom)}"
            )
        if not all(isinstance(v, float) and abs(v) <= MAX_WEIGHT for v in custom):
            raise SpecError(
                f"Expected custom weights as floats between -{MAX_WEIGHT:g} and "
                f"{MAX_WEIGHT:g}. Received: {custom[:9]!r}"
            )
    elif custom:
        raise SpecError(
            f"Expected no custom weights for {WEIGHTS[weights]}. Received: {len(custom)} values"
        )
    if isinstance(bias, bool) or not isinstance(bias, (int, float)) or not math.isfinite(bias):
        raise SpecError(f"Expected bias to be a finite number. Received: bias={bias!r}")
    if abs(bias) > MAX_BIAS:
        raise SpecError(f"Expected bias between -{MAX_BIAS:g} and {MAX_BIAS:g}. Received: {bias}")
    if weights == "random" and bias != 0:
        raise SpecError(f"Expected bias 0 with random weights. Received: bias={bias}")


def kernel_stack(weights, kernel_size, custom=()):
    """The 2-D kernels of a non-random choice, one per filter.

    Returns
    -------
    ndarray of float32, shape (k, k, f)

    Examples
    --------
    >>> kernel_stack("custom", 2, (1.0, 2.0, 3.0, 4.0))[:, :, 0].tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    >>> kernel_stack("bank", 3).shape
    (3, 3, 11)
    """
    if weights == "bank":
        return bank_kernels(kernel_size)[0]
    if weights == LEARNED:
        return learned_layer(kernel_size, custom)[0]
    if weights == "custom":
        if len(custom) != kernel_size**2:
            raise SpecError(f"Expected {kernel_size**2} custom weights. Received: {len(custom)}")
        grid = np.asarray(custom, np.float32).reshape(kernel_size, kernel_size)
        return grid[:, :, None]
    if weights in PRESETS:
        return preset_kernel(weights, kernel_size)[:, :, None]
    raise SpecError(f"Expected a preset, the bank or custom weights. Received: {weights!r}")


def filter_labels(weights, filters):
    """Tile titles for a layer's filters: "filter 5: Sobel x" for the bank.

    Examples
    --------
    >>> filter_labels("bank", 11)[4], filter_labels("sobel_x", 1), filter_labels("random", 2)
    ('filter 5: Sobel x', ['filter 1: Sobel x'], ['filter 1', 'filter 2'])
    """
    if weights == "bank":
        return [f"filter {i + 1}: {PRESETS[name].label}" for i, name in enumerate(BANK)]
    if weights in PRESETS or weights == "custom":
        return [f"filter 1: {WEIGHTS[weights]}"]
    return [f"filter {i + 1}" for i in range(filters)]


def channel_weights(channels, color_input=False):
    """How a 2-D kernel is shared among a layer's input channels.

    Parameters
    ----------
    channels : int
        Input channels of the layer.
    color_input : bool
        True for the first layer on an RGB image: the luminance weights
        (0.299, 0.587, 0.114), so the RGB map equals the grayscale map of the
        same kernel. Otherwise every channel gets ``1/channels``: the map is
        then the kernel applied to the channels' mean.

    Returns
    -------
    ndarray of float32, shape (channels,)

    Examples
    --------
    >>> channel_weights(3, color_input=True).tolist() == [np.float32(w) for w in LUMINANCE]
    True
    >>> channel_weights(4).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"Expected channels >= 1. Received: channels={channels!r}")
    if color_input:
        if channels != 3:
            raise ValueError(f"Expected 3 channels for a color input. Received: {channels}")
        return np.array(LUMINANCE, np.float32)
    return np.full(channels, 1.0 / channels, np.float32)


def layer_weights(kernels, channels, bias=0.0, color_input=False):
    """Conv2D weights from 2-D kernels: each kernel spread over the input channels.

    Parameters
    ----------
    kernels : ndarray, shape (k, k, f)
        One 2-D kernel per filter (:func:`kernel_stack`).
    channels : int
        The layer's input channels.
    bias : float
        The same bias for every filter.
    color_input : bool
        See :func:`channel_weights`.

    Returns
    -------
    kernel : ndarray of float32, shape (k, k, channels, f)
        As Keras's Conv2D stores it.
    bias : ndarray of float32, shape (f,)

    Examples
    --------
    >>> kernel, bias = layer_weights(np.ones((2, 2, 1)), 2, bias=0.5)
    >>> kernel.shape, kernel[0, 0, :, 0].tolist(), bias.tolist()
    ((2, 2, 2, 1), [0.5, 0.5], [0.5])
    """
    kernels = np.asarray(kernels, np.float32)
    if kernels.ndim != 3 or kernels.shape[0] != kernels.shape[1]:
        raise ValueError(f"Expected kernels of shape (k, k, f). Received: {kernels.shape}")
    shares = channel_weights(channels, color_input)
    kernel = kernels[:, :, None, :] * shares[None, None, :, None]
    return kernel.astype(np.float32), np.full(kernels.shape[2], bias, np.float32)


def flat_kernels(kernel):
    """Each filter's 2-D kernel, summed over the input channels.

    That is what a filter does to an input whose channels are equal (a gray
    image); for a kernel spread by :func:`layer_weights` it is the 2-D kernel
    itself (the channel shares sum to 1).

    Parameters
    ----------
    kernel : ndarray, shape (k, k, c, f)

    Returns
    -------
    ndarray of float32, shape (k, k, f)

    Examples
    --------
    >>> kernel, _ = layer_weights(kernel_stack("sharpen", 3), 3, color_input=True)
    >>> bool(np.allclose(flat_kernels(kernel)[:, :, 0], kernel_stack("sharpen", 3)[:, :, 0]))
    True
    """
    kernel = np.asarray(kernel, np.float32)
    if kernel.ndim != 4:
        raise ValueError(f"Expected a kernel of shape (k, k, c, f). Received: {kernel.shape}")
    return kernel.sum(axis=2)


def describe_choice(weights, bias=0.0):
    """One line saying where a layer's weights come from.

    Examples
    --------
    >>> describe_choice("random")
    'random Glorot-uniform weights, untrained: the maps show the arithmetic'
    >>> describe_choice("sobel_x", 0.5)
    'Sobel x kernel, bias 0.5'
    >>> describe_choice("bank")
    'the classic bank: one filter per preset, bias 0'
    """
    if weights == "random":
        return "random Glorot-uniform weights, untrained: the maps show the arithmetic"
    if weights == LEARNED:
        return str(Message.of("train.learned.describe"))
    what = (
        "the classic bank: one filter per preset"
        if weights == "bank"
        else (f"{WEIGHTS[weights]} kernel")
    )
    return f"{what}, bias {bias:g}"


def choice_source(weights, kernel_size, channels, color_input, bias=0.0):
    """Lines saying how a non-random choice's weights are made (Kernels page).

    Examples
    --------
    >>> print("\\n".join(choice_source("sharpen", 3, 3, True, 1.0)))
    Sharpen: textbook 3x3: 5 at the centre, -1 beside it
    spread over the 3 input channels by luminance (0.299, 0.587, 0.114)
    bias 1 for every filter
    """
    if weights == "bank":
        lines = [f"{len(BANK)} filters, one per preset, each {kernel_size}x{kernel_size}:"]
        lines += [
            f"  filter {i + 1}: {PRESETS[n].label} ({PRESETS[n].source})"
            for i, n in enumerate(BANK)
        ]
    elif weights == "custom":
        lines = [f"Custom: the {kernel_size}x{kernel_size} numbers typed in the sidebar"]
    elif weights == LEARNED:
        lines = [str(Message.of("train.learned.source", k=kernel_size))]
    else:
        lines = [f"{WEIGHTS[weights]}: {PRESETS[weights].source}"]
    if color_input:
        shares = ", ".join(str(w) for w in LUMINANCE)
        lines.append(f"spread over the {channels} input channels by luminance ({shares})")
    elif channels > 1:
        lines.append(f"spread over the {channels} input channels, 1/{channels} each")
    if weights != LEARNED:
        lines.append(f"bias {bias:g} for every filter")
    return lines
