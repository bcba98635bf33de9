"""Shape and parameter arithmetic against what Keras's own layers report."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_core.errors import ShapeError
from cnn_core.links import spec_to_query
from cnn_core.model import build_model, load_keras
from cnn_core.shapes import (
    conv_output_size,
    conv_param_count,
    glorot_limit,
    plan_pipeline,
    pool_output_size,
    same_padding,
)
from cnn_core.spec import LIMITS, BlockSpec, PipelineSpec

keras = load_keras()
layers = keras.layers

KERNELS = range(LIMITS["kernel_size"][0], LIMITS["kernel_size"][1] + 1)
STRIDES = range(LIMITS["stride"][0], LIMITS["stride"][1] + 1)
SIZES = (16, 31, 64, 97, 512)


def keras_conv_shape(n, channels, kernel, stride, padding, filters=1):
    layer = layers.Conv2D(filters, kernel, strides=stride, padding=padding)
    return layer.compute_output_shape((None, n, n, channels))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_output_size_matches_keras_for_every_kernel_and_stride(n, padding):
    for kernel, stride in itertools.product(KERNELS, STRIDES):
        ours = conv_output_size(n, kernel, stride, padding)
        if ours <= 0:
            with pytest.raises(ValueError, match="zero or negative"):
                keras_conv_shape(n, 1, kernel, stride, padding)
        else:
            assert keras_conv_shape(n, 1, kernel, stride, padding)[1:3] == (ours, ours), (
                n,
                kernel,
                stride,
            )


@pytest.mark.parametrize("n", SIZES)
def test_pool_output_size_matches_keras(n):
    for pool, stride in itertools.product(range(1, 9), [None, *range(1, 9)]):
        ours = pool_output_size(n, pool, stride)
        for kind in (layers.MaxPooling2D, layers.AveragePooling2D):
            layer = kind(pool_size=pool, strides=stride, padding="valid")
            if ours <= 0:
                with pytest.raises(ValueError):
                    layer.compute_output_shape((None, n, n, 1))
            else:
                assert layer.compute_output_shape((None, n, n, 1))[1:3] == (ours, ours)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("filters", [1, 2, 64])
def test_param_count_matches_keras(channels, filters):
    for kernel in (1, 2, 3, 15, 31):
        layer = layers.Conv2D(filters, kernel)
        layer.build((None, 40, 40, channels))
        assert layer.count_params() == conv_param_count(kernel, channels, filters)


def _padded_input(n, k, s):
    """The padding Keras applies for 'same', measured: where the output's
    corner pixel reads from, using a kernel that picks one input pixel."""
    x = np.arange(n * n, dtype=np.float32).reshape(1, n, n, 1)
    layer = layers.Conv2D(1, k, strides=s, padding="same", use_bias=False)
    layer.build((None, n, n, 1))
    kernel = np.zeros((k, k, 1, 1), np.float32)
    kernel[k - 1, k - 1, 0, 0] = 1.0
    layer.set_weights([kernel])
    first = float(np.asarray(layer(x))[0, 0, 0, 0])
    return first


@pytest.mark.parametrize(
    ("n", "k", "s"),
    [(512, 15, 1), (512, 15, 2), (513, 15, 2), (5, 4, 2), (7, 3, 3), (10, 1, 4), (9, 31, 8)],
)
def test_same_padding_matches_what_keras_applies(n, k, s):
    before, after = same_padding(n, k, s)
    assert before <= after <= before + 1
    # The bottom-right tap of the kernel at output (0, 0) sits at input (k-1-before).
    index = k - 1 - before
    expected = float(index * n + index) if 0 <= index < n else 0.0
    assert _padded_input(n, k, s) == expected


def _spec_grid():
    for kernel, stride, (mode, pad) in itertools.product(
        (1, 2, 7, 15, 31), (1, 2, 3, 8), (("valid", 0), ("same", 0), ("explicit", 3))
    ):
        for n, color, pooling in (
            (16, "grayscale", "max"),
            (37, "rgb", "average"),
            (64, "grayscale", "none"),
        ):
            yield PipelineSpec.single(
                input_size=n,
                color_mode=color,
                kernel_size=kernel,
                stride=stride,
                padding_mode=mode,
                padding=pad,
                pooling=pooling,
                pool_size=3,
                filters=2,
                activation="leaky_relu",
            )


@pytest.mark.parametrize("spec", list(_spec_grid()), ids=lambda s: str(spec_to_query(s)))
def test_plan_matches_keras_model_summary(spec):
    plan = plan_pipeline(spec)
    model = build_model(spec)
    assert model.count_params() == plan.total_params
    by_name = {layer.name: layer for layer in model.layers}
    for stage in plan.stages:
        layer = by_name[stage.layer_name]
        assert tuple(layer.output.shape) == stage.batch_shape
        assert layer.count_params() == stage.params
    if plan.error is not None:
        assert isinstance(plan.error, ShapeError)


def test_seed_numbers():
    plan = plan_pipeline(PipelineSpec())
    conv = plan.stage("conv")
    assert conv.shape == (498, 498, 1)
    assert conv.params == 226
    assert conv.formulas[0] == "(512 + 2*0 - 15)/1 + 1 = 498"
    assert conv.formulas[1] == "params = 1*(15*15*1) + 1 = 226"
    assert plan.stage("pool").shape == (249, 249, 1)
    assert plan.stage("pool").formulas[0] == "(498 - 2)/2 + 1 = 249"
    assert plan.total_params == 226


def test_formula_shows_floor_when_stride_does_not_divide():
    conv = plan_pipeline(PipelineSpec.single(stride=2)).stage("conv")
    assert conv.formulas[0] == "floor((512 + 2*0 - 15)/2) + 1 = floor(248.5) + 1 = 249"
    assert conv.shape[0] == 249


def test_same_formula_shows_ceil_and_padding():
    conv = plan_pipeline(PipelineSpec.single(padding_mode="same", stride=3)).stage("conv")
    assert conv.formulas[0] == "ceil(512/3) = 171"
    assert conv.formulas[1:3] == (
        "pad = max(15 - 512 mod 3, 0) = 13",
        "  = 6 top/left + 7 bottom/right",
    )


def test_explicit_padding_formula():
    plan = plan_pipeline(PipelineSpec.single(padding_mode="explicit", padding=3))
    assert plan.stage("padding").shape == (518, 518, 1)
    assert plan.stage("conv").formulas[0] == "(512 + 2*3 - 15)/1 + 1 = 504"


def test_zero_output_is_an_error_naming_the_numbers():
    plan = plan_pipeline(PipelineSpec.single(input_size=16, kernel_size=31))
    assert [s.key for s in plan.stages] == ["input"]
    assert plan.error.stage == "conv"
    assert "(16 + 2*0 - 31)/1 + 1 = -14" in str(plan.error)


def test_pool_larger_than_input_is_an_error():
    plan = plan_pipeline(PipelineSpec.single(input_size=20, kernel_size=15, pool_size=8))
    assert plan.stage("activation") is not None
    assert plan.error.stage == "pool"
    assert "floor((6 - 8)/8) + 1 = floor(-0.25) + 1 = 0" in str(plan.error)


@pytest.mark.parametrize(("k", "c", "f"), [(15, 1, 1), (3, 3, 64), (31, 3, 8)])
def test_glorot_limit_bounds_keras_weights(k, c, f):
    limit, _ = glorot_limit(k, c, f)
    kernel = (
        build_model(
            PipelineSpec.single(
                kernel_size=k,
                filters=f,
                input_size=32,
                color_mode="rgb" if c == 3 else "grayscale",
                pooling="none",
            )
        )
        .get_layer("conv2d")
        .get_weights()[0]
    )
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit


# ----------------------------------------------------------------------------- dilation

DILATIONS = range(LIMITS["dilation"][0], LIMITS["dilation"][1] + 1)


@pytest.mark.parametrize("n", (16, 31, 97, 512))
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_dilated_output_size_matches_keras_for_every_dilation_and_kernel(n, padding):
    for kernel, dilation in itertools.product(KERNELS, DILATIONS):
        ours = conv_output_size(n, kernel, 1, padding, dilation)
        layer = layers.Conv2D(1, kernel, dilation_rate=dilation, padding=padding)
        if ours <= 0:
            with pytest.raises(ValueError, match="zero or negative"):
                layer.compute_output_shape((None, n, n, 1))
        else:
            shape = layer.compute_output_shape((None, n, n, 1))
            assert shape[1:3] == (ours, ours), (n, kernel, dilation)


@pytest.mark.parametrize(("n", "k", "d"), [(16, 3, 2), (17, 4, 3), (9, 2, 8), (30, 5, 4)])
def test_dilated_same_padding_matches_what_keras_applies(n, k, d):
    before, after = same_padding(n, k, 1, d)
    assert before + after == d * (k - 1)
    x = np.arange(n * n, dtype=np.float32).reshape(1, n, n, 1)
    layer = layers.Conv2D(1, k, dilation_rate=d, padding="same", use_bias=False)
    layer.build((None, n, n, 1))
    kernel = np.zeros((k, k, 1, 1), np.float32)
    kernel[k - 1, k - 1, 0, 0] = 1.0  # the last tap reads input (d*(k-1) - before)
    layer.set_weights([kernel])
    index = d * (k - 1) - before
    expected = float(index * n + index) if 0 <= index < n else 0.0
    assert float(np.asarray(layer(x))[0, 0, 0, 0]) == expected


@pytest.mark.parametrize(("stride", "dilation"), [(2, 2), (3, 5), (8, 8)])
def test_stride_with_dilation_is_our_error_not_keras(stride, dilation):
    with pytest.raises(ValueError):
        layers.Conv2D(1, 3, strides=stride, dilation_rate=dilation)
    plan = plan_pipeline(PipelineSpec.single(kernel_size=3, stride=stride, dilation=dilation))
    assert [s.key for s in plan.stages] == ["input"]
    assert plan.error.stage == "conv"
    assert f"stride {stride} with dilation {dilation}" in str(plan.error)


def test_dilated_formula_shows_the_effective_kernel():
    conv = plan_pipeline(PipelineSpec.single(kernel_size=3, dilation=4)).stage("conv")
    assert conv.formulas[:2] == ("k_eff = 4*(3 - 1) + 1 = 9", "(512 + 2*0 - 9)/1 + 1 = 504")
    same = plan_pipeline(PipelineSpec.single(kernel_size=3, dilation=4, padding_mode="same"))
    assert same.stage("conv").formulas[:3] == (
        "ceil(512/1) = 512",
        "k_eff = 4*(3 - 1) + 1 = 9",
        "pad = max(9 - 1, 0) = 8",
    )
    tight = plan_pipeline(PipelineSpec.single(input_size=16, kernel_size=5, dilation=4))
    assert "The 5x5 kernel (dilated by 4, it spans 17x17)" in str(tight.error)
    assert "(16 + 2*0 - 17)/1 + 1 = 0" in str(tight.error)


# ----------------------------------------------------------------------------- stacks

block_specs = st.builds(
    BlockSpec,
    kernel_size=st.integers(1, 7),
    filters=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding_mode=st.sampled_from(("valid", "same", "explicit")),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
    activation=st.sampled_from(("none", "relu", "leaky_relu", "tanh")),
    pooling=st.sampled_from(("none", "max", "average")),
    pool_size=st.integers(1, 3),
    pool_stride=st.none() | st.integers(1, 3),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.builds(
        PipelineSpec,
        color_mode=st.sampled_from(("grayscale", "rgb")),
        input_size=st.integers(16, 80),
        blocks=st.lists(block_specs, min_size=1, max_size=4).map(tuple),
    )
)
def test_random_stacks_plan_matches_the_keras_model(spec):
    """Shapes, names, parameters of every stage of every block, as Keras builds them."""
    plan = plan_pipeline(spec)
    model = build_model(spec)
    names = [stage.layer_name for stage in plan.stages]
    assert len(set(names)) == len(names)
    assert model.count_params() == plan.total_params
    assert [layer.name for layer in model.layers] == names
    for stage, layer in zip(plan.stages, model.layers, strict=True):
        assert tuple(layer.output.shape) == stage.batch_shape
        assert layer.count_params() == stage.params
        assert layer.__class__.__name__ == stage.layer_type
