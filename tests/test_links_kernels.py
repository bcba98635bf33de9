"""The kernel choice in links: weights=, bias=, w= in the names table."""

import pytest

from cnn_core.links import BLOCK, parse_link, spec_to_query
from cnn_core.spec import BlockSpec, PipelineSpec


@pytest.mark.parametrize(
    "spec",
    [
        PipelineSpec.single(weights="sobel_x", kernel_size=5, bias=-2.5),
        PipelineSpec.single(weights="bank", kernel_size=3, filters=11, color_mode="rgb"),
        PipelineSpec.single(weights="custom", kernel_size=2, custom=(1.0, -1.0, 0.1, 1e-3)),
        PipelineSpec.single(weights="gabor", kernel_size=31, bias=0.1),
    ],
    ids=lambda s: s.blocks[0].weights,
)
def test_kernel_choice_round_trips_through_a_link(spec):
    query = spec_to_query(spec)
    assert query["weights"] == spec.blocks[0].weights
    state = parse_link(query)
    assert state.spec == spec and state.rejected == ()


def test_names_are_block_entries_and_short():
    assert {"weights", "bias", "w"} <= {entry.name for entry in BLOCK}
    spec = PipelineSpec.single(
        weights="custom", kernel_size=2, custom=(1.0, -1.0, 0.5, 0.0), bias=3.0
    )
    assert spec_to_query(spec) == {
        "kernel": "2",
        "weights": "custom",
        "bias": "3",
        "w": "1,-1,0.5,0",
    }
    assert spec_to_query(PipelineSpec.single()) == {}


def test_a_preset_moves_to_a_size_it_has_and_says_so():
    state = parse_link({"weights": "sobel_y", "kernel": "4", "filters": "9"})
    assert (state.spec.blocks[0].kernel_size, state.spec.blocks[0].filters) == (5, 1)
    rejection, filters = state.rejected
    assert (filters.name, filters.value, filters.default) == ("filters", "9", "1")
    assert rejection.allowed.kind == "kernel_size"
    assert rejection.allowed.choices == (
        "Sobel y exists at a kernel size that is odd, 3-31, so Kernel size moved from 4 to 5.",
    )
    state = parse_link({"weights": "bank"})
    assert (state.spec.blocks[0].kernel_size, state.spec.blocks[0].filters) == (3, 11)


@pytest.mark.parametrize("w", ["1,2,3", "1,2,x,4,5,6,7,8,9", "", "1,2,3,4"])
def test_a_bad_w_falls_back_to_random_and_names_it(w):
    state = parse_link({"weights": "custom", "kernel": "3", "w": w, "bias": "2"})
    assert state.spec == PipelineSpec.single(kernel_size=3)
    w_lines = [r for r in state.rejected if r.name == "w"]
    assert len(w_lines) == 1
    assert (w_lines[0].value, w_lines[0].allowed.low, w_lines[0].default) == (
        w,
        9,
        "weights=random",
    )


def test_bias_with_random_weights_and_w_without_custom_are_left_out():
    state = parse_link({"bias": "2", "weights": "random"})
    assert state.spec.blocks[0].bias == 0 and [r.name for r in state.rejected] == ["bias"]
    state = parse_link({"weights": "emboss", "w": "1"})
    assert state.spec == PipelineSpec.single(weights="emboss", kernel_size=3)
    assert [r.allowed.kind for r in state.rejected] == ["numbers_custom", "kernel_size"]


@pytest.mark.parametrize("bias", ["nan", "inf", "1e7", "x"])
def test_a_bad_bias_is_rejected(bias):
    state = parse_link({"weights": "identity", "kernel": "3", "bias": bias})
    assert state.spec.blocks[0].bias == 0 and state.rejected[0].name == "bias"


def test_later_blocks_carry_their_own_choice():
    spec = PipelineSpec(
        blocks=(
            BlockSpec(),
            BlockSpec(kernel_size=3, filters=1, weights="custom", custom=(0.0,) * 8 + (1.0,)),
        )
    )
    query = spec_to_query(spec)
    assert query["weights_2"] == "custom" and query["w_2"] == "0,0,0,0,0,0,0,0,1"
    assert parse_link(query).spec == spec
    state = parse_link({"blocks": "2", "weights_2": "custom", "w_2": "1,2"})
    assert state.spec.blocks[1].weights == "random"
    assert [(r.name, r.default) for r in state.rejected] == [("w_2", "weights_2=random")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"weights": "sobel_x", "filters": "8"}, [("filters", "8", "1")]),
        ({"weights": "bank", "filters": "4", "kernel": "3"}, [("filters", "4", "11")]),
        ({"weights": "sobel_x", "filters": "1"}, []),
        ({"weights": "random", "filters": "8"}, []),
        ({"weights": "sobel_x", "filters": "banana"}, [("filters", "banana", "1")]),
        (
            {"blocks": "2", "weights_2": "laplacian", "filters_2": "16"},
            [("filters_2", "16", "1")],
        ),
    ],
)
def test_a_filter_count_a_kernel_choice_overrules_is_reported(query, expected):
    state = parse_link(query)
    got = [(r.name, r.value, r.default) for r in state.rejected if r.name.startswith("filters")]
    assert got == expected
    index = len(state.spec.blocks) - 1
    assert state.spec.blocks[index].filters == (
        int(expected[0][2]) if expected else state.spec.blocks[index].filters
    )


def test_custom_without_w_names_the_weights_the_link_wrote():
    state = parse_link({"weights": "custom"})
    assert state.spec == PipelineSpec()
    [rejection] = state.rejected
    assert (rejection.name, rejection.value, rejection.default) == (
        "weights",
        "custom",
        "weights=random",
    )
    assert (rejection.allowed.kind, rejection.allowed.low) == ("needs_w", 225)
