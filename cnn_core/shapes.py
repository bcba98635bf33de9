"""Shape, parameter and MAC arithmetic, and the formula text shown to students.

Each formula is one pure function that mirrors Keras's own
``compute_conv_output_shape``; the text is rendered from the same numbers, so
what a student reads is what the engine computed. The arithmetic lines come
from :mod:`cnn_core.explain` and are the same in every language; the words
(titles, notes, errors) are :class:`~cnn_core.i18n.Message` objects, rendered
in the student's language by :meth:`Stage.title_in` and :meth:`Stage.formulas_in`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.errors import ShapeError
from cnn_core.explain import (
    ACTIVATION_RULE,
    ACTIVATION_TEXT,
    DILATED_SAME_RULES,
    DILATED_VALID_RULES,
    POOL_RULE,
    SAME_RULES,
    VALID_RULES,
    conv_param_formula,
    glorot_formula,
    valid_formula,
)
from cnn_core.geometry import (
    INPUT_FIELD,
    ReceptiveField,
    activation_bytes,
    conv_macs,
    conv_output_size,
    conv_param_count,
    pool_output_size,
    same_padding,
)
from cnn_core.i18n import Message, translate
from cnn_core.images import preprocessing_messages
from cnn_core.layer_table import LayerCall, block_layers
from cnn_core.spec import PipelineSpec, activation_label

__all__ = [
    "Plan",
    "Stage",
    "block_summary",
    "conv_output_size",
    "conv_param_count",
    "conv_param_formula",
    "glorot_limit",
    "plan_pipeline",
    "pool_output_size",
    "render",
    "same_padding",
    "stage_key",
    "summary_columns",
    "summary_rows",
]


def block_summary(number, block, lang="en"):
    """A one-line title for block ``number`` (1-based), as the sidebar shows it.

    Examples
    --------
    >>> from cnn_core.spec import BlockSpec
    >>> block_summary(2, BlockSpec(kernel_size=3, filters=8, padding_mode="same"))
    'Block 2: 8x3x3, stride 1, same, relu, max 2'
    >>> block_summary(3, BlockSpec(kernel_size=3, dilation=2, pooling="none"))
    'Block 3: 1x3x3, stride 1, dilation 2, valid, relu, no pooling'
    >>> block_summary(2, BlockSpec(kernel_size=3, filters=8, padding_mode="same"), "zh")
    '第 2 块：8x3x3，步幅 1，same 填充，relu，最大池化 2'
    """
    k = block.kernel_size
    key = "explain.summary."
    parts = [f"{block.filters}x{k}x{k}", Message.of(key + "stride", stride=block.stride)]
    if block.dilation > 1:
        parts.append(Message.of(key + "dilation", dilation=block.dilation))
    if block.padding_mode == "explicit":
        parts.append(Message.of(key + "explicit", padding=block.padding))
    else:
        parts.append(Message.of(key + block.padding_mode))
    parts.append(activation_label(block.activation))
    if block.pooling == "none":
        parts.append(Message.of(key + "no_pooling"))
    else:
        parts.append(Message.of(key + f"pool_{block.pooling}", size=block.pool_size))
    separator = translate(lang, key + "separator")
    text = separator.join(render(part, lang) for part in parts)
    return translate(lang, key + "block", number=number, parts=text)


def render(line, lang="en"):
    """A formula line in ``lang``: a :class:`~cnn_core.i18n.Message` is
    rendered, plain arithmetic is returned as it is."""
    return line.render(lang) if isinstance(line, Message) else line


def stage_key(kind, block):
    """The key of stage ``kind`` of block ``block`` (1-based): ``conv``,
    ``conv_2``, ... as in the URL, where block 1's names have no suffix.

    Examples
    --------
    >>> stage_key("input", 0), stage_key("conv", 1), stage_key("pool", 3)
    ('input', 'conv', 'pool_3')
    """
    return kind if block <= 1 else f"{kind}_{block}"


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, with its shape and the text that explains it.

    Attributes
    ----------
    key : str
        "input", or a stage kind with its block suffix (:func:`stage_key`):
        "padding", "conv", "activation", "pool", "conv_2", ...
    heading : Message
        Heading shown to students (:attr:`title` is its English text,
        :meth:`title_in` any language's).
    layer_name, layer_type : str
        Name and class as in Keras's ``model.summary()``.
    shape : tuple of int
        Output shape ``(height, width, channels)`` without the batch axis.
    params : int
        Trainable parameters of the stage.
    macs : int
        Multiply-accumulate operations of the stage (0 where none).
    lines : tuple of str or Message
        Lines of arithmetic with the user's numbers substituted (plain
        strings, the same in every language) and the words that explain them
        (messages); :attr:`formulas` renders them in English,
        :meth:`formulas_in` in any language.
    rules : tuple of str
        The general rules in LaTeX, with symbols only.
    block : int
        1-based block number; 0 for the input.
    kind : str
        "input", "padding", "conv", "activation" or "pool".
    layer : LayerCall or None
        The Keras layer that computes the stage (None for the input).
    field : ReceptiveField
        Receptive field of one output pixel on the input image.
    """

    key: str
    heading: Message
    layer_name: str
    layer_type: str
    shape: tuple
    params: int = 0
    macs: int = 0
    lines: tuple = ()
    rules: tuple = ()
    block: int = 0
    kind: str = "input"
    layer: LayerCall | None = None
    field: ReceptiveField = INPUT_FIELD

    @property
    def title(self):
        """The heading in English."""
        return self.title_in("en")

    def title_in(self, lang):
        """The heading in ``lang``."""
        return self.heading.render(lang)

    @property
    def formulas(self):
        """The formula lines in English."""
        return self.formulas_in("en")

    def formulas_in(self, lang):
        """The formula lines in ``lang``; the arithmetic is the same in every language."""
        return tuple(render(line, lang) for line in self.lines)

    @property
    def batch_shape(self):
        """Shape with Keras's batch axis, e.g. ``(None, 498, 498, 1)``."""
        return (None, *self.shape)

    @property
    def memory(self):
        """float32 bytes of the stage's output for one image."""
        return activation_bytes(self.shape)


@dataclass(frozen=True)
class Plan:
    """Every stage a spec can compute, and why the rest cannot be.

    Attributes
    ----------
    spec : PipelineSpec
    stages : tuple of Stage
        Stages in order, up to (not including) the first that cannot be
        computed.
    error : ShapeError or None
        Why the pipeline stops early, if it does.
    """

    spec: PipelineSpec
    stages: tuple
    error: ShapeError | None = None

    @property
    def total_params(self):
        """Sum of the stages' parameters."""
        return sum(stage.params for stage in self.stages)

    @property
    def total_macs(self):
        """Sum of the stages' multiply-accumulates."""
        return sum(stage.macs for stage in self.stages)

    @property
    def total_memory(self):
        """Sum of the stages' output bytes (every stage is kept, as the app shows them)."""
        return sum(stage.memory for stage in self.stages)

    def stage(self, key):
        """Return the stage called ``key``, or None if it is not computed."""
        for stage in self.stages:
            if stage.key == key:
                return stage
        return None

    def block_stages(self, block):
        """The computed stages of block ``block`` (1-based), in order."""
        return tuple(stage for stage in self.stages if stage.block == block)


class _Planner:
    """Walks the layer table block by block, keeping side, channels, field and names."""

    def __init__(self, spec, image_shape):
        n, c = spec.input_size, spec.channels
        self.spec = spec
        self.side, self.channels, self.field = n, c, INPUT_FIELD
        self.names = {}
        self.stages = [
            Stage(
                "input",
                Message.of("explain.stage.input"),
                "input_layer",
                "InputLayer",
                (n, n, c),
                lines=(
                    preprocessing_messages(image_shape, spec)
                    if image_shape is not None
                    else (Message.of("explain.input.batch", n=n, c=c),)
                ),
            )
        ]

    def _where(self, block, message):
        """Name the block in a message when there is more than one."""
        if self.spec.depth > 1:
            return Message.of("errors.shape.in_block", block=block, text=message)
        return message

    def add(self, call, block, title, side, channels, field, **details):
        count = self.names.get(call.default_name, 0)
        self.names[call.default_name] = count + 1
        self.stages.append(
            Stage(
                stage_key(call.kind, block),
                title,
                call.default_name if count == 0 else f"{call.default_name}_{count}",
                call.keras_class,
                (side, side, channels),
                block=block,
                kind=call.kind,
                layer=call,
                field=field,
                **details,
            )
        )
        self.side, self.channels, self.field = side, channels, field

    def padding(self, call, block, spec_block):
        n, c, pad = self.side, self.channels, spec_block.explicit_padding
        padded = n + 2 * pad
        self.add(
            call,
            block,
            Message.of("explain.stage.padding"),
            padded,
            c,
            self.field.then(1, 1, pad),
            lines=(f"{n} + 2*{pad} = {padded}",),
        )

    def conv(self, call, block, spec_block):
        """Add the convolution, or return the ShapeError that stops it."""
        n, c = self.side, self.channels
        k, s, f, d = (
            spec_block.kernel_size,
            spec_block.stride,
            spec_block.filters,
            spec_block.dilation,
        )
        k_eff = spec_block.effective_kernel
        key = stage_key("conv", block)
        if s > 1 and d > 1:
            return ShapeError(
                self._where(
                    block, Message.of("errors.shape.stride_dilation", stride=s, dilation=d)
                ),
                stage=key,
            )
        dilated = (f"k_eff = {d}*({k} - 1) + 1 = {k_eff}",) if d > 1 else ()
        if spec_block.padding_mode == "same":
            out = conv_output_size(n, k, s, "same", d)
            before, after = same_padding(n, k, s, d)
            total = before + after
            if n % s == 0:
                rule = f"max({k_eff} - {s}, 0) = {total}"
            else:
                rule = f"max({k_eff} - {n} mod {s}, 0) = {total}"
            formulas = (
                f"ceil({n}/{s}) = {out}",
                *dilated,
                f"pad = {rule}",
                Message.of("explain.conv.same_split", before=before, after=after),
            )
            field = self.field.then(k_eff, s, before)
            padded = n
        else:
            pad = spec_block.explicit_padding
            # The padding stage already added ``pad``; the formula shows it.
            unpadded = n - 2 * pad
            out = conv_output_size(n, k, s, "valid", d)
            formulas = (*dilated, valid_formula(unpadded, pad, k_eff, s, out))
            field = self.field.then(k_eff, s, 0)
            padded = n
        if out <= 0:
            numbers = {"formula": formulas[-1], "kernel": k, "padded": padded}
            if d > 1:
                message = Message.of("errors.shape.conv_dilated", dilation=d, span=k_eff, **numbers)
            else:
                message = Message.of("errors.shape.conv", **numbers)
            return ShapeError(self._where(block, message), stage=key)
        params = conv_param_count(k, c, f)
        macs = conv_macs(out, k, c, f)
        formulas += (
            conv_param_formula(k, c, f),
            f"MACs = {out}*{out}*{f}*({k}*{k}*{c})",
            f"     = {macs:,}",
        )
        if spec_block.padding_mode == "same":
            rules = DILATED_SAME_RULES if d > 1 else SAME_RULES
        else:
            rules = DILATED_VALID_RULES if d > 1 else VALID_RULES
        self.add(
            call,
            block,
            Message.of("explain.stage.conv"),
            out,
            f,
            field,
            params=params,
            macs=macs,
            lines=formulas,
            rules=rules,
        )
        return None

    def activation(self, call, block, spec_block):
        n, c, name = self.side, self.channels, spec_block.activation
        self.add(
            call,
            block,
            Message.of("explain.stage.activation", name=activation_label(name)),
            n,
            c,
            self.field,
            lines=(
                ACTIVATION_TEXT[name],
                Message.of("explain.activation.applied", n=n, c=c),
            ),
            rules=(ACTIVATION_RULE[name],),
        )

    def pool(self, call, block, spec_block):
        """Add the pooling, or return the ShapeError that stops it."""
        out, p, ps = self.side, spec_block.pool_size, spec_block.effective_pool_stride
        pooled = pool_output_size(out, p, ps)
        formula = valid_formula(out, 0, p, ps, pooled, with_pad=False)
        if pooled <= 0:
            message = Message.of("errors.shape.pool", formula=formula, window=p, side=out)
            return ShapeError(self._where(block, message), stage=stage_key("pool", block))
        kind = spec_block.pooling
        self.add(
            call,
            block,
            Message.of(f"explain.stage.pool_{kind}"),
            pooled,
            self.channels,
            self.field.then(p, ps, 0),
            lines=(
                formula,
                Message.of(f"explain.pool.{kind}", window=p, stride=ps),
            ),
            rules=(POOL_RULE,),
        )
        return None


def plan_pipeline(spec, image_shape=None):
    """Work out every stage's shape, parameters, cost and formula text for ``spec``.

    Every block is planned the same way, from the layers
    :func:`cnn_core.layer_table.block_layers` gives it.

    Parameters
    ----------
    spec : PipelineSpec
    image_shape : tuple of int, optional
        Shape of the image as loaded; if given, the input stage's text walks
        through the preprocessing from that shape.

    Returns
    -------
    Plan
        The stages that can be computed, and a :class:`ShapeError` for the
        first that cannot (or None).

    Examples
    --------
    >>> plan = plan_pipeline(PipelineSpec())
    >>> [stage.shape for stage in plan.stages]
    [(512, 512, 1), (498, 498, 1), (498, 498, 1), (249, 249, 1)]
    >>> plan.total_params
    226
    >>> plan.stages[-1].field
    ReceptiveField(size=16, jump=2, start=0)
    """
    planner = _Planner(spec, image_shape)
    for number, spec_block in enumerate(spec.blocks, start=1):
        for call in block_layers(spec_block):
            if call.kind == "padding":
                planner.padding(call, number, spec_block)
            elif call.kind == "conv":
                error = planner.conv(call, number, spec_block)
            elif call.kind == "activation":
                planner.activation(call, number, spec_block)
            else:
                error = planner.pool(call, number, spec_block)
            if call.kind in ("conv", "pool") and error is not None:
                return Plan(spec, tuple(planner.stages), error)
    return Plan(spec, tuple(planner.stages), None)


def glorot_limit(kernel_size, channels, filters):
    """Bound of Keras's Glorot-uniform initialiser for a Conv2D kernel, with its formula.

    Weights are drawn uniformly from ``[-limit, limit]`` with
    ``limit = sqrt(6 / (fan_in + fan_out))``, ``fan_in = k*k*c`` and
    ``fan_out = k*k*f``.

    Returns
    -------
    limit : float
    formula : str

    Examples
    --------
    >>> limit, text = glorot_limit(15, 1, 1)
    >>> round(limit, 4)
    0.1155
    >>> text
    'limit = sqrt(6 / (15*15*1 + 15*15*1)) = sqrt(6 / 450) = 0.1155'
    """
    fan_in = kernel_size * kernel_size * channels
    fan_out = kernel_size * kernel_size * filters
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return limit, glorot_formula(kernel_size, channels, filters, limit)


def summary_columns(lang="en"):
    """The summary table's column titles: Keras's three, then cost and receptive field.

    Examples
    --------
    >>> summary_columns()[:3]
    ('Layer (type)', 'Output Shape', 'Param #')
    """
    names = ("layer", "shape", "params", "macs", "memory", "field")
    return tuple(translate(lang, f"explain.summary_table.{name}") for name in names)


def summary_rows(plan):
    """The model summary's rows, as Keras's ``model.summary()`` prints them.

    Returns
    -------
    list of tuple of str
        ``("name (Type)", "(None, h, w, c)", "params")``, one per stage, the
        input layer first.

    Examples
    --------
    >>> summary_rows(plan_pipeline(PipelineSpec()))[1]
    ('conv2d (Conv2D)', '(None, 498, 498, 1)', '226')
    """
    return [
        (f"{stage.layer_name} ({stage.layer_type})", str(stage.batch_shape), f"{stage.params:,}")
        for stage in plan.stages
    ]
