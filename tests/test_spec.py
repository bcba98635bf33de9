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
