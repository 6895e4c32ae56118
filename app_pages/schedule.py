"""Расписание: events with their services; Активные and Архивные; filters; row actions."""

from datetime import date

import streamlit as st

from core.errors import DomainError, ValidationError
from core.event_changes import activate_event, archive_event, delete_event
from core.events import Event, EventFilter, booked_people_on_or_after, has_history, split_active_archived
from core.recurrence import plural
from ui import event_form
from ui.auth import as_signed_in, require_role
from ui.clock import now, today
from ui.db import after_write, cached_catalog, cached_events, cached_next_participants, cached_places, get_engine
from ui.format import ALL_PLACES, ALL_SERVICES, CHOOSE, id_of, md, ru_date, time_range
from ui.forms import keep_widget_values, show_once
from ui.paging import current_page, from_first_page_when_changed, pager

actor = require_role("admin")
FILTER_KEYS = ("ef_text", "ef_from", "ef_to", "ef_kind", "ef_service", "ef_place", "ev_tab")
keep_widget_values(*FILTER_KEYS)

PAGE_SIZE = 20
places = {p.id: p.name for p in cached_places()}
catalog = {s.id: s.name for s in cached_catalog()}


def reset_filters() -> None:
    st.session_state.update(ef_text="", ef_from=None, ef_to=None, ef_kind="all", ef_service=ALL_SERVICES, ef_place=ALL_PLACES)


def dates_reversed() -> bool:
    date_from, date_to = st.session_state.get("ef_from"), st.session_state.get("ef_to")
    return date_from is not None and date_to is not None and date_to < date_from


def current_filter() -> EventFilter:
    """The filter the widgets describe; back-to-front dates (refused under «по») filter nothing."""
    s = st.session_state
    reversed_ = dates_reversed()
    return EventFilter(
        text=(s.get("ef_text") or "").strip(),
        date_from=None if reversed_ else s.get("ef_from"),
        date_to=None if reversed_ else s.get("ef_to"),
        kind=s.get("ef_kind", "all"),
        service_id=id_of(catalog, s.get("ef_service")),
        place_id=id_of(places, s.get("ef_place")),
    )


def ask(action: str, event_id: int) -> None:
    st.session_state["ev_confirm"] = (action, event_id)


def forget() -> None:
    st.session_state["ev_confirm"] = None


def run_action(label: str, work) -> None:
    """Call core; report the outcome above the list and keep every filter as it was."""
    try:
        message = work()
    except DomainError as refusal:
        st.session_state["ev_action_error"] = refusal.message
        return
    forget()
    after_write()
    st.session_state["ev_flash"] = message or label


@as_signed_in
def do_archive(event: Event) -> None:
    def work():
        people = archive_event(get_engine(), event.id, actor, now())
        return f"Событие «{md(event.title)}» в архиве." + (f" Отменены записи: {people} {plural(people, 'человек', 'человека', 'человек')}." if people else "")

    run_action("", work)


@as_signed_in
def do_delete(event: Event) -> None:
    run_action("", lambda: delete_event(get_engine(), event.id, actor, now()) or f"Событие «{md(event.title)}» удалено.")


@as_signed_in
def do_activate(event: Event) -> None:
    new_date = st.session_state.get(f"ev_new_date_{event.id}") if not event.is_recurring else None
    run_action("", lambda: activate_event(get_engine(), event.id, actor, now(), new_date) or f"Событие «{md(event.title)}» снова активно.")


def confirm_box(event: Event, archived: bool) -> None:
    """The inline confirmation under a row: what will happen, then Да / Отмена."""
    action, event_id = st.session_state.get("ev_confirm") or (None, None)
    if event_id != event.id:
        return
    error = st.session_state.pop("ev_action_error", None)
    if action == "archive":
        with get_engine().connect() as conn:
            people = booked_people_on_or_after(conn, event.id, today())
        if people:
            st.warning(
                f"На будущие даты записаны {people} {plural(people, 'человек', 'человека', 'человек')}. "
                "Их записи будут отменены и появятся в их истории как «Отменено»."
            )
        else:
            st.info("Будущих записей нет. Событие перейдёт в архив.")
        cols = st.columns(2)
        cols[0].button("Да, в архив", key=f"ev_yes_archive_{event.id}", type="primary", on_click=do_archive, args=(event,))
        cols[1].button("Отмена", key=f"ev_no_{event.id}", on_click=forget)
    elif action == "delete":
        with get_engine().connect() as conn:
            history = has_history(conn, event.id)
        if history:
            st.error("У события есть история записей: удалить его нельзя, чтобы не потерять статистику.")
            cols = st.columns(2)
            if not archived:
                cols[0].button("Отправить в архив", key=f"ev_to_archive_{event.id}", on_click=ask, args=("archive", event.id))
            cols[1].button("Закрыть", key=f"ev_no_{event.id}", on_click=forget)
        else:
            st.warning(f"Удалить событие «{md(event.title)}»? Это действие нельзя отменить.")
            cols = st.columns(2)
            cols[0].button("Да, удалить", key=f"ev_yes_delete_{event.id}", type="primary", on_click=do_delete, args=(event,))
            cols[1].button("Отмена", key=f"ev_no_{event.id}", on_click=forget)
    elif action == "activate":
        st.date_input("Новая дата события", key=f"ev_new_date_{event.id}", value=today(), format="DD.MM.YYYY")
        cols = st.columns(2)
        cols[0].button("Активировать", key=f"ev_yes_activate_{event.id}", type="primary", on_click=do_activate, args=(event,))
        cols[1].button("Отмена", key=f"ev_no_{event.id}", on_click=forget)
    if error:
        st.error(error, icon="⚠️")


ROW_COLUMNS = [3, 2.6, 1.6]


def event_row(event: Event, archived: bool, next_info: tuple[date, int] | None) -> None:
    with st.container(border=True):
        cols = st.columns(ROW_COLUMNS)
        with cols[0]:
            st.markdown(f"**{md(event.title)}**" + (" · 🗄️ Архив" if archived else ""))
            kind = "🔁" if event.is_recurring else "📅"
            st.caption(f"{kind} {event.schedule_text()}  \n📍 {md(event.place_name)} · 👥 до {event.capacity} чел.")
        cols[1].markdown(
            "  \n".join(f"{md(es.service_name)} {time_range(es.start_time, es.end_time)}" for es in event.services) or "—"
        )
        if next_info and not archived:
            day, people = next_info
            cols[2].markdown(f"{ru_date(day)}  \nзаписано {people} из {event.capacity}")
        else:
            cols[2].markdown("—")
        actions = st.columns(3)
        if archived:
            if event.is_recurring:
                actions[0].button("Активировать", key=f"ev_activate_{event.id}", on_click=do_activate, args=(event,), width="stretch")
            else:
                actions[0].button("Активировать", key=f"ev_activate_{event.id}", on_click=ask, args=("activate", event.id), width="stretch")
        else:
            actions[0].button("Редактировать", key=f"ev_edit_{event.id}", on_click=event_form.open_edit, args=(event.id,), width="stretch")
            actions[1].button("Архивировать", key=f"ev_archive_{event.id}", on_click=ask, args=("archive", event.id), width="stretch")
        actions[2].button("Удалить", key=f"ev_delete_{event.id}", on_click=ask, args=("delete", event.id), width="stretch")
        confirm_box(event, archived)


def header_row() -> None:
    with st.container(key="table_header"):
        cols = st.columns(ROW_COLUMNS)
        for col, label in zip(cols, ["Событие, расписание, место", "Услуги и время", "Ближайшая дата"]):
            col.caption(label)


def filters() -> None:
    with st.expander("🔎 Фильтры: " + md(current_filter().describe(catalog, places)), expanded=False):
        cols = st.columns([2, 1.2, 1.2, 1.4, 1.6, 1.4])
        cols[0].text_input("Поиск по названию или месту", key="ef_text", placeholder="Например: стирка")
        # two single fields, not a range: a range picker half chosen and its own words are English.
        # Empty until chosen: set in the state, not as value=, which keep_widget_values would contradict
        st.session_state.setdefault("ef_from", None)
        st.session_state.setdefault("ef_to", None)
        cols[1].date_input("Даты с", key="ef_from", format="DD.MM.YYYY")
        cols[2].date_input("по", key="ef_to", format="DD.MM.YYYY")
        if dates_reversed():
            cols[2].error(ValidationError("period_reversed").message, icon="⚠️")
        cols[3].selectbox("Тип", ["all", "one_off", "recurring"], key="ef_kind", placeholder=CHOOSE,
                          format_func={"all": "Все", "one_off": "Разовые", "recurring": "Повторяющиеся"}.get)
        cols[4].selectbox("Услуга", [ALL_SERVICES, *sorted(catalog.values())], key="ef_service", placeholder=CHOOSE)
        cols[5].selectbox("Место", [ALL_PLACES, *places.values()], key="ef_place", placeholder=CHOOSE)
        st.button("Сбросить фильтры", key="ef_reset", on_click=reset_filters)


top = st.columns([3, 1], vertical_alignment="center")
top[0].title("Расписание")
top[1].button("+ Создать событие", key="ev_create", type="primary", on_click=event_form.open_create, width="stretch")
show_once("ev_flash")
if event_form.is_open():
    event_form.render()

filters()
flt = current_filter()
all_events = cached_events()
active, archived = split_active_archived([e for e in all_events if flt.keeps(e)], today())
st.session_state.setdefault("ev_tab", "active")
tab = st.radio(
    "Раздел",
    ["active", "archived"],
    key="ev_tab",
    horizontal=True,
    label_visibility="collapsed",
    format_func=lambda t: f"Активные ({len(active)})" if t == "active" else f"Архивные ({len(archived)})",
)
shown = active if tab == "active" else archived
from_first_page_when_changed("ev_pages_filter", flt, "ev_page_active", "ev_page_archived")
if not shown:
    st.info("Нет событий по выбранным фильтрам." if flt != EventFilter() else "Событий пока нет.")
else:
    # a page at a time: sixty rows of buttons are slow to draw and to scroll on a phone
    page_key = f"ev_page_{tab}"
    pages = -(-len(shown) // PAGE_SIZE)
    page_number = current_page(page_key, pages)
    on_page = shown[page_number * PAGE_SIZE : (page_number + 1) * PAGE_SIZE]
    upcoming = cached_next_participants(tuple(e.id for e in on_page), today()) if tab == "active" else {}
    header_row()
    with st.container(key="archived_rows" if tab == "archived" else "active_rows"):
        for event in on_page:
            event_row(event, tab == "archived", upcoming.get(event.id))
    if pages > 1:
        pager(page_key, page_number + 1 < pages, pages)
