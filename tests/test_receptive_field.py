"""The receptive field recurrence against brute force, for random stacks of 1-4 blocks.

Two ways that do not use the recurrence:

* forward: perturb one input pixel at a time, run the real model (built by
  :func:`cnn_core.model.build_model`, every kernel set to ones so no tap
  can cancel another) and see which outputs of the last stage change;
* backward: start from one output and walk the layers back, collecting the
  input pixels its taps read (stride, dilation and padding applied layer by
  layer; taps that land in the zero padding read nothing).

They must give the same input-output pairs, and every output's inputs must
lie inside the span ``start + y*jump ... + size - 1`` the recurrence gives,
touching both ends when the span lies inside the image.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnn_core.geometry import INPUT_FIELD, same_padding
from cnn_core.model import build_model
from cnn_core.shapes import plan_pipeline
from cnn_core.spec import BlockSpec, PipelineSpec

#: Activations whose value at 0 is 0 and which increase strictly on x >= 0, so a
#: positive change always shows (sigmoid saturates to 1.0 in float32 and hides it).
ACTIVATIONS = ("none", "relu", "tanh", "leaky_relu", "elu")

blocks = st.builds(
    BlockSpec,
    kernel_size=st.integers(1, 5),
    filters=st.integers(1, 2),
    stride=st.integers(1, 3),
    padding_mode=st.sampled_from(("valid", "same", "explicit")),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
    activation=st.sampled_from(ACTIVATIONS),
    pooling=st.sampled_from(("none", "max", "average")),
    pool_size=st.integers(1, 3),
    pool_stride=st.none() | st.integers(1, 3),
    seed=st.integers(0, 99),
)
stacks = st.builds(
    PipelineSpec,
    input_size=st.integers(16, 24),
    blocks=st.lists(blocks, min_size=1, max_size=4).map(tuple),
)


def layers_1d(spec):
    """(kernel taps, stride, dilation, pad before, input length) per layer, 1-D."""
    n = spec.input_size
    out = []
    for block in spec.blocks:
        if block.padding_mode == "explicit" and block.padding:
            out.append((1, 1, 1, block.padding, n))
            n += 2 * block.padding
        k, s, d = block.kernel_size, block.stride, block.dilation
        pad = same_padding(n, k, s, d) if block.padding_mode == "same" else (0, 0)
        out.append((k, s, d, pad[0], n))
        n = (n + sum(pad) - (d * (k - 1) + 1)) // s + 1
        if block.pooling != "none":
            p, ps = block.pool_size, block.effective_pool_stride
            out.append((p, ps, 1, 0, n))
            n = (n - p) // ps + 1
    return out, n


def backward_sets(spec):
    """For each output index, the input indices it reads (1-D), walking back."""
    layers, n_out = layers_1d(spec)
    result = []
    for y in range(n_out):
        positions = {y}
        for k, s, d, pad, n_in in reversed(layers):
            positions = {p * s - pad + d * t for p in positions for t in range(k)} & set(
                range(n_in)
            )
        result.append(positions)
    return result


def forward_pairs(spec):
    """Set of ((i, j), (y, x)): input pixel (i, j) changes output (y, x) of the last stage."""
    model = build_model(spec)
    for layer in model.layers:
        if layer.__class__.__name__ == "Conv2D":
            kernel, bias = layer.get_weights()
            layer.set_weights([np.ones_like(kernel), np.zeros_like(bias)])
    n, c = spec.input_size, spec.channels
    batch = np.zeros((n * n + 1, n, n, c), np.float32)  # the last image stays all zero
    for index in range(n * n):
        batch[index, index // n, index % n, :] = 1.0
    last = plan_pipeline(spec).stages[-1].key
    outputs = np.asarray(model(batch, training=False)[last])
    changed = np.any(outputs[:-1] != outputs[-1], axis=-1)
    return {
        ((index // n, index % n), (int(y), int(x)))
        for index, y, x in zip(*np.nonzero(changed), strict=True)
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(stacks)
def test_receptive_field_matches_brute_force(spec):
    plan = plan_pipeline(spec)
    assume(plan.error is None)
    last = plan.stages[-1]
    sets = backward_sets(spec)
    assert len(sets) == last.shape[0]
    # Backward and forward brute force agree, pixel for pixel.
    backward = {
        ((i, j), (y, x))
        for y, rows in enumerate(sets)
        for x, cols in enumerate(sets)
        for i in rows
        for j in cols
    }
    assert forward_pairs(spec) == backward
    # And the recurrence bounds them.
    field, n = last.field, spec.input_size
    for y, rows in enumerate(sets):
        first, end = field.span(y)
        assert end - first + 1 == field.size
        assert all(first <= i <= end for i in rows), (y, sorted(rows), (first, end))
        if first >= 0 and end < n:
            assert min(rows) == first and max(rows) == end, (y, sorted(rows), (first, end))


def test_seed_field_and_three_blocks():
    assert plan_pipeline(PipelineSpec()).stages[-1].field.size == 16
    plan = plan_pipeline(PipelineSpec.single(filters=8).with_depth(3))
    # 15 -> pool 2 (jump 2) -> 3x3 same (+4) -> pool (+2, jump 4) -> 3x3 (+8) -> pool (+4).
    assert [s.field.size for s in plan.stages if s.kind in ("conv", "pool")] == [
        15,
        16,
        20,
        22,
        30,
        34,
    ]
    assert plan.stages[-1].field.jump == 8
    assert plan.stages[-1].field.start == -6  # two 'same' 3x3 convs: pad 1 at jumps 2 and 4


def test_dilation_widens_the_field_without_weights():
    plain = plan_pipeline(PipelineSpec.single(kernel_size=3, pooling="none"))
    dilated = plan_pipeline(PipelineSpec.single(kernel_size=3, dilation=4, pooling="none"))
    assert plain.stages[-1].field.size == 3 and dilated.stages[-1].field.size == 9
    assert plain.total_params == dilated.total_params
    assert INPUT_FIELD.then(9, 1).size == 9
