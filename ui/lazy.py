"""Expanders whose contents are made only while they are open."""

from __future__ import annotations

import streamlit as st


def lazy_expander(label, key, default=False, **kwargs):
    """An expander that reruns the page when opened or closed.

    Draw its contents only when ``.open`` is True: closed, it costs a rerun
    one element, and its contents are neither computed nor sent.

    Streamlit 1.67 names a state-tracking expander by its label as well as
    its key, so one whose label follows the settings (the model summary, a
    block's title, any label after a language switch) would come back closed
    after every change. So when the label changes, the expander starts as
    the student left it (its last state, passed as ``expanded``); while the
    label stays, ``expanded`` stays too, and with it the expander's identity.

    Parameters
    ----------
    label : str
        The expander's label.
    key : str
        Its widget key; ``st.session_state[key]`` is True while it is open.
    default : bool
        Open or closed the first time it is drawn in a session; after that it
        stays as the student left it.
    **kwargs
        Passed to ``st.expander`` (``icon``, ...).

    Returns
    -------
    streamlit.delta_generator.DeltaGenerator
        The expander, with ``.open``.
    """
    remembered = f"_{key}_last"  # (label, expanded passed, open) of the last run
    last_label, passed, was_open = st.session_state.get(remembered, (None, default, default))
    expanded = passed if label == last_label else was_open
    box = st.expander(label, expanded=expanded, key=key, on_change="rerun", **kwargs)
    st.session_state[remembered] = (label, expanded, bool(box.open))
    return box
