import pytest

from cnn_core.errors import SpecError
from cnn_core.spec import PipelineSpec, link_spec


def test_defaults_are_the_seed():
    spec = PipelineSpec()
    assert (spec.input_size, spec.kernel_size, spec.filters, spec.stride) == (512, 15, 1, 1)
    assert (spec.padding_mode, spec.activation, spec.pooling, spec.pool_size) == (
        "valid",
        "relu",
        "max",
        2,
    )
    assert spec.effective_pool_stride == 2
    assert spec.to_query() == {}


def test_spec_is_frozen_and_hashable():
    spec = PipelineSpec()
    with pytest.raises(AttributeError):
        spec.filters = 2
    assert hash(spec) == hash(PipelineSpec())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kernel_size": 0}, "kernel_size between 1 and 31"),
        ({"filters": 65}, "filters between 1 and 64"),
        ({"input_size": 15}, "input_size between 16 and 1024"),
        ({"stride": 1.5}, "stride to be an integer"),
        ({"padding_mode": "full"}, "padding_mode to be one of"),
        ({"activation": "softmax"}, "activation to be one of"),
        ({"pooling": "min"}, "pooling to be one of"),
        ({"color_mode": "cmyk"}, "color_mode to be one of"),
        ({"seed": -1}, "seed between"),
        ({"scale_01": "yes"}, "scale_01 to be a bool"),
    ],
)
def test_bad_values_are_refused_with_the_name(changes, message):
    with pytest.raises(SpecError, match=message):
        PipelineSpec(**changes)


def test_query_round_trip():
    spec = PipelineSpec(
        filters=8,
        padding_mode="explicit",
        padding=3,
        pool_stride=1,
        scale_01=True,
        color_mode="rgb",
    )
    query = spec.to_query()
    assert query["filters"] == "8"
    assert PipelineSpec.from_query(query) == spec
    assert PipelineSpec.from_query({"unknown": "x"}) == PipelineSpec()


@pytest.mark.parametrize("query", [{"filters": "many"}, {"scale_01": "true"}, {"filters": "0"}])
def test_bad_query_is_a_spec_error(query):
    with pytest.raises(SpecError):
        PipelineSpec.from_query(query)


@pytest.mark.parametrize(
    "spec",
    [
        PipelineSpec(weights="sobel_x", kernel_size=5, bias=-2.5),
        PipelineSpec(weights="bank", kernel_size=3, filters=11, color_mode="rgb"),
        PipelineSpec(weights="custom", kernel_size=2, custom=(1.0, -1.0, 0.1, 1e-3)),
        PipelineSpec(weights="gabor", kernel_size=31, bias=0.1),
    ],
    ids=lambda s: s.weights,
)
def test_kernel_choice_round_trips_through_a_link(spec):
    query = spec.to_query()
    assert query["weights"] == spec.weights
    assert PipelineSpec.from_query(query) == spec
    assert link_spec(query) == (spec, [])


def test_custom_weights_and_bias_use_short_url_names():
    spec = PipelineSpec(weights="custom", kernel_size=2, custom=(1.0, -1.0, 0.5, 0.0), bias=3.0)
    assert spec.to_query() == {
        "kernel_size": "2",
        "weights": "custom",
        "bias": "3",
        "w": "1,-1,0.5,0",
    }
    assert spec.custom == (1.0, -1.0, 0.5, 0.0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights": "blur"}, "weights to be one of"),
        ({"weights": "sobel_x", "kernel_size": 4}, "kernel_size=4"),
        ({"weights": "sobel_x", "filters": 2, "kernel_size": 3}, "filters=1"),
        ({"weights": "bank", "kernel_size": 3}, "filters=11"),
        ({"weights": "custom", "kernel_size": 2, "custom": (1.0,)}, "4 custom weights"),
        ({"bias": 1.0}, "bias 0 with random weights"),
        ({"weights": "identity", "bias": float("nan")}, "bias to be a finite number"),
    ],
)
def test_kernel_settings_that_do_not_fit_are_refused(changes, message):
    with pytest.raises(SpecError, match=message):
        PipelineSpec(**changes)


def test_a_link_moves_a_preset_to_a_size_it_has_and_says_so():
    spec, notes = link_spec({"weights": "sobel_y", "kernel_size": "4", "filters": "9"})
    assert (spec.kernel_size, spec.filters) == (5, 1)
    assert notes == [
        "Sobel y exists at a kernel size that is odd, 3-31, so Kernel size moved from 4 to 5."
    ]
    spec, notes = link_spec({"weights": "bank"})
    assert (spec.kernel_size, spec.filters) == (3, 11)


@pytest.mark.parametrize("w", ["1,2,3", "1,2,x,4,5,6,7,8,9", ""])
def test_a_bad_w_falls_back_to_random_and_names_it(w):
    spec, notes = link_spec({"weights": "custom", "kernel_size": "3", "w": w, "bias": "2"})
    assert spec == PipelineSpec(kernel_size=3)
    [note] = notes
    assert note.startswith("The link's w could not be used: Expected w to hold")
    assert note.endswith("Showing Random (Glorot uniform) weights instead.")
