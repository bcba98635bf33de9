"""Geometry of the pipeline: output sizes, receptive field and cost, integers only."""

from cnn_core.geometry.cost import BYTES_PER_VALUE, activation_bytes, conv_macs
from cnn_core.geometry.receptive import INPUT_FIELD, ReceptiveField
from cnn_core.geometry.sizes import (
    conv_output_size,
    conv_param_count,
    effective_kernel,
    pool_output_size,
    same_padding,
)

__all__ = [
    "BYTES_PER_VALUE",
    "INPUT_FIELD",
    "ReceptiveField",
    "activation_bytes",
    "conv_macs",
    "conv_output_size",
    "conv_param_count",
    "effective_kernel",
    "pool_output_size",
    "same_padding",
]
