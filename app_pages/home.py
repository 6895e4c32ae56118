"""Start page: visitors first. Two large buttons: «Я посетитель» opens the visitor page, «Я
сотрудник или волонтёр» shows the staff sign-in; signed-in people go straight to their work."""

import streamlit as st

from ui.auth import current_actor, login_form
from ui.navigation import start_page

actor = current_actor()
if actor is not None:
    st.switch_page(start_page(actor.role))

st.title("Запись на помощь")
st.write("Бесплатная помощь: стирка, душ, врач, одежда, юрист — в Цветном, на Гиляровского и на Ясной.")
reason = st.session_state.pop("signed_out_reason", None)  # "Сеанс завершён. Войдите снова."
if reason:
    st.info(reason)
if st.button("Я посетитель", key="home_visitor", type="primary", width="stretch"):
    st.switch_page("app_pages/visitor.py")
st.button("Я сотрудник или волонтёр", key="home_staff", width="stretch",
          on_click=lambda: st.session_state.update(home_staff_open=True))
if st.session_state.get("home_staff_open"):
    login_form()
    st.page_link("app_pages/volunteer_signup.py", label="Хочу стать волонтёром", icon="✍️")
