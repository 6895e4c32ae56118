"""The create/edit event form of Расписание, drawn inline (works on a phone and in AppTest)."""

from datetime import date, time

import streamlit as st

from core.catalog import offered
from core.errors import DomainError, ValidationError
from core.event_changes import EventSpec, ServiceSpec, create_event, update_event
from core.events import default_end_time, get_event
from core.recurrence import WEEKDAY_NAMES, Recurrence, describe, month_end_note, next_occurrences
from core.validation import FieldChecks, clean_capacity, clean_service_capacity, clean_time_range, clean_window_days
from ui.auth import ACTOR_KEY, as_signed_in
from ui.clock import now, today
from ui.db import after_write, cached_catalog, cached_places, get_engine
from ui.format import CHOOSE, md, ru_day_short
from ui.forms import clear_errors, errors_of, field_error, keep_widget_values, message_of, remember_error

FORM = "ev_form"
NEW_PLACE = -1
FREQ_LABELS = {"daily": "Ежедневно", "weekly": "Еженедельно", "monthly": "Ежемесячно"}
END_LABELS = {"never": "Повторять бессрочно", "count": "После числа повторений", "until": "До даты"}
UNIT_LABELS = {"daily": "дн.", "weekly": "нед.", "monthly": "мес."}


def _state() -> dict | None:
    return st.session_state.get(FORM)


def is_open() -> bool:
    return _state() is not None


def open_create() -> None:
    first = today()
    st.session_state[FORM] = {"mode": "create", "event_id": None, "rows": [], "next_uid": 0, "confirm_outside": False,
                              "weekdays_by_hand": False}
    st.session_state.update(
        ev_title="",
        ev_first_date=first,
        ev_kind="one_off",
        ev_freq="weekly",
        ev_interval=1,
        ev_weekdays=[first.weekday()],
        ev_end="never",
        ev_count=10,
        ev_until=None,
        ev_place=cached_places()[0].id if cached_places() else NEW_PLACE,
        ev_new_place="",
        ev_capacity=20,
    )
    clear_errors(FORM)


def open_edit(event_id: int) -> None:
    with get_engine().connect() as conn:
        event = get_event(conn, event_id)
    rule = event.rule
    # a stored weekly rule's days are the admin's choice: moving the first date keeps them
    st.session_state[FORM] = {"mode": "edit", "event_id": event_id, "rows": [], "next_uid": 0, "confirm_outside": False,
                              "weekdays_by_hand": bool(rule and rule.weekdays)}
    st.session_state.update(
        ev_title=event.title,
        ev_first_date=event.first_date,
        ev_kind="recurring" if rule else "one_off",
        ev_freq=rule.freq if rule else "weekly",
        ev_interval=rule.interval if rule else 1,
        ev_weekdays=list(rule.weekdays) if rule and rule.weekdays else [event.first_date.weekday()],
        ev_end=("count" if rule.count else "until" if rule.until else "never") if rule else "never",
        ev_count=rule.count if rule and rule.count else 10,
        ev_until=rule.until if rule else None,
        ev_place=event.place_id,
        ev_new_place="",
        ev_capacity=event.capacity,
    )
    for es in event.services:
        _add_row(es.service_id, es.start_time, es.end_time, es.capacity, es.window_days, event_service_id=es.id)
    clear_errors(FORM)


def close() -> None:
    st.session_state[FORM] = None
    clear_errors(FORM)


def _weekdays_follow_first_date() -> None:
    """Until the admin picks the days by hand, a weekly event falls on its first date's weekday."""
    first = st.session_state.get("ev_first_date")
    if not _state()["weekdays_by_hand"] and isinstance(first, date):
        st.session_state["ev_weekdays"] = [first.weekday()]
    else:
        # the days a person picked must survive runs where the field is hidden (one-off, daily)
        keep_widget_values("ev_weekdays")


def _weekdays_picked() -> None:
    _state()["weekdays_by_hand"] = True


def _add_row(service_id: int, start: time, end: time, capacity: int, window: int, event_service_id: int | None = None) -> None:
    state = _state()
    uid = state["next_uid"]
    state["next_uid"] += 1
    state["rows"].append({"uid": uid, "service_id": service_id, "event_service_id": event_service_id})
    st.session_state.update(
        {f"ev_row_{uid}_start": start, f"ev_row_{uid}_end": end, f"ev_row_{uid}_cap": capacity, f"ev_row_{uid}_win": window}
    )


def _add_catalog_service() -> None:
    name = st.session_state.get("ev_add_service")
    item = next((s for s in offered(cached_catalog()) if s.name == name), None)
    if item is None:
        return
    start = time(10, 0)
    _add_row(item.id, start, default_end_time(start, item.default_duration_min), _new_row_capacity(item.default_capacity),
             item.default_window_days)


def _new_row_capacity(catalog_capacity: int) -> int:
    """The catalog's places, but never more than the event holds: a new row starts valid."""
    try:
        event_capacity = clean_capacity(st.session_state.get("ev_capacity"))
    except ValidationError:  # the event's own field is wrong; its error will say so
        return catalog_capacity
    return min(catalog_capacity, event_capacity)


def _remove_row(uid: int) -> None:
    state = _state()
    state["rows"] = [row for row in state["rows"] if row["uid"] != uid]


def _spec() -> EventSpec:
    s = st.session_state
    recurring = s.ev_kind == "recurring"
    return EventSpec(
        title=s.ev_title,
        first_date=s.ev_first_date,
        capacity=s.ev_capacity,
        place_id=None if s.ev_place == NEW_PLACE else s.ev_place,
        new_place_name=s.ev_new_place if s.ev_place == NEW_PLACE else None,
        freq=s.ev_freq if recurring else None,
        interval=s.ev_interval,
        weekdays=tuple(s.ev_weekdays),
        end_kind=s.ev_end,
        count=s.ev_count,
        until=s.ev_until,
        services=[
            ServiceSpec(
                service_id=row["service_id"],
                start_time=s[f"ev_row_{row['uid']}_start"],
                end_time=s[f"ev_row_{row['uid']}_end"],
                capacity=s[f"ev_row_{row['uid']}_cap"],
                window_days=s[f"ev_row_{row['uid']}_win"],
            )
            for row in _state()["rows"]
        ],
    )


def _field_of_row(field: str) -> str:
    """Core names service rows by position ("services.2.capacity"); the form by uid."""
    if field.startswith("services.") and field.count(".") == 2:
        _, index, name = field.split(".")
        rows = _state()["rows"]
        if int(index) < len(rows):
            return f"row_{rows[int(index)]['uid']}_{name}"
    return field


def _row_refusals(spec: EventSpec) -> list[ValidationError]:
    """Every service row's bad time, capacity or window: core names only the first bad row."""
    checks = FieldChecks()
    event_capacity = checks.clean(clean_capacity, spec.capacity)
    for index, row in enumerate(spec.services):
        prefix = f"services.{index}."
        checks.clean(clean_time_range, row.start_time, row.end_time, field=prefix + "end_time")
        if event_capacity is not None:
            checks.clean(clean_service_capacity, row.capacity, event_capacity, field=prefix + "capacity")
        checks.clean(clean_window_days, row.window_days, field=prefix + "window_days")
    return [refusal for refusal in checks.errors if refusal.field.startswith("services.")]


@as_signed_in
def _save(cancel_outside: bool = False) -> None:
    state = _state()
    clear_errors(FORM)
    spec = _spec()
    try:
        if state["mode"] == "create":
            create_event(get_engine(), spec, st.session_state[ACTOR_KEY], now())
            message = f"Событие «{md(spec.title.strip())}» создано."
        else:
            kept = {row["event_service_id"]: i for i, row in enumerate(state["rows"]) if row["event_service_id"]}
            cancelled = update_event(
                get_engine(), state["event_id"], spec, st.session_state[ACTOR_KEY], now(),
                kept_service_ids=kept, cancel_outside=cancel_outside,
            )
            message = "Изменения сохранены." + (f" Отменено записей: {cancelled}." if cancelled else "")
    except ValidationError as refusal:
        if refusal.code == "bookings_outside_series":
            state["confirm_outside"] = True
        refusals = [refusal]
        if (refusal.field or "").startswith("services."):
            refusals += _row_refusals(spec)
        errors = errors_of(FORM)
        for one in refusals:
            errors.setdefault(_field_of_row(one.field) if one.field else "_form", message_of(one))
        return
    except DomainError as refusal:
        remember_error(FORM, refusal)
        return
    after_write()
    close()
    st.session_state["ev_flash"] = message


def _first_date_outside_weekdays(first: date) -> str:
    day = WEEKDAY_NAMES[first.weekday()]
    pronoun = {2: "она", 4: "она", 5: "она", 6: "оно"}.get(first.weekday(), "он")
    return (f"Первая дата — {day}, {first:%d.%m.%Y}, но {pronoun} не входит в выбранные дни недели: "
            "в этот день события не будет.")


def _preview(spec: EventSpec) -> None:
    """The next five dates and, for the 29th-31st, how short months are handled."""
    if not isinstance(spec.first_date, date):
        return
    rule = None
    if spec.freq:
        try:
            rule = Recurrence(
                freq=spec.freq,
                interval=max(1, int(spec.interval or 1)),
                weekdays=tuple(spec.weekdays) if spec.freq == "weekly" else (),
                count=max(1, int(spec.count or 1)) if spec.end_kind == "count" else None,
                until=spec.until if spec.end_kind == "until" else None,
            )
        except (ValueError, TypeError):
            return
    dates = next_occurrences(spec.first_date, rule, max(spec.first_date, today()), 5)
    if dates:
        st.caption("Ближайшие даты: " + ", ".join(f"{ru_day_short(d)}.{d.year}" for d in dates))
    else:
        st.caption("В этом расписании нет будущих дат.")
    if rule and rule.weekdays and spec.first_date.weekday() not in rule.weekdays:
        st.warning(_first_date_outside_weekdays(spec.first_date))
    if rule:
        st.caption("Расписание: " + describe(spec.first_date, rule))
        note = month_end_note(spec.first_date, rule)
        if note:
            st.info(note)


def render() -> None:
    """Draw the form; Сохранить calls core and either closes it or shows errors under fields."""
    state = _state()
    s = st.session_state
    _weekdays_follow_first_date()
    places = cached_places()
    catalog = {item.id: item for item in cached_catalog()}
    with st.container(border=True, key="event_form"):
        st.subheader("Новое событие" if state["mode"] == "create" else "Редактирование события")
        st.text_input("Название", key="ev_title", max_chars=120, placeholder="Например: Стирка и душ")
        field_error(FORM, "title", s.ev_title)
        st.date_input("Первая дата", key="ev_first_date", format="DD.MM.YYYY")
        # a date in the past, or bookings outside the new schedule: the whole schedule counts
        schedule = (s.ev_first_date, s.get("ev_kind"), s.get("ev_freq"), s.get("ev_interval"), tuple(s.get("ev_weekdays") or ()),
                    s.get("ev_end"), s.get("ev_count"), s.get("ev_until"))
        field_error(FORM, "first_date", *schedule)
        st.radio("Тип", ["one_off", "recurring"], key="ev_kind", horizontal=True,
                 format_func=lambda k: "Разовое" if k == "one_off" else "Повторяющееся")
        if s.ev_kind == "recurring":
            cols = st.columns(2)
            cols[0].selectbox("Частота", list(FREQ_LABELS), key="ev_freq", placeholder=CHOOSE, format_func=FREQ_LABELS.get)
            cols[1].number_input(f"Каждые … {UNIT_LABELS[s.ev_freq]}", key="ev_interval", step=1)
            field_error(FORM, "interval", s.ev_interval)
            if s.ev_freq == "weekly":
                st.multiselect("Дни недели", list(range(7)), key="ev_weekdays", on_change=_weekdays_picked,
                               format_func=lambda d: WEEKDAY_NAMES[d].capitalize(), placeholder="Выберите дни",
                               select_all=False)  # Streamlit's bulk option says "Select all"
                field_error(FORM, "weekdays", tuple(s.ev_weekdays))
            st.radio("Окончание", list(END_LABELS), key="ev_end", format_func=END_LABELS.get, horizontal=True)
            if s.ev_end == "count":
                st.number_input("Число повторений", key="ev_count", step=1)
                field_error(FORM, "count", s.ev_count)
            elif s.ev_end == "until":
                st.date_input("Последняя дата (включительно)", key="ev_until", format="DD.MM.YYYY")
                field_error(FORM, "until", s.ev_first_date, s.ev_until)
        place_options = [p.id for p in places] + [NEW_PLACE]
        place_names = {p.id: p.name for p in places} | {NEW_PLACE: "➕ Новое место…"}
        st.selectbox("Место", place_options, key="ev_place", placeholder=CHOOSE, format_func=place_names.get)
        if s.ev_place == NEW_PLACE:
            st.text_input("Название нового места", key="ev_new_place", max_chars=60)
        field_error(FORM, "place", s.ev_place, s.get("ev_new_place"))
        st.number_input("Вместимость события (человек)", key="ev_capacity", step=1)
        field_error(FORM, "capacity", s.ev_capacity)

        st.markdown("**Услуги**")
        for row in state["rows"]:
            uid = row["uid"]
            with st.container(border=True):
                head = st.columns([4, 1])
                service = catalog[row["service_id"]]
                # an event keeps a service retired from the catalog; it just cannot be added again
                head[0].markdown(f"**{md(service.name)}**" + ("" if service.active else " · выведена из справочника"))
                head[1].button("Убрать", key=f"ev_row_{uid}_remove", on_click=_remove_row, args=(uid,))
                cols = st.columns(4)
                cols[0].time_input("Начало", key=f"ev_row_{uid}_start", step=900)
                cols[1].time_input("Окончание", key=f"ev_row_{uid}_end", step=900)
                cols[2].number_input("Мест", key=f"ev_row_{uid}_cap", step=1)
                cols[3].number_input("Окно записи, дней", key=f"ev_row_{uid}_win", step=1,
                                     help="За сколько дней до даты можно записаться. 0 — только в этот день.")
                row_inputs = {
                    "end_time": (s[f"ev_row_{uid}_start"], s[f"ev_row_{uid}_end"]),
                    "capacity": (s[f"ev_row_{uid}_cap"], s.ev_capacity),
                    "window_days": (s[f"ev_row_{uid}_win"],),
                    "service_id": tuple((r["service_id"], s[f"ev_row_{r['uid']}_start"]) for r in state["rows"]),
                }
                for name, inputs in row_inputs.items():
                    field_error(FORM, f"row_{uid}_{name}", *inputs)
        add = st.columns([3, 1], vertical_alignment="bottom")
        add[0].selectbox("Услуга из каталога", [item.name for item in offered(catalog.values())], key="ev_add_service", placeholder=CHOOSE)
        add[1].button("Добавить услугу", key="ev_add_service_button", on_click=_add_catalog_service)
        field_error(FORM, "services", tuple(row["uid"] for row in state["rows"]))

        _preview(_spec())
        field_error(FORM, "_form")
        if state["confirm_outside"] and errors_of(FORM).get("first_date"):  # not once the schedule changed
            st.warning("Сохранить и отменить эти записи? Люди увидят статус «Отменено» в своей истории.")
            st.button("Отменить записи и сохранить", key="ev_save_cancel", on_click=_save, args=(True,))
        buttons = st.columns(2)
        buttons[0].button("Сохранить", key="ev_save", type="primary", on_click=_save, width="stretch")
        buttons[1].button("Отмена", key="ev_cancel", on_click=close, width="stretch")
