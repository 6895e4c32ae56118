"""The frame: page config, sign-in state and navigation by role.

Screens live in app_pages/, not pages/: with a pages/ folder beside app.py, a fresh server
serves a page URL without running this file, so without its login gate.
"""

import streamlit as st

from core.actors import ROLE_LABELS
from core.backup import backup_folder, is_stale
from ui.auth import current_actor, page_run_as, sign_out
from ui.backups import start_daily_backups
from ui.clock import now
from ui.db import get_engine
from ui.mks import start_mks_worker
from ui.format import md
from ui.navigation import st_pages
from ui import not_found
from ui.style import apply_style

MENU_TITLE = "🤝 Запись на помощь"
st.set_page_config(page_title="Запись на помощь", page_icon="🤝", layout="wide")
apply_style()
get_engine()
start_daily_backups()
start_mks_worker()

actor = current_actor()
# Every page is registered, so a direct URL always runs one of our pages, and each page checks
# the role itself; the menu shows each role only its own pages. It is Streamlit's own menu, not
# st.page_link: on a phone that menu closes once a page is chosen, a page link leaves it open.
current = st.navigation({MENU_TITLE: [*st_pages(actor.role if actor else None), not_found.page()]})
with st.sidebar:
    if actor is not None:
        # a person's name, not a login or a code; the demo's «Администратор» is named as its role
        name = actor.name or actor.label
        st.caption(md(name) if name == ROLE_LABELS[actor.role] else f"{ROLE_LABELS[actor.role]}: {md(name)}")
        if actor.role == "admin" and is_stale(backup_folder(), now()):
            st.warning("Последней резервной копии больше суток. Создайте её в разделе «Служебное».")
        if st.button("Выйти", key="logout", width="stretch"):
            sign_out()
            st.stop()  # the browser goes to the start page, dropping its cookie on the way
with page_run_as(actor):
    current.run()
