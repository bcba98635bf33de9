"""The Compare page."""

import streamlit as st


def render():
    st.write("")
