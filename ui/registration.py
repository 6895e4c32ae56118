"""Register a visitor: the same fields, checks and consent on the visitor page and at the desk."""

import streamlit as st

from core.actors import Actor
from core.errors import DomainError
from core.visitors import CONSENT_TEXT, Registration, register_visitor
from ui.auth import client_address, current_actor
from ui.clock import now
from ui.db import after_write, get_engine
from ui.forms import clear_errors, field_error, remember_error


def _submit(prefix: str, actor: Actor | None) -> None:
    # at the desk a volunteer registers the person: only while still signed in
    if actor is not None and current_actor() is None:
        return
    form = f"{prefix}_reg"
    clear_errors(form)
    s = st.session_state
    try:
        registration = register_visitor(
            get_engine(),
            s.get(f"{prefix}_first", ""),
            s.get(f"{prefix}_last", ""),
            s.get(f"{prefix}_phone", ""),
            s.get(f"{prefix}_comment", ""),
            bool(s.get(f"{prefix}_consent")),
            actor,
            now(),
            address=client_address(),
        )
    except DomainError as refusal:
        remember_error(form, refusal)
        return
    for field in ("first", "last", "phone", "comment"):
        s[f"{prefix}_{field}"] = ""
    s[f"{prefix}_consent"] = False
    s[f"{prefix}_registered"] = registration
    after_write()


def form(prefix: str, actor: Actor | None) -> None:
    """The registration fields; every refusal is shown under its field and nothing is saved."""
    name = f"{prefix}_reg"
    s = st.session_state
    with st.container(border=True, key=f"{prefix}_registration"):
        st.text_input("Имя", key=f"{prefix}_first", max_chars=60)
        field_error(name, "first_name", s[f"{prefix}_first"])
        st.text_input("Фамилия", key=f"{prefix}_last", max_chars=60)
        field_error(name, "last_name", s[f"{prefix}_last"])
        st.text_input("Телефон (необязательно)", key=f"{prefix}_phone", placeholder="+7 (916) 123-45-67")
        field_error(name, "phone", s[f"{prefix}_phone"])
        st.text_area("Комментарий (необязательно)", key=f"{prefix}_comment", max_chars=500, height=80)
        field_error(name, "comment", s[f"{prefix}_comment"])
        st.checkbox(CONSENT_TEXT, key=f"{prefix}_consent")
        field_error(name, "consent", s[f"{prefix}_consent"])
        st.button("Зарегистрировать", key=f"{prefix}_register", type="primary", on_click=_submit,
                  args=(prefix, actor), width="stretch")
        field_error(name, "_form")


def registered(prefix: str) -> Registration | None:
    return st.session_state.get(f"{prefix}_registered")


def show_card(registration: Registration) -> None:
    """The card number and PIN, large, with a hint to write them down."""
    with st.container(border=True, key="issued_card"):
        st.success("Регистрация прошла успешно.")
        cols = st.columns(2)
        cols[0].metric("Номер карты", registration.card_number)
        cols[1].metric("PIN", registration.pin)
        st.warning("Запишите номер карты и PIN. PIN нужен, чтобы войти и увидеть свои записи.")
