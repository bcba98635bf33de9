"""The "Kernel" choice: Random, a preset, the classic bank or a custom grid.

Everything here takes explicit arguments (kernel size, channels, values), not
a spec, so it serves the first block (1 or 3 image channels) and later blocks
(many input channels) alike.
"""

from __future__ import annotations

import math

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.i18n import DEFAULT_LANGUAGE, Message, translate
from cnn_core.kernels.custom import MAX_WEIGHT
from cnn_core.kernels.learned import LEARNED, check_learned, learned_layer, pretrained_shape
from cnn_core.kernels.presets import (
    BANK,
    KERNEL_SIZES,
    PRESETS,
    bank_kernels,
    bank_sizes,
    preset_kernel,
    preset_label,
    preset_source,
    sizes_message,
)

__all__ = [
    "LUMINANCE",
    "WEIGHTS",
    "channel_weights",
    "check_choice",
    "choice_filters",
    "choice_label",
    "choice_sizes",
    "choice_source",
    "describe_choice",
    "filter_labels",
    "flat_kernels",
    "kernel_stack",
    "layer_weights",
    "size_message",
    "size_note",
]

#: English sidebar labels by URL name (``weights=``), in the order the sidebar
#: lists them; :func:`choice_label` gives them in any language.
WEIGHTS = {
    "random": translate(DEFAULT_LANGUAGE, "kernels.choice.random"),
    **{name: preset.label for name, preset in PRESETS.items()},
    "bank": translate(DEFAULT_LANGUAGE, "kernels.choice.bank"),
    "custom": translate(DEFAULT_LANGUAGE, "kernels.choice.custom"),
    LEARNED: translate(DEFAULT_LANGUAGE, "train.learned.choice"),
}
#: ITU-R BT.601 luma weights, the ones cv2.COLOR_RGB2GRAY uses.
LUMINANCE = (0.299, 0.587, 0.114)
#: Largest |bias| accepted.
MAX_BIAS = MAX_WEIGHT


def choice_label(weights):
    """The display name of a "Kernel" choice, as a :class:`~cnn_core.i18n.Message`.

    Examples
    --------
    >>> choice_label("bank").render("zh"), choice_label("sobel_y").render("en")
    ('经典卷积核组', 'Sobel y')
    """
    if weights in PRESETS:
        return preset_label(weights)
    if weights == LEARNED:
        return Message.of("train.learned.choice")
    return Message.of(f"kernels.choice.{weights}")


def choice_sizes(weights):
    """Kernel sizes a choice exists at.

    Examples
    --------
    >>> choice_sizes("prewitt_x"), choice_sizes("bank"), len(choice_sizes("custom"))
    ((3,), (3,), 31)
    """
    if not isinstance(weights, str):
        raise SpecError("errors.kernel.weights_not_string", value=weights)
    if weights in PRESETS:
        return PRESETS[weights].sizes
    if weights == "bank":
        return bank_sizes()
    if weights == LEARNED:
        return (pretrained_shape()[0],)
    if weights in WEIGHTS:
        return tuple(KERNEL_SIZES)
    raise SpecError("errors.kernel.unknown_weights", choices=str(list(WEIGHTS)), value=weights)


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


def size_message(weights, old, new):
    """Why "Kernel size" moved, as a :class:`~cnn_core.i18n.Message`, or None
    if it did not."""
    if old == new:
        return None
    return Message.of(
        "kernels.note.size_moved",
        label=choice_label(weights),
        sizes=sizes_message(choice_sizes(weights)),
        old=old,
        new=new,
    )


def size_note(weights, old, new, lang="en"):
    """The caption saying why "Kernel size" moved, or None if it did not.

    Examples
    --------
    >>> size_note("sharpen", 15, 3)
    'Sharpen exists at a kernel size of 3 only, so Kernel size moved from 15 to 3.'
    >>> size_note("sharpen", 15, 3, "zh")
    '锐化 的卷积核尺寸只能是 3，因此“卷积核尺寸”已从 15 改为 3。'
    >>> size_note("sobel_x", 5, 5) is None
    True
    """
    message = size_message(weights, old, new)
    return None if message is None else message.render(lang)


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
            raise SpecError("errors.kernel.custom_not_tuple", kind=type(custom).__name__)
        check_learned(kernel_size, filters, custom, bias)
        return
    sizes = choice_sizes(weights)
    if kernel_size not in sizes:
        raise SpecError(
            "errors.kernel.choice_size",
            sizes=sizes_message(sizes),
            label=choice_label(weights),
            kernel_size=kernel_size,
        )
    fixed = choice_filters(weights)
    if fixed is not None and filters != fixed:
        raise SpecError(
            "errors.kernel.fixed_filters", fixed=fixed, label=choice_label(weights), filters=filters
        )
    if not isinstance(custom, tuple):
        raise SpecError("errors.kernel.custom_not_tuple", kind=type(custom).__name__)
    if weights == "custom":
        if len(custom) != kernel_size**2:
            raise SpecError(
                "errors.kernel.custom_count",
                size=kernel_size,
                needed=kernel_size**2,
                count=len(custom),
            )
        if not all(isinstance(v, float) and abs(v) <= MAX_WEIGHT for v in custom):
            raise SpecError("errors.kernel.custom_values", high=MAX_WEIGHT, value=repr(custom[:9]))
    elif custom:
        raise SpecError(
            "errors.kernel.custom_unexpected", label=choice_label(weights), count=len(custom)
        )
    if isinstance(bias, bool) or not isinstance(bias, (int, float)) or not math.isfinite(bias):
        raise SpecError("errors.kernel.bias_not_number", value=bias)
    if abs(bias) > MAX_BIAS:
        raise SpecError("errors.kernel.bias_range", high=MAX_BIAS, bias=bias)
    if weights == "random" and bias != 0:
        raise SpecError("errors.kernel.bias_random", bias=bias)


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
            raise SpecError(
                "errors.kernel.custom_count",
                size=kernel_size,
                needed=kernel_size**2,
                count=len(custom),
            )
        grid = np.asarray(custom, np.float32).reshape(kernel_size, kernel_size)
        return grid[:, :, None]
    if weights in PRESETS:
        return preset_kernel(weights, kernel_size)[:, :, None]
    raise SpecError("errors.kernel.not_fixed", value=weights)


def filter_labels(weights, filters, lang="en"):
    """Tile titles for a layer's filters: "filter 5: Sobel x" for the bank.

    Examples
    --------
    >>> filter_labels("bank", 11)[4], filter_labels("sobel_x", 1), filter_labels("random", 2)
    ('filter 5: Sobel x', ['filter 1: Sobel x'], ['filter 1', 'filter 2'])
    >>> filter_labels("bank", 11, "zh")[4]
    '滤波器 5：Sobel x 方向'
    """
    if weights == "bank":
        names = [preset_label(name) for name in BANK]
    elif weights in PRESETS or weights == "custom":
        names = [choice_label(weights)]
    else:
        return [translate(lang, "kernels.filter.numbered", number=i + 1) for i in range(filters)]
    return [
        translate(lang, "kernels.filter.named", number=i + 1, label=name)
        for i, name in enumerate(names)
    ]


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
        raise SpecError("errors.internal.channels", value=channels)
    if color_input:
        if channels != 3:
            raise SpecError("errors.internal.color_channels", value=channels)
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
        raise SpecError("errors.internal.kernels_3d", shape=str(kernels.shape))
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
        raise SpecError("errors.internal.kernel_4d", shape=str(kernel.shape))
    return kernel.sum(axis=2)


def describe_choice(weights, bias=0.0, lang="en"):
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
        return translate(lang, "kernels.describe.random")
    if weights == "bank":
        return translate(lang, "kernels.describe.bank", bias=bias)
    if weights == LEARNED:
        return translate(lang, "train.learned.describe")
    return translate(lang, "kernels.describe.preset", label=choice_label(weights), bias=bias)


def choice_source(weights, kernel_size, channels, color_input, bias=0.0, lang="en"):
    """Lines saying how a non-random choice's weights are made (Kernels page).

    Examples
    --------
    >>> print("\\n".join(choice_source("sharpen", 3, 3, True, 1.0)))
    Sharpen: textbook 3x3: 5 at the centre, -1 beside it
    spread over the 3 input channels by luminance (0.299, 0.587, 0.114)
    bias 1 for every filter
    """
    return [
        message.render(lang)
        for message in _source_messages(weights, kernel_size, channels, color_input, bias)
    ]


def _source_messages(weights, kernel_size, channels, color_input, bias):
    key = "kernels.source_lines."
    if weights == "bank":
        lines = [Message.of(key + "bank", count=len(BANK), size=kernel_size)]
        lines += [
            Message.of(
                key + "bank_filter",
                number=i + 1,
                label=preset_label(name),
                source=preset_source(name),
            )
            for i, name in enumerate(BANK)
        ]
    elif weights == "custom":
        lines = [Message.of(key + "custom", size=kernel_size)]
    elif weights == LEARNED:
        lines = [Message.of("train.learned.source", k=kernel_size)]
    else:
        lines = [
            Message.of(key + "preset", label=choice_label(weights), source=preset_source(weights))
        ]
    if color_input:
        shares = ", ".join(str(w) for w in LUMINANCE)
        lines.append(Message.of(key + "luminance", channels=channels, shares=shares))
    elif channels > 1:
        lines.append(Message.of(key + "mean", channels=channels))
    if weights != LEARNED:  # a learned layer has one bias per filter, shown in the table
        lines.append(Message.of(key + "bias", bias=bias))
    return lines
