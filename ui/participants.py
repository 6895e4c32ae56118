"""The participants of one session: who is booked, the door's sign-in sheet, bulk attendance
marks, adding a person.

Drawn inside st.dialog on the Мероприятия page; the body is a plain function so tests can run it
directly (AppTest cannot click buttons inside a dialog).
"""

from datetime import date

import streamlit as st

from core import statuses
from core.booking import SessionKey, book
from core.marks import set_status
from core.errors import DomainError
from core.paper import sign_in_sheet
from core.actors import ERASED_NAME
from core.participants import participants_of
from core.sessions import Session, get_session
from core.validation import format_phone
from ui.auth import ACTOR_KEY, as_signed_in
from ui.clock import now, today
from ui.db import after_write, cached_events, cached_places, get_engine
from ui.export_view import download_button
from ui.forms import show_once
from ui.format import CHOOSE, booked_by, md, on_one_line, ru_datetime, ru_day_short, time_range
from ui.mks_people import visitors_found
from ui import waitlist as waitlist_view



def load_session(event_service_id: int, day: date) -> Session:
    with get_engine().connect() as conn:
        return get_session(conn, cached_events(), event_service_id, day, today())


def _select_all(booking_ids: list[int]) -> None:
    value = st.session_state.get("pp_all", False)
    for booking_id in booking_ids:
        st.session_state[f"pp_sel_{booking_id}"] = value


@as_signed_in
def _apply_status(booking_ids: list[int]) -> None:
    chosen = [b for b in booking_ids if st.session_state.get(f"pp_sel_{b}")]
    try:
        changed = set_status(
            get_engine(), chosen, st.session_state["pp_status"], st.session_state[ACTOR_KEY], now(),
            comment=st.session_state.get("pp_comment"),
        )
    except DomainError as refusal:
        st.session_state["pp_error"] = refusal.message
        return
    for booking_id in booking_ids:
        st.session_state[f"pp_sel_{booking_id}"] = False
    st.session_state.update(pp_all=False, pp_comment="")
    st.session_state["pp_status_flash"] = f"Статус «{statuses.ADMIN_LABEL[st.session_state['pp_status']]}» отмечен: {changed}."
    after_write()


@as_signed_in
def _add_person(session: Session, override: bool = False) -> None:
    visitor_id = st.session_state.get("pp_add_choice")
    if visitor_id is None:
        st.session_state["pp_add_error"] = "Выберите человека из списка."
        return
    # past «не чаще раза в N дней» only with a reason, which core writes in the audit log
    reason = st.session_state.get("pp_override_reason", "") if override else None
    try:
        book(
            get_engine(), visitor_id, [SessionKey(session.event_service_id, session.date)],
            st.session_state[ACTOR_KEY], now(), limit_override=reason,
        )
    except DomainError as refusal:
        st.session_state["pp_add_error"] = "Укажите причину." if refusal.field == "limit_override" else refusal.message
        if refusal.code == "service_limit":
            st.session_state["pp_add_limited"] = visitor_id
        return
    st.session_state.update(pp_add_query="", pp_add_choice=None, pp_add_limited=None, pp_override_reason="")
    st.session_state["pp_flash"] = "Участник добавлен."
    after_write()


def _header(session: Session) -> None:
    st.markdown(
        f"**{md(session.service_name)}** · {ru_day_short(session.date)}.{session.date.year} "
        f"{time_range(session.start_time, session.end_time)} · {md(session.place_name)}"
    )
    cols = st.columns(2)
    cols[0].metric("Записано на услугу", f"{session.booked} / {session.capacity}")
    cols[1].metric("Участников события в этот день", f"{session.participants} / {session.event_capacity}")


def _person_row(row) -> None:
    """One compact row a person, a phone's width: the tick box (a 44 px square to a thumb, ui/style.py)
    beside who it is and how to reach them, the status, who booked and when, and the comments.
    One block of text, not an element a line: the dialog is drawn again after every «Применить»,
    and each element costs the server and the phone their share."""
    selectable = row.status in statuses.ACTIVE
    name = f"{row.last_name} {row.first_name}".strip() or ERASED_NAME
    phone = on_one_line(format_phone(row.phone) or "") or "без телефона"
    lines = [
        f"**{md(name)}** :{statuses.BADGE[row.status]}-badge[{statuses.ADMIN_LABEL[row.status]}]",
        (
            f"карта {row.card_number} · {phone} · {md(booked_by(row.created_by_kind, row.created_by_id, row.staff_name))}, "
            f"запись от {ru_datetime(row.created_at)}"
        ),
    ]
    if row.comment:
        lines.append(f"💬 {md(row.comment)}")
    if row.staff_comment:
        lines.append(f"📝 Комментарий сотрудника: {md(row.staff_comment)}")
    with st.container(border=True, horizontal=True, vertical_alignment="top", gap="small", key=f"pp_row_{row.id}"):
        st.checkbox("Выбрать", key=f"pp_sel_{row.id}", label_visibility="collapsed", disabled=not selectable)
        st.markdown("  \n".join([lines[0], *(f":small[:gray[{line}]]" for line in lines[1:])]))


def _sheet_button(session: Session, rows: list) -> None:
    """The door's A4 sign-in sheet, in the order of this list: the ticks come back here in one go."""
    place = next((p for p in cached_places() if p.id == session.place_id), None)
    sheet = sign_in_sheet(session, place, rows, now())
    download_button("Лист регистрации (A4)", sheet, key="pp_sheet", icon="🖨️")
    st.caption(
        "Откройте файл в браузере и нажмите «Печать». После мероприятия отметьте пришедших здесь: "
        "выберите их (или «Выбрать всех»), статус «Присутствовал» — «Применить»."
    )


def _add_form(session: Session) -> None:
    """＋ Добавить участника: search by ФИО, card or phone; a refusal explains itself."""
    with st.container(border=True, key="pp_add_box"):
        st.markdown("**+ Добавить участника**")
        st.text_input("Поиск: фамилия и имя, номер карты или телефон", key="pp_add_query", placeholder="Например: Петрова или 100042")
        query = st.session_state.get("pp_add_query", "")
        matches, linked = visitors_found(query) if query else ([], {})
        if query and not matches:
            st.caption("Никого не нашли. Проверьте написание.")
        labels = {v.id: f"{v.last_name} {v.first_name} · карта {v.card_number}" + (f" · {v.phone_display}" if v.phone else "")
                  + linked.get(v.id, "") for v in matches}
        if matches:
            st.radio("Найдено", list(labels), key="pp_add_choice", format_func=lambda v: md(labels[v]))
        st.button("Добавить", key="pp_add", type="primary", on_click=_add_person, args=(session,), disabled=not matches)
        show_once("pp_flash")
        show_once("pp_add_error", "warning")
        limited = st.session_state.get("pp_add_limited")
        if limited is not None and limited == st.session_state.get("pp_add_choice") and st.session_state[ACTOR_KEY].is_admin:
            st.text_input("Причина записи вопреки ограничению", key="pp_override_reason", max_chars=200,
                          placeholder="Например: прежнюю одежду украли")
            st.button("Записать вопреки ограничению", key="pp_override", on_click=_add_person, args=(session, True))


def render(event_service_id: int, day: date) -> None:
    """The dialog body: header with both counts, the table, bulk status, add a person."""
    session = load_session(event_service_id, day)
    _header(session)
    rows = []
    if session.session_id is not None:
        with get_engine().connect() as conn:
            rows = participants_of(conn, session.session_id)
    active_ids = [r.id for r in rows if r.status in statuses.ACTIVE]
    _sheet_button(session, rows)
    if not rows:
        st.info("На это мероприятие пока никто не записан.")
    else:
        st.checkbox("Выбрать всех", key="pp_all", on_change=_select_all, args=(active_ids,))
        for row in rows:
            _person_row(row)
        with st.container(border=True, key="pp_bulk"):
            # in this box, over the button just tapped: the top of the list is screens away on a
            # phone, and under the button the screen often ends
            show_once("pp_status_flash")
            show_once("pp_error", "error")
            cols = st.columns([2, 3, 1.4], vertical_alignment="bottom")
            role = st.session_state[ACTOR_KEY].role
            offered = [m for m in statuses.MARKS if statuses.can_mark(role, statuses.EXPECTED, m, session.date, today())]
            if st.session_state.get("pp_status") not in offered:
                st.session_state["pp_status"] = offered[0]
            cols[0].selectbox("Новый статус", offered, key="pp_status", placeholder=CHOOSE, format_func=statuses.ADMIN_LABEL.get)
            cols[1].text_input("Комментарий (необязательно)", key="pp_comment", max_chars=500)
            cols[2].button("Применить", key="pp_apply", type="primary", on_click=_apply_status, args=(active_ids,), width="stretch")
            if statuses.ATTENDED not in offered:
                st.caption("Отметить «Присутствовал» или «Не пришел» можно с дня мероприятия.")
    waitlist_view.session_line(session.session_id, can_reorder=st.session_state[ACTOR_KEY].role == "admin")
    _add_form(session)

