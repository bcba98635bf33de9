"""The arithmetic a student reads, with the numbers substituted: no words.

Every line here is the same in every language (``(512 + 2*0 - 15)/1 + 1 = 498``);
the words around it come from the catalogue (:mod:`cnn_core.explain.words`).
The numbers come from :mod:`cnn_core.geometry`.
"""

from __future__ import annotations

from cnn_core.geometry import conv_param_count

__all__ = [
    "ACTIVATION_RULE",
    "ACTIVATION_TEXT",
    "DILATED_SAME_RULES",
    "DILATED_VALID_RULES",
    "POOL_RULE",
    "SAME_RULES",
    "VALID_RULES",
    "conv_param_formula",
    "glorot_formula",
    "number",
    "valid_formula",
]


def number(value):
    """Format a quotient for a formula: at most two decimals, no trailing zeros.

    Examples
    --------
    >>> number(248.5), number(-0.001), number(3.0)
    ('248.5', '0', '3')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def valid_formula(n, pad, kernel, stride, out, with_pad=True):
    """The output size of a 'valid' window, with floor() when it does not divide.

    Examples
    --------
    >>> valid_formula(512, 0, 15, 1, 498)
    '(512 + 2*0 - 15)/1 + 1 = 498'
    >>> valid_formula(498, 0, 2, 2, 249, with_pad=False)
    '(498 - 2)/2 + 1 = 249'
    """
    numerator = n + 2 * pad - kernel if with_pad else n - kernel
    inner = f"{n} + 2*{pad} - {kernel}" if with_pad else f"{n} - {kernel}"
    if numerator % stride == 0:
        return f"({inner})/{stride} + 1 = {out}"
    return f"floor(({inner})/{stride}) + 1 = floor({number(numerator / stride)}) + 1 = {out}"


def conv_param_formula(kernel_size, channels, filters):
    """The parameter count with the numbers substituted, as shown to students.

    Examples
    --------
    >>> conv_param_formula(15, 1, 1)
    'params = 1*(15*15*1) + 1 = 226'
    """
    k, c, f = kernel_size, channels, filters
    return f"params = {f}*({k}*{k}*{c}) + {f} = {conv_param_count(k, c, f)}"


def glorot_formula(kernel_size, channels, filters, limit):
    """Keras's Glorot-uniform bound with the numbers substituted.

    Examples
    --------
    >>> glorot_formula(15, 1, 1, 0.11547)
    'limit = sqrt(6 / (15*15*1 + 15*15*1)) = sqrt(6 / 450) = 0.1155'
    """
    k = kernel_size
    fans = k * k * channels + k * k * filters
    return (
        f"limit = sqrt(6 / ({k}*{k}*{channels} + {k}*{k}*{filters})) "
        f"= sqrt(6 / {fans}) = {limit:.4f}"
    )


#: Each activation as a formula in plain text.
ACTIVATION_TEXT = {
    "relu": "relu(x) = max(0, x)",
    "sigmoid": "sigmoid(x) = 1 / (1 + exp(-x))",
    "tanh": "tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))",
    "leaky_relu": "leaky_relu(x) = x if x > 0 else 0.3*x",
    "elu": "elu(x) = x if x > 0 else exp(x) - 1",
}
#: Each activation in LaTeX.
ACTIVATION_RULE = {
    "relu": r"\mathrm{relu}(x) = \max(0,\ x)",
    "sigmoid": r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    "tanh": r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    "leaky_relu": r"\mathrm{leaky}(x) = \begin{cases} x & x > 0 \\ 0.3\,x & x \le 0 \end{cases}",
    "elu": r"\mathrm{elu}(x) = \begin{cases} x & x > 0 \\ e^{x} - 1 & x \le 0 \end{cases}",
}
_PARAMS_RULE = r"\mathrm{params} = f\,(k \cdot k \cdot c) + f"
_KEFF_RULE = r"k_{\mathrm{eff}} = d\,(k - 1) + 1"
#: The general rules in LaTeX, symbols only, for each kind of convolution.
VALID_RULES = (
    r"n_{\mathrm{out}} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1",
    _PARAMS_RULE,
)
DILATED_VALID_RULES = (
    _KEFF_RULE,
    r"n_{\mathrm{out}} = \left\lfloor \frac{n + 2p - k_{\mathrm{eff}}}{s} \right\rfloor + 1",
    _PARAMS_RULE,
)
SAME_RULES = (r"n_{\mathrm{out}} = \left\lceil \frac{n}{s} \right\rceil", _PARAMS_RULE)
DILATED_SAME_RULES = (_KEFF_RULE, *SAME_RULES)
POOL_RULE = r"n_{\mathrm{out}} = \left\lfloor \frac{n - P}{S} \right\rfloor + 1"
