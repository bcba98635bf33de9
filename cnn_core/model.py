"""The Keras model built from a spec: one output per stage.

Keras (and TensorFlow) are imported lazily, on the first model built, so that
importing :mod:`cnn_core` stays fast.
"""

from __future__ import annotations

import functools
import gc
import os

import numpy as np

from cnn_core.shapes import plan_pipeline

__all__ = [
    "CHUNK_VALUES",
    "build_chunked_models",
    "build_model",
    "filter_chunks",
    "kernel_summary",
    "kernel_weights",
    "load_keras",
    "run_forward",
    "summary_text",
]


@functools.cache
def load_keras():
    """Import Keras on the TensorFlow backend, quietly, and return the module.

    The import creates a few hundred thousand objects and no garbage, so the
    garbage collector is paused while it runs (the collections it would
    otherwise trigger cost about 0.5 s of the first page load). Right after,
    :func:`gc.freeze` moves those objects into the permanent generation:
    Streamlit runs a full collection after every rerun (and
    ``keras.backend.clear_session()``, which runs another), and without the
    freeze each one walks all of them, about 0.2 s per collection here.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    collecting = gc.isenabled()
    gc.disable()
    try:
        import keras
    finally:
        if collecting:
            gc.enable()
    gc.freeze()
    return keras


def build_model(spec):
    """Build the functional Keras model for ``spec``.

    The model has one output per computable stage, the input included, in the
    order of :func:`cnn_core.shapes.plan_pipeline` (zero padding, conv,
    activation, pooling); stages after a :class:`~cnn_core.errors.ShapeError`
    are left out. Kernel weights come from Keras's default Glorot-uniform
    initialiser seeded with ``spec.seed``; biases start at zero.

    Parameters
    ----------
    spec : PipelineSpec

    Returns
    -------
    keras.Model
        With ``model.output_names`` equal to the stage keys.
    """
    keras = load_keras()
    layers = keras.layers
    plan = plan_pipeline(spec)
    n, c = spec.input_size, spec.channels
    inputs = keras.Input(shape=(n, n, c), name="input_layer")
    outputs = {"input": inputs}
    x = inputs
    for stage in plan.stages[1:]:
        if stage.key == "padding":
            x = layers.ZeroPadding2D(spec.explicit_padding, name=stage.layer_name)(x)
        elif stage.key == "conv":
            x = layers.Conv2D(
                spec.filters,
                (spec.kernel_size, spec.kernel_size),
                strides=spec.stride,
                padding=spec.keras_padding,
                kernel_initializer=keras.initializers.GlorotUniform(seed=spec.seed),
                name=stage.layer_name,
            )(x)
        elif stage.key == "activation":
            if spec.activation == "leaky_relu":
                x = layers.LeakyReLU(name=stage.layer_name)(x)
            else:
                x = layers.Activation(spec.activation, name=stage.layer_name)(x)
        elif stage.key == "pool":
            pool = layers.MaxPooling2D if spec.pooling == "max" else layers.AveragePooling2D
            x = pool(
                pool_size=(spec.pool_size, spec.pool_size),
                strides=spec.effective_pool_stride,
                padding="valid",
                name=stage.layer_name,
            )(x)
        outputs[stage.key] = x
    return keras.Model(inputs, outputs, name="convlab")


def summary_text(spec):
    """What ``model.summary()`` prints for the Keras code page's script.

    The script builds a ``keras.Sequential`` of the same layers as
    :func:`build_model`; this builds that model (from :func:`build_model`'s
    layers, so names and shapes are the app's) and captures Keras's own text.

    Parameters
    ----------
    spec : PipelineSpec

    Returns
    -------
    str
    """
    keras = load_keras()
    model = build_model(spec)
    n, c = spec.input_size, spec.channels
    sequential = keras.Sequential(
        [keras.Input(shape=(n, n, c)), *model.layers[1:]], name="sequential"
    )
    lines = []
    sequential.summary(print_fn=lambda text, **_: lines.append(text))
    return "\n".join(lines).rstrip() + "\n"


def run_forward(model, batch):
    """Run ``model`` on ``batch`` and return each stage's maps.

    Calls the model directly (``model(x, training=False)``), not ``predict``.

    Parameters
    ----------
    model : keras.Model
        From :func:`build_model`.
    batch : ndarray of float32, shape (1, n, n, c)

    Returns
    -------
    dict of str to ndarray of float32, shape (H, W, C)
        Stage key -> that stage's output for the single image, the input
        included under "input".
    """
    result = model(batch, training=False)
    return {
        key: np.asarray(value)[0].astype(np.float32, copy=False) for key, value in result.items()
    }


def kernel_weights(spec):
    """The conv layer's initial kernel and bias for ``spec``, as numpy arrays.

    Drawn by the same seeded Glorot-uniform initialiser the model's Conv2D
    uses, so they equal the model's weights; unlike the model, they exist even
    when the input is too small for the convolution.

    Parameters
    ----------
    spec : PipelineSpec

    Returns
    -------
    kernel : ndarray of float32, shape (k, k, c, filters)
    bias : ndarray of float32, shape (filters,)
    """
    keras = load_keras()
    shape = (spec.kernel_size, spec.kernel_size, spec.channels, spec.filters)
    kernel = keras.initializers.GlorotUniform(seed=spec.seed)(shape, dtype="float32")
    return np.asarray(kernel), np.zeros(spec.filters, np.float32)


def kernel_summary(kernel, bias):
    """One row per filter: its number, bias and the sum of its weights.

    The sum tells what a filter does to a flat area: above zero it keeps the
    brightness, below zero it inverts it (and ReLU then blacks it out).

    Parameters
    ----------
    kernel : ndarray, shape (k, k, c, f)
    bias : ndarray, shape (f,)

    Returns
    -------
    list of dict
        Keys ``filter`` (1-based), ``bias`` and ``weight_sum``.

    Examples
    --------
    >>> kernel_summary(np.ones((2, 2, 1, 2)), np.zeros(2))[1]
    {'filter': 2, 'bias': 0.0, 'weight_sum': 4.0}
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4 or kernel.shape[3] != len(bias):
        raise ValueError(
            f"Expected a kernel (k, k, c, f) and f biases. Received: {kernel.shape}, {len(bias)}"
        )
    sums = kernel.sum(axis=(0, 1, 2))
    return [
        {"filter": i + 1, "bias": float(bias[i]), "weight_sum": float(sums[i])}
        for i in range(kernel.shape[3])
    ]


#: Largest conv output (height * width * filters values) one model call computes.
CHUNK_VALUES = 4_000_000


def filter_chunks(spec, max_values=CHUNK_VALUES):
    """Split the filters into groups whose conv output stays under ``max_values``.

    Activation and pooling act on each channel alone, so running the layer
    one group of filters at a time gives exactly the same maps, with a
    fraction of the peak memory (64 filters on a 1024x1024 input would
    otherwise hold over 600 MB at once, and leave the allocator fragmented).

    Parameters
    ----------
    spec : PipelineSpec
    max_values : int

    Returns
    -------
    list of range
        Consecutive filter indices covering ``range(spec.filters)``.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> filter_chunks(PipelineSpec())
    [range(0, 1)]
    >>> chunks = filter_chunks(PipelineSpec(input_size=1024, kernel_size=1, filters=64))
    >>> len(chunks), chunks[0], chunks[-1]
    (22, range(0, 3), range(63, 64))
    """
    conv = plan_pipeline(spec).stage("conv")
    if conv is None:
        return [range(spec.filters)]
    per_filter = conv.shape[0] * conv.shape[1]
    size = max(1, min(spec.filters, max_values // max(per_filter, 1)))
    return [range(start, min(start + size, spec.filters)) for start in range(0, spec.filters, size)]


def build_chunked_models(spec, max_values=CHUNK_VALUES):
    """Models that together compute :func:`build_model`'s outputs, a few filters each.

    Each model is ``build_model`` for a spec with fewer filters, given the
    matching slice of the full seeded kernel, so stacking their outputs along
    the channel axis gives the full model's outputs.

    Parameters
    ----------
    spec : PipelineSpec
    max_values : int

    Returns
    -------
    list of (range, keras.Model)
        Filter indices and the model that computes them.
    """
    chunks = filter_chunks(spec, max_values)
    if len(chunks) == 1:
        return [(chunks[0], build_model(spec))]
    kernel, bias = kernel_weights(spec)
    models = []
    for chunk in chunks:
        model = build_model(spec.replace(filters=len(chunk)))
        model.get_layer("conv2d").set_weights(
            [kernel[..., chunk.start : chunk.stop], bias[chunk.start : chunk.stop]]
        )
        models.append((chunk, model))
    return models
