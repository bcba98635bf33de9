"""The link in the address bar: read once per session, rewritten every run,
shared from the sidebar, and locked for a projector (``lock=1``).

The names, their parsing and their defaults are :mod:`cnn_core.links`; this
module only talks to Streamlit and puts rejections into words.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st

from cnn_core.images import DEFAULT_SAMPLE, SAMPLES, sample_label
from cnn_core.links import is_link_name, parse_link, rejection_message, spec_to_query
from ui.i18n import link_language, say, t
from ui.lazy import lazy_expander

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


def rejection_line(rejection):
    """One Markdown bullet for a :class:`~cnn_core.links.Rejection`."""
    return f"- {say(rejection_message(rejection))}"


def show_rejections():
    """One warning listing every value of the link that could not be used."""
    rejected = st.session_state.pop(_REJECTED, ())
    if rejected:
        st.warning(
            t("links.rejected.header")
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


#: Session-state key of the "Share this view" expander: True while it is open.
SHARE_OPEN = "share_open"


def share(spec, source, url=None, uploaded=False):
    """The sidebar's "Share this view": this view's link, and the same link locked.

    The links are written only while the expander is open (opening it reruns
    the page): closed, it costs a rerun one element, not five that change
    with every setting.
    """
    sample = sample_slug(source)
    box = lazy_expander(t("ui.share.title"), SHARE_OPEN, icon=":material/share:")
    if not box.open:
        return
    with box:
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
