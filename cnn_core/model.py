"""The Keras model built from a spec: one output per stage.

Keras (and TensorFlow) are imported lazily, on the first model built, so that
importing :mod:`cnn_core` stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import threading

import numpy as np

from cnn_core.errors import SpecError
from cnn_core.kernels import kernel_stack, layer_weights
from cnn_core.kernels.learned import LEARNED, learned_layer
from cnn_core.layer_table import GlorotSeed
from cnn_core.shapes import plan_pipeline, stage_key

__all__ = [
    "CHUNK_VALUES",
    "BlockChunk",
    "build_chunked_models",
    "build_model",
    "filter_chunks",
    "keras_layer",
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


#: Keras builds models through process-wide state (layer naming, the
#: functional API's tracing), and two sessions building at once have been
#: seen to hand a half-built layer to ``set_weights`` under a 40-student load.
#: Building takes milliseconds; running the models is not serialized.
_BUILD_LOCK = threading.RLock()


def _serialized(build):
    """Run ``build`` under :data:`_BUILD_LOCK`: one model construction at a time."""

    @functools.wraps(build)
    def locked(*args, **kwargs):
        with _BUILD_LOCK:
            return build(*args, **kwargs)

    return locked


def keras_layer(call, name):
    """The Keras layer a :class:`~cnn_core.layer_table.LayerCall` describes.

    Parameters
    ----------
    call : LayerCall
    name : str
        The layer's name (unique within a model).
    """
    keras = load_keras()
    kwargs = {
        key: keras.initializers.GlorotUniform(seed=value.seed)
        if isinstance(value, GlorotSeed)
        else value
        for key, value in call.kwargs
    }
    return getattr(keras.layers, call.keras_class)(*call.args, **kwargs, name=name)


def _add_stages(x, stages, outputs, filters=None):
    """Apply ``stages``' layers to ``x``, recording each output under its key.

    With ``filters`` (a range), convolutions compute only that many filters.
    """
    for stage in stages:
        call = stage.layer
        if filters is not None and stage.kind == "conv":
            call = dataclasses.replace(call, args=(len(filters), *call.args[1:]))
        x = keras_layer(call, stage.layer_name)(x)
        outputs[stage.key] = x
    return x


@_serialized
def build_model(spec):
    """Build the functional Keras model for ``spec``: every stage of every block.

    The model has one output per computable stage, the input included, in the
    order of :func:`cnn_core.shapes.plan_pipeline` (per block: zero padding,
    conv, activation, pooling); stages after a
    :class:`~cnn_core.errors.ShapeError` are left out. Kernel weights come
    from Keras's default Glorot-uniform initialiser seeded with each block's
    ``seed`` and biases start at zero; a block with any other kernel choice
    gets :func:`kernel_weights` with ``set_weights``.

    Parameters
    ----------
    spec : PipelineSpec

    Returns
    -------
    keras.Model
        Its outputs are a dict keyed by stage key, in the plan's order.
    """
    keras = load_keras()
    plan = plan_pipeline(spec)
    n, c = spec.input_size, spec.channels
    inputs = keras.Input(shape=(n, n, c), name="input_layer")
    outputs = {"input": inputs}
    _add_stages(inputs, plan.stages[1:], outputs)
    model = keras.Model(inputs, outputs, name="convlab")
    for index, block in enumerate(spec.blocks):
        conv = plan.stage(stage_key("conv", index + 1))
        if block.weights != "random" and conv is not None:
            model.get_layer(conv.layer_name).set_weights(list(kernel_weights(spec, index)))
    return model


@_serialized
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
    model : keras.Model or BlockChunk
        From :func:`build_model` or :func:`build_chunked_models`.
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


def kernel_weights(spec, index=0):
    """Block ``index``'s initial conv kernel and bias, as numpy arrays.

    Random weights are drawn by the same seeded Glorot-uniform initialiser
    the model's Conv2D uses, so they equal the model's weights. Presets, the
    bank and custom kernels come from :mod:`cnn_core.kernels`, spread over
    the input channels (by luminance for RGB). Unlike the model, they exist
    even when the input is too small for the convolution.

    The weights depend only on the block's kernel settings and its input
    channels, not on padding, stride, activation or pooling, and are kept
    for the last few such settings: a padding change draws no new kernel.

    Parameters
    ----------
    spec : PipelineSpec
    index : int
        0-based block number.

    Returns
    -------
    kernel : ndarray of float32, shape (k, k, c, filters)
        ``c`` is the channels going into the block. Read-only: shared by
        every caller with the same kernel settings.
    bias : ndarray of float32, shape (filters,)
        Read-only, as ``kernel``.
    """
    block = spec.blocks[index]
    return _block_weights(
        block.weights,
        block.kernel_size,
        block.filters,
        block.seed,
        block.bias,
        block.custom,
        spec.block_channels(index),
        index == 0 and spec.color_mode == "rgb",
    )


@functools.lru_cache(maxsize=16)
@_serialized
def _block_weights(weights, kernel_size, filters, seed, bias, custom, channels, color_input):
    """:func:`kernel_weights` for one block's kernel settings (cached, read-only)."""
    if weights == LEARNED:
        # Per-filter biases, as the trained layer has them.
        kernels, learned_bias = learned_layer(kernel_size, custom)
        kernel, _ = layer_weights(kernels, channels, color_input=color_input)
        result = kernel, learned_bias
    elif weights != "random":
        # A 2-D kernel per filter, spread over the block's input channels: by
        # luminance for the RGB image, 1/c each for a later block's maps.
        result = layer_weights(
            kernel_stack(weights, kernel_size, custom), channels, bias, color_input=color_input
        )
    else:
        keras = load_keras()
        shape = (kernel_size, kernel_size, channels, filters)
        kernel = keras.initializers.GlorotUniform(seed=seed)(shape, dtype="float32")
        result = np.asarray(kernel), np.zeros(filters, np.float32)
    frozen = []
    for array in result:
        array = np.array(array, dtype=np.float32)  # a copy the cache owns
        array.setflags(write=False)
        frozen.append(array)
    return tuple(frozen)


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
        raise SpecError("errors.internal.weights", kernel=str(kernel.shape), count=len(bias))
    sums = kernel.sum(axis=(0, 1, 2))
    return [
        {"filter": i + 1, "bias": float(bias[i]), "weight_sum": float(sums[i])}
        for i in range(kernel.shape[3])
    ]


#: Largest conv output (height * width * filters values) one model call computes.
#: Not smaller: TensorFlow's convolution costs each call nearly as much for 3
#: filters as for 16 (it gathers every input patch again: 301 against 305 ms
#: at 1024x1024 with a 15x15 kernel), so 64 filters at 1024x1024 took 7.5 s
#: in 22 calls of 4 million values and take 3.4 s in 5 calls of 16 million
#: (the pass's peak RSS 951 MB against 883 MB).
CHUNK_VALUES = 16_000_000


def filter_chunks(spec, max_values=CHUNK_VALUES):
    """Split each block's filters into groups whose conv output stays under ``max_values``.

    Activation and pooling act on each channel alone, so running a block
    one group of filters at a time gives exactly the same maps, with a
    fraction of the peak memory (64 filters on a 1024x1024 input would
    otherwise hold over 600 MB at once, and leave the allocator fragmented).
    The groups are as even as the count allows: each call costs about the
    same however few filters it has (see :data:`CHUNK_VALUES`).

    Parameters
    ----------
    spec : PipelineSpec
    max_values : int

    Returns
    -------
    list of list of range
        Per block, consecutive filter indices covering ``range(filters)``.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> filter_chunks(PipelineSpec())
    [[range(0, 1)]]
    >>> chunks = filter_chunks(PipelineSpec.single(input_size=1024, kernel_size=1, filters=64))[0]
    >>> len(chunks), chunks[0], chunks[-1]
    (5, range(0, 13), range(52, 64))
    """
    plan = plan_pipeline(spec)
    chunks = []
    for number, block in enumerate(spec.blocks, start=1):
        conv = plan.stage(stage_key("conv", number))
        if conv is None:
            chunks.append([range(block.filters)])
            continue
        per_filter = conv.shape[0] * conv.shape[1]
        most = max(1, max_values // max(per_filter, 1))
        count = -(-block.filters // most)  # as few calls as the bound allows
        size = -(-block.filters // count)  # and as even as that count allows
        chunks.append(
            [
                range(start, min(start + size, block.filters))
                for start in range(0, block.filters, size)
            ]
        )
    return chunks


class BlockChunk:
    """Some filters of one block, run eagerly by Keras's own layer code.

    Called like a model, ``chunk(x, training=False)``, it returns the same
    dict of stage outputs as :func:`build_model`'s model does for the
    block's stages and these filters. No ``keras.Model`` is built: tracing a
    functional model per setting cost more than running it at the defaults.
    The convolution is the layer's own ``convolution_op`` (``keras.ops.conv``
    with the layer's strides, padding and dilation) on the chunk's slice of
    the block's kernel, plus the bias, as ``Conv2D.call`` does; the other
    layers hold no weights and run their ``call``. Layers are made but never
    built, so no variables or initialisers run, and running needs no lock.

    Parameters
    ----------
    stages : sequence of Stage
        One block's stages, from :func:`cnn_core.shapes.plan_pipeline`.
    kernel : ndarray of float32, shape (k, k, c, f)
        This chunk's filters.
    bias : ndarray of float32, shape (f,)
    """

    def __init__(self, stages, kernel, bias):
        self.filters = kernel.shape[-1]
        self.kernel = np.ascontiguousarray(kernel, dtype=np.float32)
        self.bias = np.asarray(bias, np.float32).reshape(1, 1, 1, -1)
        self.layers = []
        for stage in stages:
            call = stage.layer
            if stage.kind == "conv":
                call = dataclasses.replace(call, args=(self.filters, *call.args[1:]))
            self.layers.append((stage.key, stage.kind, keras_layer(call, stage.layer_name)))

    def __call__(self, x, training=False):
        keras = load_keras()
        outputs = {}
        for key, kind, layer in self.layers:
            if kind == "conv":
                x = keras.ops.add(layer.convolution_op(x, self.kernel), self.bias)
            else:
                x = layer.call(x)
            outputs[key] = x
        return outputs


@_serialized
def build_chunked_models(spec, max_values=CHUNK_VALUES):
    """Runners that together compute :func:`build_model`'s outputs, block by block.

    Each block gets its own :class:`BlockChunk` runners, which take the
    previous block's last output (the image for the first block) and compute
    a few filters each; stacking a block's chunk outputs along the channel
    axis gives the full model's outputs for that block. Each chunk carries
    the matching slice of the block's kernel (:func:`kernel_weights`: the
    seeded Glorot-uniform draw the model's Conv2D makes, or the chosen
    kernels).

    Parameters
    ----------
    spec : PipelineSpec
    max_values : int

    Returns
    -------
    list of list of (range, BlockChunk)
        Per computable block, filter indices and the runner that computes them.
    """
    plan = plan_pipeline(spec)
    pieces = []
    for index, chunks in enumerate(filter_chunks(spec, max_values)):
        stages = plan.block_stages(index + 1)
        if not stages:
            break
        kernel, bias = kernel_weights(spec, index)
        pieces.append(
            [
                (
                    chunk,
                    BlockChunk(
                        stages,
                        kernel[..., chunk.start : chunk.stop],
                        bias[chunk.start : chunk.stop],
                    ),
                )
                for chunk in chunks
            ]
        )
    return pieces
