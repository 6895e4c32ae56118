"""Sign-in state, idle timeouts and the per-page role gate."""

from datetime import timedelta

import streamlit as st

from core.actors import Actor
from core.errors import DomainError
from core.people import authenticate, load_actor
from ui.clock import now
from ui.db import get_engine

IDLE_LIMIT = {"visitor": timedelta(minutes=15)}
STAFF_IDLE_LIMIT = timedelta(minutes=30)
ACTOR_KEY = "actor"
SEEN_KEY = "last_seen"


def sign_in(actor: Actor) -> None:
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SEEN_KEY] = now()


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def current_actor() -> Actor | None:
    """The signed-in person, or None after logout, idle timeout or deactivation."""
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    if actor is None:
        return None
    moment = now()
    limit = IDLE_LIMIT.get(actor.role, STAFF_IDLE_LIMIT)
    last_seen = st.session_state.get(SEEN_KEY, moment)
    if moment - last_seen > limit:
        sign_out()
        st.session_state["signed_out_reason"] = "Сеанс завершён после бездействия. Войдите снова."
        return None
    fresh = load_actor(get_engine(), actor.kind, actor.id)
    if fresh is None:
        sign_out()
        return None
    st.session_state[SEEN_KEY] = moment
    return fresh


def login_form() -> None:
    """Staff and volunteer sign-in: Логин, Пароль, Войти; one generic message on failure."""
    reason = st.session_state.pop("signed_out_reason", None)
    if reason:
        st.info(reason)
    with st.form("login_form", border=True):
        st.subheader("Вход для сотрудников и волонтёров")
        login = st.text_input("Логин", key="login_name", autocomplete="username")
        password = st.text_input("Пароль", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Войти", type="primary", width="stretch")
    if submitted:
        try:
            actor = authenticate(get_engine(), login, password, now())
        except DomainError as refusal:
            st.error(refusal.message)
            return
        sign_in(actor)
        st.rerun()


def require_role(*roles: str) -> Actor:
    """Stop the page unless the signed-in person has one of `roles`; logged out sees the login."""
    actor = current_actor()
    if actor is None:
        login_form()
        st.stop()
    if actor.role not in roles:
        st.error("Этот раздел вам недоступен.")
        st.stop()
    return actor
