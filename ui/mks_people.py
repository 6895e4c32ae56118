"""МКС clients at the desk: «МКС №…» on the visitor's card, linking a visitor to a МКС client,
and taking a МКС client over as a new visitor. Shown only when МКС is configured."""

import streamlit as st

from core import mks
from core.actors import Actor
from core.errors import DomainError
from core.mks_people import links_of, link_visitor, take_over, unlink_visitor, visitors_of_clients
from core.visitors import CONSENT_TEXT, VisitorRow, find_visitors
from ui.auth import as_signed_in
from ui.clock import now
from ui.db import after_write, get_engine
from ui.format import md, ru_date
from ui.mks import mks_connection


@st.cache_data(show_spinner=False, ttl=30)
def _search(query: str) -> tuple[tuple[mks.MksClient, ...], str | None]:
    """МКС clients for a query, or the error that stopped the search; typing reuses the answers."""
    mks_engine, error = mks_connection()
    if mks_engine is None:
        return (), error
    try:
        with mks.reading(mks_engine) as conn:
            return tuple(mks.find_clients(conn, query)), None
    except mks.MksError as exc:
        return (), exc.code


def _client_label(client: mks.MksClient) -> str:
    born = f"род. {ru_date(client.birth_date)}" if client.birth_date else "дата рождения не указана"
    return f"{client.full_name} · {born} · МКС №{client.id}"


def mks_suffixes(conn, people) -> dict[int, str]:
    """« · МКС №1234, род. 01.02.1970» for the linked ones among found visitors, by visitor id:
    namesakes in a list of suggestions are told apart by it."""
    links = links_of(conn, [person.id for person in people])
    return {
        visitor_id: f" · {link.label}" + (f", род. {ru_date(link.birth_date)}" if link.birth_date else "")
        for visitor_id, link in links.items()
    }


# short-lived as the lists are: the page's reruns (a tap, the next pause in typing) reuse the
# answer; any write of the app reads it again, a registration in another instance shows within 30 s
@st.cache_data(show_spinner=False, ttl=30)
def visitors_found(query: str) -> tuple[list[VisitorRow], dict[int, str]]:
    """Visitors for a typed card, phone or name, and the «МКС №…» suffixes of the linked ones."""
    with get_engine().connect() as conn:
        matches = find_visitors(conn, query)
        return matches, mks_suffixes(conn, matches)


def card_line(visitor_id: int) -> None:
    """«МКС №1234» under the visitor's name, when linked."""
    with get_engine().connect() as conn:
        link = links_of(conn, [visitor_id]).get(visitor_id)
    if link is not None:
        born = f" · род. {ru_date(link.birth_date)}" if link.birth_date else ""
        st.caption(f"{link.label}{born}")


@as_signed_in
def _link(visitor_id: int, client_id: int, actor: Actor, prefix: str) -> None:
    mks_engine, error = mks_connection()
    try:
        if mks_engine is None:
            raise mks.MksError(error or "mks_not_configured")
        link = link_visitor(get_engine(), mks_engine, visitor_id, client_id, actor, now())
    except DomainError as refusal:
        st.session_state[f"{prefix}_error"] = refusal.message
        return
    st.session_state[f"{prefix}_flash"] = f"Посетитель связан с клиентом {link.label}."
    st.session_state[f"{prefix}_mks_q"] = ""
    after_write()


@as_signed_in
def _unlink(visitor_id: int, actor: Actor, prefix: str) -> None:
    try:
        unlink_visitor(get_engine(), visitor_id, actor, now())
    except DomainError as refusal:
        st.session_state[f"{prefix}_error"] = refusal.message
        return
    st.session_state[f"{prefix}_flash"] = "Связь с МКС снята. Услуги, уже записанные в МКС, остаются там."
    after_write()


def link_box(visitor_id: int, actor: Actor, prefix: str) -> None:
    """«Клиент МКС»: link this visitor to a МКС client found by number or by surname and name."""
    mks_engine, error = mks_connection()
    if mks_engine is None and error is None:
        return
    with get_engine().connect() as conn:
        link = links_of(conn, [visitor_id]).get(visitor_id)
    with st.expander(link.label if link else "Связать с клиентом МКС"):
        if link:
            st.caption("Отметки «Присутствовал» этого посетителя уходят в МКС как полученные услуги.")
            st.button("Снять связь с МКС", key=f"{prefix}_mks_unlink", on_click=_unlink, args=(visitor_id, actor, prefix))
        st.text_input("Номер клиента в МКС или фамилия и имя", key=f"{prefix}_mks_q", placeholder="Например: 1234 или Петрова Анна")
        query = st.session_state.get(f"{prefix}_mks_q", "")
        if query.strip():
            _choices(query, prefix, lambda client: st.button(
                "Связать", key=f"{prefix}_mks_link_{client.id}", on_click=_link, args=(visitor_id, client.id, actor, prefix),
                disabled=link is not None and link.mks_client_id == client.id,
            ))


def _choices(query: str, prefix: str, action) -> None:
    """The МКС clients found, each with its birth date (namesakes) and whose visitor it already is."""
    clients, error = _search(query.strip())
    if error:
        st.warning(mks.MksError(error).message)
        return
    if not clients:
        st.caption("В МКС никого не нашли.")
        return
    with get_engine().connect() as conn:
        cards = visitors_of_clients(conn, [c.id for c in clients])
    for client in clients:
        cols = st.columns([4, 1.3], vertical_alignment="center")
        taken = f" · уже посетитель, карта {cards[client.id]}" if client.id in cards else ""
        cols[0].write(md(_client_label(client) + taken))
        with cols[1]:
            if client.id not in cards:
                action(client)


def _choose_for_take_over(client_id: int, prefix: str) -> None:
    st.session_state[f"{prefix}_mks_take"] = client_id


@as_signed_in
def _take_over(client_id: int, actor: Actor, prefix: str) -> None:
    s = st.session_state
    mks_engine, error = mks_connection()
    try:
        if mks_engine is None:
            raise mks.MksError(error or "mks_not_configured")
        registration = take_over(get_engine(), mks_engine, client_id, s.get(f"{prefix}_mks_phone", ""),
                                 bool(s.get(f"{prefix}_mks_consent")), actor, now())
    except DomainError as refusal:
        s[f"{prefix}_error"] = refusal.message
        return
    s.update({f"{prefix}_mks_take": None, f"{prefix}_mks_phone": "", f"{prefix}_mks_consent": False, f"{prefix}_q": ""})
    s[f"{prefix}_registered"] = registration
    s[f"{prefix}_tab"] = "new"
    after_write()


def take_over_box(query: str, actor: Actor, prefix: str) -> None:
    """Under the desk's own matches: the same query in МКС, and «Зарегистрировать из МКС»."""
    mks_engine, error = mks_connection()
    if (mks_engine is None and error is None) or len(query.strip()) < 2:
        return
    st.caption("В МКС:")
    chosen = st.session_state.get(f"{prefix}_mks_take")
    _choices(query, prefix, lambda client: st.button(
        "Из МКС", key=f"{prefix}_mks_take_{client.id}", on_click=_choose_for_take_over, args=(client.id, prefix), width="stretch",
    ))
    if chosen:
        with st.container(border=True, key=f"{prefix}_mks_take_form"):
            st.write(f"Новый посетитель из МКС №{chosen}: имя и фамилия — как в МКС, карта и PIN — новые.")
            st.text_input("Телефон (необязательно)", key=f"{prefix}_mks_phone", placeholder="+7 (916) 123-45-67")
            st.checkbox(CONSENT_TEXT, key=f"{prefix}_mks_consent")
            st.button("Зарегистрировать из МКС", key=f"{prefix}_mks_register", type="primary", on_click=_take_over,
                      args=(chosen, actor, prefix))
