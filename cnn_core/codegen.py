"""Keras code that reproduces the current pipeline, in the seed article's style.

The code is the same in every language; its comments follow the student's
(``lang``), from the ``codegen`` catalogue.
"""

from __future__ import annotations

from cnn_core.i18n import translate
from cnn_core.images import SAMPLES
from cnn_core.kernels import (
    BANK,
    LUMINANCE,
    PRESETS,
    choice_label,
    format_weights,
    kernel_stack,
    preset_label,
    preset_source,
)
from cnn_core.kernels.learned import LEARNED, learned_layer
from cnn_core.layer_table import GlorotSeed
from cnn_core.shapes import plan_pipeline, stage_key

__all__ = ["keras_script", "weight_lines"]


def _image_lines(sample_label, lang):
    if sample_label in SAMPLES:
        return [
            "from skimage import data",
            "",
            f"image = data.{SAMPLES[sample_label]}()  # " + translate(lang, "codegen.sample"),
        ]
    return [
        "# " + translate(lang, "codegen.own_image"),
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


def keras_script(spec, sample_label=None, lang="en"):
    """A runnable Python script that builds and runs the same blocks as the app.

    Parameters
    ----------
    spec : PipelineSpec
    sample_label : str, optional
        A key of :data:`cnn_core.images.SAMPLES`; anything else (an upload)
        gives a line that reads ``your_image.png``.
    lang : str, optional
        The language of the comments; the code is the same in every language.

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
        *(["import numpy as np"] if any(b.weights != "random" for b in spec.blocks) else []),
        "from keras import layers",
    ]
    lines += _image_lines(sample_label, lang)
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
            lines.append("        # " + translate(lang, "codegen.block", number=block))
        lines += _layer_lines(stage.layer, f"  # -> {stage.batch_shape}")
    lines += ["    ]", ")"]
    layer_index = {stage.key: i for i, stage in enumerate(plan.stages[1:])}
    for index, block_spec in enumerate(spec.blocks):
        conv = stage_key("conv", index + 1)
        if block_spec.weights != "random" and conv in layer_index:
            lines += weight_lines(
                block_spec,
                spec.block_channels(index),
                color_input=index == 0 and spec.color_mode == "rgb",
                target=f"model.layers[{layer_index[conv]}]",
                number=index + 1 if spec.depth > 1 else None,
                lang=lang,
            )
    lines += ["model.summary()", ""]
    if plan.error is not None:
        # The error's first sentence: what fails, with its numbers.
        reason = plan.error.render(lang).split(translate(lang, "codegen.sentence_end"))[0]
        lines.append("# " + translate(lang, "codegen.stops", reason=reason.rstrip("。.")))
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


def weight_lines(block, channels, color_input, target, number=None, lang="en"):
    """Lines that give the script's conv layer ``target`` exactly the app's weights.

    The 2-D kernels are written out as float32 numbers (each the shortest
    form that reads back as the same float32), spread over the input channels
    the way :func:`cnn_core.kernels.layer_weights` does, and set with
    ``set_weights``.

    Parameters
    ----------
    block : BlockSpec
        A block whose weights are not random.
    channels : int
        Channels going into the block.
    color_input : bool
        The block sees the RGB image (luminance weights).
    target : str
        The layer in the script, e.g. ``"model.layers[0]"``.
    number : int, optional
        The block's number, named in the comment when there are several.
    lang : str, optional
        The language of the comments.

    Examples
    --------
    >>> from cnn_core.spec import BlockSpec
    >>> lines = weight_lines(BlockSpec(weights="sharpen", kernel_size=3), 1, False, "conv")
    >>> lines[0], lines[4]
    ('# Sharpen: textbook 3x3: 5 at the centre, -1 beside it', '            [0, -1, 0],')
    >>> lines[-1]
    'conv.set_weights([kernel, bias])'
    """
    kernels = kernel_stack(block.weights, block.kernel_size, block.custom)
    bias = [f'bias = np.full({block.filters}, {format_weights((block.bias,))}, dtype="float32")']
    if block.weights == LEARNED:
        what = translate(lang, "train.learned.code_comment")
        values = learned_layer(block.kernel_size, block.custom)[1]
        rows = [values[i : i + 6] for i in range(0, len(values), 6)]
        bias = [
            "bias = np.array(",
            "    [",
            *("        " + format_weights(row).replace(",", ", ") + "," for row in rows),
            "    ],",
            '    dtype="float32",',
            ")",
        ]
    elif block.weights in PRESETS:
        what = translate(
            lang,
            "codegen.preset",
            label=choice_label(block.weights),
            source=preset_source(block.weights),
        )
    elif block.weights == "bank":
        separator = translate(lang, "codegen.list_separator")
        names = separator.join(preset_label(name).render(lang) for name in BANK)
        what = translate(lang, "codegen.bank", names=names)
    else:
        what = translate(lang, "codegen.custom")
    if number is not None:
        what = translate(lang, "codegen.in_block", number=number, text=what)
    if color_input:
        shares = ", ".join(str(w) for w in LUMINANCE)
        spread = [
            "# " + translate(lang, "codegen.luminance_1"),
            "# " + translate(lang, "codegen.luminance_2"),
            f'channel_weights = np.array([{shares}], dtype="float32")',
        ]
    elif channels > 1:
        spread = [
            "# " + translate(lang, "codegen.mean", channels=channels),
            f'channel_weights = np.full({channels}, 1 / {channels}, dtype="float32")',
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
        *bias,
        f"{target}.set_weights([kernel, bias])",
    ]
