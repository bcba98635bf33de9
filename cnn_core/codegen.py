"""Keras code that reproduces the current pipeline, in the seed article's style."""

from __future__ import annotations

from cnn_core.images import SAMPLES
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


def keras_script(spec, sample_label=None):
    """A runnable Python script that builds and runs the same layer as the app.

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
    for stage in plan.stages[1:]:
        comment = f"  # -> {stage.batch_shape}"
        if stage.key == "padding":
            lines.append(f"        layers.ZeroPadding2D({spec.explicit_padding}),{comment}")
        elif stage.key == "conv":
            lines += [
                "        layers.Conv2D(",
                f"            {spec.filters},",
                f"            ({spec.kernel_size}, {spec.kernel_size}),",
                f"            strides={spec.stride},",
                f'            padding="{spec.keras_padding}",',
                "            kernel_initializer=keras.initializers.GlorotUniform("
                f"seed={spec.seed}),",
                f"        ),{comment}",
            ]
        elif stage.key == "activation":
            layer = (
                "layers.LeakyReLU()"
                if spec.activation == "leaky_relu"
                else f'layers.Activation("{spec.activation}")'
            )
            lines.append(f"        {layer},{comment}")
        elif stage.key == "pool":
            kind = "MaxPooling2D" if spec.pooling == "max" else "AveragePooling2D"
            lines.append(
                f"        layers.{kind}(pool_size=({spec.pool_size}, {spec.pool_size}), "
                f"strides={spec.effective_pool_stride}),{comment}"
            )
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
