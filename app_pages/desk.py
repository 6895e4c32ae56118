"""Стойка волонтёра: find or register a visitor, book them, see and cancel own bookings, reset a PIN."""

import streamlit as st

from core import statuses
from core.booking_changes import cancel
from core.errors import DomainError
from core.visitors import get_visitor, reset_pin
from core.participants import bookings_made_by
from core.ticket import ticket
from core.visits import visits_of
from ui import booking_flow, mks_people, registration
from ui.auth import as_signed_in, require_role
from ui.clock import now, today
from ui.db import after_write, get_engine
from ui.export_view import download_button
from ui.forms import show_once
from ui.format import md, ru_day_short, ru_time

actor = require_role("volunteer")
TABS = {"find": "Найти посетителя", "new": "Новый посетитель", "mine": "Мои записи"}
st.session_state.setdefault("dk_tab", "find")


def choose_visitor(visitor_id: int) -> None:
    st.session_state.update(dk_visitor=visitor_id, dk_tab="find", dk_pin=None, dk_ask=None, dk_booked=None)


def forget_visitor() -> None:
    st.session_state.update(dk_visitor=None, dk_pin=None, dk_q="", dk_ask=None, dk_booked=None)


def booked(booking_ids: list[int]) -> None:
    """The booking flow's on_booked: say what was booked, with the talon to print."""
    st.session_state["dk_booked"] = booking_ids


def booked_note(visitor_id: int) -> None:
    """«Записано: …» and «Распечатать талон» for the bookings just made for this person."""
    booking_ids = st.session_state.get("dk_booked")
    if not booking_ids:
        return
    with get_engine().connect() as conn:
        person = get_visitor(conn, visitor_id)
        made = visits_of(conn, visitor_id, booking_ids=booking_ids)
    if not made:
        return
    st.success("Записано: " + "; ".join(md(booking_flow.phrase(v.service_name, v.date, v.start_time, v.place_name)) for v in made) + ".")
    slip = ticket(person.first_name, person.last_name, person.card_number, made, now())
    download_button("Распечатать талон", slip, key="dk_ticket", icon="🖨️")
    st.caption("Талон для того, у кого нет телефона: что, когда, где и как отменить. Откройте файл и нажмите «Печать».")


def ask(action: str, target: int) -> None:
    """A destructive button only asks; «Да, …» under it does the deed."""
    st.session_state["dk_ask"] = (action, target)


def forget_ask() -> None:
    st.session_state["dk_ask"] = None


def asked(action: str, target: int) -> bool:
    return st.session_state.get("dk_ask") == (action, target)


@as_signed_in
def do_reset_pin(visitor_id: int) -> None:
    forget_ask()
    try:
        st.session_state["dk_pin"] = reset_pin(get_engine(), visitor_id, actor, now())
    except DomainError as refusal:
        st.session_state["dk_error"] = refusal.message


@as_signed_in
def do_cancel(booking_id: int) -> None:
    forget_ask()
    try:
        cancel(get_engine(), booking_id, actor, now(), reason="Отменено волонтёром")
    except DomainError as refusal:
        st.session_state["dk_error"] = refusal.message
        return
    st.session_state["dk_flash"] = "Запись отменена, место освободилось."
    after_write()


def visitor_card(visitor_id: int) -> None:
    with get_engine().connect() as conn:
        person = get_visitor(conn, visitor_id)
    with st.container(border=True, key="dk_person"):
        cols = st.columns([3, 1])
        cols[0].markdown(f"### {md(person.full_name)}")
        cols[0].write(f"Карта {person.card_number}" + (f" · {person.phone_display}" if person.phone else " · без телефона"))
        with cols[0]:
            mks_people.card_line(visitor_id)
        cols[1].button("Другой посетитель", key="dk_other", on_click=forget_visitor, width="stretch")
        st.button("Сбросить PIN", key="dk_reset_pin", on_click=ask, args=("pin", visitor_id))
        if asked("pin", visitor_id):
            st.warning("Сбросить PIN? Прежний PIN перестанет действовать, посетитель войдёт только с новым.")
            cols = st.columns(2)
            cols[0].button("Да, сбросить", key="dk_yes_pin", type="primary", on_click=do_reset_pin, args=(visitor_id,),
                           width="stretch")
            cols[1].button("Нет", key="dk_no_pin", on_click=forget_ask, width="stretch")
        if st.session_state.get("dk_pin"):
            st.metric("Новый PIN — передайте посетителю", st.session_state["dk_pin"])
        mks_people.link_box(visitor_id, actor, "dk")
    st.subheader("Записать на услугу")
    booked_note(visitor_id)
    booking_flow.render(visitor_id, actor, key_prefix="desk", on_booked=booked)


def find_section() -> None:
    visitor_id = st.session_state.get("dk_visitor")
    if visitor_id:
        visitor_card(visitor_id)
        return
    # live: the suggestions follow the typing (a run after each pause of 250 ms), no Enter needed
    st.text_input("Карта, фамилия и имя или телефон", key="dk_q", placeholder="Например: 100042 или Петрова Анна", live=True)
    query = st.session_state.get("dk_q", "")
    if not query:
        st.caption("Начните вводить — появятся подсказки.")
        return
    matches, linked = mks_people.visitors_found(query)
    if not matches:
        st.info("Никого не нашли. Проверьте написание или зарегистрируйте нового посетителя.")
    for person in matches:
        phone = person.phone_display or "без телефона"
        st.button(f"{md(person.full_name)} · карта {person.card_number} · {phone}{md(linked.get(person.id, ''))}", key=f"dk_pick_{person.id}",
                  on_click=choose_visitor, args=(person.id,), width="stretch")
    mks_people.take_over_box(query, actor, "dk")


@as_signed_in
def book_registered(visitor_id: int) -> None:
    register_another()
    choose_visitor(visitor_id)


def register_another() -> None:
    st.session_state["dk_registered"] = None


def new_section() -> None:
    issued = registration.registered("dk")
    if issued:
        registration.show_card(issued)
        cols = st.columns(2)
        cols[0].button("Записать этого посетителя", key="dk_book_new", type="primary", on_click=book_registered,
                       args=(issued.visitor_id,), width="stretch")
        cols[1].button("Зарегистрировать ещё", key="dk_more", on_click=register_another, width="stretch")
        return
    registration.form("dk", actor)


def mine_section() -> None:
    with get_engine().connect() as conn:
        made = bookings_made_by(conn, actor.id, today())
    if not made:
        st.info("Вы пока никого не записали на сегодня и будущие дни.")
    for booking in made:
        with st.container(border=True, key=f"dk_made_{booking.booking_id}"):
            cols = st.columns([2.2, 2.4, 1.4, 1.4], vertical_alignment="center")
            cols[0].markdown(f"**{md(booking.visitor_name)}**  \nкарта {booking.card_number}")
            cols[1].markdown(f"{md(booking.service_name)}, {ru_day_short(booking.date)} в {ru_time(booking.start_time)}  \n📍 {md(booking.place_name)}")
            cols[2].write(statuses.ADMIN_LABEL[booking.status])
            if not statuses.can_cancel(actor.role, booking.status):
                continue
            cols[3].button("Отменить", key=f"dk_cancel_{booking.booking_id}", on_click=ask,
                           args=("cancel", booking.booking_id), width="stretch")
            if asked("cancel", booking.booking_id):
                st.warning(f"Отменить запись {md(booking.visitor_name)} на «{md(booking.service_name)}», "
                           f"{ru_day_short(booking.date)} в {ru_time(booking.start_time)}? Место освободится для другого человека.")
                yes_no = st.columns(2)
                yes_no[0].button("Да, отменить", key=f"dk_yes_cancel_{booking.booking_id}", type="primary", on_click=do_cancel,
                                 args=(booking.booking_id,), width="stretch")
                yes_no[1].button("Нет", key=f"dk_no_cancel_{booking.booking_id}", on_click=forget_ask, width="stretch")


st.title("Стойка волонтёра")
st.caption(f"Вы: {md(actor.name)} ({actor.label}). Ваш ID стоит на каждой записи, которую вы делаете.")
show_once("dk_flash")
show_once("dk_error", "error")
tab = st.segmented_control("Раздел", list(TABS), key="dk_tab", format_func=TABS.get, required=True, label_visibility="collapsed")
if tab == "find":
    find_section()
elif tab == "new":
    new_section()
else:
    mine_section()
