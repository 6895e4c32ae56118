"""The page for an address no page has (ui.server sends such addresses here).

Streamlit itself would run the start page under an English «Page not found» notice.
"""

import streamlit as st

from ui.auth import current_actor
from ui.navigation import start_page

NOT_FOUND = "not-found"


def show() -> None:
    st.header("Такой страницы нет", anchor=False)
    st.write("Проверьте адрес или вернитесь на свою начальную страницу.")
    actor = current_actor()
    st.page_link(start_page(actor.role if actor else None), label="На начальную страницу", icon="🏠")


def page() -> st.Page:
    return st.Page(show, title="Такой страницы нет", icon="🧭", url_path=NOT_FOUND, visibility="hidden")
