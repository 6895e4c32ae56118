"""Мероприятия: upcoming and past sessions, filters, edit and delete, participants, calendar."""

from datetime import date

import streamlit as st

from core.errors import DomainError
from core.visitors import VisitorRow
from core.session_changes import delete_session, edit_session
from core.sessions import Session, SessionFilter
from ui import export_view, participants, session_calendar
from ui.auth import as_signed_in, require_role
from ui.clock import now, today
from ui.db import (
    after_write,
    cached_catalog,
    cached_places,
    cached_session_page,
    get_engine,
)
from ui.format import ALL_PLACES, ALL_SERVICES, CHOOSE, id_of, md, ru_date, time_range
from ui.forms import keep_widget_values, show_once
from ui.mks_people import visitors_found
from ui.paging import current_page, pager

actor = require_role("admin")
PAGE_SIZE = 20
TABS = {"upcoming": "Предстоящие", "past": "Прошедшие", "calendar": "Календарь", "export": "Экспорт данных"}
NOBODY = -1  # a participant search that matched no one: no session can match it either
keep_widget_values("ss_tab", "sf_service", "sf_place", "sf_person_q", "sf_person")
st.session_state.setdefault("ss_tab", "upcoming")

places = {p.id: p.name for p in cached_places()}
catalog = {s.id: s.name for s in cached_catalog()}


def key_of(session: Session) -> str:
    return f"{session.event_service_id}_{session.date:%Y%m%d}"


def open_participants(session: Session) -> None:
    st.session_state["ss_open"] = (session.event_service_id, session.date)


def close_participants() -> None:
    st.session_state["ss_open"] = None


@st.dialog("Участники", width="large", on_dismiss=close_participants)
def participants_dialog(event_service_id: int, day: date) -> None:
    participants.render(event_service_id, day)


def person_query() -> str:
    return (st.session_state.get("sf_person_q") or "").strip()


def person_filter() -> int | None:
    """The participant filter: type a card, surname and name or phone; pick from suggestions."""
    query = person_query()
    if not query:
        return None
    matches, linked = visitors_found(query)
    if not matches:
        st.caption("Никого не нашли.")
        return NOBODY
    labels = {f"{v.last_name} {v.first_name} · карта {v.card_number}{linked.get(v.id, '')}": v.id for v in matches}
    if st.session_state.get("sf_person") not in labels:
        st.session_state["sf_person"] = next(iter(labels))
    st.selectbox("Участник", list(labels), key="sf_person", placeholder=CHOOSE)
    return labels[st.session_state["sf_person"]]


def chosen_person(visitor_id: int) -> VisitorRow:
    """The participant the filter chose: one of its search's own answers."""
    matches, _ = visitors_found(person_query())
    return next(v for v in matches if v.id == visitor_id)


def reset_filters() -> None:
    st.session_state.update(sf_service=ALL_SERVICES, sf_place=ALL_PLACES, sf_person_q="", sf_person=None)
    for tab in ("upcoming", "past"):
        st.session_state[f"ss_page_{tab}"] = 0


def filters() -> SessionFilter:
    with st.container(border=True):
        cols = st.columns([1.4, 1.2, 2])
        cols[0].selectbox("Услуга", [ALL_SERVICES, *sorted(catalog.values())], key="sf_service", placeholder=CHOOSE)
        cols[1].selectbox("Место", [ALL_PLACES, *places.values()], key="sf_place", placeholder=CHOOSE)
        with cols[2]:
            st.text_input("Участник: карта, фамилия и имя или телефон", key="sf_person_q", placeholder="Например: 100042 или Петрова Анна")
            visitor_id = person_filter()
        st.button("Сбросить фильтры", key="sf_reset", on_click=reset_filters)
    service_id = id_of(catalog, st.session_state.get("sf_service"))
    place_id = id_of(places, st.session_state.get("sf_place"))
    return SessionFilter(
        service_ids=(service_id,) if service_id else (),
        place_ids=(place_id,) if place_id else (),
        visitor_id=visitor_id,
    )


@as_signed_in
def save_edit(session: Session) -> None:
    key = key_of(session)
    try:
        edit_session(
            get_engine(), session, st.session_state[f"se_start_{key}"], st.session_state[f"se_end_{key}"],
            st.session_state[f"se_cap_{key}"], actor, now(),
        )
    except DomainError as refusal:
        st.session_state["ss_row_error"] = (key, refusal.message)
        return
    st.session_state.update(ss_edit=None, ss_row_error=None, ss_flash="Мероприятие изменено.")
    after_write()


def forget_edit_error() -> None:
    """A changed time or capacity may fix what the last save was refused for."""
    st.session_state["ss_row_error"] = None


@as_signed_in
def confirm_delete(session: Session) -> None:
    try:
        delete_session(get_engine(), session, actor, now())
    except DomainError as refusal:
        st.session_state["ss_row_error"] = (key_of(session), refusal.message)
        return
    st.session_state.update(ss_delete=None, ss_flash=f"Мероприятие «{md(session.service_name)}» {ru_date(session.date)} удалено.")
    after_write()


def ask(kind: str, session: Session) -> None:
    close_row()
    st.session_state[kind] = key_of(session)


def close_row() -> None:
    st.session_state.update(ss_edit=None, ss_delete=None, ss_row_error=None)


def edit_box(session: Session) -> None:
    key = key_of(session)
    st.markdown(f"Услуга: **{md(session.service_name)}** · Место: **{md(session.place_name)}** · Событие: {md(session.event_title)}")
    st.session_state.setdefault(f"se_start_{key}", session.start_time)
    st.session_state.setdefault(f"se_end_{key}", session.end_time)
    st.session_state.setdefault(f"se_cap_{key}", session.capacity)
    cols = st.columns(3)
    cols[0].time_input("Начало", key=f"se_start_{key}", step=900, on_change=forget_edit_error)
    cols[1].time_input("Окончание", key=f"se_end_{key}", step=900, on_change=forget_edit_error)
    cols[2].number_input(f"Мест (записано {session.booked}, не больше {session.event_capacity})", key=f"se_cap_{key}", step=1,
                         on_change=forget_edit_error)
    buttons = st.columns(2)
    buttons[0].button("Сохранить", key=f"se_save_{key}", type="primary", on_click=save_edit, args=(session,), width="stretch")
    buttons[1].button("Отмена", key=f"se_cancel_{key}", on_click=close_row, width="stretch")


def delete_box(session: Session) -> None:
    key = key_of(session)
    if session.booked:
        st.error(f"На мероприятие записаны люди ({session.booked}): удалить его нельзя. Сначала отмените их записи.")
        st.button("Закрыть", key=f"sd_close_{key}", on_click=close_row)
        return
    st.warning(f"Удалить «{md(session.service_name)}» {ru_date(session.date)}? Остальные даты события останутся.")
    cols = st.columns(2)
    cols[0].button("Да, удалить", key=f"sd_yes_{key}", type="primary", on_click=confirm_delete, args=(session,), width="stretch")
    cols[1].button("Отмена", key=f"sd_no_{key}", on_click=close_row, width="stretch")


ROW_COLUMNS = [2.2, 1.9, 1.4, 1.1, 1.3, 1.3]


def session_row(session: Session, past: bool) -> None:
    key = key_of(session)
    with st.container(border=True, key=f"ss_row_{key}"):
        cols = st.columns(ROW_COLUMNS, vertical_alignment="center")
        cols[0].markdown(f"**{md(session.service_name)}**  \n{md(session.event_title)}")
        cols[1].write(f"{ru_date(session.date)}, {time_range(session.start_time, session.end_time)}")
        cols[2].markdown(f"📍\u00a0{md(session.place_name)}")  # the pin stays by the name
        full = " · мест нет" if session.is_full else ""
        cols[3].write(f"👥 {session.booked}/{session.capacity}{full}")
        cols[4].button("Участники", key=f"ss_people_{key}", on_click=open_participants, args=(session,), width="stretch")
        if not past:
            with cols[5].popover("Действия", width="stretch"):
                st.button("Редактировать", key=f"ss_edit_{key}", on_click=ask, args=("ss_edit", session), width="stretch")
                st.button("Удалить", key=f"ss_delete_{key}", on_click=ask, args=("ss_delete", session), width="stretch")
        if st.session_state.get("ss_edit") == key:
            edit_box(session)
        if st.session_state.get("ss_delete") == key:
            delete_box(session)
        error = st.session_state.get("ss_row_error")
        if error and error[0] == key:
            st.error(error[1], icon="⚠️")


def session_list(flt: SessionFilter, upcoming: bool) -> None:
    tab = "upcoming" if upcoming else "past"
    page_key = f"ss_page_{tab}"
    page_number = current_page(page_key)
    shown, has_more = cached_session_page(flt, today(), upcoming, page_number * PAGE_SIZE, PAGE_SIZE)
    if not shown:
        st.info("Нет мероприятий по выбранным фильтрам.")
        return
    with st.container(key="table_header"):
        cols = st.columns(ROW_COLUMNS)
        for col, label in zip(cols, ["Название", "Дата и время", "Место", "Участники", "", "Действия"]):
            col.caption(label)
    for session in shown:
        session_row(session, past=not upcoming)
    pager(page_key, has_more)


st.title("Мероприятия")
show_once("ss_flash")
tab = st.segmented_control("Раздел", list(TABS), key="ss_tab", format_func=TABS.get, required=True, label_visibility="collapsed")
if tab == "export":
    export_view.render(actor)
else:
    flt = filters()
    if flt.visitor_id not in (None, NOBODY):
        person = chosen_person(flt.visitor_id)
        st.caption(f"Только мероприятия, где участвует {md(person.full_name)} (карта {person.card_number}).")
    if tab == "calendar":
        session_calendar.render(flt, open_participants)
    else:
        session_list(flt, upcoming=tab == "upcoming")

opened = st.session_state.get("ss_open")
if opened:
    participants_dialog(*opened)
