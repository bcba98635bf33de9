"""Keras code that reproduces the current pipeline, in the seed article's style."""

from __future__ import annotations

from cnn_core.images import SAMPLES
from cnn_core.layer_table import GlorotSeed
from cnn_core.shapes import plan_pipeline

__all__ = ["keras_script"]


def _image_lines(sample_label):
    if sample_label in SAMPLES:
        return [
            "from skimage import data",
            "",
            f"image = data.{SAMPLES[sample_label]}()  # ships with scikit-image",
        ]
    return [
        "# Your own image: OpenCV reads BGR, the app works in RGB.",
        'image = cv2.cvtColor(cv2.imread("your_image.png"), cv2.COLOR_BGR2RGB)',
    ]


def _value(value):
    """Python source for one argument value from the layer table."""
    if isinstance(value, GlorotSeed):
        return f"keras.initializers.GlorotUniform(seed={value.seed})"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _layer_lines(call, comment):
    """The source of one layer call: one line, or one argument per line if long."""
    arguments = [_value(value) for value in call.args]
    arguments += [f"{key}={_value(value)}" for key, value in call.kwargs]
    one_line = f"        layers.{call.keras_class}({', '.join(arguments)}),"
    if len(one_line) <= 80:
        return [one_line + comment]
    return [
        f"        layers.{call.keras_class}(",
        *(f"            {argument}," for argument in arguments),
        f"        ),{comment}",
    ]


def keras_script(spec, sample_label=None):
    """A runnable Python script that builds and runs the same blocks as the app.

    Parameters
    ----------
    spec : PipelineSpec
    sample_label : str, optional
        A key of :data:`cnn_core.images.SAMPLES`; anything else (an upload)
        gives a line that reads ``your_image.png``.

    Returns
    -------
    str
        Python source. With the same spec and image it computes the same
        values as the app (same initialiser and seed), and its comments give
        the shapes the app shows.
    """
    plan = plan_pipeline(spec)
    n, c = spec.input_size, spec.channels
    lines = [
        "import cv2",
        "import keras",
        "from keras import layers",
    ]
    lines += _image_lines(sample_label)
    if c == 1:
        lines += [
            "image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image",
        ]
    else:
        lines += [
            "if image.ndim == 2:",
            "    image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)",
        ]
    lines += [
        f"img = cv2.resize(image, ({n}, {n}), interpolation=cv2.INTER_AREA)",
        f'img_batch = img.reshape(1, {n}, {n}, {c}).astype("float32")',
    ]
    if spec.scale_01:
        lines.append("img_batch /= 255.0")
    lines += [
        "",
        "model = keras.Sequential(",
        "    [",
        f"        keras.Input(shape=({n}, {n}, {c})),",
    ]
    block = 0
    for stage in plan.stages[1:]:
        if stage.block != block and spec.depth > 1:
            block = stage.block
            lines.append(f"        # Block {block}")
        lines += _layer_lines(stage.layer, f"  # -> {stage.batch_shape}")
    lines += ["    ]", ")", "model.summary()", ""]
    if plan.error is not None:
        lines += [
            "# The app stops here: " + str(plan.error).split(". ")[0] + ".",
        ]
    lines += [
        "output = model(img_batch, training=False)",
        f"print(output.shape)  # {(1, *plan.stages[-1].shape)}",
    ]
    return "\n".join(lines) + "\n"
