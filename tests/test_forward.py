"""Forward-pass values against a reference computed another way (SciPy)."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnn_core.display import DisplayBudget
from cnn_core.forward import channel_ranges, compute_stages, resample_maps, summarize_stage
from cnn_core.images import load_sample, prepare_input
from cnn_core.links import spec_to_query
from cnn_core.model import build_model, kernel_weights, run_forward
from cnn_core.shapes import plan_pipeline, same_padding, stage_key
from cnn_core.spec import BlockSpec, PipelineSpec

ACTIVATIONS = {
    "none": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.3 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
}


def reference_block(x, kernel, bias, block):
    """One block's conv (cross-correlation), activation and pooling in NumPy/SciPy."""
    n = x.shape[0]
    k, s, d = block.kernel_size, block.stride, block.dilation
    if d > 1:  # the dilated kernel: taps d pixels apart, zeros between
        dilated = np.zeros((d * (k - 1) + 1, d * (k - 1) + 1, *kernel.shape[2:]))
        dilated[::d, ::d] = kernel
        kernel, k = dilated, d * (k - 1) + 1
    if block.padding_mode == "same":
        before, after = same_padding(n, k, s)
        x = np.pad(x, ((before, after), (before, after), (0, 0)))
    elif block.padding_mode == "explicit":
        p = block.padding
        x = np.pad(x, ((p, p), (p, p), (0, 0)))
    conv = np.stack(
        [
            sum(
                correlate2d(x[:, :, c], kernel[:, :, c, f], mode="valid") for c in range(x.shape[2])
            )
            + bias[f]
            for f in range(kernel.shape[3])
        ],
        axis=-1,
    )[::s, ::s]
    act = ACTIVATIONS[block.activation](conv)
    out = {"conv": conv, "activation": act}
    if block.pooling != "none":
        p, ps = block.pool_size, block.effective_pool_stride
        m = (act.shape[0] - p) // ps + 1
        windows = np.stack(
            [act[i * ps : i * ps + p, j * ps : j * ps + p] for i in range(m) for j in range(m)]
        ).reshape(m, m, p, p, -1)
        out["pool"] = (
            windows.max(axis=(2, 3)) if block.pooling == "max" else windows.mean(axis=(2, 3))
        )
    return out


def reference(batch, weights, spec):
    """Every block in turn, keyed like the plan's stages; ``weights`` per block."""
    x = batch[0].astype(np.float64)
    out = {}
    for number, (block, (kernel, bias)) in enumerate(
        zip(spec.blocks, weights, strict=True), start=1
    ):
        stages = reference_block(x, kernel, bias, block)
        out.update({stage_key(kind, number): value for kind, value in stages.items()})
        x = stages["pool"] if "pool" in stages else stages["activation"]
    return out


SPECS = [
    PipelineSpec.single(input_size=64),
    PipelineSpec.single(
        input_size=48,
        kernel_size=5,
        stride=2,
        padding_mode="same",
        filters=3,
        color_mode="rgb",
        activation="tanh",
        pooling="average",
        pool_size=3,
    ),
    PipelineSpec.single(
        input_size=33,
        kernel_size=4,
        stride=3,
        padding_mode="explicit",
        padding=2,
        filters=2,
        activation="leaky_relu",
        pooling="max",
        pool_size=2,
        pool_stride=1,
    ),
    PipelineSpec.single(
        input_size=40,
        kernel_size=7,
        padding_mode="same",
        activation="elu",
        scale_01=True,
        pooling="none",
        seed=11,
    ),
    PipelineSpec.single(
        input_size=30, kernel_size=5, weights="sobel_x", bias=-3.0, activation="none"
    ),
    PipelineSpec.single(
        input_size=24, kernel_size=3, filters=11, weights="bank", color_mode="rgb", bias=1.0
    ),
    PipelineSpec.single(
        input_size=20,
        kernel_size=2,
        weights="custom",
        custom=(1.0, -2.0, 0.5, 0.25),
        padding_mode="same",
        activation="tanh",
        scale_01=True,
    ),
    PipelineSpec.single(
        input_size=29, kernel_size=3, stride=2, activation="sigmoid", scale_01=True
    ),
    PipelineSpec(
        input_size=36,
        color_mode="rgb",
        blocks=(
            BlockSpec(kernel_size=3, filters=4),
            BlockSpec(kernel_size=3, filters=1, weights="laplacian", bias=0.5, activation="none"),
        ),
    ),
    PipelineSpec.single(input_size=41, kernel_size=3, dilation=3, padding_mode="same", filters=2),
    PipelineSpec.single(input_size=30, kernel_size=4, dilation=2, pooling="none"),
    PipelineSpec(
        input_size=40,
        color_mode="rgb",
        blocks=(
            BlockSpec(kernel_size=5, filters=3),
            BlockSpec(kernel_size=3, filters=4, padding_mode="same", dilation=2),
            BlockSpec(
                kernel_size=2,
                filters=2,
                stride=2,
                padding_mode="explicit",
                padding=1,
                activation="tanh",
                pooling="average",
                pool_size=3,
                pool_stride=1,
            ),
        ),
    ),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: str(spec_to_query(s)))
def test_forward_matches_scipy_reference(spec):
    batch = prepare_input(load_sample("Cat (chelsea)"), spec).batch
    model = build_model(spec)
    plan = plan_pipeline(spec)
    convs = [stage for stage in plan.stages if stage.kind == "conv"]
    assert len(convs) == spec.depth
    weights = [model.get_layer(stage.layer_name).get_weights() for stage in convs]
    for index, (kernel, _) in enumerate(weights):
        np.testing.assert_array_equal(kernel, kernel_weights(spec, index)[0])
    ours = run_forward(model, batch)
    expected = reference(batch, [(k.astype(np.float64), b) for k, b in weights], spec)
    for key, value in expected.items():
        if key not in ours:  # an activation of "none" has no stage
            number = int(key.split("_")[1]) if "_" in key else 1
            assert key.startswith("activation") and spec.blocks[number - 1].activation == "none"
            continue
        assert ours[key].shape == plan.stage(key).shape
        scale = max(1.0, float(np.abs(value).max()))
        np.testing.assert_allclose(ours[key], value, atol=1e-4 * scale, rtol=1e-4)
    np.testing.assert_array_equal(ours["input"], batch[0])


def test_seed_defaults_reproduce_the_article():
    spec = PipelineSpec()
    batch = prepare_input(load_sample("Cat (chelsea)"), spec).batch
    assert batch.shape == (1, 512, 512, 1)
    assert batch.max() > 1  # 0-255 floats, as in the seed
    maps = run_forward(build_model(spec), batch)
    assert maps["conv"].shape == (498, 498, 1)
    assert maps["pool"].shape == (249, 249, 1)
    assert maps["activation"].min() == 0.0


def test_same_seed_gives_same_weights_and_other_seed_does_not():
    spec = PipelineSpec.single(input_size=32)
    a = build_model(spec).get_layer("conv2d").get_weights()[0]
    b = build_model(spec).get_layer("conv2d").get_weights()[0]
    c = kernel_weights(spec.replace_block(0, seed=4))[0]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_compute_stages_keeps_exact_values_at_sampled_pixels():
    spec = PipelineSpec.single(input_size=512, filters=2)
    model = build_model(spec)
    batch = prepare_input(load_sample("Coffee"), spec).batch
    full = run_forward(model, batch)
    stages = compute_stages(model, batch, DisplayBudget())
    conv = stages["conv"]
    assert conv.full_shape == (498, 498, 2)
    assert conv.step > 1
    np.testing.assert_array_equal(conv.samples, full["conv"][:: conv.step, :: conv.step])
    # Display: the area average of the real map, at screen size.
    assert max(conv.display.shape[:2]) <= DisplayBudget().display_px
    assert conv.display.dtype == np.uint8
    # Each channel's own minimum..maximum is mapped to 0-255.
    np.testing.assert_allclose(conv.channel_min, full["conv"].min(axis=(0, 1)), rtol=1e-6)
    np.testing.assert_allclose(conv.channel_max, full["conv"].max(axis=(0, 1)), rtol=1e-6)
    scale = (conv.channel_max - conv.channel_min) / 255
    shown_mean = conv.channel_min + conv.display.mean(axis=(0, 1)) * scale
    np.testing.assert_allclose(shown_mean, full["conv"].mean(axis=(0, 1)), atol=scale.max())
    assert conv.minimum == pytest.approx(float(full["conv"].min()))
    assert stages["activation"].zero_fraction == pytest.approx(
        float(np.mean(full["activation"] == 0))
    )


def test_summarize_stage_rejects_flat_arrays():
    with pytest.raises(ValueError, match="Expected maps of shape"):
        summarize_stage("conv", np.zeros((4, 4)), DisplayBudget())


def test_small_maps_are_enlarged_as_crisp_blocks():
    maps = np.arange(36, dtype=np.float32).reshape(6, 6, 1)
    big = resample_maps(maps, 480)
    assert big.shape == (480, 480, 1)
    np.testing.assert_array_equal(big[::80, ::80], maps)


def test_many_channels_resample_like_one():
    maps = np.random.default_rng(0).random((300, 200, 9), dtype=np.float32)
    import cv2

    out = resample_maps(maps, 60)
    assert out.shape == (60, 40, 9)
    np.testing.assert_allclose(
        out[:, :, 7], cv2.resize(maps[:, :, 7], (40, 60), interpolation=cv2.INTER_AREA), atol=1e-5
    )


@pytest.mark.parametrize(
    "shape", [(1, 1, 1), (5, 3, 2), (64, 64, 8), (40, 33, 13), (17, 29, 16), (9, 9, 64)]
)
def test_channel_ranges_are_each_channels_minimum_and_maximum(shape):
    maps = np.random.default_rng(sum(shape)).normal(size=shape).astype(np.float32)
    maps[0, -1, -1] = -50.0  # an extreme at a channel's edge of a row
    low, high = channel_ranges(maps[:, :, :])
    np.testing.assert_array_equal(low, maps.min(axis=(0, 1)))
    np.testing.assert_array_equal(high, maps.max(axis=(0, 1)))
    assert low.dtype == high.dtype == np.float32 and low.shape == (shape[2],)


def test_channel_ranges_of_a_strided_view_are_the_views_own():
    maps = np.arange(2 * 6 * 4, dtype=np.float64).reshape(2, 6, 4)[:, ::2, 1:3]
    low, high = channel_ranges(maps)
    assert low.tolist() == [1.0, 2.0] and high.tolist() == [41.0, 42.0]


CHUNKED = [
    PipelineSpec.single(input_size=64, filters=7, kernel_size=3, color_mode="rgb", pool_size=3),
    PipelineSpec(
        input_size=64,
        color_mode="rgb",
        blocks=(
            BlockSpec(kernel_size=3, filters=7, pool_size=3),
            BlockSpec(kernel_size=3, filters=5, padding_mode="same", pooling="none"),
            BlockSpec(kernel_size=2, filters=6, dilation=2, activation="elu"),
        ),
    ),
]


@pytest.mark.parametrize("spec", CHUNKED, ids=lambda s: str(spec_to_query(s)))
def test_chunked_forward_equals_the_whole_model(spec):
    from cnn_core.model import build_chunked_models, filter_chunks

    batch = prepare_input(load_sample("Astronaut"), spec).batch
    assert len(filter_chunks(spec, max_values=2 * 62 * 62)[0]) == 4
    whole = compute_stages(build_model(spec), batch, DisplayBudget())
    chunked = compute_stages(
        build_chunked_models(spec, max_values=2 * 62 * 62), batch, DisplayBudget()
    )
    assert list(whole) == list(chunked) == [s.key for s in plan_pipeline(spec).stages]
    for key, stage in whole.items():
        other = chunked[key]
        np.testing.assert_allclose(other.samples, stage.samples, rtol=1e-5, atol=1e-4)
        assert other.display.dtype == stage.display.dtype == np.uint8
        assert np.abs(other.display.astype(int) - stage.display.astype(int)).max() <= 1
        assert other.full_shape == stage.full_shape
        assert other.step == stage.step
        assert other.minimum == pytest.approx(stage.minimum, abs=1e-4)
        assert other.maximum == pytest.approx(stage.maximum, abs=1e-4)
        assert other.mean == pytest.approx(stage.mean, rel=1e-5)
        assert other.zero_fraction == pytest.approx(stage.zero_fraction)
        np.testing.assert_allclose(other.channel_max, stage.channel_max, rtol=1e-5, atol=1e-4)
        # Counted in parts, a value may land one fine bin (1/64 of a bin) away.
        assert other.histogram.total == stage.histogram.total == np.prod(stage.full_shape)
        moved = np.abs(other.histogram.counts - stage.histogram.counts).sum()
        assert moved <= 0.02 * stage.histogram.total


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: str(spec_to_query(s)))
def test_histograms_count_every_value_of_the_full_maps(spec):
    batch = prepare_input(load_sample("Coffee"), spec).batch
    model = build_model(spec)
    full = run_forward(model, batch)
    stages = compute_stages(model, batch, DisplayBudget())
    for key, stage in stages.items():
        histogram = stage.histogram
        assert histogram.total == full[key].size
        assert 1 <= len(histogram.counts) <= 64
        if stage.maximum > stage.minimum:
            expected, edges = np.histogram(full[key], bins=64, range=(stage.minimum, stage.maximum))
            np.testing.assert_allclose(histogram.edges, edges)
            # The same bins as numpy's, up to values within rounding of a bin edge.
            width = edges[1] - edges[0]
            offset = (full[key].astype(np.float64) - edges[0]) / width
            on_edge = np.count_nonzero(np.abs(offset - np.rint(offset)) < 1e-4)
            assert np.abs(histogram.counts - expected).sum() <= 2 * on_edge + 2


def test_a_constant_stage_has_one_bin():
    stage = compute_stages(
        build_model(PipelineSpec.single(input_size=20, kernel_size=3)),
        np.zeros((1, 20, 20, 1), np.float32),
        DisplayBudget(),
    )["activation"]
    assert stage.histogram.counts.tolist() == [18 * 18]
    assert stage.zero_fraction == 1.0


def test_loading_keras_freezes_what_the_import_created():
    import gc

    from cnn_core.model import load_keras

    keras = load_keras()
    assert load_keras() is keras
    assert gc.get_freeze_count() > 100_000


def test_loading_keras_leaves_the_garbage_collector_on():
    import gc

    from cnn_core.model import load_keras

    load_keras()
    assert gc.isenabled()


def test_chosen_weights_are_the_layers_weights_also_in_chunks():
    from cnn_core.kernels import LUMINANCE, bank_kernels
    from cnn_core.model import build_chunked_models

    spec = PipelineSpec.single(
        input_size=40, kernel_size=3, filters=11, weights="bank", color_mode="rgb", bias=0.5
    )
    kernel, bias = kernel_weights(spec)
    expected = bank_kernels(3)[0][:, :, None, :] * np.array(LUMINANCE, np.float32)[:, None]
    np.testing.assert_allclose(kernel, expected, rtol=1e-6)
    assert bias.tolist() == [0.5] * 11
    batch = prepare_input(load_sample("Astronaut"), spec).batch
    whole = compute_stages(build_model(spec), batch, DisplayBudget())
    chunked = compute_stages(
        build_chunked_models(spec, max_values=3 * 38 * 38), batch, DisplayBudget()
    )
    # Values reach several hundred here: float32 sums of 27 products, added in
    # another order by another kernel, differ by a few units in the last place
    # (up to 1.5e-4 at 380 with TensorFlow 2.21 on an AMD EPYC without AVX-512).
    np.testing.assert_allclose(chunked["conv"].samples, whole["conv"].samples, rtol=1e-6, atol=1e-4)


def test_rgb_map_of_a_preset_is_the_grayscale_map_up_to_rounding():
    """For RGB, a 2-D kernel goes to each channel by luminance, so the RGB map
    equals the grayscale map of the same kernel; they differ only because the
    grayscale image is rounded to 8 bits (half a level per pixel, twice)."""
    cat = load_sample("Cat (chelsea)")
    spec = PipelineSpec.single(input_size=128, kernel_size=5, weights="gaussian", activation="none")
    maps = {}
    for mode in ("grayscale", "rgb"):
        mode_spec = spec.replace(color_mode=mode)
        maps[mode] = run_forward(build_model(mode_spec), prepare_input(cat, mode_spec).batch)
    gray, rgb = maps["grayscale"]["conv"], maps["rgb"]["conv"]
    assert gray.shape == rgb.shape == (124, 124, 1)
    # |sum of weights| * (0.5 + 0.5) levels: conversion and resize each round once.
    bound = float(np.abs(kernel_weights(spec)[0]).sum()) * 1.0 + 1e-3
    assert np.abs(gray - rgb).max() <= bound
    assert np.abs(gray - rgb).mean() < 0.5


def test_model_building_is_serialized_across_threads(monkeypatch):
    """Sessions build models in parallel threads; Keras's building is not
    thread-safe, so constructions must take turns (running them need not)."""
    import threading
    import time

    from cnn_core import model as model_module

    active, peak = [0], [0]
    guard = threading.Lock()
    original = model_module.keras_layer

    def counting(*args, **kwargs):
        with guard:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)
        try:
            return original(*args, **kwargs)
        finally:
            with guard:
                active[0] -= 1

    monkeypatch.setattr(model_module, "keras_layer", counting)
    specs = [PipelineSpec.single(input_size=32, kernel_size=3, filters=f) for f in (1, 2, 3, 4)]
    threads = [
        threading.Thread(target=model_module.build_chunked_models, args=(spec, 500))
        for spec in specs
    ] + [threading.Thread(target=model_module.build_model, args=(spec,)) for spec in specs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 1


def test_kernel_weights_are_drawn_once_per_kernel_setting_and_read_only():
    spec = PipelineSpec.single(filters=4)
    kernel, bias = kernel_weights(spec)
    # Padding, stride, activation and pooling do not change the kernel: no new draw.
    for changed in (
        spec.replace_block(0, padding_mode="same"),
        spec.replace_block(0, stride=2),
        spec.replace_block(0, activation="tanh", pooling="average"),
    ):
        again, again_bias = kernel_weights(changed)
        assert again is kernel and again_bias is bias
    # Every setting that decides the weights does.
    for changed in (
        spec.replace_block(0, seed=4),
        spec.replace_block(0, kernel_size=5),
        spec.replace_block(0, filters=3),
        spec.replace(color_mode="rgb"),
    ):
        other = kernel_weights(changed)[0]
        assert other.shape != kernel.shape or not np.array_equal(other, kernel)
    with pytest.raises(ValueError):
        kernel[0, 0, 0, 0] = 1.0
    # The Keras model still gets exactly these weights.
    model = build_model(spec)
    np.testing.assert_array_equal(model.get_layer("conv2d").get_weights()[0], kernel)


def test_stages_summarized_side_by_side_equal_one_at_a_time_in_order():
    from cnn_core import forward

    rng = np.random.default_rng(3)
    outputs = {
        key: rng.normal(size=(40 - 9 * i, 40 - 9 * i, 5)).astype(np.float32)
        for i, key in enumerate(["padding", "conv", "activation", "pool"])
    }
    budget = DisplayBudget()
    together = forward._summarize(outputs, budget, grid_channels=20)
    assert list(together) == list(outputs)
    for key, full in outputs.items():
        alone = summarize_stage(key, full, budget, 20)
        assert together[key].full_shape == alone.full_shape
        assert np.array_equal(together[key].display, alone.display)
        assert np.array_equal(together[key].histogram.counts, alone.histogram.counts)
        assert together[key].mean == alone.mean and together[key].step == alone.step
