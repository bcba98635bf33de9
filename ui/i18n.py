"""The student's language: chosen once per session, shown in every word.

Every text a user reads goes through :func:`t` (a catalogue key and its
values) or, for the engine's errors and messages, :func:`say`. The language is
the sidebar's "Language / 语言" control (widget key ``lang``); its first value
comes from the link (``lang=zh``), else from the browser
(:func:`cnn_core.i18n.pick_language`), else English. Widget keys and URL
values never change with the language, so a link made in Chinese opens the
same view in English.
"""

from __future__ import annotations

import contextvars

import streamlit as st

from cnn_core.errors import ConvlabError
from cnn_core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Message, pick_language, translate

#: Session-state key of the language control.
LANG = "lang"
#: The language a :func:`labels` formatter fixed, while it runs.
_FIXED = contextvars.ContextVar("convlab_fixed_language", default=None)


def browser_language():
    """The language the browser asks for first, among ours."""
    context = st.context
    locale = getattr(context, "locale", None)
    headers = getattr(context, "headers", None) or {}
    return pick_language(locale, headers.get("Accept-Language"))


def start_language(link_lang=None):
    """Set the session's language once: the link's, else the browser's."""
    if st.session_state.get(LANG) not in LANGUAGES:
        st.session_state[LANG] = link_lang or browser_language()


def lang():
    """The current language code."""
    code = _FIXED.get() or st.session_state.get(LANG)
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def t(key, /, **params):
    """The text of catalogue ``key`` in the current language."""
    return translate(lang(), key, **params)


def labels(format_func):
    """A widget's ``format_func`` that says its labels in the language of this run.

    Streamlit keeps a widget's ``format_func`` and may call it after the run
    (AppTest does, to find the chosen option among the labels), when the
    session's language cannot be read; the language is fixed when the widget
    is drawn.
    """
    code = lang()

    def label(value):
        token = _FIXED.set(code)
        try:
            return format_func(value)
        finally:
            _FIXED.reset(token)

    return label


def say(message):
    """Render an engine :class:`~cnn_core.i18n.Message` or error, or pass text through."""
    if isinstance(message, ConvlabError | Message):
        return message.render(lang())
    return str(message)


def language_control():
    """The "Language / 语言" control; keeps its value alive across pages."""
    st.session_state[LANG] = lang()
    st.segmented_control(
        t("common.language.label"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,  # each language's own name, in every language
        key=LANG,
        help=t("common.language.help"),
        required=True,
    )


def link_language():
    """What the link should carry: the language when it is not what the
    browser would choose by itself, or not English."""
    code = lang()
    if code != DEFAULT_LANGUAGE or code != browser_language():
        return code
    return None
