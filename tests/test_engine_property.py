"""Property tests over every setting the sidebar allows.

* :func:`plan_pipeline` always returns a Plan whose error is None or a
  ShapeError quoting the numbers involved;
* the Keras model's outputs have exactly the plan's stage shapes (for a
  smaller range of sizes, to keep the suite fast), or our own error;
* bad raw values to :class:`PipelineSpec` raise :class:`SpecError` and
  nothing else.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from cnn_core.errors import ConvlabError, ShapeError, SpecError
from cnn_core.shapes import Plan, plan_pipeline
from cnn_core.spec import (
    ACTIVATIONS,
    COLOR_MODES,
    LIMITS,
    PADDING_MODES,
    POOLINGS,
    BlockSpec,
    PipelineSpec,
)

STAGE_ORDER = ("input", "padding", "conv", "activation", "pool")
FIELDS = tuple(field.name for field in dataclasses.fields(PipelineSpec) if field.name != "blocks")
FIELDS += tuple(field.name for field in dataclasses.fields(BlockSpec))
CHOICES = {
    "color_mode": tuple(COLOR_MODES),
    "padding_mode": PADDING_MODES,
    "activation": tuple(ACTIVATIONS),
    "pooling": tuple(POOLINGS),
}


def _limit(name):
    low, high = LIMITS[name]
    return st.integers(low, high)


def specs(input_size=None, filters=None):
    """One-block PipelineSpec values over everything the sidebar offers."""
    return st.builds(
        PipelineSpec.single,
        color_mode=st.sampled_from(CHOICES["color_mode"]),
        input_size=_limit("input_size") if input_size is None else input_size,
        scale_01=st.booleans(),
        dilation=st.just(1) | _limit("dilation"),
        kernel_size=_limit("kernel_size"),
        filters=_limit("filters") if filters is None else filters,
        stride=_limit("stride"),
        padding_mode=st.sampled_from(PADDING_MODES),
        padding=_limit("padding"),
        activation=st.sampled_from(CHOICES["activation"]),
        pooling=st.sampled_from(CHOICES["pooling"]),
        pool_size=_limit("pool_size"),
        pool_stride=st.none() | _limit("pool_stride"),
        seed=_limit("seed"),
    )


def expected_conv_side(spec):
    """Output side of the convolution, written independently of cnn_core.shapes."""
    block = spec.blocks[0]
    n, s = spec.input_size, block.stride
    k = block.dilation * (block.kernel_size - 1) + 1
    if block.padding_mode == "same":
        return math.ceil(n / s)
    padded = n + 2 * block.explicit_padding
    return math.floor((padded - k) / s) + 1


# ----------------------------------------------------------------------------- plan


@settings(max_examples=400, deadline=None)
@given(specs())
def test_plan_is_consistent_over_every_allowed_spec(spec):
    plan = plan_pipeline(spec)
    assert isinstance(plan, Plan)
    assert plan.spec == spec
    keys = [stage.key for stage in plan.stages]
    assert keys == [key for key in STAGE_ORDER if key in keys]
    block = spec.blocks[0]
    n, c, f = spec.input_size, spec.channels, block.filters
    assert plan.stages[0].shape == (n, n, c)
    for stage in plan.stages:
        assert all(isinstance(side, int) and side > 0 for side in stage.shape)
    assert ("padding" in keys) == (block.explicit_padding > 0)
    padded = n + 2 * block.explicit_padding
    if "padding" in keys:
        assert plan.stage("padding").shape == (padded, padded, c)

    conv_side = expected_conv_side(spec)
    if block.stride > 1 and block.dilation > 1:
        assert isinstance(plan.error, ShapeError)
        assert plan.error.stage == "conv"
        assert "conv" not in keys
        message = str(plan.error)
        assert f"stride {block.stride}" in message and f"dilation {block.dilation}" in message
        return
    if conv_side <= 0:
        assert isinstance(plan.error, ShapeError)
        assert plan.error.stage == "conv"
        assert "conv" not in keys
        message = str(plan.error)
        assert f"{block.kernel_size}x{block.kernel_size} kernel" in message
        assert f"{padded}x{padded}" in message
        assert f"= {conv_side}" in message
        return

    assert plan.stage("conv").shape == (conv_side, conv_side, f)
    assert plan.stage("conv").params == f * block.kernel_size**2 * c + f
    assert ("activation" in keys) == (block.activation != "none")
    if block.pooling == "none":
        assert plan.error is None
        assert keys[-1] != "pool"
        return
    p, ps = block.pool_size, block.effective_pool_stride
    pooled = (conv_side - p) // ps + 1
    if pooled <= 0:
        assert isinstance(plan.error, ShapeError)
        assert plan.error.stage == "pool"
        message = str(plan.error)
        assert f"{p}x{p} pooling window" in message
        assert f"{conv_side}x{conv_side} input" in message
        assert "pool" not in keys
    else:
        assert plan.error is None
        assert plan.stage("pool").shape == (pooled, pooled, f)


# ----------------------------------------------------------------------------- forward


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(specs(input_size=st.integers(16, 96), filters=st.integers(1, 4)))
def test_model_outputs_have_the_plans_shapes(spec):
    from cnn_core.model import build_model, run_forward

    plan = plan_pipeline(spec)
    n, c = spec.input_size, spec.channels
    batch = (
        np.random.default_rng(spec.blocks[0].seed).uniform(0, 255, (1, n, n, c)).astype(np.float32)
    )
    if spec.scale_01:
        batch /= 255.0
    try:
        maps = run_forward(build_model(spec), batch)
    except ConvlabError:
        event("refused with ConvlabError")
        return
    event("pipeline stops early" if plan.error else "full pipeline")
    assert list(maps) == [stage.key for stage in plan.stages]
    for stage in plan.stages:
        assert maps[stage.key].shape == stage.shape, stage.key
        assert maps[stage.key].dtype == np.float32
        assert np.isfinite(maps[stage.key]).all(), stage.key


# ----------------------------------------------------------------------------- bad values


def _is_valid(name, value):
    # With the default (random) weights, only these kernel settings fit.
    if name == "weights":
        return value == "random"
    if name == "bias":
        return value == 0 and not isinstance(value, bool) and isinstance(value, (int, float))
    if name == "custom":
        return value == ()
    if name in CHOICES:
        return isinstance(value, str) and value in CHOICES[name]
    if name == "scale_01":
        return isinstance(value, bool)
    if name == "pool_stride" and value is None:
        return True
    low, high = LIMITS[name]
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


#: Hashable values of the wrong kind (unhashable ones are tested below).
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["rgb", "grayscale", "relu", "max", "same", "3", " 15 ", "1e3", "0x10"]),
    st.binary(max_size=6),
    st.tuples(st.integers(0, 9)),
    st.complex_numbers(max_magnitude=10, allow_nan=False),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(FIELDS), JUNK)
def test_wrong_raw_values_raise_spec_error_only(name, value):
    assume(not _is_valid(name, value))
    with pytest.raises(SpecError) as caught:
        PipelineSpec.single(**{name: value})
    assert name in str(caught.value)
    assert "Received" in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(LIMITS)).flatmap(
        lambda name: st.tuples(
            st.just(name),
            st.integers(max_value=LIMITS[name][0] - 1) | st.integers(min_value=LIMITS[name][1] + 1),
        )
    )
)
def test_out_of_range_values_name_the_bounds(pair):
    name, value = pair
    low, high = LIMITS[name]
    with pytest.raises(SpecError, match=f"{name} between {low} and {high}"):
        PipelineSpec.single(**{name: value})


def test_unhashable_padding_mode_raises_spec_error():
    # padding_mode is checked against a tuple, so it already copes.
    with pytest.raises(SpecError, match="padding_mode"):
        PipelineSpec.single(padding_mode=["same"])


# Found by the properties above: unhashable values reached a ``value in dict``
# check and raised TypeError. (Link parsing is tested in tests/test_links.py.)


@pytest.mark.parametrize("name", ["color_mode", "activation", "pooling"])
def test_unhashable_values_raise_spec_error(name):
    with pytest.raises(SpecError):
        PipelineSpec.single(**{name: ["rgb"]})
