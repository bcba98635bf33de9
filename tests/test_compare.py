"""Compare: B as differences from A in the link, the quick comparisons, what
differs (stages, summary cells, formula numbers), the shared colour range,
and the page under AppTest."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from cnn_core.compare import (
    B_NAMES,
    PREFIX,
    QUICK,
    aligned_lines,
    b_query,
    b_spec,
    edit_b,
    quick_spec,
    shared_range,
    stage_differences,
    table_cells,
)
from cnn_core.errors import SpecError
from cnn_core.images import DEFAULT_SAMPLE, load_sample
from cnn_core.links import is_link_name, parse_link
from cnn_core.shapes import plan_pipeline
from cnn_core.spec import LIMITS, PipelineSpec

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "pages/5_Compare.py"
CAT = load_sample(DEFAULT_SAMPLE)


def test_valid_and_same_differ_in_the_conv_and_pool_sizes_and_nowhere_else():
    a = plan_pipeline(PipelineSpec(), CAT.shape)
    b = plan_pipeline(PipelineSpec.single(padding_mode="same"), CAT.shape)
    # The activation keeps the convolution's size, so it differs with it.
    assert stage_differences(a, b) == {
        "input": (),
        "conv": ("shape", "macs"),
        "activation": ("shape",),
        "pool": ("shape",),
    }
    marked = {
        (row[0][0][0], column)
        for row in table_cells(a, b)
        for column, (_, differs) in enumerate(row[0])
        if differs
    }
    assert marked == {
        ("conv2d (Conv2D)", 1),
        ("activation (Activation)", 1),
        ("max_pooling2d (MaxPooling2D)", 1),
    }
    for row in table_cells(a, b):  # both sides mark the same cells
        assert [d for _, d in row[0]] == [d for _, d in row[1]]
    rows = aligned_lines(a.stage("pool").formulas, b.stage("pool").formulas)
    assert [[text for text, differs in side if differs] for side in rows[0]] == [
        ["498", "249"],
        ["512", "256"],
    ]
    assert all(not differs for side in rows[1] for _, differs in side)
    input_rows = aligned_lines(a.stage("input").formulas, b.stage("input").formulas)
    assert all(not differs for row in input_rows for side in row for _, differs in side)


def test_a_stage_only_one_side_computes_is_missing():
    a = plan_pipeline(PipelineSpec.single(input_size=16, kernel_size=3))
    b = plan_pipeline(PipelineSpec.single(input_size=16, kernel_size=31))
    differences = stage_differences(a, b)
    assert differences["input"] == ()
    assert differences["conv"] == differences["pool"] == ("missing",)
    cells = table_cells(a, b)
    assert cells[1][1] == (("", True), ("", True), ("", True))


def test_explicit_padding_adds_a_stage_on_one_side():
    a = plan_pipeline(PipelineSpec())
    b = plan_pipeline(PipelineSpec.single(padding_mode="explicit", padding=2))
    assert stage_differences(a, b)["padding"] == ("missing",)


@pytest.mark.parametrize("name", list(QUICK))
def test_each_quick_comparison_is_one_change_and_goes_back(name):
    a = PipelineSpec()
    b = quick_spec(a, name)
    query = b_query(a, b)
    assert len(query) == 1, query
    assert b_spec(a, query) == (b, ())
    assert quick_spec(b, name) == a


def test_a_quick_kernel_size_the_kernel_choice_lacks_falls_back_to_random():
    a = PipelineSpec.single(kernel_size=3, weights="bank", filters=11)
    b = quick_spec(a, "kernel")
    assert b.blocks[0].kernel_size == 15 and b.blocks[0].weights == "random"


def test_b_names_are_not_the_sidebars_so_its_link_writer_keeps_them():
    for entry in B_NAMES:
        assert not is_link_name(PREFIX + entry.name), entry.name
    # A link with B's names opens A's view unchanged on the other pages.
    assert parse_link({"b_padding": "same", "stride": "2"}).spec == PipelineSpec.single(stride=2)


def test_b_follows_a_with_its_differences():
    difference = {"b_padding": "same"}
    a = PipelineSpec.single(stride=2, filters=4)
    b, rejected = b_spec(a, difference)
    assert rejected == ()
    assert b == PipelineSpec.single(stride=2, filters=4, padding_mode="same")


def test_bad_b_values_are_rejected_one_by_one():
    b, rejected = b_spec(PipelineSpec(), {"b_kernel": "banana", "b_stride": "3", "B_POOL": " 4 "})
    assert b == PipelineSpec.single(stride=3, pool_size=4)
    assert [(r.name, r.value, r.default) for r in rejected] == [("b_kernel", "banana", "15")]


def test_b_values_that_make_no_valid_spec_leave_b_as_a():
    a = PipelineSpec()
    b, rejected = b_spec(a, {"b_weights": "custom", "b_stride": "2"})
    assert b == a
    assert sorted(r.name for r in rejected) == ["b_stride", "b_weights"]


def test_edit_b_refuses_unknown_fields_and_bad_values():
    a = PipelineSpec()
    with pytest.raises(TypeError, match="fields"):
        edit_b(a, a, depth=2)
    with pytest.raises(SpecError):
        edit_b(a, a, kernel_size=99)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(*LIMITS["input_size"]),
    kernel=st.integers(*LIMITS["kernel_size"]),
    stride=st.integers(*LIMITS["stride"]),
    padding=st.sampled_from(["valid", "same", "explicit"]),
    color=st.sampled_from(["grayscale", "rgb"]),
    pooling=st.sampled_from(["none", "max", "average"]),
)
def test_b_round_trips_through_its_link(size, kernel, stride, padding, color, pooling):
    a = PipelineSpec.single(filters=2)
    b = edit_b(
        a,
        a,
        input_size=size,
        kernel_size=kernel,
        stride=stride,
        padding_mode=padding,
        color_mode=color,
        pooling=pooling,
    )
    query = b_query(a, b)
    assert all(name.startswith(PREFIX) for name in query)
    assert b_spec(a, query) == (b, ())


def test_aligned_lines_pair_lines_that_say_the_same_thing():
    rows = aligned_lines(
        ["ceil(512/2) = 256", "pad = max(15 - 2, 0) = 13", "params = 226"],
        ["(512 - 15)/2 + 1 = 249", "params = 226"],
    )
    assert rows[-1] == ([("params = 226", False)], [("params = 226", False)])
    assert len(rows) == 3
    # Lines with the same words: only the numbers that differ are marked.
    [(a, b)] = aligned_lines(["MACs = 55,800,900"], ["MACs = 58,982,400"])
    assert a == [("MACs = ", False), ("55,800,900", True)]
    assert b == [("MACs = ", False), ("58,982,400", True)]


def test_shared_range_spans_both_sides():
    (low_a, high_a), (low_b, high_b) = shared_range(
        [(np.array([-3.0]), np.array([1.0])), (np.array([0.0, 0.5]), np.array([2.0, 9.0]))],
        signed=True,
    )
    assert low_a.tolist() == [-9.0] and high_a.tolist() == [9.0]
    assert low_b.tolist() == [-9.0, -9.0] and high_b.tolist() == [9.0, 9.0]


# -- the page under AppTest ----------------------------------------------------------


def open_compare(lang="en", **query):
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(elements):
    return "\n".join(str(element.value) for element in elements)


def test_the_page_opens_on_valid_vs_same_and_marks_the_differences():
    at = open_compare()
    assert at.query_params["b_padding"] == "same"
    tables = [m.value for m in at.markdown if m.value.startswith("| ")]
    a_table, b_table = tables[0], tables[1]
    assert ":orange-background[**(None, 498, 498, 1)**]" in a_table
    assert ":orange-background[**(None, 512, 512, 1)**]" in b_table
    assert "| 226 |" in a_table and "| 226 |" in b_table  # parameters: not marked
    # One chart per stage and side, each pair on one colour range.
    charts = at.get("plotly_chart")
    assert len(charts) == 8
    captions = _texts(at.caption)
    assert "Differs: output shape, multiply-adds." in captions
    assert "The same shape, parameters and multiply-adds in A and B." in captions


def test_highlighted_lines_keep_their_spaces_outside_the_bold():
    # Same padding on the left, "same" on the right: B's padding lines have no
    # partner, and one of them is indented ("  = 7 top/left + 7 bottom/right").
    at = open_compare()
    rows = [m.value for m in at.markdown if m.value.startswith("| A | B |")]
    formulas = "\n".join(rows)
    assert ":orange-background[**= 7 top/left + 7 bottom/right**]" in formulas
    assert not re.search(r"\*\*\s|\s\*\*\]", formulas)  # no "** x" nor "x **]"


def test_quick_comparisons_and_the_controls_edit_b_and_the_link():
    at = open_compare(stride="2")
    at.button(key="compare_quick_pooling").click().run()
    assert not at.exception
    assert at.query_params.get("b_pooling") == "average"
    assert "b_padding" not in at.query_params
    at.number_input(key="compare_b_kernel_size").set_value(5).run()
    assert not at.exception
    assert at.query_params["b_kernel"] == "5" and at.query_params["b_pooling"] == "average"
    assert at.query_params["stride"] == "2"


def test_a_b_that_cannot_be_computed_shows_the_feature_maps_error():
    at = open_compare(b_size="16", b_kernel="31")
    expected = plan_pipeline(PipelineSpec.single(input_size=16, kernel_size=31), CAT.shape).error
    assert str(expected) in _texts(at.error)
    assert "Not computed for this setting" in _texts(at.info)


def test_a_bad_b_value_is_named():
    at = open_compare(b_kernel="banana", b_stride="2")
    assert "`b_kernel=banana`" in _texts(at.warning)
    assert at.query_params["b_stride"] == "2"


def test_the_compare_page_in_chinese():
    at = open_compare(lang="zh")
    captions = _texts(at.caption)
    assert "不同之处：输出形状、乘加次数。" in captions
    assert at.button(key="compare_quick_padding").label == "valid 与 same"


def test_a_locked_link_fixes_b_too():
    at = open_compare(lock="1", b_stride="2")
    assert [button.key for button in at.button if str(button.key).startswith("compare_")] == []
    assert at.query_params["b_stride"] == "2"
    assert len(at.get("plotly_chart")) == 8


def test_as_error_comes_first_and_bs_in_its_column():
    at = open_compare(size="16", kernel="31", b_kernel="3")
    nodes = [at.main.children[index] for index in sorted(at.main.children)]
    first = next(node for node in nodes if node.type not in ("title", "caption"))
    assert first.type == "error"
    assert "(16 + 2*0 - 31)/1 + 1 = -14" in first.value
    assert len(at.error) == 1  # B (kernel 3) computes


@pytest.mark.parametrize(
    "query", [{}, {"size": "16", "kernel": "31"}, {"b_mode": "rgb", "b_filters": "8"}]
)
def test_the_compare_page_in_chinese_leaves_no_english(query):
    from tests.test_i18n_ui import english_left

    at = open_compare(lang="zh", **query)
    at.button(key="compare_quick_stride").click().run()
    assert not at.exception
    assert english_left(at) == []
