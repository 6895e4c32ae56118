"""Волонтёры (admin): the list, approve a pending account, deactivate one, give a new password."""

import streamlit as st

from core.errors import DomainError
from core.accounts import VOLUNTEER_STATUS_LABELS, matching_volunteers, reset_password, set_volunteer_status
from core.validation import format_phone
from ui.auth import as_signed_in, require_role
from ui.clock import now
from ui.db import after_write, cached_volunteers, get_engine
from ui.forms import show_once
from ui.format import md, ru_date
from ui.paging import current_page, from_first_page_when_changed, pager

actor = require_role("admin")
STATUS_BADGE = {"pending": "orange", "active": "green", "deactivated": "gray"}
# at 1280 px the status column holds «Ждёт подтверждения» and the last one «Подтвердить» whole;
# the ID, phone and date cells never wrap (ui/style.py), so a copied ID or number stays as typed
ROW_COLUMNS = [0.9, 2.0, 1.9, 2.3, 1.3, 0.9, 1.8]
ROW_GAP = "xsmall"
# a page at a time, as the other long lists: two hundred rows of buttons take a second to draw
PAGE_SIZE = 20


def ask_off(volunteer_id: int) -> None:
    """«Отключить» only asks: the «Да, отключить» under the row does it."""
    st.session_state["vl_ask"] = volunteer_id


def forget_ask() -> None:
    st.session_state["vl_ask"] = None


@as_signed_in
def change(volunteer_id: int, status: str, name: str) -> None:
    forget_ask()
    try:
        set_volunteer_status(get_engine(), volunteer_id, status, actor, now())
    except DomainError as refusal:
        st.session_state["vl_error"] = refusal.message
        return
    verb = "подтверждён" if status == "active" else "отключён"
    st.session_state["vl_flash"] = f"Волонтёр {md(name)} {verb}."
    after_write()


@as_signed_in
def new_password(volunteer_id: int, name: str) -> None:
    try:
        password = reset_password(get_engine(), "volunteer", volunteer_id, actor, now())
    except DomainError as refusal:
        st.session_state["vl_error"] = refusal.message
        return
    st.session_state["vl_password"] = (name, password)


def show_new_password() -> None:
    """The temporary password, once: it is not stored anywhere it could be read again."""
    issued = st.session_state.pop("vl_password", None)
    if issued:
        name, password = issued
        with st.container(border=True, key="vl_new_password"):
            st.success(f"Новый пароль для {md(name)}. Прежний больше не действует, все входы закрыты.")
            st.metric("Временный пароль — передайте волонтёру", password)


st.title("Волонтёры")
show_once("vl_flash")
show_once("vl_error", "error")
show_new_password()

people = cached_volunteers()
pending = sum(1 for v in people if v.status == "pending")
st.caption(f"Всего: {len(people)}. Ждут подтверждения: {pending}.")
query = st.text_input("Найти волонтёра", key="vl_search", placeholder="ФИО, логин, телефон или ID")
found = matching_volunteers(people, query)
from_first_page_when_changed("vl_pages_query", query, "vl_page")
if not found:
    st.info("Никого не нашли. Проверьте написание или сократите запрос.")
else:
    with st.container(key="table_header"):
        for col, label in zip(st.columns(ROW_COLUMNS, gap=ROW_GAP), ["ID", "ФИО", "Телефон", "Статус", "Регистрация", "Записей", ""]):
            col.caption(label)
pages = -(-len(found) // PAGE_SIZE)
page_number = current_page("vl_page", pages)
for volunteer in found[page_number * PAGE_SIZE : (page_number + 1) * PAGE_SIZE]:
    with st.container(border=True, key=f"vl_row_{volunteer.id}"):
        cols = st.columns(ROW_COLUMNS, gap=ROW_GAP, vertical_alignment="center")
        # keyed cells: ui/style.py keeps them on one line and, on a phone (no column headings),
        # names the date and the count
        cols[0].container(key=f"vl_code_{volunteer.id}").markdown(f"**{volunteer.code}**")
        cols[1].markdown(f"{md(volunteer.full_name)}  \nлогин: {md(volunteer.login)}")
        cols[2].container(key=f"vl_phone_{volunteer.id}").markdown(md(format_phone(volunteer.phone)) or "—")
        with cols[3]:
            st.badge(VOLUNTEER_STATUS_LABELS[volunteer.status], color=STATUS_BADGE[volunteer.status])
        cols[4].container(key=f"vl_since_{volunteer.id}").markdown(ru_date(volunteer.created_at.date()))
        cols[5].container(key=f"vl_made_{volunteer.id}").markdown(str(volunteer.bookings_made))
        with cols[6]:
            if volunteer.status == "active":
                st.button("Отключить", key=f"vl_off_{volunteer.id}", on_click=ask_off, args=(volunteer.id,), width="stretch")
                with st.popover("Пароль", width="stretch"):
                    st.write("Прежний пароль перестанет действовать, волонтёр выйдет на всех устройствах.")
                    st.button("Выдать новый пароль", key=f"vl_password_{volunteer.id}", type="primary",
                              on_click=new_password, args=(volunteer.id, volunteer.full_name), width="stretch")
            else:
                label = "Подтвердить" if volunteer.status == "pending" else "Включить"
                st.button(label, key=f"vl_on_{volunteer.id}", type="primary", on_click=change,
                          args=(volunteer.id, "active", volunteer.full_name), width="stretch")
        if volunteer.status == "active" and st.session_state.get("vl_ask") == volunteer.id:
            st.warning(f"Отключить волонтёра {md(volunteer.full_name)}? Войти под этой учётной записью будет "
                       "нельзя, открытые входы закроются. Сделанные записи останутся. Включить снова можно в любой момент.")
            yes_no = st.columns(2)
            yes_no[0].button("Да, отключить", key=f"vl_yes_off_{volunteer.id}", type="primary", on_click=change,
                             args=(volunteer.id, "deactivated", volunteer.full_name), width="stretch")
            yes_no[1].button("Нет", key=f"vl_no_off_{volunteer.id}", on_click=forget_ask, width="stretch")
if pages > 1:
    pager("vl_page", page_number + 1 < pages, pages)
