"""Figures of the Convolution step: valid Plotly, windows and padding where the numbers say."""

import numpy as np
import plotly.graph_objects as go
import pytest

from cnn_core.conv_step import conv_step
from cnn_core.conv_windows import read_mask, step_geometry
from cnn_core.step_figures import (
    MAX_FRAMES,
    animation_positions,
    input_figure,
    map_picture,
    step_grid_figure,
)
from tests.test_figures import as_array


def validated(fig):
    """Rebuild the figure with Plotly's validation on: raises on a bad property."""
    return go.Figure(fig.to_dict())


def traces(fig, name):
    return [trace for trace in fig.data if trace.name == name]


def example(n=17, k=4, s=2, mode="same", p=0, channels=3, row=0, col=0):
    rng = np.random.default_rng(0)
    pixels = rng.uniform(0, 255, (n, n, channels)).astype(np.float32)
    kernel = rng.normal(size=(k, k, channels, 2)).astype(np.float32)
    geometry = step_geometry(n, k, s, mode, p)
    step = conv_step(pixels, kernel, [0.5, -0.5], row, col, 1, geometry)
    return pixels, kernel, geometry, step


def test_input_figure_outlines_the_window_hatches_padding_and_plays_in_the_browser():
    pixels, kernel, geometry, step = example()
    play = [
        (conv_step(pixels, kernel, [0.5, -0.5], 0, j, 1, geometry), float(j))
        for j in animation_positions(geometry.out)
    ]
    mask = read_mask(geometry)
    fig = validated(input_figure(pixels, (0, 255), geometry, geometry, step, 1.5, mask, mask, play))
    [window] = traces(fig, "window")
    # Window 0 of 'same' with 1 + 2 padding starts one row above the image.
    assert min(window.x) == -1.5 and max(window.x) == 2.5
    assert min(window.y) == -1.5 and max(window.y) == 2.5
    [padding] = traces(fig, "zero padding")
    assert padding.fillpattern.shape == "/"
    assert list(fig.layout.xaxis.range) == [-1.5, 18.5]
    texts = [a.text for a in fig.layout.annotations]
    assert "1 zero row" in texts and "2 zero rows" in texts and "2 zero columns" in texts
    assert not traces(fig, "never read")  # 'same' reads everything here
    assert len(fig.frames) == geometry.out == 9
    assert fig.frames[3].traces == (fig.data.index(window), fig.data.index(window) + 1)
    assert min(fig.frames[3].data[0].x) == 3 * 2 - 1 - 0.5
    [menu] = fig.layout.updatemenus
    assert [b.method for b in menu.buttons] == ["animate", "animate"]
    assert menu.buttons[0].args[1]["frame"]["redraw"] is False


def test_unread_rows_and_columns_are_shaded():
    pixels, _, geometry, step = example(n=512, k=15, s=2, mode="valid", channels=1, row=3)
    mask = read_mask(geometry)
    fig = validated(
        input_figure(pixels[:, :, 0], (0, 255), geometry, geometry, step, 0.0, mask, mask)
    )
    [unused] = traces(fig, "never read")
    assert 510.5 in unused.y and 510.5 in unused.x  # row 511 and column 511
    assert not traces(fig, "zero padding")
    assert not fig.frames


def test_long_rows_play_at_most_max_frames():
    positions = animation_positions(1024)
    assert len(positions) <= MAX_FRAMES and positions[0] == 0 and positions[-1] == 1023


@pytest.mark.parametrize(("k", "numbers"), [(3, True), (7, True), (8, False)])
def test_grid_prints_numbers_up_to_seven(k, numbers):
    _, _, _, step = example(n=20, k=k, s=1, mode="same", channels=3)
    fig = validated(step_grid_figure(step, ["R", "G", "B"], (0, 255)))
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 9
    assert all((t.texttemplate is not None) == numbers for t in heatmaps)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["patch (R)", "kernel (R)", "patch x kernel (R)"]
    hatched = traces(fig, "padding (zero)")
    assert len(hatched) == (6 if step.padding_cells else 0)


def test_grid_values_are_the_steps_arrays():
    _, _, _, step = example(n=17, k=4, s=2, mode="same", channels=1)
    fig = step_grid_figure(step, ["gray"], (0, 255)).to_dict()
    patch, kernel, products = (t for t in fig["data"] if t["type"] == "heatmap")
    np.testing.assert_array_equal(as_array(patch["z"]), step.patch[:, :, 0])
    np.testing.assert_array_equal(as_array(kernel["z"]), step.kernel[:, :, 0])
    np.testing.assert_array_equal(as_array(products["z"]), step.products[:, :, 0])
    assert list(patch["y"]) == [-1, 0, 1, 2]


def test_map_picture_boxes_the_chosen_pixel_at_any_size():
    conv = np.linspace(0, 1, 498 * 498, dtype=np.float32).reshape(498, 498)
    picture = map_picture(conv, 100, 400)
    assert picture.shape == (480, 480, 3)
    red = np.argwhere((picture[:, :, 0] > 200) & (picture[:, :, 1] < 60))
    centre = red.mean(axis=0)
    assert abs(centre[0] - 100.5 * 480 / 498) < 2 and abs(centre[1] - 400.5 * 480 / 498) < 2
