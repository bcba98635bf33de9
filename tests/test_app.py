"""AppTest on the pages: defaults show the seed, every widget changes what it should."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_figures import as_array as chart_array

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture
def at():
    return AppTest.from_file(APP, default_timeout=120).run()


def text(at):
    parts = [m.value for m in at.markdown] + [c.value for c in at.code]
    parts += [s.value for s in at.subheader] + [c.value for c in at.caption]
    parts += [e.label for e in at.expander]
    return "\n".join(parts)


def open_expander(at, key):
    """Open the lazy expander ``key`` as a click does: its state, then a rerun."""
    if key not in at.session_state or not at.session_state[key]:
        at.session_state[key] = True
        at.run()
    return at


def sidebar_keys(at):
    """Keys of every widget drawn in the sidebar."""
    kinds = ("slider", "selectbox", "number_input", "radio", "checkbox", "button")
    return {widget.key for kind in kinds for widget in at.sidebar.get(kind)}


def summary_rows(at):
    """The model-summary table's rows, as cell tuples (the summary is opened first)."""
    open_expander(at, "summary_open")
    [table] = [m.value for m in at.markdown if m.value.startswith("| Layer (type)")]
    return [
        tuple(cell.strip() for cell in line.strip("|").split("|"))
        for line in table.splitlines()[2:-1]  # the last row holds the totals
    ]


def all_charts(at):
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def charts(at):
    """The tile charts (each with its stage's histogram under the tiles)."""
    return all_charts(at)


def histograms(at):
    """Per chart that has one: the histogram's trace (a filled step outline) and its title."""
    found = []
    for chart in all_charts(at):
        bars = [trace for trace in chart["data"] if trace.get("fill") == "tozeroy"]
        if bars:
            [bar] = bars
            notes = chart["layout"].get("annotations", [])
            [title] = [note["text"] for note in notes if " values in " in note["text"]]
            found.append((bar, title))
    return found


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]
    return True


def test_defaults_reproduce_the_seed(at):
    assert no_exception(at)
    body = text(at)
    assert "(512 + 2*0 - 15)/1 + 1 = 498" in body
    assert "params = 1*(15*15*1) + 1 = 226" in body
    assert "(498 - 2)/2 + 1 = 249" in body
    assert "`(None, 249, 249, 1)`" in body
    assert "reshape to a batch of one: (1, 512, 512, 1)" in body
    assert "original image: (300, 451, 3)" in body
    assert "Total params: 226" in body
    summary = summary_rows(at)
    assert [row[1] for row in summary] == [
        "`(None, 512, 512, 1)`",
        "`(None, 498, 498, 1)`",
        "`(None, 498, 498, 1)`",
        "`(None, 249, 249, 1)`",
    ]
    assert [row[2] for row in summary] == ["0", "226", "0", "0"]
    assert len(charts(at)) == 4
    assert not at.error


def heatmaps(chart):
    """The tiles' hover heatmaps (invisible), not the kernel thumbnails under them."""
    return [t for t in chart["data"] if t["type"] == "heatmap" and t.get("opacity") == 0]


def test_tiles_are_images_with_exact_values_on_hover(at):
    conv = charts(at)[1]
    heatmap, thumbnail, bar = conv["data"]
    assert bar["type"] == "scatter" and "fillgradient" in bar  # the histogram, under the tiles
    assert thumbnail["type"] == "heatmap" and "kernel of filter 1" in thumbnail["hovertemplate"]
    [image] = conv["layout"]["images"]  # the picture: a layout image, under the heatmap
    assert image["source"].startswith("data:image/jpeg;base64,")
    assert (image["xref"], image["yref"], image["layer"]) == ("x", "y", "below")
    assert heatmap["type"] == "heatmap"
    assert "value %{z:.4f}" in heatmap["hovertemplate"]
    assert "hover shows exact values at every 8th pixel" in conv["layout"]["title"]["text"]
    assert conv["layout"]["xaxis"]["title"]["text"] == "column (x)"
    assert conv["layout"]["yaxis"]["title"]["text"] == "row (y)"
    assert conv["layout"]["xaxis"]["range"] == [-0.5, 497.5]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("source", "Astronaut", "original image: (512, 512, 3)"),
        ("color_mode", "rgb", "params = 1*(15*15*3) + 1 = 676"),
        ("input_size", 256, "(256 + 2*0 - 15)/1 + 1 = 242"),
        ("scale_01", True, "pixel values scaled to 0-1"),
        ("kernel_size", 3, "(512 + 2*0 - 3)/1 + 1 = 510"),
        ("filters", 4, "params = 4*(15*15*1) + 4 = 904"),
        ("stride", 2, "floor((512 + 2*0 - 15)/2) + 1 = floor(248.5) + 1 = 249"),
        ("padding_mode", "same", "ceil(512/1) = 512"),
        ("activation", "tanh", "tanh(x)"),
        ("pooling", "average", "average of each window"),
        ("pool_size", 3, "(498 - 3)/3 + 1 = 166"),
        ("pool_stride", 1, "(498 - 2)/1 + 1 = 497"),
    ],
)
def test_each_widget_changes_what_it_should(at, key, value, expected):
    assert expected not in text(at)
    widget = at.sidebar.get("selectbox") + at.sidebar.get("slider") + at.sidebar.get("radio")
    widget += at.sidebar.get("checkbox")
    [target] = [w for w in widget if w.key == key]
    target.set_value(value).run()
    assert no_exception(at)
    assert expected in text(at)
    assert not at.error


def test_explicit_padding(at):
    at.selectbox(key="padding_mode").set_value("explicit").run()
    at.number_input(key="padding").set_value(3).run()
    assert "(512 + 2*3 - 15)/1 + 1 = 504" in text(at)
    assert "zero_padding2d (ZeroPadding2D)" in [row[0] for row in summary_rows(at)]


def test_filters_give_one_tile_each_and_page_past_sixteen(at):
    at.slider(key="filters").set_value(20).run()
    conv = charts(at)[1]
    assert len(heatmaps(conv)) == 16
    at.selectbox(key="tile_page").set_value(1).run()
    conv = charts(at)[1]
    assert [t["name"] for t in heatmaps(conv)] == [f"filter {i}" for i in range(17, 21)]


def test_seed_changes_the_maps(at):
    before = heatmaps(charts(at)[1])[0]["z"]
    at.number_input(key="seed").set_value(4).run()
    assert heatmaps(charts(at)[1])[0]["z"] != before
    assert no_exception(at)


def test_no_activation_or_pooling_drops_their_sections(at):
    at.selectbox(key="activation").set_value("none").run()
    at.selectbox(key="pooling").set_value("none").run()
    headings = [s.value for s in at.subheader]
    assert headings == ["Input", "Convolution"]
    assert len(charts(at)) == 2


def test_zero_output_is_an_error_not_a_traceback(at):
    at.slider(key="input_size").set_value(16).run()
    at.slider(key="kernel_size").set_value(31).run()
    assert no_exception(at)
    [error] = at.error
    assert "(16 + 2*0 - 31)/1 + 1 = -14" in error.value
    assert [s.value for s in at.subheader] == ["Input"]


PAGES = (
    "app.py",
    "pages/1_Convolution_step.py",
    "pages/2_Kernels.py",
    "pages/3_Keras_code.py",
)


def first_after_title(at):
    """The first main-pane element below the page's title and caption."""
    nodes = [at.main.children[index] for index in sorted(at.main.children)]
    return next(node for node in nodes if node.type not in ("title", "caption"))


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"input_size": 16, "kernel_size": 31}, "(16 + 2*0 - 31)/1 + 1 = -14"),
        ({"input_size": 20, "pool_size": 8}, "pooling window is larger than its 6x6 input"),
    ],
)
def test_the_error_comes_first_on_every_page_that_computes_the_layer(at, settings, expected):
    """A student who has just moved a slider sees why, at the top of every page."""
    for page in PAGES:
        at.switch_page(page).run()
        assert first_after_title(at).type != "error", page
    for key, value in settings.items():
        at.slider(key=key).set_value(value).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert no_exception(at)
        first = first_after_title(at)
        assert first.type == "error", (page, first.type)
        assert expected in first.value
        assert len(at.error) == 1


def test_pool_larger_than_its_input_is_an_error(at):
    at.slider(key="input_size").set_value(20).run()
    at.slider(key="pool_size").set_value(8).run()
    assert no_exception(at)
    assert "pooling window is larger than its 6x6 input" in at.error[0].value


def test_reset_restores_the_seed(at):
    at.slider(key="filters").set_value(9).run()
    at.sidebar.button[0].click().run()
    assert at.slider(key="filters").value == 1
    assert "Total params: 226" in text(at)


def test_settings_survive_page_changes(at):
    at.slider(key="filters").set_value(5).run()
    at.switch_page("pages/2_Kernels.py").run()
    assert no_exception(at)
    assert at.slider(key="filters").value == 5
    assert "params = 5*(15*15*1) + 5 = 1130" in at.code[0].value
    at.switch_page("pages/3_Keras_code.py").run()
    assert no_exception(at)
    assert at.slider(key="filters").value == 5
    assert "            5," in at.code[0].value
    at.switch_page("app.py").run()
    assert at.slider(key="filters").value == 5


def with_link(query, page=None):
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in query.items():
        at.query_params[name] = value
    if page is not None:
        at.switch_page(page)
    return at.run()


def query_of(at):
    return {
        name: value[-1] if isinstance(value, list) else value
        for name, value in at.query_params.items()
    }


def test_url_carries_the_spec():
    at = with_link({"filters": "3", "padding": "same", "image": "coffee"})
    assert at.slider(key="filters").value == 3
    assert "ceil(512/1) = 512" in text(at)
    assert "original image: (400, 600, 3)" in text(at)
    at.slider(key="stride").set_value(2).run()
    assert query_of(at) == {"image": "coffee", "filters": "3", "stride": "2", "padding": "same"}


def test_old_names_open_the_same_view_and_the_address_is_rewritten():
    at = with_link(
        {
            "filters": "3",
            "padding_mode": "same",
            "source": "Coffee",
            "kernel_size": "5",
            "lms_user": "42",
        }
    )
    assert no_exception(at) and not at.warning
    assert "ceil(512/1) = 512" in text(at)
    assert "original image: (400, 600, 3)" in text(at)
    assert at.slider(key="kernel_size").value == 5
    assert query_of(at) == {
        "image": "coffee",
        "kernel": "5",
        "filters": "3",
        "padding": "same",
        "lms_user": "42",
    }


def test_bad_link_values_get_one_warning_and_keep_the_rest():
    at = with_link({"filters": "999", "kernel": "banana", "stride": "2", "utm_source": "x"})
    assert no_exception(at)
    [warning] = at.warning
    assert "`filters=999` is not a whole number between 1 and 64, so the default 1 is used" in (
        warning.value
    )
    assert "`kernel=banana` is not a whole number between 1 and 31" in warning.value
    assert "utm_source" not in warning.value
    assert "floor((512 + 2*0 - 15)/2) + 1" in text(at)
    assert "Total params: 226" in text(at)
    assert query_of(at) == {"stride": "2", "utm_source": "x"}
    at.slider(key="filters").set_value(2).run()
    assert not at.warning


def test_garbage_in_every_field_gives_the_defaults_and_names_each():
    from cnn_core.links import BLOCK, PIPELINE

    names = [entry.name for entry in (*PIPELINE, *BLOCK)]
    at = with_link({name: "banana?" for name in names})
    assert no_exception(at)
    [warning] = at.warning
    for name in names:
        assert f"`{name}=banana?`" in warning.value
    assert "Total params: 226" in text(at)
    assert "original image: (300, 451, 3)" in text(at)
    assert len(charts(at)) == 4
    assert query_of(at) == {}
    assert at.slider(key="filters").value == 1


SETTING_WIDGETS = (
    "selectbox",
    "slider",
    "radio",
    "checkbox",
    "number_input",
    "text_input",
    "button",
    "file_uploader",
)


def test_closed_expanders_send_nothing_and_opening_one_fills_it(at):
    """The model summary and "Share this view" start closed, and their contents
    (a table, a receptive-field picture, two links) are only made when opened."""
    assert [e.label.split(" ")[0] for e in at.expander] == ["InputLayer", "Share"]
    assert not at.sidebar.code
    assert not [m for m in at.markdown if m.value.startswith("| Layer (type)")]
    assert not at.get("image")
    assert "Total params: 226" in at.expander[0].label  # the label still says it
    open_expander(at, "summary_open")
    assert no_exception(at)
    assert len(summary_rows(at)) == 4
    assert len(at.get("image")) == 1  # the receptive field on the input
    assert any("Receptive field" in c.value for c in at.caption)
    assert not at.sidebar.code
    open_expander(at, "share_open")
    assert [c.value for c in at.sidebar.code] == ["/", "/?lock=1"]
    # A change of shapes changes the summary's label, and the summary stays open.
    at.slider(key="stride").set_value(2).run()
    assert summary_rows(at)[1][1] == "`(None, 249, 249, 1)`"
    assert at.session_state["summary_open"]
    at.slider(key="stride").set_value(1).run()
    at.session_state["summary_open"] = False
    at.run()
    assert not at.get("image") and len(at.sidebar.code) == 2


def test_share_shows_the_link_of_the_current_view(at):
    open_expander(at, "share_open")
    assert [c.value for c in at.sidebar.code] == ["/", "/?lock=1"]
    at.slider(key="stride").set_value(2).run()
    at.selectbox(key="source").set_value("Astronaut").run()
    assert [c.value for c in at.sidebar.code] == [
        "/?image=astronaut&stride=2",
        "/?image=astronaut&stride=2&lock=1",
    ]
    at.selectbox(key="source").set_value("Upload").run()
    assert "An uploaded image cannot travel in a link" in at.sidebar.info[-1].value
    assert at.sidebar.code[0].value == "/?stride=2"
    at.selectbox(key="source").set_value("URL").run()
    at.text_input(key="image_url").input("http://127.0.0.1:9/a&b.png").run()
    assert at.sidebar.code[0].value == "/?url=http://127.0.0.1:9/a%26b.png&stride=2"
    assert query_of(at) == {"url": "http://127.0.0.1:9/a&b.png", "stride": "2"}


LOCKED = {"kernel": "5", "stride": "2", "filters": "2", "padding": "same", "image": "coins"}


@pytest.mark.parametrize(
    "page",
    [None, "pages/1_Convolution_step.py", "pages/2_Kernels.py", "pages/3_Keras_code.py"],
)
def test_locked_view_has_no_settings(page):
    at = with_link(LOCKED | {"lock": "1"}, page)
    assert no_exception(at)
    for kind in SETTING_WIDGETS:
        assert not at.sidebar.get(kind), kind
    assert "Locked view: settings come from the link" in at.sidebar.info[0].value
    assert at.sidebar.code[0].value == "/?image=coins&kernel=5&filters=2&stride=2&padding=same"
    assert query_of(at) == LOCKED | {"lock": "1"}


def test_locked_figures_match_the_links_spec():
    locked = with_link(LOCKED | {"lock": "1"})
    free = with_link(LOCKED)
    assert no_exception(locked)
    assert "ceil(512/2) = 256" in text(locked)
    assert "params = 2*(5*5*1) + 2 = 52" in text(locked)
    assert charts(locked) == charts(free)
    assert summary_rows(locked) == summary_rows(free)


def test_nothing_a_student_does_changes_a_locked_view():
    at = with_link(LOCKED | {"lock": "1"})
    before = charts(at)
    at.session_state["filters"] = 9
    at.session_state["source"] = "Astronaut"
    at.query_params["filters"] = "9"
    at.run()
    assert no_exception(at)
    assert charts(at) == before
    assert query_of(at) == LOCKED | {"lock": "1"}


def test_locked_link_with_an_unreachable_image_shows_its_sample():
    at = with_link({"url": "http://127.0.0.1/cat.png", "image": "coffee", "lock": "1"})
    assert no_exception(at)
    assert "127.0.0.1" in at.sidebar.error[0].value
    assert "original image: (400, 600, 3)" in text(at)
    assert len(charts(at)) == 4
    assert query_of(at) == {"image": "coffee", "url": "http://127.0.0.1/cat.png", "lock": "1"}


def test_kernels_page_even_when_the_conv_cannot_run(at):
    at.slider(key="input_size").set_value(16).run()
    at.slider(key="kernel_size").set_value(31).run()
    at.switch_page("pages/2_Kernels.py").run()
    assert no_exception(at)
    kernel = charts(at)[0]
    assert len(kernel["data"]) == 1
    assert "limit = sqrt(6 / (31*31*1 + 31*31*1))" in at.code[0].value


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/cat.png", "127.0.0.1"),
        ("http://127.0.0.1:8501/cat.png", "port 8501"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("file:///etc/passwd", "http"),
    ],
)
def test_url_source_refuses_unsafe_addresses_and_keeps_the_image(at, url, reason):
    at.selectbox(key="source").set_value("URL").run()
    assert "showing the last image" in at.sidebar.info[0].value
    at.text_input(key="image_url").input(url).run()
    assert no_exception(at)
    [error] = at.sidebar.error
    assert reason in error.value
    assert "original image: (300, 451, 3)" in text(at)
    assert len(charts(at)) == 4


def test_upload_source_states_the_limits(at):
    at.selectbox(key="source").set_value("Upload").run()
    assert no_exception(at)
    assert "20 MB" in " ".join(c.value for c in at.sidebar.caption)
    assert "original image: (300, 451, 3)" in text(at)


def _random_settings(seed):
    import random

    rng = random.Random(seed)
    return {
        "color_mode": rng.choice(["grayscale", "rgb"]),
        "input_size": rng.choice([16, 17, 40, 100, 333]),
        "kernel_size": rng.randint(1, 31),
        "filters": rng.choice([1, 2, 5]),
        "stride": rng.randint(1, 8),
        "padding_mode": rng.choice(["valid", "same", "explicit"]),
        "activation": rng.choice(["none", "relu", "sigmoid", "tanh", "leaky_relu", "elu"]),
        "pooling": rng.choice(["none", "max", "average"]),
        "pool_size": rng.randint(1, 8),
        "pool_stride": rng.randint(0, 8),
    }


@pytest.mark.parametrize("seed", range(8))
def test_random_settings_compute_or_explain(seed):
    """Any combination the sidebar allows gives maps, or an error naming the numbers."""
    settings = _random_settings(seed)
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in settings.items():
        at.session_state[key] = value
    at.session_state["_initialised"] = True  # as if the user had set them
    at.run()
    assert no_exception(at)
    assert at.slider(key="kernel_size").value == settings["kernel_size"]
    assert at.slider(key="input_size").value == settings["input_size"]
    headings = [s.value for s in at.subheader]
    assert headings[0] == "Input"
    assert len(charts(at)) == len(headings)
    if at.error:
        [error] = at.error
        assert "would be zero or negative" in error.value
        assert any(char.isdigit() for char in error.value)
    else:
        assert "Convolution" in headings


def test_each_stage_has_a_histogram_counted_from_the_full_maps(at):
    hists = histograms(at)
    assert len(hists) == len(all_charts(at)) == 4  # one chart per stage, histogram inside
    # The outline's points are the bins, with the first and last repeated at the edges.
    counts = [chart_array(bar["y"])[1:-1] for bar, _ in hists]
    assert [int(np.sum(c)) for c in counts] == [512 * 512, 498 * 498, 498 * 498, 249 * 249]
    assert all(len(c) <= 64 for c in counts)
    titles = [title for _, title in hists]
    assert "exactly zero" not in titles[0] and "exactly zero" not in titles[1]
    assert "exactly zero: " in titles[2] and "exactly zero: " in titles[3]


def test_color_scale_changes_the_ranges_not_the_values(at):
    assert at.radio(key="color_scale").value == "per stage"
    conv = heatmaps(charts(at)[1])[0]
    assert conv["zmin"] == -conv["zmax"]  # the convolution is signed: centred on zero
    activation = heatmaps(charts(at)[2])[0]
    assert activation["zmin"] == 0
    at.radio(key="color_scale").set_value("whole pipeline").run()
    assert no_exception(at)
    ranges = [(h["zmin"], h["zmax"]) for h in map(lambda c: heatmaps(c)[0], charts(at))]
    input_range, conv_range, act_range, pool_range = ranges
    assert input_range == act_range == pool_range
    assert conv_range[0] == -conv_range[1] == -max(abs(v) for v in input_range)
    # The setting survives a page change.
    at.switch_page("pages/2_Kernels.py").run()
    at.switch_page("app.py").run()
    assert at.radio(key="color_scale").value == "whole pipeline"


# ----------------------------------------------------------------------------- blocks


def test_adding_blocks_shows_every_stage_of_every_block(at):
    at.slider(key="filters").set_value(8).run()
    at.slider(key="blocks").set_value(3).run()
    assert no_exception(at)
    assert not at.error
    # A new block's expander starts closed, with no widgets drawn in it.
    assert "filters_2" not in sidebar_keys(at) and "Block 2" in text(at)
    open_expander(at, "block_expander_2")
    open_expander(at, "block_expander_3")
    # New blocks: 3x3, twice the filters before (16, 32), same, relu, max 2.
    assert at.slider(key="filters_2").value == 16
    assert at.slider(key="filters_3").value == 32
    assert [e.label for e in at.sidebar.expander if e.label.startswith("Block")] == [
        "Block 2: 16x3x3, stride 1, same, relu, max 2",
        "Block 3: 32x3x3, stride 1, same, relu, max 2",
    ]
    assert [h.value for h in at.main.header] == [
        "Block 1: 8x15x15, stride 1, valid, relu, max 2",
        "Block 2: 16x3x3, stride 1, same, relu, max 2",
        "Block 3: 32x3x3, stride 1, same, relu, max 2",
    ]
    # Every stage has a section; the last block's are open, the rest closed
    # (drawn as their bars only: no chart, no formula, nothing sent).
    sections = [e.label for e in at.main.expander][1:]  # after the summary
    assert [label.split(" · ")[0] for label in sections] == [
        "input_layer",
        *["conv2d", "activation", "max_pooling2d"],
        *["conv2d_1", "activation_1", "max_pooling2d_1"],
        *["conv2d_2", "activation_2", "max_pooling2d_2"],
    ]
    assert len(charts(at)) == 3
    assert "ceil(249/1) = 249" not in text(at)
    # One click opens a section, and it stays open through a setting change.
    open_expander(at, "stage_open_conv_2")
    assert len(charts(at)) == 4
    assert "ceil(249/1) = 249" in text(at)
    at.slider(key="filters").set_value(4).run()
    assert len(charts(at)) == 4
    at.slider(key="filters").set_value(8).run()
    assert [row[0] for row in summary_rows(at)][4:7] == [
        "conv2d_1 (Conv2D)",
        "activation_1 (Activation)",
        "max_pooling2d_1 (MaxPooling2D)",
    ]
    assert summary_rows(at)[-1][1] == "`(None, 62, 62, 32)`"
    # The overview row: one thumbnail per stage, each a link to its section.
    [overview] = [m.value for m in at.markdown if m.value.startswith("<div")]
    assert overview.count("<img") == 10
    assert 'href="#stage-pool-3"' in overview
    assert len(overview) < 40_000
    # Each block's thumbnails follow one filter, named in their tooltips.
    names = re.findall(r'title="block (\d) · ([^"]*) · filter (\d+)"', overview)
    assert [(block, stage.split(":")[0]) for block, stage, _ in names] == [
        (str(n), kind) for n in (1, 2, 3) for kind in ("Convolution", "Activation", "Max pooling")
    ]
    for block in "123":
        assert len({number for b, _, number in names if b == block}) == 1
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["NPZ: every stage", *["PNG"] * 4]  # one per open stage
    # Fewer blocks again drops their sections.
    at.slider(key="blocks").set_value(1).run()
    assert len(charts(at)) == 4
    assert not at.main.button  # one block: nothing to open or close


def test_every_section_opens_and_closes_at_once(at):
    at.slider(key="blocks").set_value(3).run()
    assert len(charts(at)) == 3
    at.button(key="open_all_sections").click().run()
    assert no_exception(at)
    assert not at.warning
    assert len(charts(at)) == 1 + 3 * 3
    at.slider(key="stride").set_value(2).run()  # they stay open
    assert len(charts(at)) == 10
    at.button(key="close_all_sections").click().run()
    assert charts(at) == []
    open_expander(at, "stage_open_pool_2")  # and each still opens on its own
    assert len(charts(at)) == 1


def test_each_block_has_its_own_settings_that_survive_page_changes(at):
    at.slider(key="blocks").set_value(2).run()
    open_expander(at, "block_expander_2")
    at.slider(key="kernel_size_2").set_value(5).run()
    # Still open, though its title (part of its identity) followed the change.
    assert at.sidebar.expander[0].label.startswith("Block 2: 2x5x5")
    at.slider(key="dilation_2").set_value(2).run()
    assert "k_eff = 2*(5 - 1) + 1 = 9" in text(at)
    at.session_state["block_expander_2"] = False
    at.run()
    assert "kernel_size_2" not in sidebar_keys(at)
    assert "k_eff = 2*(5 - 1) + 1 = 9" in text(at)  # a closed block's settings stay
    at.slider(key="stride").set_value(2).run()
    assert "kernel_size_2" not in sidebar_keys(at)  # and it stays closed
    at.slider(key="stride").set_value(1).run()
    at.switch_page("pages/2_Kernels.py").run()
    assert no_exception(at)
    assert len(charts(at)) == 2
    assert "params = 2*(5*5*1) + 2 = 52" in [c.value for c in at.code][1]
    at.switch_page("pages/3_Keras_code.py").run()
    assert "dilation_rate=(2, 2)" in at.code[0].value
    at.switch_page("pages/1_Convolution_step.py").run()  # explains block 1
    assert no_exception(at)
    assert "15x15 kernel" in " ".join(c.value for c in at.caption)
    at.switch_page("app.py").run()
    open_expander(at, "block_expander_2")
    assert at.slider(key="kernel_size_2").value == 5
    assert at.slider(key="blocks").value == 2


def test_stride_with_dilation_is_an_error_naming_both(at):
    at.slider(key="dilation").set_value(3).run()
    at.slider(key="stride").set_value(2).run()
    assert no_exception(at)
    [error] = at.error
    assert "stride 2 with dilation 3" in error.value


def test_url_carries_blocks_and_old_links_open_the_same_view():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["blocks"] = "2"
    at.query_params["kernel_2"] = "5"
    at.run()
    assert no_exception(at)
    open_expander(at, "block_expander_2")
    assert at.slider(key="kernel_size_2").value == 5
    at.slider(key="stride_2").set_value(2).run()
    assert at.query_params["stride_2"] in ("2", ["2"])
    assert at.query_params["blocks"] in ("2", ["2"])
    old = AppTest.from_file(APP, default_timeout=120)
    old.query_params["filters"] = "3"
    old.query_params["padding_mode"] = "same"
    old.run()
    assert old.slider(key="blocks").value == 1
    assert [row[1] for row in summary_rows(old)][-1] == "`(None, 256, 256, 3)`"


def _expensive(at):
    """Block 2 of 64 5x5 filters over 64 channels at 512: about 27 G multiply-adds."""
    at.session_state["blocks"] = 2
    for key, value in {
        "kernel_size": 3,
        "filters": 64,
        "padding_mode": "same",
        "pooling": "none",
        "kernel_size_2": 5,
        "filters_2": 64,
        "padding_mode_2": "same",
        "pooling_2": "none",
    }.items():
        at.session_state[key] = value
    at.session_state["_initialised"] = True
    return at.run()


def test_cost_guard_stops_an_expensive_setting_until_run_anyway():
    at = _expensive(AppTest.from_file(APP, default_timeout=120))
    assert no_exception(at)
    [warning] = at.warning
    assert "Not started: this setting needs 26,994,540,544 multiply-adds" in warning.value
    assert "fewer filters in block 2: 64 → " in warning.value
    assert charts(at) == []
    assert "Total params: 103,104" in text(at)  # the summary is still there
    at.button(key="run_anyway").click().run()
    assert no_exception(at)
    assert not at.warning
    assert len(charts(at)) == 2  # the last block's sections: conv and activation


def test_cost_guard_lets_an_affordable_setting_run(at):
    at.slider(key="filters").set_value(64).run()
    assert not at.warning
    assert len(charts(at)) == 4


def test_downloads_are_offered(at):
    # Built only on a click (a callable): tests/e2e/test_links.py downloads them.
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["NPZ: every stage", "PNG", "PNG", "PNG", "PNG"]
    assert "more than the" not in text(at)


def test_npz_of_a_big_layer_holds_the_filters_on_screen():
    at = with_link({"filters": "64"})
    assert no_exception(at)
    [npz] = [b for b in at.get("download_button") if b.proto.label.startswith("NPZ")]
    assert npz.proto.label == "NPZ: every stage, filters 1-16"
    assert "All 64 filters would be 137 MB of float32, more than the 64 MB" in text(at)
    at.selectbox(key="tile_page").set_value(2).run()
    [npz] = [b for b in at.get("download_button") if b.proto.label.startswith("NPZ")]
    assert npz.proto.label == "NPZ: every stage, filters 33-48"


def test_keras_code_page_shows_the_summary_the_script_prints():
    at = with_link({"padding": "2", "pooling": "average"}, "pages/3_Keras_code.py")
    assert no_exception(at)
    summary = at.code[1].value
    assert summary.startswith('Model: "sequential"')
    assert "zero_padding2d (ZeroPadding2D)" in summary
    assert "(None, 502, 502, 1)" in summary
    assert "Total params: 226" in summary


def test_a_locked_link_that_asks_for_an_upload_shows_the_cat():
    at = with_link({"source": "Upload", "lock": "1"})
    assert no_exception(at)
    [warning] = at.warning
    assert "`source=Upload` is not one of `chelsea`" in warning.value
    assert "so the default chelsea is used" in warning.value
    assert "original image: (300, 451, 3)" in text(at)
    assert len(charts(at)) == 4
    assert not at.sidebar.get("file_uploader")


def test_stage_figures_are_built_once_per_setting_and_shared(at, monkeypatch):
    """A rerun that changes nothing builds no figure; a change of activation
    rebuilds only the stages it changes; a new session on a setting another
    session has drawn builds none."""
    import ui.stages

    built = []
    original = ui.stages.stage_figure

    def counting(*args, **kwargs):
        built.append(kwargs.get("title"))
        return original(*args, **kwargs)

    monkeypatch.setattr(ui.stages, "stage_figure", counting)
    at.run()
    assert no_exception(at) and built == []
    at.selectbox(key="activation").set_value("tanh").run()
    assert no_exception(at)
    assert len(built) == 2  # the activation and pooling stages; input and conv are unchanged
    before = charts(at)
    again = AppTest.from_file(APP, default_timeout=120).run()
    again.selectbox(key="activation").set_value("tanh").run()
    assert no_exception(again) and len(built) == 2
    assert charts(again) == before


def test_a_reconnecting_browser_keeps_its_widget_values_over_the_link():
    """A browser whose server lost its session (a restart, or a failed replica
    behind the balancer) sends all its widget values with its first run on the
    new server; a change the student just made must not be replaced by the link's."""
    first = AppTest.from_file(str(APP), default_timeout=120)
    first.query_params["stride"] = "2"
    first.run()
    first.selectbox(key="pooling").set_value("none")
    first.selectbox(key="activation").set_value("tanh")
    sent = first._tree.get_widget_states()  # what the page holds and sends again
    again = AppTest.from_file(str(APP), default_timeout=120)  # a new session, same link
    again.query_params["stride"] = "2"
    again._run(widget_state=sent)
    assert no_exception(again)
    assert again.selectbox(key="pooling").value == "none"
    assert again.selectbox(key="activation").value == "tanh"
    assert again.slider(key="stride").value == 2
    assert "MaxPooling2D" not in text(again)  # the maps follow the browser too
    # A fresh page load (nothing sent) still takes every setting from the link.
    fresh = AppTest.from_file(str(APP), default_timeout=120)
    fresh.query_params["stride"] = "2"
    fresh.query_params["pooling"] = "average"
    fresh.run()
    assert fresh.selectbox(key="pooling").value == "average"


def test_every_chart_on_every_page_carries_its_own_style():
    """No chart is sent with a template or Streamlit's theme (``cnn_core.screen``):
    either would make the browser recompute it in full on the second draw."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    seen = 0
    pages = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*.py"))
    for page in ["app.py", *pages]:
        at.switch_page(page).run()
        assert no_exception(at)
        for chart in at.get("plotly_chart"):
            layout = json.loads(chart.proto.spec)["layout"]
            assert chart.proto.theme == "", page
            assert "template" not in layout and "datarevision" in layout, page
            assert layout["font"]["family"].startswith('"Source Sans"'), page
            seen += 1
    assert seen >= 8
