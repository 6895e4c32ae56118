"""Sign-in state, idle timeouts and the per-page role gate.

A sign-in lives in the database (core.sign_ins) and in the browser as an HttpOnly cookie that
the app's own route sets (ui/server.py), so F5, a new tab or a phone that evicted the tab
keep the person signed in until the idle limit. Every run re-reads it: signing out, an idle
limit passed or a disabled account end it on the next click.
"""

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import ParamSpec
from urllib.parse import quote, urlparse

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import sign_ins
from core.actors import Actor
from core.errors import DomainError
from core.accounts import authenticate, read_actor
from core.throttle import LOCAL_ADDRESS
from ui.clock import now
from ui.db import get_engine
from ui.navigation import start_page

P = ParamSpec("P")
ACTOR_KEY = "actor"
SIGN_IN_KEY = "sign_in_id"
_UNCHECKED = object()
# who app.py found signed in at the start of this run, while it runs the page: the page's own
# gate then asks without a second database read. Callbacks run before app.py, outside it, so
# they check for themselves.
_checked_this_run: ContextVar = ContextVar("checked_this_run", default=_UNCHECKED)


def _send_browser_to(url: str) -> None:
    """Make the browser load `url` (the frontend's own redirect, as st.login uses it)."""
    context = get_script_run_ctx()
    if context is None:
        return
    message = ForwardMsg()
    message.auth_redirect.url = url
    context.enqueue(message)


def _here() -> str:
    """The page's path, to come back to after the cookie round trip."""
    try:
        return urlparse(st.context.url or "").path or "/"
    except AttributeError:  # no browser (AppTest)
        return "/"


def client_address() -> str:
    """Where the browser connects from, for the throttles (core.throttle).

    Behind the deployment's proxy, uvicorn has already replaced the proxy's address with the
    client's from X-Forwarded-For, but only for proxies listed in FORWARDED_ALLOW_IPS
    (default: this machine); anyone else's X-Forwarded-For is ignored. Streamlit reports a
    browser on this machine as None (and AppTest, which has no browser, as a stand-in object).
    """
    address = st.context.ip_address
    return address if isinstance(address, str) and address else LOCAL_ADDRESS


def sign_in(actor: Actor) -> None:
    """Start a sign-in: this session knows the person at once, and the browser fetches its
    cookie with a one-time ticket so the next page load knows them too."""
    ticket, sign_in_id = sign_ins.issue_ticket(get_engine(), actor, now())
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SIGN_IN_KEY] = sign_in_id
    _send_browser_to(f"{sign_ins.SIGN_IN_ROUTE}?ticket={ticket}&next={quote(_here())}")


def sign_out() -> None:
    """End the sign-in on the server, forget the session's state, and drop the cookie."""
    sign_in_id = st.session_state.get(SIGN_IN_KEY)
    if sign_in_id is not None:
        sign_ins.end(get_engine(), sign_in_id, now())
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    _send_browser_to(sign_ins.SIGN_OUT_ROUTE)


def current_actor() -> Actor | None:
    """The signed-in person, or None after sign-out, idle timeout or deactivation."""
    checked = _checked_this_run.get()
    if checked is not _UNCHECKED:
        return checked
    sign_in_id = st.session_state.get(SIGN_IN_KEY)
    if sign_in_id is not None:
        actor = sign_ins.check(get_engine(), sign_in_id, now(), read_actor)
        if actor is None:
            for key in list(st.session_state.keys()):
                del st.session_state[key]
            st.session_state["signed_out_reason"] = "Сеанс завершён. Войдите снова."
            return None
        st.session_state[ACTOR_KEY] = actor
        return actor
    token = st.context.cookies.get(sign_ins.COOKIE) if st.context.cookies else None
    if not token:
        return None
    found = sign_ins.resume(get_engine(), token, now(), read_actor)
    if found is None:
        return None
    st.session_state[SIGN_IN_KEY], st.session_state[ACTOR_KEY] = found
    return found[1]


@contextlib.contextmanager
def page_run_as(actor: Actor | None) -> Iterator[None]:
    """Run the page of this run for the person app.py has just checked (current_actor())."""
    token = _checked_this_run.set(actor)
    try:
        yield
    finally:
        _checked_this_run.reset(token)


def as_signed_in(callback: Callable[P, None]) -> Callable[P, None]:
    """Run a callback that writes only for a person still signed in.

    Streamlit runs a button's callback before the page, so before the page's own check of who
    is there: an idle, signed-out or disabled session's first click would otherwise write as
    the person of the previous run. Refused, it writes nothing and the page shows the sign-in.
    """

    @functools.wraps(callback)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        if current_actor() is not None:
            callback(*args, **kwargs)

    return guarded


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
            actor = authenticate(get_engine(), login, password, now(), client_address())
        except DomainError as refusal:
            st.error(refusal.message)
            return
        sign_in(actor)
        # not st.rerun(): a rerun drops the queued redirect that fetches the cookie; the page
        # the browser now loads shows the signed-in person
        st.stop()


def require_role(*roles: str) -> Actor:
    """Stop the page unless the signed-in person has one of `roles`; logged out sees the login."""
    actor = current_actor()
    if actor is None:
        login_form()
        st.stop()
    if actor.role not in roles:
        st.error("Этот раздел вам недоступен.")
        st.page_link(start_page(actor.role), label="На свою начальную страницу", icon="🏠")
        st.stop()
    return actor
