"""The "Color scale" modes and the diverging map, checked on figure data."""

import base64

import cv2
import numpy as np
import pytest

from cnn_core.color_scale import (
    COLOR_SCALES,
    colormap_lut,
    is_signed,
    pipeline_range,
    tile_ranges,
)
from cnn_core.display import DisplayBudget
from cnn_core.figures import stage_figure
from cnn_core.forward import quantized, summarize_stage
from cnn_core.histogram import HISTOGRAM_GAP_PX, count_values, with_histogram
from tests.test_figures import validated

RNG = np.random.default_rng(11)


def stage(key, full):
    budget = DisplayBudget()
    return quantized(summarize_stage(key, np.asarray(full, np.float32), budget), budget)


def tile_heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap" and t.opacity == 0]


def decoded(image):
    """A tile's pixels back from its data URI (BGR or gray)."""
    raw = base64.b64decode(image.source.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)


def figure(maps, mode, signed, pipeline=None):
    low, high = tile_ranges(mode, maps.channel_min, maps.channel_max, signed, pipeline)
    return validated(
        stage_figure(
            maps.display,
            maps.samples,
            maps.step,
            maps.full_shape[:2],
            (low, high),
            [f"filter {i + 1}" for i in range(maps.full_shape[2])],
            display_ranges=(maps.channel_min, maps.channel_max),
            signed=signed,
        )
    )


@pytest.fixture
def conv():
    # Three filters with very different ranges, all signed.
    full = RNG.normal(size=(40, 40, 3)) * np.array([1.0, 10.0, 100.0]) + np.array([0, 5, -50])
    return stage("conv", full)


def test_per_map_gives_each_tile_its_own_symmetric_range(conv):
    fig = figure(conv, "per map", signed=True)
    for channel, heatmap in enumerate(tile_heatmaps(fig)):
        limit = max(abs(conv.channel_min[channel]), abs(conv.channel_max[channel]))
        assert heatmap.zmin == pytest.approx(-limit, rel=1e-6)
        assert heatmap.zmax == pytest.approx(limit, rel=1e-6)


def test_per_stage_gives_every_tile_the_stages_range(conv):
    fig = figure(conv, "per stage", signed=False)
    for heatmap in tile_heatmaps(fig):
        assert (heatmap.zmin, heatmap.zmax) == pytest.approx((conv.minimum, conv.maximum))


def test_whole_pipeline_gives_one_range_from_input_to_pooling(conv):
    image = stage("input", RNG.uniform(0, 255, (40, 40, 1)))
    pooled = stage("pool", np.maximum(RNG.normal(size=(20, 20, 3)), 0))
    pipeline = pipeline_range([image, conv, pooled])
    stages = (image, conv, pooled)
    expected = (min(m.minimum for m in stages), max(m.maximum for m in stages))
    assert pipeline == pytest.approx(expected)
    for maps, signed in ((image, False), (pooled, False)):
        for heatmap in tile_heatmaps(figure(maps, "whole pipeline", signed, pipeline)):
            assert (heatmap.zmin, heatmap.zmax) == pytest.approx(pipeline)
    limit = max(abs(v) for v in pipeline)
    for heatmap in tile_heatmaps(figure(conv, "whole pipeline", True, pipeline)):
        assert (heatmap.zmin, heatmap.zmax) == pytest.approx((-limit, limit))


def test_the_diverging_map_is_centred_on_zero(conv):
    fig = figure(conv, "per stage", signed=True)
    heatmap = tile_heatmaps(fig)[0]
    assert heatmap.zmin == -heatmap.zmax
    colors = [color.replace(" ", "") for _, color in heatmap.colorscale]
    middle = dict(heatmap.colorscale)[0.5].replace(" ", "")
    assert middle == "rgb(247,247,247)" and colors[0] != colors[-1]
    # A map that is exactly zero on its left half draws that half in the neutral colour.
    full = np.zeros((16, 16, 1), np.float32)
    full[:, 8:, 0] = np.linspace(-3, 5, 8)
    maps = stage("conv", full)
    pixels = decoded(figure(maps, "per map", signed=True).layout.images[0])
    assert pixels.shape[2] == 3
    neutral = colormap_lut(True)[128][::-1]  # BGR
    np.testing.assert_array_equal(pixels[4, 2], neutral)


def test_unsigned_stages_stay_gray(conv):
    relu = stage("activation", np.maximum(RNG.normal(size=(30, 30, 2)), 0))
    fig = figure(relu, "per stage", signed=False)
    assert decoded(fig.layout.images[0]).ndim == 2
    assert tile_heatmaps(fig)[0].colorscale[0][1] == "rgb(0, 0, 0)"


def test_widening_the_range_keeps_levels_in_place():
    # Quantized per channel, then re-mapped to the stage's range: each tile's
    # gray levels are those of its values in the stage's range.
    full = np.stack([np.linspace(0, 1, 256).reshape(16, 16)] * 2, axis=2) * np.array([1, 4])
    maps = stage("activation", full)
    fig = figure(maps, "per stage", signed=False)
    first, second = (decoded(image) for image in fig.layout.images)
    assert abs(int(first.max()) - 64) <= 2 and second.max() == 255


@pytest.mark.parametrize(
    ("key", "activation", "signed"),
    [
        ("input", "none", False),
        ("conv", "relu", True),
        ("activation", "relu", False),
        ("activation", "sigmoid", False),
        ("activation", "none", True),
        ("activation", "tanh", True),
        ("activation", "leaky_relu", True),
        ("activation", "elu", True),
        ("pool", "relu", False),
        ("pool", "elu", True),
    ],
)
def test_signed_stages(key, activation, signed):
    assert is_signed(key, activation) is signed


def test_modes_are_the_three_of_cnn_explainer():
    assert COLOR_SCALES == ("per map", "per stage", "whole pipeline")
    with pytest.raises(ValueError, match="mode"):
        tile_ranges("global", [0.0], [1.0], False)


@pytest.mark.parametrize("with_kernels", [False, True])
def test_histogram_under_the_tiles_counts_add_up_and_states_zeros(with_kernels):
    values = np.maximum(RNG.normal(size=(50, 50, 4)), 0).astype(np.float32)
    maps = stage("activation", values)
    assert maps.histogram.total == values.size
    assert len(maps.histogram.counts) <= 64

    def tiles():
        return stage_figure(
            maps.display,
            maps.samples,
            maps.step,
            maps.full_shape[:2],
            (maps.minimum, maps.maximum),
            [f"filter {i + 1}" for i in range(4)],
            display_ranges=(maps.channel_min, maps.channel_max),
            kernels=RNG.normal(size=(3, 3, 4)) if with_kernels else None,
        )

    before = tiles().to_dict()
    fig = validated(
        with_histogram(
            tiles(),
            maps.histogram,
            (maps.minimum, maps.maximum),
            [[0, "rgb(0, 0, 0)"], [1, "rgb(255, 255, 255)"]],
            maps.zero_fraction,
        )
    )
    *tile_traces, bar = fig.data
    assert len(tile_traces) == len(before["data"])
    assert bar.type == "scatter" and bar.fill == "tozeroy" and bar.line.shape == "hvh"
    from tests.test_figures import as_array

    counts, x = as_array(bar.y), as_array(bar.x)
    assert counts[1:-1].sum() == values.size
    assert counts[0] == counts[1] and counts[-1] == counts[-2]
    # Steps halfway between points: at the bins' edges, from the minimum to the maximum.
    edges = maps.histogram.edges
    np.testing.assert_allclose((x[1:-2] + x[2:-1]) / 2, edges[1:-1], rtol=1e-5)
    assert x[0] == pytest.approx(maps.minimum) and x[-1] == pytest.approx(maps.maximum)
    # Filled with the tiles' colour map, over the tiles' range of values.
    gradient = bar.fillgradient
    assert gradient.type == "horizontal"
    assert (gradient.start, gradient.stop) == (maps.minimum, maps.maximum)
    assert [list(stop) for stop in gradient.colorscale] == [
        [0, "rgb(0, 0, 0)"],
        [1, "rgb(255, 255, 255)"],
    ]
    share = np.mean(values == 0)
    [title] = [a.text for a in fig.layout.annotations if "values in" in a.text]
    assert f"exactly zero: {share:.1%}" in title
    # The histogram has axes of its own, under every tile and kernel, with a
    # gap of at least HISTOGRAM_GAP_PX for the tiles' tick labels and its title.
    x_axis = fig.layout[bar.xaxis.replace("x", "xaxis")]
    y_axis = fig.layout[bar.yaxis.replace("y", "yaxis")]
    assert x_axis.anchor == bar.yaxis and y_axis.anchor == bar.xaxis
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    tile_bottoms = [
        fig.layout[name].domain[0]
        for name in fig.layout
        if name.startswith("yaxis")
        and name != bar.yaxis.replace("y", "yaxis")
        and not fig.layout[name].overlaying
    ]
    assert len(tile_bottoms) == 1  # four tiles (and kernels) on one pair of axes
    gap_px = (min(tile_bottoms) - y_axis.domain[1]) * plot_px
    assert gap_px >= HISTOGRAM_GAP_PX - 1
    # Everything the tiles' figure had keeps its size in pixels.
    margin = before["layout"]["margin"]
    old_plot_px = before["layout"]["height"] - margin["t"] - margin["b"]
    for name, axis in before["layout"].items():
        if name.startswith("yaxis") and "domain" in axis:
            old = (axis["domain"][1] - axis["domain"][0]) * old_plot_px
            new = (fig.layout[name].domain[1] - fig.layout[name].domain[0]) * plot_px
            assert new == pytest.approx(old, abs=0.5)
    assert count_values(values).total == values.size
