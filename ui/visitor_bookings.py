"""The visitor's own bookings: the confirmation after booking, «Мои записи» and «История».

«Мои записи» is what is ahead, day by day, with one way to cancel («Отменить запись») and a
comment; «История» is what is past. The confirmation opens as a dialog, so it is in view
wherever the person tapped «Подтвердить запись»; a cancelled booking leaves «Запись отменена»
where its card was.
"""

from datetime import date, datetime

import streamlit as st

from core.actors import Actor, booked_by_for_visitor
from core.booking_changes import cancel, set_comment
from core.calendar_file import calendar_file_name, visits_calendar
from core.errors import DomainError
from core.visits import EventDay, Reminders, Visit, history, reminders_and_days_ahead, visits_of
from ui.auth import as_signed_in
from ui.booking_flow import free_words, phrase, where_else
from ui.clock import now, this_minute, timezone
from ui.db import after_write, get_engine
from ui.format import md, ru_day_short, ru_time, status_label, time_range
from ui.place_info import show_place
from ui import waitlist as waitlist_view

SERVICES_TAB, MINE_TAB, HISTORY_TAB = TABS = ("Доступные услуги", "Мои записи", "История")
BOOKED = "vp_booked"  # ids of the bookings just made: the confirmation is open while set
CANCELLED = "vp_cancelled"  # booking id -> (date, start, words) of what was cancelled in this session
PAST_PAGE = 10


def day_words(day: date) -> str:
    """"ср 12.03.2026": the date as ДД.ММ.ГГГГ with its weekday."""
    return f"{ru_day_short(day)}.{day.year}"


def describe(visit: Visit) -> str:
    return phrase(visit.service_name, visit.date, visit.start_time, visit.place_name)


def note(where: str, message: str, ok: bool = True) -> None:
    st.session_state["vp_note"] = (where, message, ok)


def show_note(where: str) -> None:
    found = st.session_state.get("vp_note")
    if found and found[0] == where:
        (st.success if found[2] else st.error)(found[1], icon=None if found[2] else "⚠️")


def _who_and_comment(visit: Visit) -> None:
    who = booked_by_for_visitor(visit.created_by_kind, visit.volunteer_name)
    if who:
        st.caption(md(who))
    if visit.comment:
        st.caption(f"💬 {md(visit.comment)}")


# --- the confirmation -------------------------------------------------------------------


def booked(booking_ids: list[int]) -> None:
    """The booking flow's on_booked: open the confirmation, with «Мои записи» behind it."""
    st.session_state.update({BOOKED: booking_ids, "vp_tab": MINE_TAB, "vp_note": None, "vp_undo_state": None})


def _close_confirmation() -> None:
    st.session_state.update({BOOKED: None, "vp_undo_state": None})


def _book_more() -> None:
    _close_confirmation()
    st.session_state["vp_tab"] = SERVICES_TAB


def _ask_undo(ask: bool) -> None:
    st.session_state["vp_undo_state"] = "ask" if ask else None


@as_signed_in
def _undo(visits: list[Visit], actor: Actor) -> None:
    """«Отменить запись» right in the confirmation: a mistaken booking goes at once, every service of it."""
    try:
        for visit in visits:
            cancel(get_engine(), visit.booking_id, actor, now())
    except DomainError as refusal:
        st.session_state["vp_undo_state"] = refusal.message
        after_write()  # a first service may have gone before the refusal
        return
    gone = st.session_state.setdefault(CANCELLED, {})
    for visit in visits:
        gone[visit.booking_id] = (visit.date, visit.start_time, f"Запись отменена: {md(describe(visit))}. Место освободилось.")
    st.session_state["vp_undo_state"] = "done"
    st.session_state["vp_undo_page"] = True  # the page behind the dialog shows it too
    after_write()


def _confirmation_buttons(visits: list[Visit], actor: Actor) -> None:
    """Готово; Записаться ещё; Отменить запись (asked first). A button inside a dialog reruns only the
    dialog, so the ones that close it call st.rerun()."""
    undo = st.session_state.get("vp_undo_state")
    if undo == "ask":
        st.warning("Отменить эту запись? Место освободится для другого человека.")
        cols = st.columns(2)
        cols[0].button("Да, отменить", key="vp_undo_yes", type="primary", on_click=_undo, args=(visits, actor),
                       width="stretch")
        cols[1].button("Нет", key="vp_undo_no", on_click=_ask_undo, args=(False,), width="stretch")
        return
    if undo:  # a refusal
        st.error(undo, icon="⚠️")
    if st.button("Готово", key="vp_booked_ok", type="primary", on_click=_close_confirmation, width="stretch"):
        st.rerun()
    if st.button("Записаться ещё", key="vp_book_more", on_click=_book_more, width="stretch"):
        st.rerun()
    st.button("Отменить запись", key="vp_undo", on_click=_ask_undo, args=(True,), width="stretch", type="tertiary")


# The banner's reminders and the person's days from today («Мои записи» and the confirmation over
# them), from one read: once a minute and after every write, as the offers under them
# (booking_flow._offers_at), so a tap that only opens a question («Отменить запись?») reads nothing again.
@st.cache_data(show_spinner=False, ttl=30, max_entries=1000)
def reminders_and_days_at(visitor_id: int, moment: datetime) -> tuple[Reminders, list[EventDay]]:
    with get_engine().connect() as conn:
        return reminders_and_days_ahead(conn, visitor_id, moment)


def days_ahead(visitor_id: int) -> list[EventDay]:
    return reminders_and_days_at(visitor_id, this_minute())[1]


@st.dialog("Ваша запись", on_dismiss=_close_confirmation)
def confirmation(actor: Actor) -> None:
    """What, when, where and how to get there, the calendar file; «Запись отменена» once undone."""
    if st.session_state.pop("vp_undo_page", False):
        st.rerun()  # a click inside a dialog reruns only the dialog: this runs the page (and the dialog) again
    # what can still be changed is among the days «Мои записи» show (read once for both)
    wanted = set(st.session_state.get(BOOKED) or [])
    moment = now()
    days = days_ahead(actor.id)
    active = [v for day in days for v in day.visits if v.booking_id in wanted and v.is_changeable(moment)]
    with st.container(key="vp_confirmation"):
        if not active:
            if st.session_state.get("vp_undo_state") == "done":
                st.success("Запись отменена. Место освободилось.")
            else:  # cancelled meanwhile (another tab, the desk)
                st.info("Этой записи уже нет. Посмотрите «Мои записи».")
            if st.button("Готово", key="vp_booked_ok", type="primary", on_click=_close_confirmation, width="stretch"):
                st.rerun()
            return
        first = active[0]
        st.success("Вы записаны.")
        st.markdown(f"**{day_words(first.date)}**")
        for visit in active:
            st.markdown(f"**{md(visit.service_name)}**, {time_range(visit.start_time, visit.end_time)}")
        show_place(first.place)  # one event day: one place
        if first.comment:
            st.caption(f"💬 {md(first.comment)}")
        st.download_button(
            "Добавить в календарь", visits_calendar(active, timezone(), now()), file_name=calendar_file_name(active),
            mime="text/calendar", key="vp_ics", on_click="ignore", icon="📅", width="stretch",
        )
        _confirmation_buttons(active, actor)


# --- Мои записи -------------------------------------------------------------------------


def _ask(kind: str, booking_id: int) -> None:
    st.session_state["vp_ask"] = (kind, booking_id)
    st.session_state["vp_note"] = None


def _close() -> None:
    st.session_state["vp_ask"] = None


@as_signed_in
def _cancel_visit(visit: Visit, actor: Actor) -> None:
    try:
        cancel(get_engine(), visit.booking_id, actor, now())
    except DomainError as refusal:
        note(f"visit_{visit.booking_id}", refusal.message, ok=False)
        return
    _close()
    gone = st.session_state.setdefault(CANCELLED, {})
    gone[visit.booking_id] = (visit.date, visit.start_time, f"Запись отменена: {md(describe(visit))}. Место освободилось.")
    after_write()


@as_signed_in
def _save_comment(visit: Visit, actor: Actor) -> None:
    try:
        set_comment(get_engine(), visit.booking_id, st.session_state.get(f"vp_text_{visit.booking_id}"), actor, now())
    except DomainError as refusal:
        note(f"visit_{visit.booking_id}", refusal.message, ok=False)
        return
    _close()
    note(f"visit_{visit.booking_id}", "Комментарий сохранён.")
    after_write()


def _visit_actions(visit: Visit, actor: Actor) -> None:
    b = visit.booking_id
    ask = st.session_state.get("vp_ask")
    kind = ask[0] if ask and ask[1] == b else None
    if kind == "cancel":
        st.warning(f"Отменить запись «{md(visit.service_name)}», {ru_day_short(visit.date)} в "
                   f"{ru_time(visit.start_time)}? Место освободится для другого человека.")
        cols = st.columns(2)
        cols[0].button("Да, отменить", key=f"vp_yes_{b}", type="primary", on_click=_cancel_visit, args=(visit, actor),
                       width="stretch")
        cols[1].button("Нет", key=f"vp_no_{b}", on_click=_close, width="stretch")
    elif kind == "comment":
        st.session_state.setdefault(f"vp_text_{b}", visit.comment or "")
        st.text_input("Комментарий", key=f"vp_text_{b}", max_chars=500)
        cols = st.columns(2)
        cols[0].button("Сохранить", key=f"vp_save_{b}", type="primary", on_click=_save_comment, args=(visit, actor),
                       width="stretch")
        cols[1].button("Отмена", key=f"vp_no_{b}", on_click=_close, width="stretch")
    else:
        cols = st.columns(2)
        cols[0].button("Отменить запись", key=f"vp_cancel_{b}", on_click=_ask, args=("cancel", b), width="stretch")
        cols[1].button("Комментарий", key=f"vp_comment_{b}", on_click=_ask, args=("comment", b), width="stretch")


def _visit_row(visit: Visit, actor: Actor, changeable: bool) -> None:
    with st.container(border=True, key=f"vp_visit_{visit.booking_id}"):
        st.markdown(f"**{time_range(visit.start_time, visit.end_time)} {md(visit.service_name)}**  \n"
                    f"{status_label(visit.status, visitor=True)}")
        _who_and_comment(visit)
        if changeable:
            _visit_actions(visit, actor)
        show_note(f"visit_{visit.booking_id}")


def _day_card(day: EventDay, actor: Actor, moment: datetime) -> None:
    with st.container(border=True, key=f"vp_day_{day.event_id}_{day.date:%Y%m%d}"):
        st.markdown(f"**{day_words(day.date)}**, {time_range(day.start_time, day.end_time)}")
        show_place(day.place)
        st.caption(free_words(day.free).capitalize())
        for visit in day.visits:
            _visit_row(visit, actor, visit.is_changeable(moment))


def mine_section(actor: Actor) -> None:
    """What is ahead, nearest first; a booking cancelled here says so where its card was."""
    moment = now()
    waitlist_view.my_lines(actor.id, lambda entry: where_else(
        actor.id, actor, f"vp_wl_alt_{entry.entry_id}", entry.service_name, entry.service_id, on_booked=booked))
    days = [d for d in days_ahead(actor.id) if d.is_upcoming(moment)]
    gone = st.session_state.get(CANCELLED) or {}
    items = [((d.date, d.start_time), d) for d in days]
    items += [((day, start), words) for day, start, words in gone.values() if datetime.combine(day, start) > moment]
    if not items:
        st.info("Предстоящих записей нет. Выберите услугу в разделе «Доступные услуги».")
        return
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, EventDay):
            _day_card(item, actor, moment)
        else:
            st.success(item)


# --- История ----------------------------------------------------------------------------


def _past_card(visit: Visit) -> None:
    with st.container(border=True, key=f"vp_past_{visit.booking_id}"):
        st.markdown(f"**{md(visit.service_name)}** · {status_label(visit.status, visitor=True)}")
        st.markdown(f"{day_words(visit.date)}, {time_range(visit.start_time, visit.end_time)} · 📍 {md(visit.place_name)}")
        _who_and_comment(visit)


def history_section(actor: Actor) -> None:
    """Only what is past, latest first, ten at a time."""
    with get_engine().connect() as conn:
        visits = visits_of(conn, actor.id)
    _, past = history(visits, now())
    if not past:
        st.info("Прошедших записей пока нет.")
        return
    limit = st.session_state.setdefault("vp_hist_more", PAST_PAGE)
    for visit in past[:limit]:
        _past_card(visit)
    if len(past) > limit:
        st.button(f"Показать ещё ({len(past) - limit})", key="vp_hist_more_btn", width="stretch",
                  on_click=lambda: st.session_state.update(vp_hist_more=limit + PAST_PAGE))
