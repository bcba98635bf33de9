"""AppTest: the "Kernel" choice in the sidebar, the links that carry it, and the pages."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture
def at():
    return AppTest.from_file(APP, default_timeout=120).run()


def from_link(query):
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return True


def captions(at):
    return "\n".join(c.value for c in at.caption)


def tile_titles(at, index=1):
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return [t["name"] for t in charts[index]["data"] if t.get("opacity") == 0]


def test_random_is_the_default_and_the_seed_applies_only_to_it(at):
    assert at.selectbox(key="weights").value == "random"
    assert at.selectbox(key="weights").format_func("random") == "Random (Glorot uniform)"
    assert not at.number_input(key="seed").disabled
    assert not at.slider(key="filters").disabled
    assert not [n for n in at.number_input if n.key == "bias"]
    at.selectbox(key="weights").set_value("sobel_x").run()
    assert ok(at)
    assert at.number_input(key="seed").disabled
    assert at.number_input(key="bias").value == 0


def test_a_filter_count_sent_against_a_fixed_choice_is_overruled(at):
    """A browser cannot move a disabled slider, but a client speaking the
    websocket protocol can send any widget state (the 40-student load test
    did): the choice decides, with no traceback, then and on later changes."""
    at.selectbox(key="weights").set_value("sobel_y").run()
    at.session_state["filters"] = 64  # AppTest, like a browser, refuses a disabled slider
    at.run()
    assert ok(at)
    assert at.slider(key="filters").value == 1
    assert "498x498x1" in at.expander[0].label
    at.selectbox(key="activation").set_value("tanh").run()
    assert ok(at)


def test_a_preset_fixes_one_filter_and_disables_the_slider(at):
    at.slider(key="filters").set_value(5).run()
    at.selectbox(key="weights").set_value("sobel_x").run()
    assert ok(at)
    filters = at.slider(key="filters")
    assert filters.value == 1 and filters.disabled
    assert "Fixed at 1: Sobel x is one kernel" in filters.help
    assert at.slider(key="kernel_size").value == 15  # odd: Sobel exists at 15
    assert tile_titles(at) == ["filter 1: Sobel x"]
    assert "Sobel x kernel, bias 0" in captions(at)
    at.selectbox(key="weights").set_value("random").run()
    assert at.slider(key="filters").value == 5  # back as it was


def test_a_preset_with_one_size_moves_kernel_size_and_says_so(at):
    at.selectbox(key="weights").set_value("sharpen").run()
    assert ok(at)
    assert at.slider(key="kernel_size").value == 3
    assert (
        "Sharpen exists at a kernel size of 3 only, so Kernel size moved from 15 to 3."
        in captions(at)
    )
    assert "(512 + 2*0 - 3)/1 + 1 = 510" in "\n".join(c.value for c in at.code)
    # Moving the slider while Sharpen is chosen moves it back, with the same caption.
    at.slider(key="kernel_size").set_value(7).run()
    assert at.slider(key="kernel_size").value == 3
    assert "moved from 7 to 3" in captions(at)


def test_an_odd_only_preset_moves_an_even_size(at):
    at.slider(key="kernel_size").set_value(4).run()
    at.selectbox(key="weights").set_value("gaussian").run()
    assert at.slider(key="kernel_size").value == 5
    assert "moved from 4 to 5" in captions(at)


def test_the_bank_is_one_titled_filter_per_preset(at):
    at.selectbox(key="weights").set_value("bank").run()
    assert ok(at)
    assert at.slider(key="filters").value == 11 and at.slider(key="filters").disabled
    assert "one filter per preset, 11 in all" in at.slider(key="filters").help
    titles = tile_titles(at)
    assert titles[4] == "filter 5: Sobel x" and len(titles) == 11
    assert "params = 11*(3*3*1) + 11 = 110" in "\n".join(c.value for c in at.code)


def test_bias_shifts_the_maps(at):
    at.selectbox(key="weights").set_value("identity").run()
    at.selectbox(key="activation").set_value("none").run()
    before = at.caption
    conv_stats = [c.value for c in before if c.value.startswith("min ")][1]
    at.number_input(key="bias").set_value(10.0).run()
    assert ok(at)
    after = [c.value for c in at.caption if c.value.startswith("min ")][1]
    low_before = float(conv_stats.split()[1])
    low_after = float(after.split()[1])
    assert low_after == pytest.approx(low_before + 10, abs=0.01)
    assert at.query_params["bias"] in ("10", ["10"])


def test_rgb_says_how_the_kernel_is_shared(at):
    at.radio(key="color_mode").set_value("rgb").run()
    at.selectbox(key="weights").set_value("laplacian").run()
    assert ok(at)
    assert "weighted by luminance (0.299, 0.587, 0.114)" in captions(at)
    assert "the RGB map equals the grayscale map of the same kernel" in captions(at)


def test_the_link_carries_the_choice(at):
    at.selectbox(key="weights").set_value("prewitt_y").run()
    assert at.query_params["weights"] in ("prewitt_y", ["prewitt_y"])
    assert at.query_params["kernel"] in ("3", ["3"])


def test_a_custom_kernel_from_a_link(at):
    at = from_link({"weights": "custom", "kernel_size": "3", "w": "0,0,0,0,2,0,0,0,0"})
    assert ok(at)
    assert at.selectbox(key="weights").value == "custom"
    assert at.session_state["custom"] == (0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0)
    assert tile_titles(at) == ["filter 1: Custom"]


@pytest.mark.parametrize("w", ["1,2,3", "0,0,0,0,x,0,0,0,0"])
def test_a_bad_w_falls_back_to_random_with_a_warning(w):
    at = from_link({"weights": "custom", "kernel_size": "3", "w": w})
    assert not at.exception
    [warning] = at.warning
    assert f"`w={w}` is not 9 comma-separated numbers" in warning.value
    assert "so the default weights=random is used" in warning.value
    assert at.selectbox(key="weights").value == "random"


def test_choosing_custom_starts_from_the_kernel_shown_last(at):
    at.selectbox(key="weights").set_value("sobel_y").run()
    at.slider(key="kernel_size").set_value(3).run()
    at.selectbox(key="weights").set_value("custom").run()
    assert ok(at)
    custom = at.session_state["custom"]
    assert len(custom) == 9
    assert [v * 8 for v in custom] == [-1, -2, -1, 0, 0, 0, 1, 2, 1]


def test_a_closed_block_keeps_its_edited_custom_kernel(at):
    """The grid of a closed block is not drawn, so its editor forgets its edits:
    opened again, it must start from the kernel in use, not the one it began with."""
    at.slider(key="blocks").set_value(2).run()
    open_block(at, 2)
    at.selectbox(key="weights_2").set_value("custom").run()
    assert ok(at)
    began = at.session_state["custom_2"]
    edited = tuple(float(v) for v in range(9))
    assert len(began) == 9 and began != edited
    # What the grid keeps after an edit, in the run where the expander closes.
    at.session_state["block_expander_2"] = False
    at.session_state["custom_2"] = edited
    at.run()
    assert ok(at) and "weights_2" not in [s.key for s in at.sidebar.selectbox]
    open_block(at, 2)
    assert ok(at)
    assert at.session_state["custom_2"] == edited
    assert at.selectbox(key="weights_2").value == "custom"


def test_kernels_and_keras_code_pages_show_the_chosen_weights(at):
    at.selectbox(key="weights").set_value("emboss").run()
    at.switch_page("pages/2_Kernels.py").run()
    assert ok(at)
    code = "\n".join(c.value for c in at.code)
    assert "Emboss: textbook 3x3" in code and "Glorot" not in code
    at.switch_page("pages/3_Keras_code.py").run()
    assert ok(at)
    script = at.code[0].value
    assert "model.layers[0].set_weights([kernel, bias])" in script
    assert "[-2, -1, 0]," in script


def test_a_link_to_a_preset_at_another_size_says_where_kernel_size_went():
    at = from_link({"weights": "sharpen", "kernel": "7"})
    assert not at.exception
    assert at.slider(key="kernel_size").value == 3
    [warning] = at.warning
    assert "Sharpen exists at a kernel size of 3 only, so Kernel size moved from 7 to 3." in (
        warning.value
    )


def test_a_link_whose_filters_a_preset_overrules_names_it():
    at = from_link({"weights": "sobel_x", "filters": "8"})
    assert ok(at)
    assert at.slider(key="filters").value == 1
    [warning] = at.warning
    assert (
        "`filters=8` does not apply: the kernel `weights=sobel_x` has 1 filter, so 1 is used."
        in (warning.value)
    )


def open_block(at, number):
    """Open block ``number``'s sidebar expander, as a click does (a rerun)."""
    at.session_state[f"block_expander_{number}"] = True
    return at.run()


def test_a_later_block_has_its_own_kernel_choice(at):
    at.slider(key="filters").set_value(2).run()
    at.slider(key="blocks").set_value(2).run()
    open_block(at, 2)
    at.selectbox(key="weights_2").set_value("sobel_x").run()
    assert ok(at)
    assert at.slider(key="filters_2").value == 1 and at.slider(key="filters_2").disabled
    assert at.slider(key="kernel_size_2").value == 3
    assert "each get the kernel times 1/2" in captions(at)
    assert "block 2: Sobel x kernel, bias 0" in captions(at)
    assert at.selectbox(key="weights").value == "random"
