"""How a visitor reads a place: its name with address and metro on one line, then «как пройти»."""

import streamlit as st

from core.places import Place
from ui.db import cached_places
from ui.format import md


def place_by_id(place_id: int) -> Place | None:
    return next((place for place in cached_places() if place.id == place_id), None)


def place_line(place: Place) -> str:
    """"📍 **Цветной** · Цветной бульвар, 11 · м. Цветной бульвар" (markdown, user text inert)."""
    return f"📍 **{md(place.name)}**" + (f" · {md(place.where)}" if place.where else "")


def show_place(place: Place, *, directions: bool = True) -> None:
    st.markdown(place_line(place))
    if directions and place.directions:
        st.caption(f"Как пройти: {md(place.directions)}")
