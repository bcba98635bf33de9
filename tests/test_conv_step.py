"""The one-pixel walkthrough against the engine: Keras's own forward pass.

* the step's sum of products plus bias equals the model's full-resolution
  convolution output at that position, within float32 rounding, over random
  padding, stride, kernel size, colour mode, filters and positions;
* the activation and the pooling window agree with the model's next stages;
* the unread rows and columns equal a brute-force marking of every input
  pixel any window reads.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_core.conv_step import (
    activate,
    activation_text,
    conv_step,
    float32_tolerance,
    format_value,
    pixel_from_click,
    pool_step,
    row_positions,
)
from cnn_core.conv_windows import (
    padding_text,
    read_mask,
    remainder_formula,
    runs,
    step_geometry,
    unused_text,
)
from cnn_core.shapes import plan_pipeline
from cnn_core.spec import ACTIVATIONS, PipelineSpec


@functools.cache
def model_for(spec):
    """One Keras model per spec, reused by every example that draws it."""
    from cnn_core.model import build_model

    return build_model(spec)


def brute_force_read(n, k, s, before, after, d=1):
    """Mark every image pixel any window reads, window by window, in 2D."""
    padded = n + before + after
    span = d * (k - 1) + 1
    marked = np.zeros((padded, padded), bool)
    top = 0
    while top + span <= padded:
        left = 0
        while left + span <= padded:
            marked[top : top + span : d, left : left + span : d] = True
            left += s
        top += s
    return marked[before : before + n, before : before + n]


settings_spec = st.builds(
    PipelineSpec.single,
    color_mode=st.sampled_from(["grayscale", "rgb"]),
    input_size=st.sampled_from([16, 17, 19]),
    scale_01=st.booleans(),
    kernel_size=st.integers(1, 7),
    filters=st.integers(1, 3),
    stride=st.integers(1, 4),
    padding_mode=st.sampled_from(["valid", "same", "explicit"]),
    padding=st.integers(0, 3),
    activation=st.sampled_from(list(ACTIVATIONS)),
    pooling=st.sampled_from(["none", "max", "average"]),
    pool_size=st.integers(1, 3),
    pool_stride=st.none() | st.integers(1, 3),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=settings_spec, data=st.data())
def test_step_sum_equals_the_engine_and_unused_rows_equal_brute_force(spec, data):
    n, c, f, k = spec.input_size, spec.channels, spec.blocks[0].filters, spec.blocks[0].kernel_size
    geometry = step_geometry(
        n, k, spec.blocks[0].stride, spec.blocks[0].padding_mode, spec.blocks[0].padding
    )
    plan = plan_pipeline(spec)
    assert plan.stage("conv").shape == (geometry.out, geometry.out, f)

    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="pixels"))
    batch = rng.uniform(0, 255, (1, n, n, c)).astype(np.float32)
    if spec.scale_01:
        batch /= 255.0
    model = model_for(spec)
    conv_layer = model.get_layer("conv2d")
    kernel = np.asarray(conv_layer.get_weights()[0])
    bias = rng.uniform(-50, 50, f).astype(np.float32)
    conv_layer.set_weights([kernel, bias])
    outputs = {key: np.asarray(value)[0] for key, value in model(batch, training=False).items()}

    row = data.draw(st.integers(0, geometry.out - 1), label="row")
    col = data.draw(st.integers(0, geometry.out - 1), label="col")
    chosen = data.draw(st.integers(0, f - 1), label="filter")
    step = conv_step(batch[0], kernel, bias, row, col, chosen, geometry)
    engine = float(outputs["conv"][row, col, chosen])
    assert abs(step.value - engine) <= float32_tolerance(step), (step.value, engine)
    # The products really are the patch times the kernel, padding cells zero.
    assert np.all(step.patch[~step.inside] == 0)
    np.testing.assert_array_equal(step.products, step.patch * kernel[:, :, :, chosen])

    marked = brute_force_read(n, k, spec.blocks[0].stride, geometry.pad_before, geometry.pad_after)
    mask = read_mask(geometry)
    np.testing.assert_array_equal(np.outer(mask, mask), marked)
    unread = sum(stop - start for start, stop in runs(mask))
    assert unread == n - marked.any(axis=0).sum()

    if "activation" in outputs:
        expected = float(outputs["activation"][row, col, chosen])
        assert np.isclose(
            float(activate(engine, spec.blocks[0].activation)), expected, rtol=1e-5, atol=1e-6
        )
    if "pool" in outputs:
        pool = pool_step(
            outputs["conv"][:, :, chosen],
            row,
            col,
            spec.blocks[0].activation,
            spec.blocks[0].pooling,
            spec.blocks[0].pool_size,
            spec.blocks[0].effective_pool_stride,
        )
        if pool.window_row is None:
            ps = spec.blocks[0].effective_pool_stride
            last = (geometry.out - spec.blocks[0].pool_size) // ps * ps + spec.blocks[0].pool_size
            assert max(row, col) >= last or ps > spec.blocks[0].pool_size
        else:
            expected = float(outputs["pool"][pool.window_row, pool.window_col, chosen])
            assert np.isclose(pool.result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("n", "k", "s", "mode", "p", "d"),
    [(16, 3, 1, "valid", 0, 2), (17, 2, 1, "same", 0, 3), (16, 2, 1, "explicit", 1, 3)],
)
def test_dilated_step_against_a_keras_conv2d(n, k, s, mode, p, d):
    # Keras refuses strides > 1 together with dilation > 1.

    from cnn_core.model import load_keras

    keras = load_keras()
    rng = np.random.default_rng(n * k + s)
    image = rng.uniform(0, 255, (n, n, 2)).astype(np.float32)
    geometry = step_geometry(n, k, s, mode, p, dilation=d)
    layer = keras.layers.Conv2D(
        2, k, strides=s, dilation_rate=d, padding="same" if mode == "same" else "valid"
    )
    padded = np.pad(image, ((p, p), (p, p), (0, 0))) if mode == "explicit" else image
    out = np.asarray(layer(padded[None]))[0]
    kernel, bias = (np.asarray(w) for w in layer.get_weights())
    assert out.shape[0] == geometry.out
    for row, col in [(0, 0), (geometry.out - 1, geometry.out // 2)]:
        step = conv_step(image, kernel, bias, row, col, 1, geometry)
        assert abs(step.value - out[row, col, 1]) <= float32_tolerance(step)
    marked = brute_force_read(n, k, s, geometry.pad_before, geometry.pad_after, d)
    mask = read_mask(geometry)
    np.testing.assert_array_equal(np.outer(mask, mask), marked)


def test_the_issues_remainder_example():
    geometry = step_geometry(512, 15, 2)
    assert remainder_formula(geometry) == "(512 - 15) mod 2 = 1"
    assert runs(read_mask(geometry)) == [(511, 512)]
    assert "1 row and 1 column of the image are never read" in unused_text(geometry)


def test_remainder_in_the_padding_leaves_every_image_row_read():
    geometry = step_geometry(512, 15, 2, "explicit", 1)
    assert remainder_formula(geometry) == "(512 + 2*1 - 15) mod 2 = 1"
    assert read_mask(geometry).all()
    assert "all of it padding" in unused_text(geometry)


def test_stride_larger_than_the_kernel_skips_rows_between_windows():
    geometry = step_geometry(16, 2, 5)
    assert runs(read_mask(geometry)) == [(2, 5), (7, 10), (12, 16)]
    text = unused_text(geometry)
    assert "3 rows (and columns) between two windows are skipped" in text
    assert "10 rows and 10 columns of the image are never read" in text


@pytest.mark.parametrize(
    ("n", "k", "s", "before", "after", "text"),
    [
        (512, 15, 1, 7, 7, "'same' pads 14 = 7 top/left + 7 bottom/right."),
        (512, 4, 1, 1, 2, "'same' pads 3 = 1 top/left + 2 bottom/right: an odd total"),
        (5, 4, 2, 1, 2, "'same' pads 3 = 1 top/left + 2 bottom/right"),
        (16, 1, 2, 0, 0, "'same' pads nothing here"),
    ],
)
def test_same_padding_per_side_comes_from_shapes(n, k, s, before, after, text):
    geometry = step_geometry(n, k, s, "same")
    assert (geometry.pad_before, geometry.pad_after) == (before, after)
    assert padding_text(geometry).startswith(text)


def test_patch_over_the_padding_is_zero_and_marked():
    image = np.arange(1, 26, dtype=np.float32).reshape(5, 5, 1)
    geometry = step_geometry(5, 4, 2, "same")
    step = conv_step(image, np.ones((4, 4, 1, 1)), [1.0], 2, 2, 0, geometry)
    # Window 2 starts at 2*2 - 1 = 3 and reads rows 3, 4 and two padding rows.
    assert step.rows.tolist() == [3, 4, 5, 6]
    assert step.inside.sum() == 4 and step.padding_cells == 12
    assert step.patch[:2, :2, 0].tolist() == [[19.0, 20.0], [24.0, 25.0]]
    assert step.sum_lines() == ("sum of products = 88", "+ bias 1", "= 89")


def test_bad_arguments_name_what_was_wrong():
    with pytest.raises(ValueError, match="padding_mode"):
        step_geometry(16, 3, 1, "full")
    with pytest.raises(ValueError, match="span 31, padded input 16"):
        step_geometry(16, 31)
    geometry = step_geometry(8, 3)
    with pytest.raises(ValueError, match="output position between 0 and 5"):
        conv_step(np.zeros((8, 8, 1)), np.zeros((3, 3, 1, 1)), [0.0], 6, 0, 0, geometry)
    with pytest.raises(ValueError, match="filter between 0 and 0"):
        conv_step(np.zeros((8, 8, 1)), np.zeros((3, 3, 1, 1)), [0.0], 0, 0, 1, geometry)


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "none"])
def test_activation_text_ends_in_the_activated_value(activation):
    for value in (-2.5, 0.0, 3.25):
        text = activation_text(value, activation)
        assert text.startswith(activation)
        assert text.endswith(f"= {format_value(float(activate(value, activation)))}")


def test_pool_step_with_overlapping_windows_counts_them():
    conv = np.arange(36.0).reshape(6, 6)
    pool = pool_step(conv, 2, 2, "none", "average", 3, 1)
    assert (pool.window_row, pool.window_col, pool.windows) == (0, 0, 9)
    assert pool.result == pytest.approx(conv[:3, :3].mean())


def test_click_positions_map_to_output_pixels_and_animation_frames():
    assert pixel_from_click(0, 0, 480, 480, 498, 498) == (0, 0)
    assert pixel_from_click(479, 479, 480, 480, 498, 498) == (497, 497)
    assert pixel_from_click(100, 300, 400, 400, 4, 4) == (3, 1)
    assert row_positions(498, 64)[:3] == [0, 8, 16]
    assert len(row_positions(498, 64)) <= 64
    assert row_positions(498, 64)[-1] == 497


def test_conv_map_is_one_filter_of_the_chunked_models():
    from cnn_core.forward import conv_map
    from cnn_core.images import load_sample, prepare_input
    from cnn_core.model import build_chunked_models, build_model, run_forward

    spec = PipelineSpec.single(input_size=32, filters=5, kernel_size=3, color_mode="rgb")
    batch = prepare_input(load_sample("Astronaut"), spec).batch
    whole = run_forward(build_model(spec), batch)["conv"]
    [chunked] = build_chunked_models(spec, max_values=2 * 30 * 30)  # one block
    assert len(chunked) == 3
    for index in (0, 3, 4):
        single = conv_map(chunked, batch, index)
        assert single.shape == (30, 30) and single.dtype == np.float32
        np.testing.assert_allclose(single, whole[:, :, index], rtol=1e-5, atol=1e-3)
    with pytest.raises(ValueError, match="filter index"):
        conv_map(chunked, batch, 5)


@pytest.mark.parametrize(
    ("kernel_size", "dilation", "padding_mode"),
    [(3, 2, "valid"), (3, 4, "same"), (2, 3, "explicit"), (5, 2, "same")],
)
def test_a_dilated_first_block_steps_like_the_engine(kernel_size, dilation, padding_mode):
    spec = PipelineSpec.single(
        input_size=19,
        kernel_size=kernel_size,
        dilation=dilation,
        padding_mode=padding_mode,
        padding=2,
        filters=2,
    )
    block = spec.blocks[0]
    geometry = step_geometry(19, kernel_size, 1, padding_mode, block.padding, dilation)
    assert plan_pipeline(spec).stage("conv").shape[0] == geometry.out
    batch = np.random.default_rng(dilation).uniform(0, 255, (1, 19, 19, 1)).astype(np.float32)
    model = model_for(spec)
    kernel, bias = (np.asarray(w) for w in model.get_layer("conv2d").get_weights())
    conv = np.asarray(model(batch, training=False)["conv"])[0]
    for row, col in ((0, 0), (geometry.out // 2, 1), (geometry.out - 1, geometry.out - 1)):
        step = conv_step(batch[0], kernel, bias, row, col, 1, geometry)
        assert abs(step.value - float(conv[row, col, 1])) <= float32_tolerance(step)
