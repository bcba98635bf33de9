"""AppTest on the Convolution step page: the sum matches the map, Next moves by the stride."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "pages/1_Convolution_step.py"


def open_page(**settings):
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in settings.items():
        at.session_state[key] = value
    if settings:
        at.session_state["_initialised"] = True  # as if the user had set them
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def codes(at):
    return "\n".join(code.value for code in at.code)


def captions(at):
    return "\n".join(caption.value for caption in at.caption)


def sum_and_map(at):
    """The written-out sum's result and the forward pass's value, as floats."""
    body = codes(at)
    total = float(re.search(r"^= (\S+)$", body, re.M).group(1))
    engine = float(re.search(r"feature map at \(\d+, \d+\) = (\S+)", body).group(1))
    return total, engine


def test_defaults_explain_the_centre_pixel_and_the_sum_matches_the_map():
    at = open_page()
    assert at.number_input(key="step_row").value == 249
    assert at.number_input(key="step_col").value == 249
    body = codes(at)
    assert "sum of products = " in body and "+ bias 0" in body
    assert "feature map at (249, 249) = " in body
    total, engine = sum_and_map(at)
    assert total == pytest.approx(engine, rel=1e-5)
    assert "relu(" in body
    assert "2x2 max pooling, stride 2: window (124, 124)" in body
    assert "(512 - 15) mod 1 = 0" in captions(at)
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(charts) == 2
    assert len(charts[0]["frames"]) == 64
    assert not at.error


def test_next_and_previous_step_by_one_output_position():
    at = open_page(stride=2)
    out = 249  # floor((512 - 15)/2) + 1
    assert "(512 - 15) mod 2 = 1" in captions(at)
    assert "1 row and 1 column of the image are never read" in captions(at)
    at.number_input(key="step_col").set_value(out - 1).run()
    [next_button] = [b for b in at.button if b.label == "Next"]
    next_button.click().run()
    assert (at.number_input(key="step_row").value, at.number_input(key="step_col").value) == (
        125,
        0,
    )
    [previous] = [b for b in at.button if b.label == "Previous"]
    previous.click().run()
    assert at.number_input(key="step_col").value == out - 1
    assert "feature map at (124, 248)" in codes(at)
    total, engine = sum_and_map(at)
    assert total == pytest.approx(engine, rel=1e-5, abs=1e-3)


def test_filter_select_and_rgb_same_padding_with_an_uneven_split():
    at = open_page(
        color_mode="rgb", filters=3, kernel_size=4, stride=1, padding_mode="same", input_size=64
    )
    at.selectbox(key="step_filter").set_value(2).run()
    at.number_input(key="step_row").set_value(0).run()
    at.number_input(key="step_col").set_value(63).run()
    assert not at.exception
    assert "'same' pads 3 = 1 top/left + 2 bottom/right" in captions(at)
    assert "of the 16 cells lie in the zero padding" in captions(at)
    grid = json.loads(at.get("plotly_chart")[1].proto.spec)
    titles = [a["text"] for a in grid["layout"]["annotations"]]
    assert "patch x kernel (B)" in titles
    total, engine = sum_and_map(at)
    assert total == pytest.approx(engine, rel=1e-5, abs=1e-3)


def test_settings_that_cannot_be_computed_show_the_feature_maps_error():
    at = open_page(input_size=16, kernel_size=31)
    [error] = at.error
    assert "(16 + 2*0 - 31)/1 + 1 = -14" in error.value
    assert not at.get("plotly_chart")
    at.slider(key="kernel_size").set_value(3).run()
    assert not at.error
    assert "feature map at" in codes(at)


def test_pool_too_large_keeps_the_step_and_explains_the_pooling():
    at = open_page(input_size=20, pool_size=8)
    assert "feature map at" in codes(at)
    [error] = at.error
    assert "pooling window is larger than its 6x6 input" in error.value


def test_the_pixel_survives_a_visit_to_another_page():
    at = open_page()
    at.number_input(key="step_row").set_value(10).run()
    at.switch_page("pages/2_Kernels.py").run()
    at.switch_page(PAGE).run()
    assert at.number_input(key="step_row").value == 10


def test_a_smaller_output_moves_the_pixel_inside_it():
    at = open_page()
    at.number_input(key="step_row").set_value(497).run()
    at.slider(key="kernel_size").set_value(31).run()
    assert not at.exception
    assert at.number_input(key="step_row").value == 481  # 512 - 31 + 1 = 482 rows
    assert "feature map at (481, 249)" in codes(at)


def _random_settings(seed):
    import random

    rng = random.Random(seed)
    return {
        "color_mode": rng.choice(["grayscale", "rgb"]),
        "input_size": rng.choice([16, 17, 40, 100, 333, 1024]),
        "kernel_size": rng.randint(1, 31),
        "filters": rng.choice([1, 2, 5, 20]),
        "stride": rng.randint(1, 8),
        "padding_mode": rng.choice(["valid", "same", "explicit"]),
        "padding": rng.randint(0, 9),
        "activation": rng.choice(["none", "relu", "sigmoid", "tanh", "leaky_relu", "elu"]),
        "pooling": rng.choice(["none", "max", "average"]),
        "pool_size": rng.randint(1, 8),
        "pool_stride": rng.randint(0, 8),
        "scale_01": rng.random() < 0.3,
    }


@pytest.mark.parametrize("seed", range(6))
def test_random_settings_explain_a_pixel_or_the_error(seed):
    """Any combination the sidebar allows: a step whose sum matches the map, or the error."""
    at = open_page(**_random_settings(seed))
    if at.error and not codes(at):
        [error] = at.error
        assert "would be zero or negative" in error.value
        return
    total, engine = sum_and_map(at)
    assert total == pytest.approx(engine, rel=1e-4, abs=1e-3)
    [last] = [b for b in at.button if b.label == "Next"]
    last.click().run()
    assert not at.exception
