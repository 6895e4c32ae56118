"""Экспорт данных: fields, filters, a live preview, then an Excel file or a print form to download.

Drawn in two places (the admin's Мероприятия tab and the coordinator's page), so it keeps its
own state: widget values are saved in one dict and restored, because Streamlit forgets a
widget's value on a run that does not draw it (switching to another tab).
"""

from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from core.actors import Actor
from core.errors import DomainError, ValidationError
from core.downloads import ExportFile
from core.export import FIELDS, FREE_TEXT, STATUS_LABELS, ExportFilter, Preview, clean_fields, export_file, preview
from ui.clock import now
from ui.db import cached_catalog, get_engine
from ui.format import md, on_one_line, ru_date, ru_datetime, ru_time

FIELD_KEYS = {f.code: f"ex_f_{f.code}" for f in FIELDS}
FORMATS = {"xlsx": "Excel (.xlsx)", "print": "Печатная форма (A4)"}
DEFAULTS = {
    **{key: True for key in FIELD_KEYS.values()},
    "ex_services": [],
    "ex_statuses": [],
    "ex_cancelled": False,
    "ex_session_from": None,
    "ex_session_to": None,
    "ex_booked_from": None,
    "ex_booked_to": None,
    "ex_format": "xlsx",
}
SAVED_KEY, FILE_KEY = "ex_saved", "ex_file"
# A required segmented control can still come back empty from a browser under load (a full
# test run met it: no format lit, and «Сформировать файл» then made a print form). The format is
# never left empty: it goes back to the saved one, and the screen shows it again.
NEVER_EMPTY = ("ex_format",)
PREVIEW_HEIGHT = 420  # px; the 50 preview rows scroll under a fixed header


def _restore() -> None:
    saved = st.session_state.get(SAVED_KEY, {})
    for key, default in DEFAULTS.items():
        if key in NEVER_EMPTY and st.session_state.get(key) is None:
            st.session_state[key] = saved.get(key) or default
        elif key not in st.session_state:
            st.session_state[key] = saved.get(key, default)


def _save() -> None:
    st.session_state[SAVED_KEY] = {key: st.session_state[key] for key in DEFAULTS}


def reset_filters() -> None:
    st.session_state.update(ex_services=[], ex_statuses=[], ex_cancelled=False,
                            ex_session_from=None, ex_session_to=None, ex_booked_from=None, ex_booked_to=None)


def _set_all_fields(value: bool) -> None:
    st.session_state.update({key: value for key in FIELD_KEYS.values()})


def current_filter(catalog: dict[int, str]) -> ExportFilter:
    """The filter the widgets describe; raises ValidationError for a reversed period."""
    s = st.session_state
    ids = {name: service_id for service_id, name in catalog.items()}
    return ExportFilter(
        service_ids=tuple(sorted(ids[name] for name in s.get("ex_services", []) if name in ids)),
        statuses=tuple(code for code in STATUS_LABELS if STATUS_LABELS[code] in s.get("ex_statuses", [])),
        session_from=s.get("ex_session_from"),
        session_to=s.get("ex_session_to"),
        booked_from=s.get("ex_booked_from"),
        booked_to=s.get("ex_booked_to"),
        include_cancelled=bool(s.get("ex_cancelled")),
    )


def chosen_fields() -> tuple[str, ...]:
    return tuple(code for code, key in FIELD_KEYS.items() if st.session_state.get(key))


def _field_checkboxes() -> tuple[str, ...] | None:
    """The chosen fields, or None (with the refusal under the checkboxes) when there are none."""
    with st.container(border=True):
        st.markdown("**Поля**")
        # filled column by column, so a phone (where columns stack) keeps the fields in order
        cols = st.columns(4)
        per_column = -(-len(FIELDS) // len(cols))
        for index, f in enumerate(FIELDS):
            cols[index // per_column].checkbox(f.title, key=FIELD_KEYS[f.code])
        buttons = st.columns([1, 1, 3])
        buttons[0].button("Все поля", key="ex_all_fields", on_click=_set_all_fields, args=(True,), width="stretch")
        buttons[1].button("Снять все", key="ex_no_fields", on_click=_set_all_fields, args=(False,), width="stretch")
        try:
            return clean_fields(chosen_fields())
        except ValidationError as refusal:
            st.error(refusal.message, icon="⚠️")
            return None


def _filters(catalog: dict[int, str]) -> ExportFilter | None:
    """The filter, or None (with the refusal under the period it concerns)."""
    with st.container(border=True):
        st.markdown("**Фильтры**")
        cols = st.columns(2)
        # select_all=False: the built-in "Select all" option is English, and "none chosen" already means all
        cols[0].multiselect("Услуги", sorted(catalog.values()), key="ex_services", placeholder="Все услуги", select_all=False)
        cols[1].multiselect("Статус участника", list(STATUS_LABELS.values()), key="ex_statuses", placeholder="Все статусы", select_all=False)
        # a chosen status list says itself whether «Отменено» is in it
        cols[1].checkbox("включая отменённые", key="ex_cancelled", disabled=bool(st.session_state.get("ex_statuses")))
        # each period as two single fields, not a range: a range picker half chosen and its own
        # words are English. Empty until chosen (DEFAULTS, restored into the state above)
        periods = st.columns(2)
        session_dates, booked_dates = periods[0].columns(2), periods[1].columns(2)
        session_dates[0].date_input("Мероприятия с", key="ex_session_from", format="DD.MM.YYYY")
        session_dates[1].date_input("по", key="ex_session_to", format="DD.MM.YYYY")
        booked_dates[0].date_input("Записи сделаны с", key="ex_booked_from", format="DD.MM.YYYY")
        booked_dates[1].date_input("по", key="ex_booked_to", format="DD.MM.YYYY")
        try:
            flt = current_filter(catalog)
        except ValidationError as refusal:
            # next to the «по» it concerns
            column = booked_dates[1] if refusal.field == "booked_period" else session_dates[1]
            column.error(refusal.message, icon="⚠️")
            flt = None
        st.button("Сбросить фильтры", key="ex_reset", on_click=reset_filters)
    return flt


def _cell(value, *, free_text: bool) -> str:
    """One preview cell as the files write it; st.table reads markdown in cells, so it is escaped.
    As on paper, only free text may wrap: a phone number or a name stays on one line."""
    if isinstance(value, datetime):
        text = ru_datetime(value)
    elif isinstance(value, date):
        text = ru_date(value)
    elif isinstance(value, time):
        text = ru_time(value)
    else:
        text = "" if value is None else str(value)
    return md(text if free_text else on_one_line(text))


# every tick of a checkbox reruns the screen: the same filter and fields read the database once,
# again after every write here, and within half a minute of one through another app instance
@st.cache_data(show_spinner=False, ttl=30, max_entries=100)
def _preview_of(actor: Actor, flt: ExportFilter, fields: tuple[str, ...]) -> Preview:
    with get_engine().connect() as conn:
        return preview(conn, actor, flt, fields)


def _preview_table(rows: list[tuple], columns: tuple[str, ...], fields: tuple[str, ...]) -> None:
    # st.table, not st.dataframe: the grid's toolbar offers a raw CSV download that would skip both
    # the formula neutralisation and the audit log. A static table has no download to switch off
    # (hiding one with CSS lasts until someone un-hides it), so names leave only through the buttons below.
    free = [code in FREE_TEXT for code in fields]  # the columns are the fields' titles, in their order
    frame = pd.DataFrame([tuple(_cell(v, free_text=f) for v, f in zip(row, free)) for row in rows], columns=list(columns))
    with st.container(key="ex_preview"):
        st.table(frame, hide_index=True, height=PREVIEW_HEIGHT)


def _build(actor: Actor, flt: ExportFilter, fields: tuple[str, ...], fmt: str, catalog: dict[int, str]) -> ExportFile | None:
    """Make the file now, with a progress bar; the refusal (if any) is shown in place."""
    bar = st.progress(0.0, text="Готовим файл…")

    def progress(written: int, total: int) -> None:
        bar.progress(min(1.0, written / max(total, 1)), text=f"Записано строк: {written} из {total}")

    try:
        if fmt == "xlsx":
            made = export_file("xlsx", get_engine(), actor, flt, fields, now(), service_names=catalog, on_progress=progress)
        else:
            made = export_file("print", get_engine(), actor, flt, fields, now(), service_names=catalog)
    except DomainError as refusal:
        bar.empty()
        st.error(refusal.message, icon="⚠️")
        return None
    bar.empty()
    return made


def download_button(label: str, made: ExportFile, *, key: str, icon: str) -> None:
    """Hand out a file already made; the click downloads it without a rerun."""
    st.download_button(label, data=made.data, file_name=made.file_name, mime=made.mime, key=key, on_click="ignore", icon=icon)


def _output(actor: Actor, flt: ExportFilter, fields: tuple[str, ...], count: int, catalog: dict[int, str]) -> None:
    with st.container(border=True):
        st.markdown("**Выгрузка**")
        fmt = st.segmented_control("Формат", list(FORMATS), key="ex_format", format_func=FORMATS.get, required=True)
        signature = (flt, fields, fmt)
        if st.button("Сформировать файл", key="ex_make", type="primary", disabled=count == 0):
            made = _build(actor, flt, fields, fmt, catalog)
            if made is not None:
                st.session_state[FILE_KEY] = (signature, made)
        prepared = st.session_state.get(FILE_KEY)
        if prepared and prepared[0] == signature:
            made = prepared[1]
            label = "Скачать Excel" if fmt == "xlsx" else "Скачать печатную форму"
            download_button(f"{label} · строк: {made.rows}", made, key="ex_download", icon="⬇️")
            if fmt == "print":
                st.caption("Откройте скачанный файл в браузере и нажмите «Печать» (или Ctrl+P).")
        elif count:
            st.caption("Файл собирается по текущим полям и фильтрам; после изменения соберите его заново.")


def render(actor: Actor) -> None:
    """The whole export screen for an admin or a coordinator."""
    catalog = {s.id: s.name for s in cached_catalog()}
    _restore()
    fields = _field_checkboxes()
    flt = _filters(catalog)
    _save()
    if fields is None or flt is None:
        return
    st.markdown(f"**Отбор:** {md(flt.describe(catalog))}")
    shown = _preview_of(actor, flt, fields)
    if shown.count == 0:
        st.info("Нет записей по выбранным фильтрам.")
    else:
        more = f" (показаны первые {len(shown.rows)})" if shown.count > len(shown.rows) else ""
        st.markdown(f"Найдено записей: **{shown.count}**{more}")
        _preview_table(shown.rows, shown.columns, fields)
    _output(actor, flt, fields, shown.count, catalog)
