"""The signed-in visitor's profile: header with photo, reminders, services, history, event days.

Phone first: one column, short words, full-width buttons; every change asks core and says
in a line what happened, right where the person tapped.
"""

from datetime import date

import streamlit as st

from core.actors import Actor
from core.booking import cancel, set_comment
from core.errors import DomainError
from core.people import get_visitor
from core.photos import delete_photo, load_photo, save_photo
from core.visits import (
    EventDay,
    Visit,
    cancel_event_day,
    comment_event_day,
    event_days_of,
    history,
    reminders,
    visits_of,
)
from ui import booking_flow
from ui.auth import as_signed_in, sign_out
from ui.clock import now
from ui.db import after_write, cached_places, get_engine
from ui.format import booked_by, md, ru_day_short, ru_time, status_label, time_range

TABS = ("Доступные услуги", "История записей", "Мои мероприятия")
ALL_PLACES = "Все места"
CANT_COME = "Не смогу прийти"
PAST_PAGE = 10
BANNER_LIMIT = 3
FLOW = "vb"  # key prefix of the booking flow on this page


def describe(visit: Visit) -> str:
    return booking_flow.phrase(visit.service_name, visit.date, visit.start_time, visit.place_name)


def _day(day: date) -> str:
    """"ср 12.03.2026": the date as ДД.ММ.ГГГГ with its weekday."""
    return f"{ru_day_short(day)}.{day.year}"


def _note(where: str, message: str, ok: bool = True) -> None:
    st.session_state["vp_note"] = (where, message, ok)
    st.session_state[f"{FLOW}_done"] = None  # an older "Вы записаны" may no longer be true


def _show_note(where: str) -> None:
    note = st.session_state.get("vp_note")
    if note and note[0] == where:
        (st.success if note[2] else st.error)(note[1], icon=None if note[2] else "⚠️")


# --- header and photo -------------------------------------------------------------------


def _initials(first: str, last: str) -> str:
    return (first[:1] + last[:1]).upper()


def _uploader_key() -> str:
    # a new key after each save gives an empty picker: Streamlit cannot clear one through state
    return f"vp_photo_file_{st.session_state.get('vp_photo_round', 0)}"


@as_signed_in
def _save_photo(actor: Actor) -> None:
    upload = st.session_state.get(_uploader_key())
    try:
        save_photo(get_engine(), actor.id, upload.getvalue() if upload else None, actor, now())
    except DomainError as refusal:
        _note("photo", refusal.message, ok=False)
        return
    st.session_state["vp_photo_round"] = st.session_state.get("vp_photo_round", 0) + 1
    _note("photo", "Фото сохранено.")
    after_write()


@as_signed_in
def _delete_photo(actor: Actor) -> None:
    delete_photo(get_engine(), actor.id, actor, now())
    _note("photo", "Фото удалено.")
    after_write()


def header(actor: Actor) -> None:
    """ФИО, card number, the photo or initials, and Выйти."""
    with get_engine().connect() as conn:
        person = get_visitor(conn, actor.id)
        photo = load_photo(conn, actor.id)
    with st.container(horizontal=True, vertical_alignment="center", key="vp_head"):
        if photo:
            st.image(photo, width=64)
        else:
            with st.container(key="vp_avatar", width=64):
                st.markdown(f"**{md(_initials(person.first_name, person.last_name))}**")
        with st.container(key="vp_name"):
            st.markdown(f"**{md(person.full_name)}**  \nКарта {person.card_number}")
        st.button("Выйти", key="vp_logout", on_click=sign_out)
    with st.expander("Фото профиля", key="vp_photo_box"):
        st.caption("Фото по желанию: JPEG или PNG, до 5 МБ. Без фото видны ваши инициалы.")
        st.file_uploader("Выберите фото", type=["jpg", "jpeg", "png"], key=_uploader_key(), label_visibility="collapsed")
        cols = st.columns(2)
        cols[0].button("Сохранить фото", key="vp_photo_save", type="primary", on_click=_save_photo, args=(actor,), width="stretch")
        if photo:
            cols[1].button("Удалить фото", key="vp_photo_delete", on_click=_delete_photo, args=(actor,), width="stretch")
        _show_note("photo")


def banner(visitor_id: int) -> None:
    """"Вы записаны: …" and "Вы пропустили: …" (no-shows of the last 30 days)."""
    with get_engine().connect() as conn:
        found = reminders(conn, visitor_id, now())
    if found.upcoming:
        shown = "; ".join(md(describe(v)) for v in found.upcoming[:BANNER_LIMIT])
        more = len(found.upcoming) - BANNER_LIMIT
        st.info(f"**Вы записаны:** {shown}" + (f" и ещё {more}" if more > 0 else "") + ".", icon="📅")
    if found.missed:
        shown = "; ".join(md(describe(v)) for v in found.missed[:BANNER_LIMIT])
        more = len(found.missed) - BANNER_LIMIT
        st.warning(f"**Вы пропустили:** {shown}" + (f" и ещё {more}" if more > 0 else "") + ".", icon="❗")


# --- Доступные услуги -------------------------------------------------------------------


def services_section(actor: Actor) -> None:
    places = {p.name: p.id for p in cached_places()}
    options = [ALL_PLACES, *places]
    if st.session_state.get("vp_place") not in options:
        st.session_state["vp_place"] = ALL_PLACES
    st.pills("Где", options, key="vp_place", required=True, format_func=md)
    chosen = st.session_state["vp_place"]
    place_ids = () if chosen == ALL_PLACES else (places[chosen],)
    booking_flow.render_catalog(actor.id, actor, FLOW, place_ids)


# --- История записей --------------------------------------------------------------------


def _ask(kind: str, booking_id: int) -> None:
    st.session_state["vp_ask"] = (kind, booking_id)
    st.session_state["vp_note"] = None


def _close() -> None:
    st.session_state["vp_ask"] = None


@as_signed_in
def _cancel_visit(visit: Visit, actor: Actor, reason: str | None) -> None:
    try:
        cancel(get_engine(), visit.booking_id, actor, now(), reason=reason)
    except DomainError as refusal:
        _note(f"visit_{visit.booking_id}", refusal.message, ok=False)
        return
    _close()
    _note(f"visit_{visit.booking_id}", "Запись отменена. Место освободилось.")
    after_write()


@as_signed_in
def _save_comment(visit: Visit, actor: Actor) -> None:
    try:
        set_comment(get_engine(), visit.booking_id, st.session_state.get(f"vp_text_{visit.booking_id}"), actor, now())
    except DomainError as refusal:
        _note(f"visit_{visit.booking_id}", refusal.message, ok=False)
        return
    _close()
    _note(f"visit_{visit.booking_id}", "Комментарий сохранён.")
    after_write()


def _visit_actions(visit: Visit, actor: Actor) -> None:
    b = visit.booking_id
    ask = st.session_state.get("vp_ask")
    kind = ask[0] if ask and ask[1] == b else None
    if kind in ("cancel", "cant"):
        what = f"«{md(visit.service_name)}», {ru_day_short(visit.date)} в {ru_time(visit.start_time)}"
        if kind == "cancel":
            st.warning(f"Отменить запись {what}? Место освободится.")
        else:
            st.warning(f"Не сможете прийти на {what}? Запись отменится, место освободится для другого человека.")
        cols = st.columns(2)
        cols[0].button("Да, отменить", key=f"vp_yes_{b}", type="primary", on_click=_cancel_visit,
                       args=(visit, actor, CANT_COME if kind == "cant" else None), width="stretch")
        cols[1].button("Нет", key=f"vp_no_{b}", on_click=_close, width="stretch")
    elif kind == "comment":
        st.session_state.setdefault(f"vp_text_{b}", visit.comment or "")
        st.text_input("Комментарий", key=f"vp_text_{b}", max_chars=500)
        cols = st.columns(2)
        cols[0].button("Сохранить", key=f"vp_save_{b}", type="primary", on_click=_save_comment, args=(visit, actor), width="stretch")
        cols[1].button("Отмена", key=f"vp_no_{b}", on_click=_close, width="stretch")
    else:
        cols = st.columns(3)
        cols[0].button("Отменить запись", key=f"vp_cancel_{b}", on_click=_ask, args=("cancel", b), width="stretch")
        cols[1].button("Добавить комментарий", key=f"vp_comment_{b}", on_click=_ask, args=("comment", b), width="stretch")
        cols[2].button(CANT_COME, key=f"vp_cant_{b}", on_click=_ask, args=("cant", b), width="stretch")


def _visit_card(visit: Visit, actor: Actor, changeable: bool) -> None:
    with st.container(border=True, key=f"vp_visit_{visit.booking_id}"):
        st.markdown(f"**{md(visit.service_name)}** · 📍 {md(visit.place_name)}")
        st.markdown(f"{_day(visit.date)}, {time_range(visit.start_time, visit.end_time)}")
        who = booked_by(visit.created_by_kind, visit.created_by_id, visit.staff_login)
        st.markdown(f"{status_label(visit.status, visitor=True)} · кто записал: {md(who)}")
        if visit.comment:
            st.caption(f"💬 {md(visit.comment)}")
        if changeable:
            _visit_actions(visit, actor)
        _show_note(f"visit_{visit.booking_id}")


def history_section(actor: Actor) -> None:
    moment = now()
    with get_engine().connect() as conn:
        visits = visits_of(conn, actor.id)
    if not visits:
        st.info("Записей пока нет. Выберите услугу в разделе «Доступные услуги».")
        return
    ahead, past = history(visits, moment)
    if ahead:
        st.subheader("Предстоящие")
        for visit in ahead:
            _visit_card(visit, actor, visit.is_changeable(moment))
    if past:
        st.subheader("Прошедшие")
        _past_list("vp_hist_more", past, lambda v: _visit_card(v, actor, False))


def _past_list(key: str, items: list, draw) -> None:
    limit = st.session_state.setdefault(key, PAST_PAGE)
    for item in items[:limit]:
        draw(item)
    if len(items) > limit:
        st.button(f"Показать ещё ({len(items) - limit})", key=f"{key}_btn", width="stretch",
                  on_click=lambda: st.session_state.update({key: limit + PAST_PAGE}))


# --- Мои мероприятия --------------------------------------------------------------------


def _day_key(day: EventDay) -> str:
    return f"{day.event_id}_{day.date:%Y%m%d}"


@as_signed_in
def _cancel_day(day: EventDay, actor: Actor) -> None:
    try:
        cancelled = cancel_event_day(get_engine(), actor.id, day.event_id, day.date, actor, now(), reason="Отмена участия")
    except DomainError as refusal:
        _note(f"day_{_day_key(day)}", refusal.message, ok=False)
        return
    _close()
    _note(f"day_{_day_key(day)}", f"Участие отменено: записей отменено — {cancelled}. Места освободились.")
    after_write()


@as_signed_in
def _comment_day(day: EventDay, actor: Actor) -> None:
    try:
        comment_event_day(get_engine(), actor.id, day.event_id, day.date, st.session_state.get(f"vp_daytext_{_day_key(day)}"), actor, now())
    except DomainError as refusal:
        _note(f"day_{_day_key(day)}", refusal.message, ok=False)
        return
    _close()
    _note(f"day_{_day_key(day)}", "Комментарий сохранён.")
    after_write()


def _day_actions(day: EventDay, actor: Actor) -> None:
    k = _day_key(day)
    ask = st.session_state.get("vp_ask")
    kind = ask[0] if ask and ask[1] == k else None
    if kind == "day_cancel":
        names = ", ".join(v.service_name for v in day.changeable(now()))
        st.warning(f"Отменить участие {ru_day_short(day.date)}? Отменятся ваши записи: {md(names)}. Места освободятся.")
        cols = st.columns(2)
        cols[0].button("Да, отменить", key=f"vp_dayyes_{k}", type="primary", on_click=_cancel_day, args=(day, actor), width="stretch")
        cols[1].button("Нет", key=f"vp_dayno_{k}", on_click=_close, width="stretch")
    elif kind == "day_comment":
        st.session_state.setdefault(f"vp_daytext_{k}", day.comments[0] if day.comments else "")
        st.text_input("Комментарий", key=f"vp_daytext_{k}", max_chars=500)
        cols = st.columns(2)
        cols[0].button("Сохранить", key=f"vp_daysave_{k}", type="primary", on_click=_comment_day, args=(day, actor), width="stretch")
        cols[1].button("Отмена", key=f"vp_dayno_{k}", on_click=_close, width="stretch")
    else:
        cols = st.columns(2)
        cols[0].button("Комментарий", key=f"vp_daycomment_{k}", on_click=_ask, args=("day_comment", k), width="stretch")
        cols[1].button("Отменить участие", key=f"vp_daycancel_{k}", on_click=_ask, args=("day_cancel", k), width="stretch")


def _day_card(day: EventDay, actor: Actor, changeable: bool) -> None:
    with st.container(border=True, key=f"vp_day_{_day_key(day)}"):
        st.markdown(f"**{md(day.event_title)}**")
        st.markdown(f"{_day(day.date)}, {time_range(day.start_time, day.end_time)} · 📍 {md(day.place_name)}")
        kind = "повторяющееся" if day.recurring else "разовое"
        st.markdown(f"Событие {kind} · участников: {day.participants} из {day.capacity}")
        st.markdown("Ваши услуги: " + ", ".join(
            f"{md(v.service_name)} ({ru_time(v.start_time)}, {status_label(v.status, visitor=True)})" for v in day.visits
        ))
        for comment in day.comments:
            st.caption(f"💬 {md(comment)}")
        if changeable:
            _day_actions(day, actor)
        _show_note(f"day_{_day_key(day)}")


def events_section(actor: Actor) -> None:
    moment = now()
    with get_engine().connect() as conn:
        days = event_days_of(conn, actor.id)
    if not days:
        st.info("Вы пока не участвуете ни в одном событии. Запишитесь на услугу — событие появится здесь.")
        return
    upcoming = [d for d in days if d.is_upcoming(moment)]
    past = [d for d in reversed(days) if not d.is_upcoming(moment)]
    if upcoming:
        st.subheader("Предстоящие")
        for day in upcoming:
            _day_card(day, actor, bool(day.changeable(moment)))
    if past:
        st.subheader("Прошедшие")
        _past_list("vp_days_more", past, lambda d: _day_card(d, actor, False))


# --- the whole profile ------------------------------------------------------------------


def render(actor: Actor) -> None:
    header(actor)
    banner(actor.id)
    tabs = st.tabs(list(TABS), key="vp_tab", on_change="rerun")
    sections = (services_section, history_section, events_section)
    for tab, section in zip(tabs, sections):
        if tab.open:
            with tab:
                section(actor)
