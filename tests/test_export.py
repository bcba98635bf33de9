"""Exports: the NPZ holds the engine's own values, the PNG the screen's gray levels."""

import dataclasses
import io
import json

import numpy as np
import pytest
from PIL import Image

from cnn_core.export import (
    _LABEL_PX,
    _TITLE_PX,
    MIN_TILE_PX,
    NPZ_MAX_BYTES,
    PNG_MAX_PIXELS,
    export_filters,
    full_outputs,
    npz_bytes,
    outputs_nbytes,
    stage_png,
)
from cnn_core.figures import to_uint8
from cnn_core.images import load_sample, prepare_input
from cnn_core.model import build_chunked_models, build_model, kernel_weights, run_forward
from cnn_core.shapes import plan_pipeline
from cnn_core.spec import BlockSpec, PipelineSpec

SPEC = PipelineSpec.single(
    input_size=40,
    color_mode="rgb",
    kernel_size=5,
    filters=5,
    stride=2,
    padding_mode="explicit",
    padding=2,
    activation="tanh",
    pooling="average",
    seed=7,
)


@pytest.fixture(scope="module")
def engine():
    """The engine's own full outputs, one model, no chunks."""
    batch = prepare_input(load_sample("Coffee"), SPEC).batch
    return batch, run_forward(build_model(SPEC), batch)


@pytest.fixture(scope="module")
def chunks():
    """Two filters per model, as a large layer would be split."""
    conv = plan_pipeline(SPEC).stage("conv")
    [block] = build_chunked_models(SPEC, max_values=2 * conv.shape[0] * conv.shape[1])
    assert [len(chunk) for chunk, _ in block] == [2, 2, 1]
    return [block]


def test_full_outputs_from_chunks_are_the_engines(engine, chunks):
    batch, expected = engine
    outputs = full_outputs(chunks, batch, [range(5)])
    assert outputs.keys() == expected.keys() == {"input", "padding", "conv", "activation", "pool"}
    for key, maps in expected.items():
        np.testing.assert_allclose(outputs[key], maps, rtol=1e-5, atol=1e-5)


def test_full_outputs_keep_only_what_is_asked_and_skip_other_chunks(engine, chunks):
    batch, expected = engine

    def must_not_run(*args, **kwargs):
        raise AssertionError("a chunk without a wanted filter was run")

    models = [[(chunks[0][0][0], must_not_run), *chunks[0][1:]]]
    outputs = full_outputs(models, batch, [range(2, 4)], keys=("conv", "input"))
    assert outputs.keys() == {"conv", "input"}
    np.testing.assert_allclose(outputs["conv"], expected["conv"][..., 2:4], rtol=1e-5, atol=1e-5)
    only_input = full_outputs([[(range(5), must_not_run)]], batch, [range(5)], keys=("input",))
    assert only_input.keys() == {"input"}


def test_full_outputs_as_uint8_are_the_screens_levels(engine, chunks):
    batch, expected = engine
    value_range = (float(expected["conv"].min()), float(expected["conv"].max()))
    outputs = full_outputs(chunks, batch, [range(5)], keys=("conv",), value_range=value_range)
    assert outputs["conv"].dtype == np.uint8
    difference = outputs["conv"].astype(int) - to_uint8(expected["conv"], value_range)
    assert np.abs(difference).max() <= 1  # float rounding at a level's edge


def test_npz_holds_every_stage_the_weights_and_the_spec(engine, chunks):
    batch, expected = engine
    plan = plan_pipeline(SPEC)
    kernel, bias = kernel_weights(SPEC)
    data = npz_bytes(
        full_outputs(chunks, batch, [range(5)]), plan, [(kernel, bias)], [range(5)], (400, 600, 3)
    )
    with np.load(io.BytesIO(data)) as npz:
        names = {stage.layer_name: stage.key for stage in plan.stages}
        assert set(names) == {
            "input_layer",
            "zero_padding2d",
            "conv2d",
            "activation",
            "average_pooling2d",
        }
        for name, key in names.items():
            assert npz[name].dtype == np.float32
            np.testing.assert_allclose(npz[name], expected[key], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(npz["kernel"], kernel)
        np.testing.assert_array_equal(npz["bias"], bias)
        assert npz["filters"].tolist() == [1, 2, 3, 4, 5]
        spec = json.loads(str(npz["spec"]))
        assert spec == json.loads(json.dumps(dataclasses.asdict(SPEC)))
        blocks = tuple(BlockSpec(**block) for block in spec.pop("blocks"))
        assert PipelineSpec(**spec, blocks=blocks) == SPEC
        assert json.loads(str(npz["preprocessing_shapes"])) == {
            "original": [400, 600, 3],
            "color": [400, 600, 3],
            "resized": [40, 40, 3],
            "batch": [1, 40, 40, 3],
        }
        assert str(npz["link"]).startswith("mode=rgb&size=40&kernel=5&filters=5")


def test_npz_of_some_filters(engine, chunks):
    batch, expected = engine
    plan = plan_pipeline(SPEC)
    kernel, bias = kernel_weights(SPEC)
    outputs = full_outputs(chunks, batch, [range(3, 5)])
    data = npz_bytes(outputs, plan, [(kernel, bias)], [range(3, 5)], (9, 9))
    with np.load(io.BytesIO(data)) as npz:
        np.testing.assert_allclose(npz["conv2d"], expected["conv"][..., 3:5], rtol=1e-5, atol=1e-5)
        assert npz["input_layer"].shape == (40, 40, 3)
        assert npz["kernel"].shape == (5, 5, 3, 2)
        assert npz["filters"].tolist() == [4, 5]


def test_the_caps_are_stated_and_bite_where_the_issue_says():
    big = plan_pipeline(PipelineSpec.single(filters=64))
    assert outputs_nbytes(big, 64) > NPZ_MAX_BYTES >= outputs_nbytes(big, 16)
    fixed = outputs_nbytes(big, 0)
    per_filter = outputs_nbytes(big, 1) - fixed
    assert export_filters(64, range(16, 32), per_filter, NPZ_MAX_BYTES - fixed) == range(16, 32)
    assert export_filters(64, range(0, 16), 498 * 498, PNG_MAX_PIXELS) == range(64)
    huge = 1024 * 1024
    assert export_filters(64, range(48, 64), huge, PNG_MAX_PIXELS) == range(48, 64)


def test_png_is_full_resolution_with_the_screens_levels_labels_and_a_key(engine):
    _, expected = engine
    conv = expected["conv"]  # 20x20, enlarged to 80x80 tiles (4x4 per value)
    value_range = (float(conv.min()), float(conv.max()))
    names = [f"filter {i + 1}" for i in range(5)]
    image = Image.open(io.BytesIO(stage_png(conv, value_range, names, "conv2d (Conv2D)")))
    assert image.format == "PNG" and image.mode == "L"
    pixels = np.asarray(image)
    factor = -(-MIN_TILE_PX // 20)
    side = 20 * factor
    rows, cols = 2, 3  # grid_shape(5)
    assert pixels.shape[1] == cols * (side + _LABEL_PX) + _LABEL_PX
    levels = to_uint8(conv, value_range)
    for position in range(5):
        row, col = divmod(position, cols)
        top = _TITLE_PX + _LABEL_PX + row * (side + _LABEL_PX)
        left = _LABEL_PX + col * (side + _LABEL_PX)
        tile = pixels[top : top + side, left : left + side]
        np.testing.assert_array_equal(tile[::factor, ::factor], levels[..., position])
        label_band = pixels[top - _LABEL_PX : top, left : left + side]
        assert (label_band < 128).any(), f"no label above tile {position}"
    key_row = pixels[_TITLE_PX + rows * (side + _LABEL_PX) + _LABEL_PX + 8]
    gradient = key_row[_LABEL_PX : _LABEL_PX + 256]
    assert gradient[0] == 0 and gradient[-1] == 255 and (np.diff(gradient.astype(int)) >= 0).all()


def test_png_keeps_large_maps_one_value_per_pixel():
    maps = np.random.default_rng(0).normal(size=(100, 90, 1)).astype(np.float32)
    value_range = (float(maps.min()), float(maps.max()))
    pixels = np.asarray(Image.open(io.BytesIO(stage_png(maps, value_range, ["grayscale"], "t"))))
    tile = pixels[_TITLE_PX + _LABEL_PX : _TITLE_PX + _LABEL_PX + 100, _LABEL_PX : _LABEL_PX + 90]
    np.testing.assert_array_equal(tile, to_uint8(maps[..., 0], value_range))


def test_png_refuses_mismatched_names():
    with pytest.raises(ValueError, match="Expected maps of shape"):
        stage_png(np.zeros((4, 4, 2)), (0, 1), ["one"], "t")


STACK = PipelineSpec(
    input_size=36,
    blocks=(
        BlockSpec(kernel_size=5, filters=3, seed=1),
        BlockSpec(kernel_size=3, filters=5, padding_mode="explicit", padding=1, dilation=2),
    ),
)


def test_two_blocks_export_block_after_block():
    batch = prepare_input(load_sample("Coffee"), STACK).batch
    expected = run_forward(build_model(STACK), batch)
    plan = plan_pipeline(STACK)
    conv_2 = plan.stage("conv_2")
    models = build_chunked_models(STACK, max_values=2 * conv_2.shape[0] * conv_2.shape[1])
    assert [len(block) for block in models] == [3, 3]  # both blocks in chunks
    outputs = full_outputs(models, batch, [range(3), range(5)])
    assert outputs.keys() == expected.keys()
    for key, maps in expected.items():
        np.testing.assert_allclose(outputs[key], maps, rtol=1e-5, atol=1e-4)
    # One stage of block 2, two of its filters: block 1 runs whole, nothing else is kept.
    part = full_outputs(models, batch, [range(3), range(2, 4)], keys=("pool_2", "padding_2"))
    assert part.keys() == {"pool_2", "padding_2"}
    np.testing.assert_allclose(part["pool_2"], expected["pool_2"][..., 2:4], rtol=1e-5, atol=1e-4)
    assert part["padding_2"].shape == expected["padding_2"].shape  # all of block 1's maps
    weights = [kernel_weights(STACK, 0), kernel_weights(STACK, 1)]
    data = npz_bytes(outputs, plan, weights, [range(3), range(5)], (400, 600, 3))
    with np.load(io.BytesIO(data)) as npz:
        assert npz["kernel"].shape == (5, 5, 1, 3)
        assert npz["kernel_2"].shape == (3, 3, 3, 5)
        assert npz["filters_2"].tolist() == [1, 2, 3, 4, 5]
        np.testing.assert_allclose(npz["conv2d_1"], expected["conv_2"], rtol=1e-5, atol=1e-4)
        assert "blocks=2" in str(npz["link"])
    assert outputs_nbytes(plan, [3, 5]) == sum(stage.memory for stage in plan.stages)


def test_png_of_a_signed_stage_has_the_screens_diverging_colours():
    from cnn_core.color_scale import colormap_lut, stage_range

    maps = np.array([[-2.0, 0.0], [1.0, 2.0]], np.float32)[..., np.newaxis]
    value_range = stage_range(float(maps.min()), float(maps.max()), signed=True)
    assert value_range == (-2.0, 2.0)
    png = stage_png(maps, value_range, ["filter 1"], "conv2d (Conv2D)", signed=True)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB"
    pixels = np.asarray(image)
    factor = -(-MIN_TILE_PX // 2)
    tile = pixels[_TITLE_PX + _LABEL_PX :, _LABEL_PX:][: 2 * factor : factor, : 2 * factor : factor]
    lut = colormap_lut(True)
    levels = to_uint8(maps[..., 0], value_range)
    np.testing.assert_array_equal(tile, lut[levels])
    # zero is the diverging map's white middle, as on screen
    assert tile[0, 1].tolist() == lut[128].tolist() and min(tile[0, 1]) > 240
    # negative values are blue, positive red
    assert tile[0, 0][2] > tile[0, 0][0] and tile[1, 1][0] > tile[1, 1][2]
