"""The honest "not built yet" screen."""

import streamlit as st


def under_construction(title: str) -> None:
    st.title(title)
    st.info("Раздел в разработке.")
