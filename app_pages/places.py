"""Места (admin): how a visitor finds each place: address, nearest metro, «как пройти».

Visitors see it wherever they choose or see a place (Доступные услуги, the confirmation, Мои
записи, the calendar file). Places themselves come with an event (the event form's «Новое
место») or, on a new production database, from the start-up.
"""

import streamlit as st

from core.errors import DomainError
from core.places import Place, update_place
from ui.auth import as_signed_in, require_role
from ui.clock import now
from ui.db import after_write, cached_places, get_engine
from ui.format import md
from ui.forms import clear_errors, field_error, remember_error, show_once

actor = require_role("admin")
FORM = "pl_form"


def open_form(place: Place) -> None:
    st.session_state.update(
        pl_editing=place.id, pl_address=place.address or "", pl_metro=place.metro or "", pl_directions=place.directions or ""
    )
    clear_errors(FORM)


def close_form() -> None:
    st.session_state["pl_editing"] = None
    clear_errors(FORM)


@as_signed_in
def save(place: Place) -> None:
    s = st.session_state
    clear_errors(FORM)
    try:
        update_place(get_engine(), place.id, s.pl_address, s.pl_metro, s.pl_directions, actor, now())
    except DomainError as refusal:
        remember_error(FORM, refusal)
        return
    after_write()
    close_form()
    s["pl_flash"] = f"Место «{md(place.name)}» сохранено."


def place_form(place: Place) -> None:
    s = st.session_state
    st.text_input("Адрес", key="pl_address", max_chars=200, placeholder="Например: Цветной бульвар, 11, стр. 2")
    field_error(FORM, "address", s.pl_address)
    st.text_input("Ближайшее метро", key="pl_metro", max_chars=80, placeholder="Например: Цветной бульвар")
    field_error(FORM, "metro", s.pl_metro)
    st.text_area("Как пройти", key="pl_directions", max_chars=500, height=100,
                 placeholder="Например: выход к цирку, 5 минут пешком; вход со двора, синяя дверь.")
    field_error(FORM, "directions", s.pl_directions)
    buttons = st.columns(2)
    buttons[0].button("Сохранить", key=f"pl_save_{place.id}", type="primary", on_click=save, args=(place,), width="stretch")
    buttons[1].button("Отмена", key=f"pl_cancel_{place.id}", on_click=close_form, width="stretch")


def place_card(place: Place) -> None:
    with st.container(border=True, key=f"pl_place_{place.id}"):
        st.markdown(f"**{md(place.name)}**")
        if st.session_state.get("pl_editing") == place.id:
            place_form(place)
            return
        if place.where:
            st.markdown(md(place.where))
        else:
            st.caption("Адрес и метро не указаны: посетители видят только название.")
        if place.directions:
            st.caption(f"Как пройти: {md(place.directions)}")
        st.button("Изменить", key=f"pl_edit_{place.id}", on_click=open_form, args=(place,), width="stretch")


st.title("Места")
st.caption("Адрес, ближайшее метро и «как пройти» посетители видят, когда выбирают услугу, в подтверждении записи "
           "и в своих записях. Новое место добавляется в форме события.")
show_once("pl_flash")
places = cached_places()
if not places:
    st.info("Мест пока нет: добавьте место в форме события на странице «Расписание».")
for item in places:
    place_card(item)
