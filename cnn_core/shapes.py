"""Shape, parameter and MAC arithmetic, and the formula text shown to students.

Each formula is one pure function that mirrors Keras's own
``compute_conv_output_shape``; the text is rendered from the same numbers, so
what a student reads is what the engine computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.errors import ShapeError
from cnn_core.geometry import conv_output_size, conv_param_count, pool_output_size, same_padding
from cnn_core.images import preprocessing_steps
from cnn_core.spec import ACTIVATIONS, PipelineSpec

__all__ = [
    "Plan",
    "Stage",
    "conv_output_size",
    "conv_param_count",
    "conv_param_formula",
    "glorot_limit",
    "plan_pipeline",
    "pool_output_size",
    "same_padding",
]


def conv_param_formula(kernel_size, channels, filters):
    """The parameter count with the numbers substituted, as shown to students.

    Examples
    --------
    >>> conv_param_formula(15, 1, 1)
    'params = 1*(15*15*1) + 1 = 226'
    """
    k, c, f = kernel_size, channels, filters
    return f"params = {f}*({k}*{k}*{c}) + {f} = {conv_param_count(k, c, f)}"


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, with its shape and the text that explains it.

    Attributes
    ----------
    key : str
        "input", "padding", "conv", "activation" or "pool".
    title : str
        Heading shown to students.
    layer_name, layer_type : str
        Name and class as in Keras's ``model.summary()``.
    shape : tuple of int
        Output shape ``(height, width, channels)`` without the batch axis.
    params : int
        Trainable parameters of the stage.
    macs : int
        Multiply-accumulate operations of the stage (0 where none).
    formulas : tuple of str
        Lines of arithmetic with the user's numbers substituted.
    rules : tuple of str
        The general rules in LaTeX, with symbols only.
    """

    key: str
    title: str
    layer_name: str
    layer_type: str
    shape: tuple
    params: int = 0
    macs: int = 0
    formulas: tuple = ()
    rules: tuple = ()

    @property
    def batch_shape(self):
        """Shape with Keras's batch axis, e.g. ``(None, 498, 498, 1)``."""
        return (None, *self.shape)


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

    def stage(self, key):
        """Return the stage called ``key``, or None if it is not computed."""
        for stage in self.stages:
            if stage.key == key:
                return stage
        return None


def _number(value):
    """Format a quotient for a formula: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _valid_formula(n, pad, kernel, stride, out, with_pad=True):
    numerator = n + 2 * pad - kernel if with_pad else n - kernel
    inner = f"{n} + 2*{pad} - {kernel}" if with_pad else f"{n} - {kernel}"
    if numerator % stride == 0:
        return f"({inner})/{stride} + 1 = {out}"
    return f"floor(({inner})/{stride}) + 1 = floor({_number(numerator / stride)}) + 1 = {out}"


_ACTIVATION_TEXT = {
    "relu": "relu(x) = max(0, x)",
    "sigmoid": "sigmoid(x) = 1 / (1 + exp(-x))",
    "tanh": "tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))",
    "leaky_relu": "leaky_relu(x) = x if x > 0 else 0.3*x",
    "elu": "elu(x) = x if x > 0 else exp(x) - 1",
}

_ACTIVATION_RULE = {
    "relu": r"\mathrm{relu}(x) = \max(0,\ x)",
    "sigmoid": r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    "tanh": r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    "leaky_relu": r"\mathrm{leaky}(x) = \begin{cases} x & x > 0 \\ 0.3\,x & x \le 0 \end{cases}",
    "elu": r"\mathrm{elu}(x) = \begin{cases} x & x > 0 \\ e^{x} - 1 & x \le 0 \end{cases}",
}
_PARAMS_RULE = r"\mathrm{params} = f\,(k \cdot k \cdot c) + f"
_VALID_RULES = (
    r"n_{\mathrm{out}} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1",
    _PARAMS_RULE,
)
_SAME_RULES = (r"n_{\mathrm{out}} = \left\lceil \frac{n}{s} \right\rceil", _PARAMS_RULE)
_POOL_RULE = r"n_{\mathrm{out}} = \left\lfloor \frac{n - P}{S} \right\rfloor + 1"

_ACTIVATION_LAYER = {
    "leaky_relu": ("leaky_re_lu", "LeakyReLU"),
    "relu": ("activation", "Activation"),
    "sigmoid": ("activation", "Activation"),
    "tanh": ("activation", "Activation"),
    "elu": ("activation", "Activation"),
}


def plan_pipeline(spec, image_shape=None):
    """Work out every stage's shape, parameters and formula text for ``spec``.

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
    """
    n, c, k, s, f = spec.input_size, spec.channels, spec.kernel_size, spec.stride, spec.filters
    stages = [
        Stage(
            "input",
            "Input",
            "input_layer",
            "InputLayer",
            (n, n, c),
            formulas=(
                preprocessing_steps(image_shape, spec)
                if image_shape is not None
                else (f"batch of 1 image: (1, {n}, {n}, {c})",)
            ),
        )
    ]
    pad = spec.explicit_padding
    padded = n + 2 * pad
    if pad:
        stages.append(
            Stage(
                "padding",
                "Zero padding",
                "zero_padding2d",
                "ZeroPadding2D",
                (padded, padded, c),
                formulas=(f"{n} + 2*{pad} = {padded}",),
            )
        )

    if spec.padding_mode == "same":
        out = conv_output_size(n, k, s, "same")
        before, after = same_padding(n, k, s)
        total = before + after
        if n % s == 0:
            rule = f"max({k} - {s}, 0) = {total}"
        else:
            rule = f"max({k} - {n} mod {s}, 0) = {total}"
        formulas = (
            f"ceil({n}/{s}) = {out}",
            f"pad = {rule}",
            f"  = {before} top/left + {after} bottom/right",
        )
    else:
        out = conv_output_size(padded, k, s, "valid")
        formulas = (_valid_formula(n, pad, k, s, out),)
    if out <= 0:
        error = ShapeError(
            "The convolution output would be zero or negative: "
            f"{formulas[0]}. The {k}x{k} kernel is larger than the "
            f"{padded}x{padded} padded input. Use a smaller kernel, a larger "
            "input size, more padding, or 'same' padding.",
            stage="conv",
        )
        return Plan(spec, tuple(stages), error)
    params = conv_param_count(k, c, f)
    macs = out * out * f * k * k * c
    formulas += (
        conv_param_formula(k, c, f),
        f"MACs = {out}*{out}*{f}*({k}*{k}*{c})",
        f"     = {macs:,}",
    )
    rules = _SAME_RULES if spec.padding_mode == "same" else _VALID_RULES
    stages.append(
        Stage(
            "conv", "Convolution", "conv2d", "Conv2D", (out, out, f), params, macs, formulas, rules
        )
    )

    if spec.activation != "none":
        name, kind = _ACTIVATION_LAYER[spec.activation]
        stages.append(
            Stage(
                "activation",
                f"Activation: {ACTIVATIONS[spec.activation]}",
                name,
                kind,
                (out, out, f),
                formulas=(
                    _ACTIVATION_TEXT[spec.activation],
                    f"applied to each value, shape unchanged: ({out}, {out}, {f})",
                ),
                rules=(_ACTIVATION_RULE[spec.activation],),
            )
        )

    if spec.pooling != "none":
        p, ps = spec.pool_size, spec.effective_pool_stride
        pooled = pool_output_size(out, p, ps)
        formula = _valid_formula(out, 0, p, ps, pooled, with_pad=False)
        if pooled <= 0:
            error = ShapeError(
                f"The pooling output would be zero or negative: {formula}. "
                f"The {p}x{p} pooling window is larger than its {out}x{out} input. "
                "Use a smaller pool size, or make the convolution output larger.",
                stage="pool",
            )
            return Plan(spec, tuple(stages), error)
        kind = "MaxPooling2D" if spec.pooling == "max" else "AveragePooling2D"
        name = "max_pooling2d" if spec.pooling == "max" else "average_pooling2d"
        stages.append(
            Stage(
                "pool",
                f"{spec.pooling.capitalize()} pooling",
                name,
                kind,
                (pooled, pooled, f),
                macs=0,
                formulas=(
                    formula,
                    f"{p}x{p} window, stride {ps}, {spec.pooling} of each window, no parameters",
                ),
                rules=(_POOL_RULE,),
            )
        )
    return Plan(spec, tuple(stages), None)


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
    k = kernel_size
    text = (
        f"limit = sqrt(6 / ({k}*{k}*{channels} + {k}*{k}*{filters})) "
        f"= sqrt(6 / {fan_in + fan_out}) = {limit:.4f}"
    )
    return limit, text
