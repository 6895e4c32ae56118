"""Отметка у входа: today's sessions at one place, each booked person marked with one tap;
a person who came without a booking is found or registered, booked and marked in one go."""

import streamlit as st

from core import door, statuses, waitlist
from core.booking import SessionKey
from core.config import settings
from core.errors import DomainError
from core.visitors import find_visitors
from ui import registration
from ui.auth import as_signed_in, require_role
from ui.clock import now, today
from ui.db import after_write, cached_events, cached_places, get_engine
from ui.forms import show_once
from ui.format import CHOOSE, md, ru_date, ru_time, time_range

actor = require_role("volunteer", "admin")
TABS = {"booked": "Записанные", "walk_in": "Без записи"}
# the place is remembered apart from its widget: Streamlit forgets a widget's value on other pages
st.session_state.setdefault("door_tab", "booked")


def remember_place() -> None:
    st.session_state["door_place"] = st.session_state["door_place_choice"]


@as_signed_in
def do_mark(booking_id: int, status: str) -> None:
    try:
        door.mark(get_engine(), booking_id, status, actor, now())
    except DomainError as refusal:
        st.session_state["door_error"] = (booking_id, refusal.message)
        return
    after_write()


@as_signed_in
def do_undo(booking_id: int) -> None:
    try:
        door.undo(get_engine(), booking_id, actor, now())
    except DomainError as refusal:
        st.session_state["door_error"] = (booking_id, refusal.message)
        return
    after_write()


@as_signed_in
def do_walk_in(visitor_id: int, name: str) -> None:
    event_service_id = st.session_state.get("door_walk_session")
    if event_service_id is None:
        st.session_state["door_walk_error"] = "Выберите мероприятие."
        return
    try:
        door.walk_in(get_engine(), visitor_id, SessionKey(event_service_id, today()), actor, now())
    except DomainError as refusal:
        st.session_state["door_walk_error"] = refusal.message
        return
    st.session_state.update(door_q="", door_registered=None, door_tab="booked")
    st.session_state["door_flash"] = f"Записано и отмечено «{statuses.ADMIN_LABEL[statuses.ATTENDED]}»: {md(name)}."
    after_write()


def choose_place(places, open_today: set[int]) -> int:
    """The place chosen before, or else the first with a session today."""
    ids = [p.id for p in places]
    if not ids:
        st.info("Мест пока нет: их добавляет администратор.")
        st.stop()
    if st.session_state.get("door_place") not in ids:
        st.session_state["door_place"] = next((i for i in ids if i in open_today), ids[0])
    st.session_state["door_place_choice"] = st.session_state["door_place"]
    names = {p.id: p.name if p.id in open_today else f"{p.name} (сегодня ничего нет)" for p in places}
    st.selectbox("Место", ids, key="door_place_choice", format_func=names.get, on_change=remember_place,
                 placeholder=CHOOSE)
    return st.session_state["door_place"]


@as_signed_in
def do_release(booking_id: int) -> None:
    try:
        door.release(get_engine(), booking_id, actor, now(), settings().release_after_minutes)
    except DomainError as refusal:
        st.session_state["door_error"] = (booking_id, refusal.message)
        return
    st.session_state.update(door_release_ask=None, door_flash="Место свободно: отдайте его человеку из листа ожидания "
                            "или пришедшему без записи.")
    after_write()


@as_signed_in
def do_seat(entry_id: int, name: str) -> None:
    try:
        door.seat_from_line(get_engine(), entry_id, actor, now())
    except DomainError as refusal:
        st.session_state["door_flash_error"] = refusal.message
        return
    st.session_state["door_flash"] = f"Записано и отмечено «{statuses.ADMIN_LABEL[statuses.ATTENDED]}»: {md(name)}."
    after_write()


def release_buttons(person: door.DoorPerson) -> None:
    """«Отдать место», asked first: the booking becomes «Не пришел» and its place is free."""
    if st.session_state.get("door_release_ask") == person.booking_id:
        st.warning("Человек так и не пришёл? Запись станет «Не пришел», а место можно будет отдать другому.")
        with st.container(horizontal=True, gap="small"):
            st.button("Да, отдать место", key=f"door_release_yes_{person.booking_id}", type="primary", on_click=do_release,
                      args=(person.booking_id,), width="stretch")
            st.button("Нет", key=f"door_release_no_{person.booking_id}", width="stretch",
                      on_click=lambda: st.session_state.update(door_release_ask=None))
    else:
        st.button("Отдать место", key=f"door_release_{person.booking_id}", width="stretch",
                  on_click=lambda b=person.booking_id: st.session_state.update(door_release_ask=b))


def person_row(person: door.DoorPerson, releasable: bool) -> None:
    with st.container(border=True, key=f"door_row_{person.booking_id}"):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.markdown(f"**{md(person.name)}**  \nкарта {person.card_number}", width="stretch")
            st.badge(f"{statuses.ICON[person.status]} {statuses.ADMIN_LABEL[person.status]}", color=statuses.BADGE[person.status])
        left = person.undo_seconds_left(actor, now())
        with st.container(horizontal=True, gap="small"):
            if person.status == statuses.EXPECTED:
                st.button("Пришёл", key=f"door_in_{person.booking_id}", type="primary", on_click=do_mark,
                          args=(person.booking_id, statuses.ATTENDED), width="stretch")
                st.button("Не пришёл", key=f"door_out_{person.booking_id}", on_click=do_mark,
                          args=(person.booking_id, statuses.NO_SHOW), width="stretch")
            elif left:
                st.button("Отменить отметку", key=f"door_undo_{person.booking_id}", on_click=do_undo,
                          args=(person.booking_id,), width="stretch",
                          help=f"Вернуть «{statuses.ADMIN_LABEL[statuses.EXPECTED]}». Можно в течение минуты после отметки.")
        if left:
            st.caption(f"Отменить отметку можно ещё {left} с.")
        if person.released:
            st.caption("Место отдано другому.")
        elif releasable and person.status in (statuses.EXPECTED, statuses.NO_SHOW):
            release_buttons(person)
        error = st.session_state.get("door_error")
        if error and error[0] == person.booking_id:
            st.session_state["door_error"] = None
            st.error(error[1], icon="⚠️")


def booked_section(found: list[door.DoorSession]) -> None:
    for shown in found:
        session = shown.session
        with st.container(key=f"door_session_{session.event_service_id}"):
            st.subheader(f"{md(session.service_name)}, {time_range(session.start_time, session.end_time)}")
            st.caption(f"Записано {session.booked} из {session.capacity} · пришли {shown.arrived}")
            if not shown.people:
                st.caption("На это мероприятие пока никто не записан.")
            releasable = door.may_release(session.date, session.start_time, now(), settings().release_after_minutes)
            for person in shown.people:
                person_row(person, releasable)
            if session.free_places > 0:
                line_at_the_door(session.session_id)


def line_at_the_door(session_id: int | None) -> None:
    """A free place goes to the waiting list first: whoever of them is here is booked in one tap."""
    if session_id is None:
        return
    with get_engine().connect() as conn:
        line = waitlist.line_of(conn, session_id)
    if not line:
        return
    st.markdown(f"**Лист ожидания ({len(line)})** — место сначала им, по порядку:")
    for entry in line:
        name = f"{entry.last_name} {entry.first_name}".strip()
        st.button(f"{entry.rank}. {md(name)} · карта {entry.card_number} — пришёл, записать", key=f"door_seat_{entry.id}",
                  on_click=do_seat, args=(entry.id, name), width="stretch")


def walk_in_section(found: list[door.DoorSession]) -> None:
    open_sessions = {s.session.event_service_id: s.session for s in found if not s.session.is_full}
    if not open_sessions:
        st.info("Свободных мест на сегодня здесь нет.")
        return
    if st.session_state.get("door_walk_session") not in open_sessions:
        # another place, or the chosen session has just filled up
        st.session_state["door_walk_session"] = next(iter(open_sessions))
    st.selectbox(
        "Мероприятие", list(open_sessions), key="door_walk_session", placeholder=CHOOSE,
        # a select box shows its options as plain text: no markdown to make inert
        format_func=lambda i: f"{open_sessions[i].service_name}, {ru_time(open_sessions[i].start_time)} · свободно {open_sessions[i].free_places}",
    )
    show_once("door_walk_error", "error")
    issued = registration.registered("door")
    if issued:
        registration.show_card(issued)
        st.button("Записать и отметить: пришёл", key="door_walk_new", type="primary", on_click=do_walk_in,
                  args=(issued.visitor_id, f"карта {issued.card_number}"), width="stretch")
        return
    st.text_input("Карта, фамилия и имя или телефон", key="door_q", placeholder="Например: 100042 или Петрова Анна")
    query = st.session_state.get("door_q", "")
    if query:
        with get_engine().connect() as conn:
            matches = find_visitors(conn, query)
        if not matches:
            st.info("Никого не нашли. Проверьте написание или зарегистрируйте нового посетителя.")
        for person in matches:
            st.button(f"{md(person.full_name)} · карта {person.card_number} — записать и отметить", key=f"door_walk_{person.id}",
                      on_click=do_walk_in, args=(person.id, person.full_name), width="stretch")
    with st.expander("Новый посетитель: зарегистрировать"):
        registration.form("door", actor)


st.title("Отметка у входа")
st.caption(f"Сегодня {ru_date(today())}. Одно касание — отметка; свою отметку можно отменить в течение минуты.")
with get_engine().connect() as conn:
    place_id = choose_place(cached_places(), door.places_open_today(conn, cached_events(), today()))
    sessions_today = door.today_at_place(conn, cached_events(), place_id, today())
show_once("door_flash")
show_once("door_flash_error", "error")
if not sessions_today:
    st.info("Сегодня здесь нет мероприятий.")
    st.stop()
tab = st.segmented_control("Раздел", list(TABS), key="door_tab", format_func=TABS.get, required=True, label_visibility="collapsed")
if tab == "walk_in":
    walk_in_section(sessions_today)
else:
    booked_section(sessions_today)
