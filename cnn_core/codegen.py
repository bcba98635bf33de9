"""Keras code that reproduces the current pipeline, in the seed article's style."""

from __future__ import annotations

from cnn_core.images import SAMPLES
from cnn_core.kernels import (
    LUMINANCE,
    PRESETS,
    WEIGHTS,
    format_weights,
    kernel_stack,
)
from cnn_core.shapes import plan_pipeline

__all__ = ["keras_script", "weight_lines"]


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
        *(["import numpy as np"] if spec.weights != "random" else []),
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
    chosen = spec.weights != "random"
    lines.append("")
    if chosen:
        lines += [
            "conv = layers.Conv2D(",
            f"    {spec.filters},",
            f"    ({spec.kernel_size}, {spec.kernel_size}),",
            f"    strides={spec.stride},",
            f'    padding="{spec.keras_padding}",',
            ")",
        ]
    lines += [
        "model = keras.Sequential(",
        "    [",
        f"        keras.Input(shape=({n}, {n}, {c})),",
    ]
    for stage in plan.stages[1:]:
        comment = f"  # -> {stage.batch_shape}"
        if stage.key == "padding":
            lines.append(f"        layers.ZeroPadding2D({spec.explicit_padding}),{comment}")
        elif stage.key == "conv" and chosen:
            lines.append(f"        conv,{comment}")
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
    lines += ["    ]", ")"]
    if chosen:
        lines += weight_lines(spec)
    lines += ["model.summary()", ""]
    if plan.error is not None:
        lines += [
            "# The app stops here: " + str(plan.error).split(". ")[0] + ".",
        ]
    lines += [
        "output = model(img_batch, training=False)",
        f"print(output.shape)  # {(1, *plan.stages[-1].shape)}",
    ]
    return "\n".join(lines) + "\n"


def _array_lines(kernels):
    """``kernels`` (k, k, f) as a nested list literal of f kernels, one row a line."""
    lines = ["    ["]
    for f in range(kernels.shape[2]):
        lines.append("        [")
        for row in kernels[:, :, f]:
            lines.append("            [" + format_weights(row).replace(",", ", ") + "],")
        lines.append("        ],")
    lines.append("    ],")
    return lines


def weight_lines(spec):
    """Lines that give the script's ``conv`` layer exactly the app's weights.

    The 2-D kernels are written out as float32 numbers (each the shortest
    form that reads back as the same float32), spread over the input channels
    the way :func:`cnn_core.kernels.layer_weights` does, and set with
    ``conv.set_weights``.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> lines = weight_lines(PipelineSpec(weights="sharpen", kernel_size=3))
    >>> lines[0], lines[4]
    ('# Sharpen: textbook 3x3: 5 at the centre, -1 beside it', '            [0, -1, 0],')
    >>> lines[-1]
    'conv.set_weights([kernel, bias])'
    """
    kernels = kernel_stack(spec.weights, spec.kernel_size, spec.custom)
    if spec.weights in PRESETS:
        what = f"{WEIGHTS[spec.weights]}: {PRESETS[spec.weights].source}"
    elif spec.weights == "bank":
        what = "The classic bank, one filter per preset: " + ", ".join(
            PRESETS[name].label for name in PRESETS
        )
    else:
        what = "Your custom kernel"
    if spec.channels == 3:
        shares = ", ".join(str(w) for w in LUMINANCE)
        spread = [
            "# Each input channel gets the kernel times its luminance weight, so the RGB map",
            "# equals the grayscale map of the same kernel.",
            f'channel_weights = np.array([{shares}], dtype="float32")',
        ]
    else:
        spread = ['channel_weights = np.array([1.0], dtype="float32")']
    return [
        f"# {what}",
        "kernels_2d = np.array(",
        *_array_lines(kernels),
        '    dtype="float32",',
        f").transpose(1, 2, 0)  # (k, k, filters) = {kernels.shape}",
        *spread,
        "kernel = kernels_2d[:, :, None, :] * channel_weights[None, None, :, None]",
        f'bias = np.full({spec.filters}, {format_weights((spec.bias,))}, dtype="float32")',
        "conv.set_weights([kernel, bias])",
    ]
