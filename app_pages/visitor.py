"""Запись для посетителей: sign in with card (or surname) and PIN, or register; then the profile.

A public page: it does its own sign-in instead of require_role. A card number is an identifier
and surnames are public, so nobody sees bookings without the PIN (SPEC §4.7); the idle limit of
15 minutes is applied by ui.auth.current_actor.

Most people coming here have a card, so the sign-in is the first screen. Card number and PIN are
type="phone" fields: a phone brings up its digit keypad (Streamlit 1.67 has no inputmode for a
text input, and a number input would drop a PIN's leading zero); the PIN's digits are drawn as
dots by CSS (ui/style.py), as a password field would.
"""

import streamlit as st

from core.errors import DomainError
from core.accounts import load_actor
from core.visitors import visitor_sign_in, visitors_by_surname
from ui import registration, visitor_profile
from ui.auth import client_address, current_actor, sign_in
from ui.clock import now
from ui.db import get_engine
from ui.format import md
from ui.forms import clear_errors, field_error, remember_error

FORM = "vp_signin"
HOW = {"card": "По номеру карты", "surname": "По фамилии"}


def set_mode(mode: str | None) -> None:
    st.session_state["vp_mode"] = mode
    clear_errors(FORM)
    clear_errors("vp_reg")  # registration.form's messages


def continue_after_registration() -> None:
    issued = registration.registered("vp")
    st.session_state["vp_registered"] = None
    actor = load_actor(get_engine(), "visitor", issued.visitor_id)
    if actor is not None:
        sign_in(actor)


def do_sign_in() -> None:
    s = st.session_state
    card = s.get("vp_card") if s.get("vp_how") == "card" else s.get("vp_pick")
    pin = s.get("vp_pin", "")
    s["vp_pin"] = ""  # never keep a PIN on screen after an attempt
    clear_errors(FORM)
    if not card:
        field = "card" if s.get("vp_how") == "card" else "pick"
        s[f"{FORM}__errors"] = {field: "Введите номер карты." if field == "card" else "Выберите себя в списке."}
        return
    try:
        actor = visitor_sign_in(get_engine(), card, pin, now(), client_address())
    except DomainError as refusal:
        remember_error(FORM, refusal, default_field="pin")
        return
    for key in ("vp_card", "vp_surname", "vp_pick", "vp_mode"):
        s.pop(key, None)
    sign_in(actor)


def digits_field(label: str, key: str, max_chars: int, placeholder: str = "") -> None:
    """A field that brings up the digit keypad on a phone, with no phone icon, hint or autofill."""
    st.text_input(label, key=key, max_chars=max_chars, type="phone", icon="", placeholder=placeholder, autocomplete="off")


def back() -> None:
    st.button("← Назад", key="vp_back", on_click=set_mode, args=(None,), type="tertiary")


def new_visitor() -> None:
    back()
    st.subheader("Регистрация")
    registration.form("vp", None)


def namesakes() -> None:
    surname = (st.session_state.get("vp_surname") or "").strip()
    if not surname:
        return
    with get_engine().connect() as conn:
        found = visitors_by_surname(conn, surname)
    if not found:
        st.info("С такой фамилией никого не нашли. Проверьте написание или войдите по номеру карты.")
        return
    labels = {person.card_number: person.masked for person in found}
    if st.session_state.get("vp_pick") not in labels:
        st.session_state["vp_pick"] = None if len(labels) > 1 else next(iter(labels))
    st.radio("Выберите себя", list(labels), key="vp_pick", index=None, format_func=lambda card: md(labels[card]))
    field_error(FORM, "pick", st.session_state.get("vp_pick"))


def known_visitor() -> None:
    """Card number (or surname), PIN, Войти; registration is one tap away below."""
    st.markdown("Бесплатная помощь: стирка, душ, врач, одежда, юрист. Запишитесь заранее — вас будут ждать.")
    st.session_state.setdefault("vp_how", "card")
    st.segmented_control("Как войти", list(HOW), key="vp_how", format_func=HOW.get, required=True, label_visibility="collapsed")
    s = st.session_state
    if s["vp_how"] == "surname":
        st.text_input("Фамилия", key="vp_surname", max_chars=60)
        st.button("Найти", key="vp_find", width="stretch")
        namesakes()
    else:
        digits_field("Номер карты", "vp_card", 12, placeholder="Например: 100042")
        field_error(FORM, "card", s["vp_card"])
    digits_field("PIN (4 цифры)", "vp_pin", 4)
    # a PIN message is about this card (or person) and this PIN, signed in this way
    person = s.get("vp_card") if s["vp_how"] == "card" else s.get("vp_pick")
    field_error(FORM, "pin", s["vp_how"], person, s["vp_pin"])
    st.button("Войти", key="vp_signin", type="primary", on_click=do_sign_in, width="stretch")
    st.caption("Забыли PIN или карта заблокирована? Обратитесь к волонтёру или сотруднику.")
    st.button("Я здесь впервые — зарегистрироваться", key="vp_new", on_click=set_mode, args=("new",), width="stretch")


def entry() -> None:
    st.title("Запись на помощь")
    reason = st.session_state.pop("signed_out_reason", None)
    if reason:
        st.info(reason)
    issued = registration.registered("vp")
    if issued:
        registration.show_card(issued)
        st.button("Я записал(а). Войти", key="vp_continue", type="primary", on_click=continue_after_registration, width="stretch")
        return
    if st.session_state.setdefault("vp_mode", None) == "new":
        new_visitor()
    else:
        known_visitor()


actor = current_actor()
with st.container(key="visitor_page"):
    if actor is None:
        entry()
    elif actor.role != "visitor":
        st.title("Запись для посетителей")
        st.info("Вы вошли как сотрудник или волонтёр. Эта страница — для посетителей: выйдите, чтобы войти по карте.")
    else:
        visitor_profile.render(actor)
