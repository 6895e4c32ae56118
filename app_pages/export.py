"""Экспорт данных: the coordinator's page (admins reach the same screen as a tab of Мероприятия)."""

import streamlit as st

from ui import export_view
from ui.auth import require_role

actor = require_role("admin", "coordinator")
st.title("Экспорт данных")
export_view.render(actor)
