"""Words apart from numbers: the catalogues, one per language.

The engine never writes a sentence. It returns numbers, and where it must say
something (an error, a formula's explanation, a figure's title) it returns a
:class:`Message`: a catalogue key and the values to put into it. The UI renders
a message in the language the student chose with :func:`translate`.

A catalogue is one folder per language, ``cnn_core/i18n/<code>/``, holding
TOML files. Every key is ``<file stem>.<dotted path inside the file>``, so
``en/sidebar.toml`` with ``kernel_size.label = "Kernel size"`` defines the
key ``sidebar.kernel_size.label``. Values are Python format strings with named
placeholders (``"{value} is not between {low} and {high}"``). Each language
has ``meta.toml`` with its own name (``name = "中文"``).

To add a language, copy ``en/`` to a new folder named by its code (``fr/``),
translate the values (never the keys or the ``{placeholders}``), and set
``meta.name``; it appears in the sidebar's language control by itself, and
``tests/test_i18n.py`` checks that nothing is missing.

Examples
--------
>>> translate("en", "meta.name")
'English'
>>> translate("zh", "meta.name")
'中文'
>>> Message("meta.name").render("en")
'English'
"""

from __future__ import annotations

import functools
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Message",
    "catalogue",
    "pick_language",
    "placeholders",
    "translate",
]

_ROOT = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


def _flatten(table, prefix):
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, dict):
            yield from _flatten(value, key)
        elif isinstance(value, str):
            yield key, value
        else:
            raise TypeError(f"{key}: catalogue values are strings, not {type(value).__name__}")


@functools.cache
def catalogue(lang):
    """Every key of language ``lang`` and its text.

    Parameters
    ----------
    lang : str
        A language code: a folder of ``cnn_core/i18n``.

    Returns
    -------
    dict of str to str

    Raises
    ------
    KeyError
        When there is no such language.
    ValueError
        When two files define the same key.
    """
    folder = _ROOT / lang
    if lang not in _languages():
        raise KeyError(lang)
    texts = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as file:
            table = tomllib.load(file)
        for key, value in _flatten(table, path.stem):
            if key in texts:
                raise ValueError(f"{lang}: key {key} defined twice")
            texts[key] = value
    return texts


@functools.cache
def _languages():
    return tuple(
        sorted(
            (path.name for path in _ROOT.iterdir() if (path / "meta.toml").is_file()),
            key=lambda code: (code != DEFAULT_LANGUAGE, code),
        )
    )


def _names():
    return {code: catalogue(code)["meta.name"] for code in _languages()}


#: Language code -> its own name, English first: ``{"en": "English", "zh": "中文"}``.
LANGUAGES = _names()


def placeholders(text):
    """The named placeholders of a catalogue text, in order, with repeats.

    Examples
    --------
    >>> placeholders("{a} and {b:g}, then {a}")
    ['a', 'b', 'a']
    """
    return [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]


def translate(lang, key, /, **params):
    """The text of ``key`` in ``lang`` with ``params`` filled in.

    A parameter that is itself a :class:`Message` is rendered in the same
    language first. An unknown language falls back to English; a key missing
    from a language falls back to its English text (the tests keep the
    catalogues complete, so this only protects a student from a KeyError).

    Parameters
    ----------
    lang : str
    key : str
    **params
        Values for the text's placeholders.

    Returns
    -------
    str

    Examples
    --------
    >>> translate("en", "common.language.label")
    'Language / 语言'
    """
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE)[key]
    values = {
        name: value.render(lang) if isinstance(value, Message) else value
        for name, value in params.items()
    }
    return text.format(**values) if values or "{" in text else text


@dataclass(frozen=True)
class Message:
    """A sentence the engine wants said, without choosing its language.

    Attributes
    ----------
    key : str
        A catalogue key.
    params : tuple of (str, object)
        Placeholder values, sorted by name (a tuple, so messages hash and can
        be cached). A value may be another :class:`Message`.

    Examples
    --------
    >>> message = Message.of("common.language.label")
    >>> message.render("zh")
    'Language / 语言'
    """

    key: str
    params: tuple = ()

    @classmethod
    def of(cls, key, /, **params):
        """A message with keyword placeholder values."""
        return cls(key, tuple(sorted(params.items())))

    @property
    def values(self):
        """The placeholder values as a dict."""
        return dict(self.params)

    def render(self, lang):
        """This message's text in ``lang``."""
        return translate(lang, self.key, **self.values)

    def __str__(self):
        return self.render(DEFAULT_LANGUAGE)


def pick_language(locale=None, accept_language=None):
    """The language a browser asks for first, among ours; English otherwise.

    Parameters
    ----------
    locale : str, optional
        The browser's locale (``st.context.locale``), e.g. ``"zh-CN"``.
    accept_language : str, optional
        An ``Accept-Language`` header, used when there is no locale.

    Returns
    -------
    str
        A key of :data:`LANGUAGES`.

    Examples
    --------
    >>> pick_language("zh-CN")
    'zh'
    >>> pick_language(None, "fr-FR,fr;q=0.9,zh;q=0.8")
    'zh'
    >>> pick_language(None, "de")
    'en'
    """
    wanted = []
    if locale:
        wanted.append((1.0, 0, locale))
    elif accept_language:
        for order, part in enumerate(accept_language.split(",")):
            tag, _, quality = part.strip().partition(";q=")
            try:
                weight = float(quality) if quality else 1.0
            except ValueError:
                weight = 0.0
            if tag and weight > 0:
                wanted.append((weight, order, tag))
    for _, _, tag in sorted(wanted, key=lambda item: (-item[0], item[1])):
        code = tag.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
