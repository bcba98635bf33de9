"""Geometry of the pipeline: output sizes, receptive field and cost, integers only."""

from cnn_core.geometry.sizes import (
    conv_output_size,
    conv_param_count,
    pool_output_size,
    same_padding,
)

__all__ = ["conv_output_size", "conv_param_count", "pool_output_size", "same_padding"]
