"""The generated Keras script runs and computes what the app computes."""

import contextlib
import io
import re

import numpy as np
import pytest

from cnn_core.codegen import keras_script
from cnn_core.images import load_sample, prepare_input
from cnn_core.links import spec_to_query
from cnn_core.model import build_model, run_forward, summary_text
from cnn_core.shapes import plan_pipeline, stage_key, summary_rows
from cnn_core.spec import BlockSpec, PipelineSpec


def keras_summary_rows(text):
    """The rows of a ``model.summary()`` table: (layer, output shape, params).

    Rich wraps a long cell onto a second line of the same row; layer names
    made in a busy process get a suffix (``conv2d_7``), which is dropped.
    """
    rows, current = [], None
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
            if current is None:
                current = cells
            else:
                current = [f"{a} {b}".strip() for a, b in zip(current, cells, strict=True)]
        elif current is not None:
            rows.append(tuple(current))
            current = None
    return [(re.sub(r"_\d+ \(", " (", layer), shape, params) for layer, shape, params in rows]


@pytest.mark.parametrize(
    "spec",
    [
        PipelineSpec.single(input_size=40),
        PipelineSpec.single(
            input_size=36,
            color_mode="rgb",
            kernel_size=5,
            stride=2,
            filters=3,
            padding_mode="explicit",
            padding=2,
            activation="leaky_relu",
            pooling="average",
            pool_size=3,
            pool_stride=1,
            scale_01=True,
            seed=9,
        ),
        PipelineSpec.single(input_size=30, padding_mode="same", activation="none", pooling="none"),
        PipelineSpec.single(input_size=40, kernel_size=7, weights="sobel_x", bias=-1.5),
        PipelineSpec.single(
            input_size=36,
            kernel_size=3,
            filters=11,
            weights="bank",
            color_mode="rgb",
            activation="none",
            bias=0.25,
        ),
        PipelineSpec.single(
            input_size=32,
            kernel_size=3,
            weights="custom",
            custom=(0.1, -1.0, 0.0, 2.5, 1e-3, -0.333, 7.0, 0.0, -2.0),
            color_mode="rgb",
            scale_01=True,
            activation="tanh",
        ),
        PipelineSpec(
            input_size=48,
            blocks=(
                BlockSpec(kernel_size=3, filters=3, seed=2),
                BlockSpec(kernel_size=5, filters=1, weights="gaussian", bias=1.0),
            ),
        ),
        PipelineSpec(
            input_size=48,
            color_mode="rgb",
            blocks=(
                BlockSpec(kernel_size=5, filters=4, seed=1),
                BlockSpec(kernel_size=3, filters=6, padding_mode="same", dilation=2),
                BlockSpec(
                    kernel_size=2,
                    filters=3,
                    stride=2,
                    padding_mode="explicit",
                    padding=1,
                    activation="leaky_relu",
                    pooling="average",
                    seed=7,
                ),
            ),
        ),
    ],
    ids=lambda s: str(spec_to_query(s)),
)
def test_script_reproduces_the_app(spec):
    script = keras_script(spec, "Coffee")
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(script, "convlab_layer.py", "exec"), namespace)
    output = np.asarray(namespace["output"])[0]
    plan = plan_pipeline(spec)
    assert output.shape == plan.stages[-1].shape
    assert str((1, *plan.stages[-1].shape)) in printed.getvalue()
    # The summary the script prints is the app's summary table, row by row
    # (a Sequential model lists no InputLayer), and the Keras code page shows it.
    # The script's process numbers repeated layer names its own way (conv2d_7),
    # so names are compared without their number; the page's summary keeps them.
    printed_rows = keras_summary_rows(printed.getvalue())
    app_rows = summary_rows(plan)
    assert app_rows[0][0] == "input_layer (InputLayer)"
    unnumbered = [(re.sub(r"_\d+ \(", " (", a), b, c) for a, b, c in app_rows[1:]]
    assert printed_rows == unnumbered
    assert keras_summary_rows(summary_text(spec)) == unnumbered
    assert f"Total params: {plan.total_params:,}" in printed.getvalue()
    model = build_model(spec)
    ours = run_forward(model, prepare_input(load_sample("Coffee"), spec).batch)
    script_model = namespace["model"]
    for index, block in enumerate(spec.blocks):
        if block.weights == "random":
            continue
        # Exactly the app's weights, not merely close ones.
        conv = plan.stage(stage_key("conv", index + 1))
        position = [stage.key for stage in plan.stages[1:]].index(conv.key)
        assert f"model.layers[{position}].set_weights([kernel, bias])" in script
        theirs = script_model.layers[position].get_weights()
        mine = model.get_layer(conv.layer_name).get_weights()
        for a, b in zip(theirs, mine, strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(output, ours[plan.stages[-1].key], rtol=1e-5, atol=1e-4)


def test_seed_script_reads_like_the_article():
    script = keras_script(PipelineSpec(), "Cat (chelsea)")
    assert "data.chelsea()" in script
    assert "cv2.INTER_AREA" in script
    assert "img_batch = img.reshape(1, 512, 512, 1)" in script
    assert "# -> (None, 498, 498, 1)" in script
    assert "print(output.shape)  # (1, 249, 249, 1)" in script


def test_upload_script_reads_a_file():
    assert 'cv2.imread("your_image.png")' in keras_script(PipelineSpec(), "my_photo.jpg")


def test_script_for_impossible_setting_says_where_it_stops():
    script = keras_script(PipelineSpec.single(input_size=16, kernel_size=31), "Coffee")
    assert "# The app stops here: The convolution output would be zero or negative" in script


def test_three_block_script_names_its_blocks_and_layers():
    script = keras_script(PipelineSpec.single(filters=8).with_depth(3), "Cat (chelsea)")
    assert [line.strip() for line in script.splitlines() if "# Block" in line] == [
        "# Block 1",
        "# Block 2",
        "# Block 3",
    ]
    assert script.count("layers.Conv2D(") == 3
    assert "print(output.shape)  # (1, 62, 62, 32)" in script


def test_script_stops_where_a_later_block_cannot_run():
    spec = PipelineSpec.single(input_size=16, kernel_size=3).with_depth(4)
    script = keras_script(spec, "Coffee")
    assert "# The app stops here: Block 4: The pooling output would be zero or negative" in script
