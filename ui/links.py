"""The link in the address bar: read once per session, rewritten every run,
shared from the sidebar, and locked for a projector (``lock=1``).

The names, their parsing and their defaults are :mod:`cnn_core.links`; this
module only talks to Streamlit and puts rejections into words.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st

from cnn_core.images import DEFAULT_SAMPLE, SAMPLES
from cnn_core.links import is_link_name, parse_link, spec_to_query
from ui.i18n import link_language

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
    if allowed.kind == "number":
        return f"a number between {allowed.low:g} and {allowed.high:g}"
    if allowed.kind == "numbers":
        if allowed.low is None:
            return "k*k comma-separated numbers (a k x k kernel, row by row)"
        return f"{allowed.low} comma-separated numbers (the kernel, row by row)"
    if allowed.kind == "numbers_custom":
        return "used without `weights=custom`"
    if allowed.kind == "bias_random":
        return "used with random weights (their bias is 0)"
    if allowed.kind == "integer":
        return f"a whole number between {allowed.low} and {allowed.high}"
    if allowed.kind == "padding":
        return f"`valid`, `same`, or a whole number between {allowed.low} and {allowed.high}"
    if allowed.kind == "http_url":
        return "an http:// or https:// address"
    if len(allowed.choices) == 1:
        return f"`{allowed.choices[0]}`"
    return "one of " + ", ".join(f"`{choice}`" for choice in allowed.choices)


def _shown(value):
    value = value.replace("`", "'")
    value = value if len(value) <= 40 else value[:39] + "…"
    return value if value.strip() else "(empty)"


def rejection_line(rejection):
    """One Markdown bullet for a :class:`~cnn_core.links.Rejection`."""
    if rejection.allowed.kind == "kernel_size":
        return f"- {rejection.allowed.choices[0]}"
    if rejection.allowed.kind == "filters_fixed":
        return (
            f"- `{rejection.name}={_shown(rejection.value)}` does not apply: the kernel "
            f"`weights={rejection.allowed.choices[0]}` has {rejection.allowed.low} "
            f"filter{'s' if rejection.allowed.low != 1 else ''}, so {rejection.default} is used."
        )
    outcome = (
        f"so the default {rejection.default} is used" if rejection.default else "so it is ignored"
    )
    return (
        f"- `{rejection.name}={_shown(rejection.value)}` is not "
        f"{_allowed(rejection.allowed)}, {outcome}."
    )


def show_rejections():
    """One warning listing every value of the link that could not be used."""
    rejected = st.session_state.pop(_REJECTED, ())
    if rejected:
        st.warning(
            "Some of the link's settings could not be used; the others are applied.\n\n"
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
    with st.expander("Share this view", icon=":material/share:"):
        if uploaded:
            st.info(
                "An uploaded image cannot travel in a link: this link opens the "
                f"{DEFAULT_SAMPLE} sample with the same settings."
            )
        st.caption("This view:")
        st.code(
            _link(spec_to_query(spec, sample=sample, url=url, lang=link_language())),
            language=None,
            wrap_lines=True,
        )
        st.caption("For a projector (settings hidden and locked):")
        st.code(
            _link(spec_to_query(spec, sample=sample, url=url, lock=True, lang=link_language())),
            language=None,
            wrap_lines=True,
        )


def lock_note(state):
    """What a locked view says instead of the settings."""
    st.info(
        "**Locked view: settings come from the link.** To change them, open the "
        "address without `lock=1`:",
        icon=":material/lock:",
    )
    query = spec_to_query(state.spec, sample=state.sample, url=state.url)
    st.code(_link(query), language=None, wrap_lines=True)
