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
from cnn_core.i18n import Message, translate

__all__ = [
    "ACTIVATION_RULE",
    "ACTIVATION_TEXT",
    "DILATED_SAME_RULES",
    "DILATED_VALID_RULES",
    "POOL_RULE",
    "SAME_RULES",
    "VALID_RULES",
    "conv_param_formula",
    "counted",
    "glorot_formula",
    "join",
    "number",
    "valid_formula",
]


def counted(key, count, /, **params):
    """A message whose words depend on a count: ``<key>.one`` for 1, else
    ``<key>.other`` (English "1 row", "2 rows"; a language without plurals
    gives both the same text).

    Examples
    --------
    >>> counted("step.count.zero_row", 2).render("en")
    '2 zero rows'
    """
    return Message.of(f"{key}.{'one' if count == 1 else 'other'}", count=count, **params)


def join(parts, lang):
    """Sentences rendered in ``lang`` and joined as that language writes them
    (a space in English, nothing in Chinese)."""
    texts = [part.render(lang) if isinstance(part, Message) else part for part in parts]
    text = texts[-1]
    for first in reversed(texts[:-1]):
        text = translate(lang, "step.sentences", first=first, rest=text)
    return text
