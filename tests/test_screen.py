"""cnn_core.screen: a figure dict the browser redraws without recomputing."""

import json
import tomllib
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from cnn_core.display import DisplayBudget
from cnn_core.figures import freeze, stage_figure
from cnn_core.forward import summarize_stage
from cnn_core.histogram import with_histogram
from cnn_core.screen import AXES, STYLE, screen_dict
from tests.test_figures import as_array

ROOT = Path(__file__).resolve().parent.parent


def stage(seed=0, channels=3):
    full = np.random.default_rng(seed).normal(size=(40, 40, channels)).astype(np.float32)
    maps = summarize_stage("conv", full, DisplayBudget())
    fig = stage_figure(
        maps.display,
        maps.samples,
        maps.step,
        maps.full_shape[:2],
        (maps.channel_min, maps.channel_max),
        [f"filter {i + 1}" for i in range(channels)],
        title="40x40",
        signed=True,
        kernels=np.random.default_rng(seed).normal(size=(3, 3, channels)),
    )
    return with_histogram(fig, maps.histogram, (maps.minimum, maps.maximum), "RdBu_r")


def test_no_template_and_the_style_is_written_into_the_layout():
    made = screen_dict(stage().to_dict())
    layout = made["layout"]
    assert "template" not in layout
    assert layout["font"] == STYLE["font"]
    assert layout["hoverlabel"] == STYLE["hoverlabel"]
    assert layout["title"]["text"] == "40x40"  # the figure's own values win ...
    assert layout["title"]["font"]["size"] == 14
    assert layout["title"]["font"]["weight"] == 700  # ... and the style fills the rest
    assert layout["plot_bgcolor"] == "rgba(0,0,0,0)"
    axes = [name for name in layout if name.rstrip("0123456789") in ("xaxis", "yaxis")]
    assert len(axes) >= 6  # the tiles' axes, their overlays and the histogram's
    for name in axes:
        style = AXES[name.rstrip("0123456789")]
        assert layout[name]["tickcolor"] == style["tickcolor"]
        assert layout[name]["tickfont"] == style["tickfont"]
    # A figure that sets no axes still gets the style on its default ones.
    bare = screen_dict(go.Figure(go.Bar(y=[1, 2])).to_dict())["layout"]
    assert bare["xaxis"]["tickcolor"] == AXES["xaxis"]["tickcolor"]
    assert bare["yaxis"]["gridcolor"] == AXES["yaxis"]["gridcolor"]


def test_the_values_are_the_same_and_one_dimensional_arrays_are_lists():
    plain = json.loads(pio.to_json(stage(), validate=False))
    made = json.loads(json.dumps(screen_dict(stage().to_dict())))
    assert len(made["data"]) == len(plain["data"])
    lists = 0
    for before, after in zip(plain["data"], made["data"], strict=True):
        assert set(before) == set(after)
        for key in ("x", "y", "z", "customdata"):
            if key in before:
                np.testing.assert_array_equal(as_array(after[key]), as_array(before[key]))
                if as_array(before[key]).ndim == 1:
                    assert isinstance(after[key], list)
                    lists += 1
    assert lists >= 4  # the hover heatmaps' x and y, the histogram's


def test_the_data_revision_follows_the_content():
    first, again = screen_dict(stage(0).to_dict()), screen_dict(stage(0).to_dict())
    other = screen_dict(stage(1).to_dict())
    assert first["layout"]["datarevision"] == again["layout"]["datarevision"]
    assert first["layout"]["datarevision"] != other["layout"]["datarevision"]


def test_a_revision_the_caller_knows_is_used_as_it_is_and_changes_nothing_else():
    # A cached stage chart passes its cache key (a digest of what decides the
    # figure) instead of having the whole figure JSON-encoded to digest it.
    digested = screen_dict(stage(0).to_dict())
    given = screen_dict(stage(0).to_dict(), revision="key-0")
    assert given["layout"]["datarevision"] == "key-0"
    digested["layout"].pop("datarevision"), given["layout"].pop("datarevision")
    assert json.dumps(given, sort_keys=True) == json.dumps(digested, sort_keys=True)
    frozen = freeze(stage(1), revision="key-1")
    assert freeze(frozen).to_dict()["layout"]["datarevision"] == "key-1"  # kept when frozen again
    assert freeze(stage(1)).to_dict()["layout"]["datarevision"] != "key-1"


def test_the_made_figure_is_valid_plotly_and_the_input_is_unchanged():
    given = stage().to_dict()
    before = json.dumps(given, sort_keys=True, default=str)
    go.Figure(screen_dict(given))  # validates every property
    assert json.dumps(given, sort_keys=True, default=str) == before


def test_a_frozen_figure_is_made_ready_for_the_screen():
    made = freeze(stage()).to_dict()
    assert "template" not in made["layout"] and "datarevision" in made["layout"]


def test_the_style_matches_the_apps_theme():
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["base"] == "light"  # the colours below are Streamlit's light chart theme
    assert STYLE["title"]["font"]["color"] == theme["textColor"]
    assert STYLE["paper_bgcolor"] == theme["backgroundColor"]
    # Streamlit's charts use three quarters of the base font size.
    assert STYLE["font"]["size"] == 0.75 * theme["baseFontSize"]
    assert STYLE["title"]["font"]["size"] == theme["baseFontSize"]


def _made_both_ways(build):
    """(the frozen figure's dict, ``screen_dict`` of Plotly's own ``to_dict``)."""
    return freeze(build()).to_dict(), screen_dict(go.Figure.to_dict(build()))


def _figures():
    from cnn_core.figures import kernel_figure
    from cnn_core.step_figures import step_grid_figure
    from cnn_core.training.figures import curves_figure, digit_figure
    from tests.test_step_figures import example

    words = dict(loss="l", accuracy="a", train="t", validation="v", epoch="e")
    history = {"loss": [2.0, 1.0], "accuracy": [0.5, 0.8], "val_loss": [1.5, 1.1]}
    kernel = np.random.default_rng(0).normal(size=(3, 3, 2, 4)).astype(np.float32)
    step = example()[3]
    return {
        "stage, 3 tiles": lambda: stage(0, 3),
        "stage, 16 of 20 tiles": lambda: stage(1, 20),
        "stage, 1 tile": lambda: stage(2, 1),
        "kernels": lambda: kernel_figure(kernel),
        "convolution step grid": lambda: step_grid_figure(step, ["r", "g", "b"], (0.0, 255.0)),
        "training curves (validated)": lambda: curves_figure(history, words),
        "a digit (validated)": lambda: digit_figure(np.eye(8, dtype=int) * 16, "8x8"),
    }


def test_a_frozen_figure_makes_the_dict_plotly_would_make():
    """The one-walk conversion (figure_dict) against Plotly's deep copy and
    typed-array walk: equal dicts, equal JSON, for every kind of figure the app draws."""
    for name, build in _figures().items():
        fast, slow = _made_both_ways(build)
        assert fast == slow, name
        assert pio.to_json(fast, validate=False) == pio.to_json(slow, validate=False), name


def test_stage_figures_take_the_one_walk_conversion():
    from cnn_core.screen import figure_dict

    for name in ("stage, 3 tiles", "stage, 16 of 20 tiles", "stage, 1 tile", "kernels"):
        fig = _figures()[name]()
        assert figure_dict(fig._data, fig._layout) is not None, name


def test_what_the_one_walk_does_not_convert_goes_to_plotly():
    from cnn_core.screen import figure_dict

    big = np.array([2**40, 1], dtype=np.int64)
    assert figure_dict([{"y": big}], {}) is None  # beyond 32 bits: Plotly keeps int64
    assert figure_dict([{"y": [np.zeros(2)]}], {}) is None  # an array inside a list
    assert figure_dict([{"x": (1, 2)}], {}) is None
    small = np.array([1, 2], dtype=np.int64)
    assert figure_dict([{"y": small}], {})["data"][0]["y"] == [1, 2]  # narrowed, as Plotly does
    fig = go.Figure(go.Scatter(y=big), layout={"xaxis": {"range": (0, 1)}})
    fast, slow = freeze(fig).to_dict(), screen_dict(go.Figure.to_dict(fig))
    assert pio.to_json(fast, validate=False) == pio.to_json(slow, validate=False)
