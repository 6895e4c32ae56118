"""Start page: visitors go to their page, staff sign in, signed-in people go to their work."""

import streamlit as st

from ui.auth import current_actor, login_form
from ui.navigation import start_page

actor = current_actor()
if actor is not None:
    st.switch_page(start_page(actor.role))

st.title("Запись на помощь")
st.write("Бесплатная помощь: стирка, душ, врач, одежда, юрист — в Цветном, на Гиляровского и на Ясной.")
st.page_link("app_pages/visitor.py", label="Я посетитель: записаться на услугу", icon="👤")
login_form()
st.page_link("app_pages/volunteer_signup.py", label="Хочу стать волонтёром", icon="✍️")
