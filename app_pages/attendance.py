"""Посещаемость: key figures and charts of attendance, with the numbers behind each chart."""

from datetime import date
from functools import partial

import streamlit as st

from core.analytics import AttendanceReport, attendance_report, record_download, records_begin
from core.attendance_filter import AnalyticsFilter, default_filter
from core.errors import ValidationError
from core.spreadsheet import XLSX_MIME, write_xlsx
from ui import charts
from ui.auth import require_role
from ui.clock import now, today
from ui.db import cached_catalog, cached_places, get_engine, writes_so_far
from ui.format import ALL_PLACES, ALL_SERVICES, CHOOSE, file_word, id_of, md
from ui.forms import keep_widget_values

actor = require_role("admin", "coordinator")
FILTER_KEYS = ("at_start", "at_end", "at_place", "at_service")

places = {p.id: p.name for p in cached_places()}
catalog = {s.id: s.name for s in cached_catalog()}
day = today()
keep_widget_values(*FILTER_KEYS)


@st.cache_data(show_spinner=False, ttl=600)
def load_records_begin() -> date | None:
    with get_engine().connect() as conn:
        return records_begin(conn)


def reset_filters() -> None:
    default = default_filter(day, load_records_begin())
    st.session_state.update(at_start=default.start, at_end=default.end, at_place=ALL_PLACES, at_service=ALL_SERVICES)


def filters() -> AnalyticsFilter | None:
    """The filter row; None (with the reason under «По») when the period is back to front."""
    if "at_start" not in st.session_state:
        reset_filters()
    with st.container(border=True):
        cols = st.columns([1, 1, 1.2, 1.5])
        cols[0].date_input("С", key="at_start", format="DD.MM.YYYY")
        cols[1].date_input("По", key="at_end", format="DD.MM.YYYY")
        cols[2].selectbox("Место", [ALL_PLACES, *places.values()], key="at_place", placeholder=CHOOSE)
        cols[3].selectbox("Услуга", [ALL_SERVICES, *sorted(catalog.values())], key="at_service", placeholder=CHOOSE)
        st.button("Сбросить фильтры", key="at_reset", on_click=reset_filters)
    s = st.session_state
    try:
        return AnalyticsFilter(
            start=s["at_start"], end=s["at_end"], place_id=id_of(places, s["at_place"]), service_id=id_of(catalog, s["at_service"])
        )
    except ValidationError as refusal:
        with cols[1]:
            st.error(refusal.message, icon="⚠️")
        return None


@st.cache_data(show_spinner=False, ttl=600)
def load_report(flt: AnalyticsFilter, on: date) -> AttendanceReport:
    with get_engine().connect() as conn:
        return attendance_report(conn, flt, on)


# The figures themselves are kept (cache_resource, no copy): plotly rebuilds a pickled figure
# with all its checks, which costs as much as drawing the charts anew.
@st.cache_resource(show_spinner=False, ttl=600, max_entries=20)
def load_charts(flt: AnalyticsFilter, on: date, writes: int) -> list[charts.Chart]:
    return charts.all_charts(load_report(flt, on))


def workbook(key: str, title: str, description: str, columns, rows, flt: AnalyticsFilter) -> bytes:
    record_download(get_engine(), actor, now(), flt, key)
    return write_xlsx(title, description, columns, rows)


def download(key: str, title: str, description: str, columns, rows, flt: AnalyticsFilter, label: str = "Скачать данные (Excel)") -> None:
    # the workbook is written (and the download audited) only when somebody clicks, not on
    # every rerun of the page
    st.download_button(
        label,
        data=partial(workbook, key, title, description, columns, rows, flt),
        file_name=f"посещаемость-{file_word(title)}-{flt.start:%d.%m.%Y}-{flt.end:%d.%m.%Y}.xlsx",
        mime=XLSX_MIME,
        key=f"at_dl_{key}",
        on_click="ignore",
        icon=":material/download:",
    )


def show_key_figures(report: AttendanceReport, flt: AnalyticsFilter, description: str) -> None:
    figures = charts.key_figure_list(report.current, report.previous)
    st.caption(report.describe_comparison())
    for row in (figures[:3], figures[3:]):
        for column, figure in zip(st.columns(3), row):
            column.metric(
                figure.label,
                figure.shown,
                figure.delta,
                delta_color="inverse" if figure.lower_is_better else "normal",
                help=figure.help,
                border=True,
            )
    compared = report.previous_period.describe_period() if report.previous else None
    columns, rows = charts.key_figures_table(figures, flt.describe_period(), compared)
    download("pokazateli", "Показатели", f"Показатели. {description}", columns, rows, flt, "Скачать показатели (Excel)")


def show_chart(chart: charts.Chart, flt: AnalyticsFilter, description: str) -> None:
    with st.container(border=True):
        if not chart.rows:
            st.markdown(f"**{chart.title}**")
            st.info("Для этого графика в выбранном периоде нет данных.")
            return
        st.plotly_chart(chart.figure, key=f"at_chart_{chart.key}", config=charts.PLOTLY_CONFIG, width="stretch")
        st.caption(chart.note)
        download(chart.key, chart.title, f"{chart.title}. {description}", chart.columns, chart.rows, flt)


st.title("Посещаемость")
flt = filters()
if flt is None:
    st.stop()
description = flt.describe(places, catalog)
st.markdown(md(description))
report = load_report(flt, day)
show_key_figures(report, flt, description)
if report.is_empty:
    st.info("За выбранный период записей нет. Измените период, место или услугу.")
    st.stop()
all_charts = load_charts(flt, day, writes_so_far())
for pair in (all_charts[i : i + 2] for i in range(0, len(all_charts), 2)):
    for column, chart in zip(st.columns(2), pair):
        with column:
            show_chart(chart, flt, description)
