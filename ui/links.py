"""The link in the address bar: read once per session, rewritten every run,
shared from the sidebar, and locked for a projector (``lock=1``).

The names, their parsing and their defaults are :mod:`cnn_core.links`; this
module only talks to Streamlit and puts rejections into words.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st

from cnn_core.images import DEFAULT_SAMPLE, SAMPLES, sample_label
from cnn_core.links import is_link_name, parse_link, spec_to_query
from ui.i18n import link_language, say, t

#: Sample slug -> the sidebar's label.
SAMPLE_LABELS = {slug: label for label, slug in SAMPLES.items()}
_LOCKED = "_link_locked"
_REJECTED = "_link_rejected"


def read_link():
    """Read the address the session opened with.

    Keeps what the page must say about it (rejected values, projector mode)
    in session state and returns the :class:`~cnn_core.links.LinkState`.
    """
    state = parse_link(st.query_params.to_dict())
    st.session_state[_REJECTED] = state.rejected
    st.session_state[_LOCKED] = state if state.lock else None
    return state


def locked():
    """The locked link's state in projector mode, else None."""
    return st.session_state.get(_LOCKED)


def _allowed(allowed):
    """What a link value must be, in words: the catalogue's ``ui.link.allowed.*``."""
    kind = allowed.kind
    if kind == "number":
        return t("ui.link.allowed.number", low=f"{allowed.low:g}", high=f"{allowed.high:g}")
    if kind == "numbers":
        if allowed.low is None:
            return t("ui.link.allowed.numbers_square")
        return t("ui.link.allowed.numbers", count=allowed.low)
    if kind in ("numbers_custom", "bias_random", "http_url"):
        return t(f"ui.link.allowed.{kind}")
    if kind in ("integer", "padding"):
        return t(f"ui.link.allowed.{kind}", low=allowed.low, high=allowed.high)
    if len(allowed.choices) == 1:
        return f"`{allowed.choices[0]}`"
    choices = t("ui.link.list_separator").join(f"`{choice}`" for choice in allowed.choices)
    return t("ui.link.allowed.choices", choices=choices)


def _shown(value):
    value = value.replace("`", "'")
    value = value if len(value) <= 40 else value[:39] + "…"
    return value if value.strip() else t("ui.link.empty")


def rejection_line(rejection):
    """One Markdown bullet for a :class:`~cnn_core.links.Rejection`."""
    if rejection.allowed.kind == "kernel_size":
        return f"- {say(rejection.allowed.choices[0])}"
    if rejection.allowed.kind == "filters_fixed":
        count = rejection.allowed.low
        return "- " + t(
            "ui.link.filters_fixed_one" if count == 1 else "ui.link.filters_fixed",
            setting=f"`{rejection.name}={_shown(rejection.value)}`",
            weights=f"`weights={rejection.allowed.choices[0]}`",
            count=count,
            default=rejection.default,
        )
    if rejection.default:
        outcome = t("ui.link.outcome_default", default=rejection.default)
    else:
        outcome = t("ui.link.outcome_ignored")
    return "- " + t(
        "ui.link.rejection",
        setting=f"`{rejection.name}={_shown(rejection.value)}`",
        allowed=_allowed(rejection.allowed),
        outcome=outcome,
    )


def show_rejections():
    """One warning listing every value of the link that could not be used."""
    rejected = st.session_state.pop(_REJECTED, ())
    if rejected:
        st.warning(
            t("ui.link.rejected_intro")
            + "\n\n"
            + "\n".join(rejection_line(rejection) for rejection in rejected),
            icon=":material/link_off:",
        )


def _link(query):
    """The full link of ``query`` on the page and address the browser used."""
    parts = urllib.parse.urlsplit(st.context.url or "")
    text = urllib.parse.urlencode(query, quote_via=urllib.parse.quote, safe="/:")
    return urllib.parse.urlunsplit(parts._replace(path=parts.path or "/", query=text))


def sample_slug(source):
    """The slug of a sidebar source, or None for an upload or a URL."""
    return SAMPLES.get(source)


def sync_url(spec, sample=None, url=None):
    """Write the current view into the address bar with today's names.

    ``sample`` is a slug (None for an upload or a URL without a fallback).
    Names that are not ours (a learning platform's) stay where they were.
    """
    lock = locked() is not None
    query = spec_to_query(spec, sample=sample, url=url or None, lock=lock, lang=link_language())
    current = st.query_params.to_dict()
    foreign = {name: value for name, value in current.items() if not is_link_name(name)}
    wanted = query | foreign
    if current != wanted:
        st.query_params.from_dict(wanted)


def share(spec, source, url=None, uploaded=False):
    """The sidebar's "Share this view": this view's link, and the same link locked."""
    sample = sample_slug(source)
    with st.expander(t("ui.share.title"), icon=":material/share:"):
        if uploaded:
            st.info(t("ui.share.uploaded", sample=say(sample_label(DEFAULT_SAMPLE))))
        st.caption(t("ui.share.this_view"))
        st.code(
            _link(spec_to_query(spec, sample=sample, url=url, lang=link_language())),
            language=None,
            wrap_lines=True,
        )
        st.caption(t("ui.share.projector"))
        st.code(
            _link(spec_to_query(spec, sample=sample, url=url, lock=True, lang=link_language())),
            language=None,
            wrap_lines=True,
        )


def lock_note(state):
    """What a locked view says instead of the settings."""
    st.info(t("ui.lock.note"), icon=":material/lock:")
    query = spec_to_query(state.spec, sample=state.sample, url=state.url, lang=link_language())
    st.code(_link(query), language=None, wrap_lines=True)
