import numpy as np
import pytest

from cnn_core.errors import SpecError
from cnn_core.spec import PipelineSpec


def test_defaults_are_the_seed():
    spec = PipelineSpec()
    assert (spec.input_size, spec.kernel_size, spec.filters, spec.stride) == (512, 15, 1, 1)
    assert (spec.padding_mode, spec.activation, spec.pooling, spec.pool_size) == (
        "valid",
        "relu",
        "max",
        2,
    )
    assert spec.effective_pool_stride == 2


def test_spec_is_frozen_and_hashable():
    spec = PipelineSpec()
    with pytest.raises(AttributeError):
        spec.filters = 2
    assert hash(spec) == hash(PipelineSpec())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kernel_size": 0}, "kernel_size between 1 and 31"),
        ({"filters": 65}, "filters between 1 and 64"),
        ({"input_size": 15}, "input_size between 16 and 1024"),
        ({"stride": 1.5}, "stride to be an integer"),
        ({"padding_mode": "full"}, "padding_mode to be one of"),
        ({"activation": "softmax"}, "activation to be one of"),
        ({"pooling": "min"}, "pooling to be one of"),
        ({"color_mode": "cmyk"}, "color_mode to be one of"),
        ({"seed": -1}, "seed between"),
        ({"scale_01": "yes"}, "scale_01 to be a bool"),
    ],
)
def test_bad_values_are_refused_with_the_name(changes, message):
    with pytest.raises(SpecError, match=message):
        PipelineSpec(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights": "blur"}, "weights to be one of"),
        ({"weights": "sobel_x", "kernel_size": 4}, "kernel_size=4"),
        ({"weights": "sobel_x", "filters": 2, "kernel_size": 3}, "filters=1"),
        ({"weights": "bank", "kernel_size": 3}, "filters=11"),
        ({"weights": "custom", "kernel_size": 2, "custom": (1.0,)}, "4 custom weights"),
        ({"bias": 1.0}, "bias 0 with random weights"),
        ({"weights": "identity", "bias": float("nan")}, "bias to be a finite number"),
    ],
)
def test_kernel_settings_that_do_not_fit_are_refused(changes, message):
    with pytest.raises(SpecError, match=message):
        PipelineSpec(**changes)


def test_bias_and_custom_weights_are_kept_as_float32_values():
    spec = PipelineSpec(weights="custom", kernel_size=2, custom=(0.1, -1.0, 0.5, 0.0), bias=0.1)
    assert spec.bias == float(np.float32(0.1)) and spec.custom[0] == float(np.float32(0.1))
