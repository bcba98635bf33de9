"""The "Learned" kernel choice: the committed model's first layer, or a session's own."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.codegen import keras_script, weight_lines
from cnn_core.errors import SpecError
from cnn_core.images import DEFAULT_SAMPLE, load_sample, prepare_input
from cnn_core.kernels import choice_filters, choice_sizes, kernel_stack
from cnn_core.kernels.learned import (
    PRETRAINED_PATH,
    learned_layer,
    learned_values,
    portable_block,
    pretrained_shape,
)
from cnn_core.links import parse_link, spec_to_query
from cnn_core.model import build_model, kernel_weights, run_forward
from cnn_core.shapes import stage_key
from cnn_core.spec import BlockSpec, PipelineSpec


@pytest.fixture(scope="module")
def committed():
    import keras

    model = keras.saving.load_model(PRETRAINED_PATH)
    kernel, bias = model.get_layer("conv2d").get_weights()
    return kernel, bias


def _learned_spec(**settings):
    k, f = pretrained_shape()
    return PipelineSpec.single(weights="learned", kernel_size=k, filters=f, **settings)


def test_the_choice_follows_the_committed_model(committed):
    kernel, _ = committed
    assert pretrained_shape() == (kernel.shape[0], kernel.shape[3])
    assert choice_sizes("learned") == (kernel.shape[0],)
    assert choice_filters("learned") == kernel.shape[3]


def test_the_explorer_gets_exactly_the_committed_first_layer(committed):
    kernel, bias = committed
    got_kernel, got_bias = kernel_weights(_learned_spec())
    np.testing.assert_array_equal(got_kernel, kernel)
    np.testing.assert_array_equal(got_bias, bias)
    # RGB: spread by luminance, summing back to the learned kernel.
    rgb_kernel, rgb_bias = kernel_weights(_learned_spec(color_mode="rgb"))
    assert rgb_kernel.shape == (*kernel.shape[:2], 3, kernel.shape[3])
    np.testing.assert_allclose(rgb_kernel.sum(axis=2), kernel[:, :, 0], atol=1e-6)
    np.testing.assert_array_equal(rgb_bias, bias)


def test_the_maps_on_a_photo_are_the_learned_layer_applied_to_it(committed):
    import keras

    kernel, bias = committed
    spec = _learned_spec(input_size=64)
    batch = prepare_input(load_sample(DEFAULT_SAMPLE), spec).batch
    maps = run_forward(build_model(spec), batch)
    conv = keras.layers.Conv2D(kernel.shape[3], kernel.shape[:2], padding="valid")
    conv.build(batch.shape)
    conv.set_weights([kernel, bias])
    np.testing.assert_allclose(
        maps[stage_key("conv", 1)], np.asarray(conv(batch))[0], rtol=1e-5, atol=1e-3
    )
    assert maps[stage_key("conv", 1)].shape[-1] == kernel.shape[3]


def test_a_session_model_travels_in_the_spec_values():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(5, 5, 1, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    spec = PipelineSpec.single(
        weights="learned", kernel_size=5, filters=4, custom=learned_values(kernel, bias)
    )
    got_kernel, got_bias = kernel_weights(spec)
    np.testing.assert_array_equal(got_kernel, kernel)
    np.testing.assert_array_equal(got_bias, bias)
    kernels, biases = learned_layer(5, spec.blocks[0].custom)
    np.testing.assert_array_equal(kernels, kernel[:, :, 0, :])
    np.testing.assert_array_equal(biases, bias)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"kernel_size": 5, "filters": 16}, "train.errors.learned_shape"),
        ({"kernel_size": 3, "filters": 16, "bias": 1.0}, "train.errors.learned_bias"),
        (
            {"kernel_size": 2, "filters": 3, "custom": (0.5,) * 14},
            "train.errors.learned_count",
        ),
        (
            {"kernel_size": 7, "filters": 1, "custom": (0.5,) * 50},
            "train.errors.learned_size",
        ),
        (
            {"kernel_size": 1, "filters": 1, "custom": (float("nan"), 0.0)},
            "train.errors.learned_values",
        ),
    ],
)
def test_settings_that_do_not_fit_the_model_are_refused(settings, key):
    with pytest.raises(SpecError) as error:
        BlockSpec(weights="learned", **settings)
    assert error.value.message.key == key
    assert "{" not in error.value.render("zh")


def test_the_keras_script_embeds_the_learned_weights_exactly(committed):
    kernel, bias = committed
    block = _learned_spec().blocks[0]

    class Layer:
        def set_weights(self, weights):
            self.weights = weights

    namespace = {"np": np, "layer": Layer()}
    exec("\n".join(weight_lines(block, 1, False, "layer")), namespace)
    got_kernel, got_bias = namespace["layer"].weights
    np.testing.assert_array_equal(got_kernel, kernel)
    np.testing.assert_array_equal(got_bias, bias)
    assert "set_weights" in keras_script(_learned_spec())
    assert np.array_equal(kernel_stack("learned", 3), kernel[:, :, 0, :])


def test_a_link_carries_the_committed_model_never_a_session_one():
    spec = _learned_spec()
    query = spec_to_query(spec)
    assert query["weights"] == "learned" and "w" not in query
    assert parse_link(query).spec == spec
    own = PipelineSpec.single(
        weights="learned",
        kernel_size=2,
        filters=1,
        custom=learned_values(np.ones((2, 2, 1, 1)), [0.0]),
    )
    assert spec_to_query(own) == query
    assert portable_block(own.blocks[0]) == spec.blocks[0]
    # weights=learned alone: the committed model's size and filters.
    block = parse_link({"weights": "learned"}).spec.blocks[0]
    assert (block.kernel_size, block.filters, block.custom) == (*pretrained_shape(), ())


# The sidebar and the pages (AppTest).

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return True


def test_learned_in_the_sidebar_follows_the_committed_model_and_the_pages_show_it(committed):
    kernel, bias = committed
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="weights").set_value("learned").run()
    assert _ok(at)
    k, f = pretrained_shape()
    assert at.slider(key="kernel_size").value == k and at.slider(key="kernel_size").disabled
    assert at.slider(key="filters").value == f and at.slider(key="filters").disabled
    captions = "\n".join(c.value for c in at.caption)
    assert f"the committed model's first layer, {f} filters of {k}x{k}" in captions
    assert not [n for n in at.number_input if n.key == "bias"]
    assert at.query_params["weights"] == "learned"
    at.switch_page("pages/3_Keras_code.py").run()
    assert _ok(at)
    script = at.code[0].value
    weights = script[script.index("kernels_2d = np.array(") : script.index("model.summary()")]
    namespace = {"np": np, "model": type("M", (), {})()}

    class Layer:
        def set_weights(self, values):
            self.values = values

    namespace["model"].layers = [Layer()]
    exec(weights, namespace)
    got_kernel, got_bias = namespace["model"].layers[0].values
    np.testing.assert_array_equal(got_kernel, kernel)
    np.testing.assert_array_equal(got_bias, bias)
    at.switch_page("pages/2_Kernels.py").run()
    assert _ok(at)
    assert "first layer of a CNN trained on handwritten digits" in "\n".join(
        c.value for c in at.code
    )


def test_learned_follows_the_session_s_own_model_and_says_a_link_cannot_carry_it():
    rng = np.random.default_rng(1)
    values = learned_values(rng.normal(size=(5, 5, 1, 4)), rng.normal(size=4))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["_learned_layer"] = (5, 4, values)
    at.run()
    at.selectbox(key="weights").set_value("learned").run()
    assert _ok(at)
    assert at.slider(key="kernel_size").value == 5
    assert at.slider(key="filters").value == 4
    captions = "\n".join(c.value for c in at.caption)
    assert "the model you trained in this session, 4 filters of 5x5" in captions
    assert "your own model stays in this session" in captions
    assert at.session_state["custom"] == values
    # The link is the committed model's.
    k, f = pretrained_shape()
    assert at.query_params["kernel"] == str(k) and at.query_params["filters"] == str(f)
    # Back to Random: the filter count from before returns.
    at.selectbox(key="weights").set_value("random").run()
    assert _ok(at)
    assert at.slider(key="filters").value == 1 and not at.slider(key="kernel_size").disabled


def test_a_link_with_weights_learned_opens_the_committed_model():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["weights"] = "learned"
    at.query_params["kernel"] = "3"
    at.query_params["filters"] = "16"
    at.run()
    assert _ok(at)
    assert at.selectbox(key="weights").value == "learned"
    assert at.session_state["custom"] == ()
