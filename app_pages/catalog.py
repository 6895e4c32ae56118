"""Справочник услуг (admin): the catalog events pick from; add, change, retire, bring back."""

import streamlit as st

from core.catalog import (
    CatalogService,
    ServiceFields,
    add_service,
    restore_service,
    retire_service,
    update_service,
)
from core.errors import DomainError
from core.recurrence import plural
from core.service_limits import days_words
from ui.auth import as_signed_in, require_role
from ui.clock import now, today
from ui.db import after_write, cached_catalog, cached_events, get_engine
from ui.format import md
from ui.forms import clear_errors, field_error, remember_error, show_once

actor = require_role("admin")
FORM = "cat_form"
FIELDS = ("cat_name", "cat_description", "cat_capacity", "cat_window", "cat_duration", "cat_limit")
ROW_COLUMNS = [3.4, 2.2, 1.2]


# --- the form: one at a time, «new» at the top or «edit» under its row -------------------


def open_form(service: CatalogService | None = None) -> None:
    """Open the form empty (a new service) or filled with `service` to change it."""
    st.session_state["cat_editing"] = "new" if service is None else service.id
    st.session_state["cat_confirm"] = None
    if service is None:
        values = ("", "", 10, 7, 60, "")
    else:
        values = (service.name, service.description, service.default_capacity, service.default_window_days,
                  service.default_duration_min, "" if service.limit_days is None else str(service.limit_days))
    st.session_state.update(dict(zip(FIELDS, values)))
    clear_errors(FORM)


def close_form() -> None:
    st.session_state["cat_editing"] = None
    clear_errors(FORM)


@as_signed_in
def save() -> None:
    """Call core; a refusal stays under its fields, a success closes the form."""
    s = st.session_state
    clear_errors(FORM)
    fields = ServiceFields(s.cat_name, s.cat_description, s.cat_capacity, s.cat_window, s.cat_duration, s.cat_limit)
    editing = s.get("cat_editing")
    try:
        if editing == "new":
            add_service(get_engine(), fields, actor, now())
            message = "Услуга добавлена в справочник."
        else:
            update_service(get_engine(), editing, fields, actor, now())
            message = "Изменения сохранены."
    except DomainError as refusal:
        remember_error(FORM, refusal)
        return
    after_write()
    close_form()
    s["cat_flash"] = message


def service_form(title: str) -> None:
    s = st.session_state
    with st.container(border=True, key="catalog_form"):
        st.subheader(title)
        st.text_input("Название", key="cat_name", max_chars=80, placeholder="Например: Стирка")
        field_error(FORM, "name", s.cat_name)
        st.text_area("Описание для посетителей", key="cat_description", max_chars=500, height=90)
        field_error(FORM, "description", s.cat_description)
        st.caption("Значения по умолчанию: их подставляет форма события, в каждом событии их можно изменить.")
        cols = st.columns(3)
        with cols[0]:
            st.number_input("Мест", key="cat_capacity", step=1)
            field_error(FORM, "default_capacity", s.cat_capacity)
        with cols[1]:
            st.number_input("Окно записи, дней", key="cat_window", step=1,
                            help="За сколько дней до даты можно записаться. 0 — только в этот день.")
            field_error(FORM, "default_window_days", s.cat_window)
        with cols[2]:
            st.number_input("Длительность, минут", key="cat_duration", step=5)
            field_error(FORM, "default_duration_min", s.cat_duration)
        st.text_input("Не чаще раза в N дней", key="cat_limit", max_chars=3, placeholder="без ограничения",
                      help="Для одного человека во всех местах: например, 30 — одежду выдают раз в месяц. Пусто — без ограничения.")
        field_error(FORM, "limit_days", s.cat_limit)
        field_error(FORM, "_form")
        buttons = st.columns(2)
        buttons[0].button("Сохранить", key="cat_save", type="primary", on_click=save, width="stretch")
        buttons[1].button("Отмена", key="cat_cancel", on_click=close_form, width="stretch")


# --- retire and bring back --------------------------------------------------------------


def ask_retire(service_id: int) -> None:
    st.session_state["cat_confirm"] = service_id


def forget() -> None:
    st.session_state["cat_confirm"] = None


@as_signed_in
def run(work, service: CatalogService, message: str) -> None:
    try:
        work(get_engine(), service.id, actor, now())
    except DomainError as refusal:
        st.session_state["cat_error"] = refusal.message
        return
    forget()
    after_write()
    st.session_state["cat_flash"] = message.format(name=md(service.name))


def events_with(service_id: int) -> int:
    """Active events that have the service: what retiring it leaves in place."""
    day = today()
    return sum(
        1 for e in cached_events() if not e.is_archived(day) and any(es.service_id == service_id for es in e.services)
    )


def confirm_retire(service: CatalogService) -> None:
    count = events_with(service.id)
    where = (
        f"Она есть в {count} {plural(count, 'активном событии', 'активных событиях', 'активных событиях')}: "
        "там она останется, уже записанные люди остаются записаны. "
        if count else ""
    )
    st.warning(
        f"Вывести «{md(service.name)}» из справочника? {where}Посетители больше не смогут на неё записаться, "
        "в новые события её не добавить. История и выгрузки сохранят её название. Вернуть можно в любой момент."
    )
    cols = st.columns(2)
    cols[0].button("Да, вывести", key=f"cat_yes_retire_{service.id}", type="primary", on_click=run,
                   args=(retire_service, service, "Услуга «{name}» выведена из справочника."), width="stretch")
    cols[1].button("Отмена", key=f"cat_no_{service.id}", on_click=forget, width="stretch")


def service_row(service: CatalogService) -> None:
    s = st.session_state
    with st.container(border=True, key=f"cat_row_{service.id}"):
        cols = st.columns(ROW_COLUMNS, vertical_alignment="center")
        with cols[0]:
            st.markdown(f"**{md(service.name)}**")
            st.caption(md(service.description))
        cols[1].markdown(
            f"👥 {service.default_capacity} {plural(service.default_capacity, 'место', 'места', 'мест')}  \n"
            f"🗓️ запись за {service.default_window_days} {plural(service.default_window_days, 'день', 'дня', 'дней')}  \n"
            f"⏱️ {service.default_duration_min} мин."
            + (f"  \n🔁 не чаще раза в {days_words(service.limit_days)}" if service.limit_days else "")
        )
        with cols[2]:
            st.badge("Действует" if service.active else "Выведена", color="green" if service.active else "gray")
        actions = st.columns(2)
        actions[0].button("Изменить", key=f"cat_edit_{service.id}", on_click=open_form, args=(service,), width="stretch")
        if service.active:
            actions[1].button("Вывести из справочника", key=f"cat_retire_{service.id}", on_click=ask_retire,
                              args=(service.id,), width="stretch")
        else:
            actions[1].button("Вернуть", key=f"cat_restore_{service.id}", on_click=run,
                              args=(restore_service, service, "Услуга «{name}» снова в справочнике."), width="stretch")
        if s.get("cat_confirm") == service.id and service.active:
            confirm_retire(service)
        if s.get("cat_editing") == service.id:
            service_form("Изменение услуги")


top = st.columns([3, 1], vertical_alignment="center")
top[0].title("Справочник услуг")
top[1].button("+ Добавить услугу", key="cat_add", type="primary", on_click=open_form, width="stretch")
show_once("cat_flash")
show_once("cat_error", "error")
if st.session_state.get("cat_editing") == "new":
    service_form("Новая услуга")

catalog = cached_catalog()
in_force = sum(1 for item in catalog if item.active)
st.caption(
    f"Действуют: {in_force}. Выведены: {len(catalog) - in_force}. "
    "Выведенной услуги нет в форме события и у посетителей; события, записи и история её сохраняют."
)
if not catalog:
    st.info("В справочнике пока нет услуг.")
else:
    with st.container(key="table_header"):
        for col, label in zip(st.columns(ROW_COLUMNS), ["Услуга и описание", "По умолчанию", "Состояние"]):
            col.caption(label)
    # in force first, then retired; each by name
    for item in sorted(catalog, key=lambda c: (not c.active, c.name.casefold())):
        service_row(item)
