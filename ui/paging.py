"""Long lists come a page at a time: «← Назад», «Далее →» and the page number under the list."""

import streamlit as st


def current_page(key: str, pages: int | None = None) -> int:
    """The page shown (from 0), kept under `key`; pulled back inside `pages` when a filter shrank the list."""
    number = st.session_state.setdefault(key, 0)
    if pages is not None and number >= max(pages, 1):
        number = st.session_state[key] = max(pages, 1) - 1
    return number


def from_first_page_when_changed(criteria_key: str, criteria, *page_keys: str) -> None:
    """Another filter or search starts its list from the first page (`criteria` kept under `criteria_key`)."""
    if st.session_state.get(criteria_key) != criteria:
        st.session_state[criteria_key] = criteria
        st.session_state.update(dict.fromkeys(page_keys, 0))


def _turn(key: str, step: int) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + step


def pager(key: str, has_more: bool, pages: int | None = None) -> None:
    """The buttons under a list; `pages` (when known) makes the caption «Страница 2 из 3»."""
    number = current_page(key, pages)
    nav = st.columns([1, 1, 2])
    nav[0].button("← Назад", key=f"{key}_prev", disabled=number == 0, on_click=_turn, args=(key, -1), width="stretch")
    nav[1].button("Далее →", key=f"{key}_next", disabled=not has_more, on_click=_turn, args=(key, 1), width="stretch")
    nav[2].caption(f"Страница {number + 1}" + (f" из {pages}" if pages else ""))
