"""The waiting list on screen: joining it where a service is full (the visitor page, the desk),
one's own places in lines (Мои записи), and a session's line in Участники (admins reorder it).

The rules are core.waitlist's; here a person's place is told in words («вы 2-й в очереди»).
"""

from collections.abc import Callable
from datetime import date

import streamlit as st

from core import waitlist
from core.actors import Actor
from core.booking import SessionKey
from core.errors import MESSAGES, DomainError
from core.visits import Offer
from ui.auth import ACTOR_KEY, as_signed_in
from ui.clock import now
from ui.db import after_write, get_engine
from ui.format import md, ru_day_short, ru_time
from ui.forms import show_once

PROMISE = "Если место освободится, вас запишут сами — запись появится в «Мои записи»."


def in_line_words(rank: int) -> str:
    return "вы следующий в очереди" if rank == 1 else f"вы {rank}-й в очереди"


def _slot(offer: Offer) -> str:
    return f"{offer.session.event_service_id}:{offer.session.date.isoformat()}"


@as_signed_in
def _join(visitor_id: int, prefix: str, words: dict[str, str]) -> None:
    value = st.session_state.get(f"{prefix}_wl_slot")
    if not value:
        return
    es_id, day = value.split(":")
    actor: Actor = st.session_state[ACTOR_KEY]
    try:
        rank = waitlist.join(get_engine(), visitor_id, SessionKey(int(es_id), date.fromisoformat(day)), actor, now())
    except DomainError as refusal:
        st.session_state[f"{prefix}_wl_error"] = refusal.message
        return
    st.session_state[f"{prefix}_wl_open"] = False
    lead = "Вы в листе ожидания" if actor.role == "visitor" else "Посетитель в листе ожидания"
    st.session_state[f"{prefix}_wl_done"] = f"{lead}: {words[value]} — {in_line_words(rank)}. {PROMISE}"
    after_write()


def offer_line(visitor_id: int, prefix: str, full: list[Offer], words) -> None:
    """«Встать в лист ожидания» for the full sessions in `full` (`words(offer)` names one)."""
    show_once(f"{prefix}_wl_done")
    if not full:
        return
    key_open = f"{prefix}_wl_open"
    if not st.session_state.get(key_open):
        st.button("Встать в лист ожидания", key=f"{prefix}_wl_ask", width="stretch",
                  on_click=lambda: st.session_state.update({key_open: True, f"{prefix}_wl_error": None}))
        return
    named = {_slot(o): words(o) for o in full}
    st.radio("Занятая дата", list(named), key=f"{prefix}_wl_slot", format_func=lambda v: md(named[v]))
    st.caption(PROMISE)
    show_once(f"{prefix}_wl_error", "error")
    cols = st.columns(2)
    cols[0].button("Встать в очередь", key=f"{prefix}_wl_join", type="primary", on_click=_join,
                   args=(visitor_id, prefix, named), width="stretch")
    cols[1].button("Отмена", key=f"{prefix}_wl_cancel", width="stretch",
                   on_click=lambda: st.session_state.update({key_open: False}))


# --- the visitor's own ---------------------------------------------------------------------


@as_signed_in
def _leave(entry_id: int, prefix: str) -> None:
    try:
        waitlist.leave(get_engine(), entry_id, st.session_state[ACTOR_KEY], now())
    except DomainError as refusal:
        st.session_state[f"{prefix}_flash_error"] = refusal.message
        return
    st.session_state[f"{prefix}_flash"] = "Вы вышли из листа ожидания."
    after_write()


def _entry_words(entry: waitlist.MyEntry) -> str:
    return f"{md(entry.service_name)}, {ru_day_short(entry.day)} в {ru_time(entry.start_time)}, {md(entry.place_name)}"


def my_lines(visitor_id: int, offer_elsewhere: Callable[[waitlist.MyEntry], None], prefix: str = "vp_wl") -> None:
    """Bookings that came from a line (with the notice), places in lines, lines that closed
    (with `offer_elsewhere(entry)`: the same service on other dates and places)."""
    with get_engine().connect() as conn:
        entries = waitlist.entries_of_visitor(conn, visitor_id, now())
    show_once(f"{prefix}_flash")
    show_once(f"{prefix}_flash_error", "error")
    for entry in entries:
        if entry.state == waitlist.BOOKED:
            st.success(f"Вы записаны из листа ожидания: {_entry_words(entry)}.")
    waiting = [e for e in entries if e.state == waitlist.WAITING]
    closed = [e for e in entries if e.state == waitlist.CLOSED]
    for entry in waiting:
        with st.container(border=True, key=f"{prefix}_{entry.entry_id}"):
            st.markdown(f"⏳ **Лист ожидания:** {_entry_words(entry)}  \n{in_line_words(entry.rank).capitalize()}.")
            st.button("Выйти из листа ожидания", key=f"{prefix}_leave_{entry.entry_id}", on_click=_leave,
                      args=(entry.entry_id, prefix), width="stretch")
    for entry in closed:
        st.info(f"Лист ожидания закрыт: {_entry_words(entry)}. Место так и не освободилось.")
        offer_elsewhere(entry)


# --- a session's line (Участники) -----------------------------------------------------------


@as_signed_in
def _move(entry_id: int, earlier: bool) -> None:
    try:
        waitlist.move(get_engine(), entry_id, earlier, st.session_state[ACTOR_KEY], now())
    except DomainError as refusal:
        st.session_state["pp_wl_error"] = refusal.message
        return
    after_write()


@as_signed_in
def _remove(entry_id: int) -> None:
    try:
        waitlist.leave(get_engine(), entry_id, st.session_state[ACTOR_KEY], now())
    except DomainError as refusal:
        st.session_state["pp_wl_error"] = refusal.message
        return
    st.session_state.update(pp_wl_flash="Человек убран из листа ожидания.", pp_wl_ask=None)
    after_write()


def session_line(session_id: int | None, can_reorder: bool) -> None:
    """Who waits for this session, in order; admins move people and take them off."""
    if session_id is None:
        return
    with get_engine().connect() as conn:
        line = waitlist.line_of(conn, session_id)
    show_once("pp_wl_flash")
    show_once("pp_wl_error", "error")
    if not line:
        return
    st.markdown(f"**Лист ожидания ({len(line)})**")
    st.caption("Освободившееся место сразу получает первый в очереди.")
    for entry in line:
        with st.container(border=True, key=f"pp_wl_{entry.id}"):
            name = f"{md(entry.last_name)} {md(entry.first_name)}".strip() or MESSAGES["person_erased"]
            st.markdown(f"**{entry.rank}.** {name} · карта {md(entry.card_number)}")
            if entry.comment:
                st.caption(f"💬 {md(entry.comment)}")
            if can_reorder and st.session_state.get("pp_wl_ask") == entry.id:
                st.warning("Убрать этого человека из листа ожидания?")
                cols = st.columns(2)
                cols[0].button("Да, убрать", key=f"pp_wl_yes_{entry.id}", type="primary", on_click=_remove, args=(entry.id,),
                               width="stretch")
                cols[1].button("Нет", key=f"pp_wl_no_{entry.id}", width="stretch",
                               on_click=lambda: st.session_state.update(pp_wl_ask=None))
            elif can_reorder:
                cols = st.columns(3)
                cols[0].button("Выше", key=f"pp_wl_up_{entry.id}", icon="⬆️", on_click=_move, args=(entry.id, True),
                               disabled=entry.rank == 1, width="stretch")
                cols[1].button("Ниже", key=f"pp_wl_down_{entry.id}", icon="⬇️", on_click=_move, args=(entry.id, False),
                               disabled=entry.rank == len(line), width="stretch")
                cols[2].button("Убрать", key=f"pp_wl_remove_{entry.id}", width="stretch",
                               on_click=lambda e=entry.id: st.session_state.update(pp_wl_ask=e))

