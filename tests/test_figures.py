"""Figure builders: valid Plotly, true coordinates, exact hover values."""

import base64

import cv2
import numpy as np
import plotly.graph_objects as go
import pytest

from cnn_core.color_scale import colormap_lut
from cnn_core.display import DisplayBudget
from cnn_core.errors import ImageError
from cnn_core.figures import (
    FrozenFigure,
    freeze,
    grid_shape,
    image_uri,
    kernel_figure,
    stage_figure,
    tile_pages,
    to_uint8,
)
from cnn_core.forward import summarize_stage
from cnn_core.screen import screen_dict


def as_array(value):
    """A trace array back as numpy, whether Plotly kept it or base64-encoded it."""
    if isinstance(value, dict) and "bdata" in value:
        shape = [int(n) for n in str(value.get("shape", "-1")).split(",")]
        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return raw.reshape(shape)
    return np.asarray(value)


def validated(fig):
    """Rebuild the figure with Plotly's validation on: raises on a bad property."""
    return go.Figure(fig.to_dict())


def shift(fig, axis_id):
    """Main-axis coordinate minus this axis's coordinate (0 unless it overlays
    the main axis of its letter, shifted to put a tile's own pixels on it)."""
    letter = axis_id[0]
    axis = fig.layout[f"{letter}axis{axis_id[1:]}"]
    if not axis.overlaying:
        return 0.0
    main = fig.layout[f"{letter}axis"]
    # Same scale (tied by scaleanchor) and same pixels: the ranges differ by the shift.
    assert axis.scaleanchor == letter and axis.constrain == main.constrain == "domain"
    assert main.range[1] - main.range[0] == pytest.approx(axis.range[1] - axis.range[0])
    return main.range[0] - axis.range[0]


def image_extent(image, shape):
    """(x0, x1, y0, y1): the outer edges of a heatmap's cells, in its axes' units."""
    height, width = shape
    return (
        image.x0 - image.dx / 2,
        image.x0 + (width - 0.5) * image.dx,
        image.y0 - image.dy / 2,
        image.y0 + (height - 0.5) * image.dy,
    )


def picture_extent(image):
    """(x0, x1, y0, y1): the outer edges of a tile's picture (a layout image
    anchored at its top left, on axes whose y grows downwards)."""
    assert (image.xanchor, image.yanchor, image.sizing) == ("left", "top", "stretch")
    return (image.x, image.x + image.sizex, image.y, image.y + image.sizey)


def picture_shape(image):
    """(height, width) of a layout image's pixels, from its data URI."""
    raw = base64.b64decode(image.source.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED).shape[:2]


@pytest.mark.parametrize("channels", [1, 3, 5, 16])
def test_stage_figure_is_valid_plotly_in_real_coordinates(channels):
    rng = np.random.default_rng(channels)
    full = rng.normal(size=(249, 249, channels)).astype(np.float32)
    stage = summarize_stage("conv", full, DisplayBudget())
    fig = validated(
        stage_figure(
            stage.display,
            stage.samples,
            stage.step,
            stage.full_shape[:2],
            (stage.minimum, stage.maximum),
            [f"filter {i + 1}" for i in range(channels)],
        )
    )
    images = fig.layout.images
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(images) == len(heatmaps) == channels
    assert all(
        image.layer == "below" and (image.xref, image.yref) == ("x", "y") for image in images
    )
    assert not [t for t in fig.data if t.type == "image"]
    assert len(fig.layout.annotations) == channels
    edges = set()
    for index, (image, heatmap) in enumerate(zip(images, heatmaps, strict=True)):
        z = as_array(heatmap.z)
        np.testing.assert_array_equal(z, full[:: stage.step, :: stage.step, index])
        assert as_array(heatmap.x).tolist() == list(range(0, 249, stage.step))
        assert heatmap.opacity == 0
        assert "row %{y}, column %{x}" in heatmap.hovertemplate
        # The hover heatmap's own coordinates are the map's real pixels: its
        # axes put pixel 0..248 exactly on the tile's picture.
        dx, dy = shift(fig, heatmap.xaxis), shift(fig, heatmap.yaxis)
        assert picture_shape(image) == stage.display.shape[:2]
        x0, x1, y0, y1 = picture_extent(image)
        assert (x0 - dx, x1 - dx) == pytest.approx((-0.5, 248.5))
        assert (y0 - dy, y1 - dy) == pytest.approx((-0.5, 248.5))
        edges.add((round(x0), round(y0)))
    assert len(edges) == channels  # every tile in a place of its own
    if channels == 1:
        assert tuple(fig.layout.xaxis.range) == (-0.5, 248.5)
        assert tuple(fig.layout.yaxis.range) == (248.5, -0.5)
    else:
        # One pair of axes; the others overlay it, and its tick labels count
        # each tile's pixels from 0.
        others = [name for name in fig.layout if name.startswith(("xaxis", "yaxis"))]
        others = [name for name in others if name not in ("xaxis", "yaxis")]
        assert others and all(fig.layout[name].overlaying == name[0] for name in others)
        assert set(fig.layout.xaxis.ticktext) == {"0", "100", "200"}
    assert fig.layout.height > 0


def test_only_the_shown_tiles_are_drawn():
    full = np.zeros((20, 20, 40), np.float32)
    stage = summarize_stage("conv", full, DisplayBudget())
    pages = tile_pages(40, 16)
    fig = stage_figure(
        stage.display,
        stage.samples,
        stage.step,
        (20, 20),
        (0.0, 0.0),
        [f"filter {i + 1}" for i in range(40)],
        tiles=pages[2],
    )
    names = [t.name for t in fig.data if t.type == "heatmap"]
    assert names == [f"filter {i}" for i in range(33, 41)]


def test_a_frozen_figure_gives_the_same_dict_and_makes_it_once():
    full = np.random.default_rng(0).normal(size=(40, 40, 3)).astype(np.float32)
    maps = summarize_stage("conv", full, DisplayBudget())

    def build():
        return stage_figure(
            maps.display,
            maps.samples,
            maps.step,
            maps.full_shape[:2],
            (maps.channel_min, maps.channel_max),
            ["a", "b", "c"],
        )

    fig = build()
    frozen = freeze(fig)
    assert frozen is fig and isinstance(frozen, FrozenFigure)
    first = frozen.to_dict()
    assert first == screen_dict(build().to_dict())  # an unfrozen copy, made ready for the screen
    assert frozen.to_dict() is first  # made once, not deep-copied again
    with pytest.raises(TypeError):
        freeze({"data": []})


def test_freezing_keeps_a_figures_own_to_dict():
    """The Convolution step's animated figure adds its frames in ``to_dict``."""

    class WithFrames(go.Figure):
        def to_dict(self):
            return super().to_dict() | {"frames": [{"name": "1", "data": [{"x": [1]}]}]}

    frozen = freeze(WithFrames(go.Scatter(y=[1, 2])))
    assert isinstance(frozen, FrozenFigure) and isinstance(frozen, WithFrames)
    made = frozen.to_dict()
    assert made["frames"] == [{"name": "1", "data": [{"x": [1]}]}]
    assert "template" not in made["layout"]
    assert freeze(frozen) is frozen and type(freeze(WithFrames())) is type(frozen)


def test_kernel_figure_is_valid_and_symmetric_around_zero():
    kernel = np.random.default_rng(1).uniform(-0.2, 0.1, size=(5, 5, 3, 4)).astype(np.float32)
    fig = validated(kernel_figure(kernel, filters=range(2), channel_names=["R", "G", "B"]))
    assert len(fig.data) == 6
    limit = float(np.abs(kernel).max())
    assert fig.data[0].zmin == -limit and fig.data[0].zmax == limit
    np.testing.assert_array_equal(as_array(fig.data[4].z), kernel[:, :, 1, 1])
    assert fig.layout.annotations[4].text == "filter 2, G"


def test_to_uint8_and_image_uri():
    pixels = to_uint8(np.linspace(-2, 2, 100 * 100).reshape(100, 100), (-1.0, 1.0))
    assert pixels.min() == 0 and pixels.max() == 255
    assert image_uri(pixels).startswith("data:image/jpeg;base64,")
    blocks = np.repeat(np.repeat(np.eye(4, dtype=np.uint8) * 255, 20, 0), 20, 1)
    assert image_uri(blocks, lossless=True).startswith("data:image/png;base64,")
    flat = to_uint8(np.ones((3, 3)), (1.0, 1.0))
    assert (flat == 128).all()


def decoded(uri):
    """The BGR (or gray) pixels of a data URI, as a browser would show them."""
    raw = base64.b64decode(uri.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)


def test_a_colour_map_goes_as_an_indexed_png_with_exactly_the_lut_colours():
    # A smooth map, as a feature map is, with some noise.
    yy, xx = np.mgrid[0:249, 0:249]
    noise = np.random.default_rng(1).normal(0, 4, size=(249, 249))
    levels = np.clip(128 + 100 * np.sin(xx / 30) * np.cos(yy / 40) + noise, 0, 255)
    levels = levels.astype(np.uint8)
    lut = colormap_lut(True)
    indexed = image_uri(levels, lossless=True, palette=lut)
    rgb = image_uri(np.ascontiguousarray(lut[levels][:, :, ::-1]), lossless=True)
    shown = decoded(indexed)
    assert shown.shape == (249, 249, 3)
    np.testing.assert_array_equal(shown, decoded(rgb))  # the same picture
    assert len(indexed) < 0.6 * len(rgb)  # one byte per pixel instead of three
    # Lossy, the palette is applied first: the same JPEG as from the colours.
    assert image_uri(levels, palette=lut) == image_uri(lut[levels][:, :, ::-1])
    with pytest.raises(ImageError):
        image_uri(np.zeros((2, 2, 3), np.uint8), lossless=True, palette=lut)


def test_grid_shape_rejects_zero():
    with pytest.raises(ValueError, match="count >= 1"):
        grid_shape(0)


def test_small_maps_go_lossless_and_shrunk_maps_as_jpeg():
    def source(full):
        stage = summarize_stage("pool", full, DisplayBudget())
        fig = stage_figure(
            stage.display,
            stage.samples,
            stage.step,
            stage.full_shape[:2],
            (stage.minimum, stage.maximum),
            ["filter 1"],
        )
        return fig.layout.images[0].source

    rng = np.random.default_rng(0)
    assert source(rng.random((6, 6, 1), dtype=np.float32)).startswith("data:image/png")
    assert source(rng.random((600, 600, 1), dtype=np.float32)).startswith("data:image/jpeg")


def test_colorscales_are_sent_as_colors_not_names():
    """The app skips Plotly's validation, which is what turns names into colors."""
    full = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8, 1)
    stage = summarize_stage("conv", full, DisplayBudget())
    fig = stage_figure(
        stage.display, stage.samples, stage.step, (8, 8), (0.0, 1.0), ["filter 1"]
    ).to_dict()
    [heatmap] = fig["data"]
    assert heatmap["colorscale"][0][1] == "rgb(0, 0, 0)"
    assert heatmap["colorscale"][-1][1] == "rgb(255, 255, 255)"
    kernel = kernel_figure(np.ones((3, 3, 1, 1), np.float32) * [-1.0]).to_dict()
    scale = kernel["data"][0]["colorscale"]
    assert isinstance(scale, list)
    assert scale[0][1].replace(" ", "") == "rgb(5,48,97)"  # dark blue for negative weights


def colorbar_fits(fig):
    """Margins are fixed (plotly.js does not grow them), so the colorbar must
    fit in the plot area's height and the right margin must exist."""
    layout = fig.layout
    [bar] = [t.colorbar for t in fig.data if t.type == "heatmap" and t.showscale]
    plot_height = layout.height - layout.margin.t - layout.margin.b
    return (
        layout.margin.autoexpand is False
        and bar.lenmode == "pixels"
        and 100 <= bar.len <= plot_height
        and layout.margin.r >= 80
    )


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 9, 16])
def test_stage_colorbar_fits_every_grid(channels):
    stage = summarize_stage("conv", np.ones((64, 64, channels), np.float32), DisplayBudget())
    fig = stage_figure(
        stage.display,
        stage.samples,
        stage.step,
        stage.full_shape[:2],
        (0.0, 1.0),
        [f"filter {i + 1}" for i in range(channels)],
    )
    assert colorbar_fits(validated(fig))


@pytest.mark.parametrize(("k", "filters"), [(1, 1), (3, 1), (15, 1), (15, 8)])
def test_kernel_colorbar_fits(k, filters):
    kernel = np.ones((k, k, 1, filters), np.float32)
    assert colorbar_fits(validated(kernel_figure(kernel)))


def test_grayscale_kernels_fill_a_grid_not_a_column():
    kernel = np.random.default_rng(2).uniform(-1, 1, size=(15, 15, 1, 8)).astype(np.float32)
    fig = validated(kernel_figure(kernel))
    assert [a.text for a in fig.layout.annotations] == [f"filter {i}" for i in range(1, 9)]
    # 8 kernels in a 3x3 grid: three columns of x domains, three rows of y domains.
    x_domains = {tuple(fig.layout[f"xaxis{'' if i == 1 else i}"].domain) for i in range(1, 9)}
    y_domains = {tuple(fig.layout[f"yaxis{'' if i == 1 else i}"].domain) for i in range(1, 9)}
    assert len(x_domains) == 3 and len(y_domains) == 3
    np.testing.assert_array_equal(as_array(fig.data[7].z), kernel[:, :, 0, 7])
    assert colorbar_fits(fig)


@pytest.mark.parametrize(("k", "channels"), [(3, 11), (5, 1), (15, 1), (15, 16)])
def test_each_tile_gets_its_kernel_under_it(k, channels):
    rng = np.random.default_rng(k)
    full = rng.normal(size=(60, 60, channels)).astype(np.float32)
    stage = summarize_stage("conv", full, DisplayBudget())
    kernels = rng.normal(size=(k, k, channels)).astype(np.float32)
    shown = range(min(channels, 16))
    fig = validated(
        stage_figure(
            stage.display,
            stage.samples,
            stage.step,
            stage.full_shape[:2],
            (stage.minimum, stage.maximum),
            [f"filter {i + 1}" for i in range(channels)],
            tiles=shown,
            kernels=kernels,
        )
    )
    thumbs = [t for t in fig.data if t.type == "heatmap" and t.opacity != 0]
    assert len(thumbs) == len(shown)
    for channel, thumb in zip(shown, thumbs, strict=True):
        np.testing.assert_array_equal(as_array(thumb.z), kernels[:, :, channel])
        assert thumb.zmin == -thumb.zmax  # centred on zero
        assert f"kernel of filter {channel + 1}" in thumb.hovertemplate
        assert (thumb.texttemplate is not None) == (k <= 5)
        # Under its own tile: same column, below it.
        tile = fig.layout.images[shown.index(channel)]
        if len(shown) == 1:
            tile_axis = fig.layout["yaxis"]
            thumb_axis = fig.layout[f"yaxis{len(shown) + channel + 1}"]
            assert thumb_axis.domain[1] < tile_axis.domain[0]
        else:  # a mosaic: on the main axes, centred under the tile
            x0, x1, _, tile_bottom = picture_extent(tile)
            k_x0, k_x1, k_top, _ = image_extent(thumb, (k, k))
            assert thumb.xaxis in (None, "x") and thumb.yaxis in (None, "y")
            assert x0 < k_x0 < k_x1 < x1
            assert (k_x0 + k_x1) / 2 == pytest.approx((x0 + x1) / 2)
            assert k_top > tile_bottom
            assert "row %{y}" not in thumb.hovertemplate  # not the kernel's coordinates
    labels = [a.text for a in fig.layout.annotations if a.text.startswith(("its kernel", "kernel"))]
    one_column = len(shown) == 1
    assert labels == [f"its kernel ({k}x{k})" if one_column else "kernel"] * len(shown)
    assert colorbar_fits(fig)
