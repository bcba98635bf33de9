"""Formula text and LaTeX from geometry's numbers, and the words around them.

:mod:`cnn_core.explain.formulas` writes the arithmetic (the same in every
language); the words come from the catalogue as :class:`~cnn_core.i18n.Message`
objects, rendered by :func:`render_lines` in the language the student chose.
"""

from cnn_core.explain.formulas import (
    ACTIVATION_RULE,
    ACTIVATION_TEXT,
    DILATED_SAME_RULES,
    DILATED_VALID_RULES,
    POOL_RULE,
    SAME_RULES,
    VALID_RULES,
    conv_param_formula,
    glorot_formula,
    number,
    valid_formula,
)

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
