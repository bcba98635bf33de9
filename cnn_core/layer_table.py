"""The one table from a block to its Keras layers.

A block is optional ZeroPadding2D, then Conv2D, then an activation, then
optional pooling. :func:`block_layers` says which layers, of which Keras
class, with which arguments; the plan (:mod:`cnn_core.shapes`), the model
builder (:mod:`cnn_core.model`) and the code generator
(:mod:`cnn_core.codegen`) all read it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GlorotSeed", "LayerCall", "block_layers", "layer_names"]


@dataclass(frozen=True)
class GlorotSeed:
    """Stands for ``keras.initializers.GlorotUniform(seed=seed)`` in a call."""

    seed: int


@dataclass(frozen=True)
class LayerCall:
    """One Keras layer as data: class, arguments, and the stage it makes.

    Attributes
    ----------
    kind : {"padding", "conv", "activation", "pool"}
        The stage this layer's output is.
    keras_class : str
        Name in ``keras.layers``.
    default_name : str
        The name Keras gives the first layer of this class ("conv2d").
    args : tuple
        Positional arguments.
    kwargs : tuple of (str, object)
        Keyword arguments, in order; a :class:`GlorotSeed` value is a seeded
        initialiser.
    """

    kind: str
    keras_class: str
    default_name: str
    args: tuple = ()
    kwargs: tuple = ()


_ACTIVATION = {"leaky_relu": ("LeakyReLU", "leaky_re_lu")}
_POOLING = {
    "max": ("MaxPooling2D", "max_pooling2d"),
    "average": ("AveragePooling2D", "average_pooling2d"),
}


def block_layers(block):
    """The Keras layers of one block, in order.

    Parameters
    ----------
    block : cnn_core.spec.BlockSpec

    Returns
    -------
    tuple of LayerCall

    Examples
    --------
    >>> from cnn_core.spec import BlockSpec
    >>> [call.keras_class for call in block_layers(BlockSpec())]
    ['Conv2D', 'Activation', 'MaxPooling2D']
    >>> block_layers(BlockSpec(kernel_size=3, dilation=2))[0].kwargs[-1]
    ('dilation_rate', (2, 2))
    """
    calls = []
    if block.explicit_padding:
        calls.append(
            LayerCall("padding", "ZeroPadding2D", "zero_padding2d", (block.explicit_padding,))
        )
    k = block.kernel_size
    conv_kwargs = (
        ("strides", block.stride),
        ("padding", block.keras_padding),
        ("kernel_initializer", GlorotSeed(block.seed)),
    )
    if block.dilation > 1:
        conv_kwargs += (("dilation_rate", (block.dilation, block.dilation)),)
    calls.append(LayerCall("conv", "Conv2D", "conv2d", (block.filters, (k, k)), conv_kwargs))
    if block.activation in _ACTIVATION:
        keras_class, name = _ACTIVATION[block.activation]
        calls.append(LayerCall("activation", keras_class, name))
    elif block.activation != "none":
        calls.append(LayerCall("activation", "Activation", "activation", (block.activation,)))
    if block.pooling != "none":
        keras_class, name = _POOLING[block.pooling]
        p = block.pool_size
        calls.append(
            LayerCall(
                "pool",
                keras_class,
                name,
                kwargs=(("pool_size", (p, p)), ("strides", block.effective_pool_stride)),
            )
        )
    return tuple(calls)


def layer_names(calls):
    """Keras-like unique names: ``conv2d``, ``conv2d_1``, ... per class.

    Examples
    --------
    >>> from cnn_core.spec import BlockSpec
    >>> layer_names(block_layers(BlockSpec()) + block_layers(BlockSpec()))
    ['conv2d', 'activation', 'max_pooling2d', 'conv2d_1', 'activation_1', 'max_pooling2d_1']
    """
    seen = {}
    names = []
    for call in calls:
        count = seen.get(call.default_name, 0)
        seen[call.default_name] = count + 1
        names.append(call.default_name if count == 0 else f"{call.default_name}_{count}")
    return names
