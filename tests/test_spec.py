import numpy as np
import pytest

from cnn_core.errors import SpecError
from cnn_core.spec import BlockSpec, PipelineSpec, new_block


def test_defaults_are_the_seed():
    spec = PipelineSpec()
    [block] = spec.blocks
    assert (spec.input_size, block.kernel_size, block.filters, block.stride) == (512, 15, 1, 1)
    assert (block.padding_mode, block.activation, block.pooling, block.pool_size) == (
        "valid",
        "relu",
        "max",
        2,
    )
    assert block.dilation == 1
    assert block.effective_pool_stride == 2


def test_spec_is_frozen_and_hashable():
    spec = PipelineSpec()
    with pytest.raises(AttributeError):
        spec.blocks[0].filters = 2
    with pytest.raises(AttributeError):
        spec.input_size = 20
    assert hash(spec) == hash(PipelineSpec())
    assert PipelineSpec(blocks=[BlockSpec()]) == PipelineSpec()


def test_new_blocks_are_typical_deeper_blocks():
    spec = PipelineSpec.single(filters=8).with_depth(4)
    assert [block.filters for block in spec.blocks] == [8, 16, 32, 64]
    for block in spec.blocks[1:]:
        assert (block.kernel_size, block.stride, block.padding_mode) == (3, 1, "same")
        assert (block.activation, block.pooling, block.pool_size) == ("relu", "max", 2)
    assert new_block(BlockSpec(filters=64)).filters == 64
    assert spec.with_depth(2).blocks == spec.blocks[:2]
    assert spec.block_channels(0) == 1 and spec.block_channels(3) == 32


@pytest.mark.parametrize(
    ("blocks", "message"),
    [((), "blocks between 1 and 4"), ((BlockSpec(),) * 5, "blocks between 1 and 4")],
)
def test_one_to_four_blocks(blocks, message):
    with pytest.raises(SpecError, match=message):
        PipelineSpec(blocks=blocks)
    with pytest.raises(SpecError, match="tuple of BlockSpec"):
        PipelineSpec(blocks=({"kernel_size": 3},))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kernel_size": 0}, "kernel_size between 1 and 31"),
        ({"dilation": 9}, "dilation between 1 and 8"),
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
        PipelineSpec.single(**changes)


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
        PipelineSpec.single(**changes)


def test_bias_and_custom_weights_are_kept_as_float32_values():
    spec = BlockSpec(weights="custom", kernel_size=2, custom=(0.1, -1.0, 0.5, 0.0), bias=0.1)
    assert spec.bias == float(np.float32(0.1)) and spec.custom[0] == float(np.float32(0.1))
