"""Стать волонтёром: self-registration; the account works after an admin approves it."""

import streamlit as st

from core.errors import DomainError
from core.accounts import register_volunteer
from ui.auth import client_address
from ui.clock import now
from ui.db import after_write, get_engine
from ui.forms import clear_errors, field_error, remember_error

FORM = "vs_form"


def submit() -> None:
    clear_errors(FORM)
    s = st.session_state
    try:
        register_volunteer(get_engine(), s.vs_first, s.vs_last, s.vs_phone, s.vs_login, s.vs_password, now(), client_address())
    except DomainError as refusal:
        remember_error(FORM, refusal)
        return
    after_write()  # the admin's Волонтёры shows the new request at once
    st.session_state["vs_done"] = True


st.title("Стать волонтёром")
if st.session_state.get("vs_done"):
    st.success("Заявка отправлена. Когда администратор её подтвердит, войдите со своим логином и паролем.")
    st.page_link("app_pages/home.py", label="На главную", icon="🏠")
    st.stop()

st.write("Заполните анкету. Войти можно будет после подтверждения администратором.")
with st.container(border=True, key="volunteer_signup"):
    s = st.session_state
    st.text_input("Имя", key="vs_first", max_chars=60)
    field_error(FORM, "first_name", s.vs_first)
    st.text_input("Фамилия", key="vs_last", max_chars=60)
    field_error(FORM, "last_name", s.vs_last)
    st.text_input("Телефон", key="vs_phone", placeholder="+7 (916) 123-45-67")
    field_error(FORM, "phone", s.vs_phone)
    st.text_input("Логин", key="vs_login", max_chars=32, help="Латинские буквы, цифры, точка, дефис, подчёркивание")
    field_error(FORM, "login", s.vs_login)
    st.text_input("Пароль (не меньше 10 символов)", key="vs_password", type="password")
    field_error(FORM, "password", s.vs_password)
    st.button("Отправить заявку", key="vs_submit", type="primary", on_click=submit, width="stretch")
    field_error(FORM, "_form")
