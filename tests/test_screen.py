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
