"""Kernels a student chooses: classic presets, the classic bank, custom grids.

Pure functions of explicit arguments (kernel size, channels, values); the
spec and the model builder call them, nothing here reads a spec.
"""

from cnn_core.kernels.choice import (
    LUMINANCE,
    WEIGHTS,
    channel_weights,
    check_choice,
    choice_filters,
    choice_label,
    choice_sizes,
    choice_source,
    describe_choice,
    filter_labels,
    flat_kernels,
    kernel_stack,
    layer_weights,
    size_message,
    size_note,
)
from cnn_core.kernels.custom import (
    MAX_WEIGHT,
    format_weights,
    parse_grid,
    parse_weights,
    resize_grid,
)
from cnn_core.kernels.presets import (
    BANK,
    PRESETS,
    bank_kernels,
    bank_sizes,
    fit_kernel_size,
    gabor_parameters,
    preset_kernel,
    preset_label,
    preset_source,
    sizes_message,
    sizes_text,
)

__all__ = [
    "BANK",
    "LUMINANCE",
    "MAX_WEIGHT",
    "PRESETS",
    "WEIGHTS",
    "bank_kernels",
    "bank_sizes",
    "channel_weights",
    "check_choice",
    "choice_filters",
    "choice_label",
    "choice_sizes",
    "choice_source",
    "describe_choice",
    "filter_labels",
    "fit_kernel_size",
    "flat_kernels",
    "format_weights",
    "gabor_parameters",
    "kernel_stack",
    "layer_weights",
    "parse_grid",
    "parse_weights",
    "preset_kernel",
    "preset_label",
    "preset_source",
    "resize_grid",
    "size_message",
    "size_note",
    "sizes_message",
    "sizes_text",
]
