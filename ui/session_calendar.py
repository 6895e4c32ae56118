"""The admin calendar of sessions: month and week views, coloured by place or service.

Native Streamlit columns: legible with 8+ sessions a day, and on a narrow screen the seven
columns stack into a list of days by themselves.
"""

from collections.abc import Callable
from datetime import date, timedelta

import streamlit as st

from core.recurrence import plural
from core.sessions import Session, SessionFilter
from ui.clock import today
from ui.db import cached_sessions_between
from ui.format import MONTHS_GENITIVE, WEEKDAYS_SHORT, md, ru_date, ru_day_short, ru_time

MARKERS = ("🟦", "🟩", "🟧", "🟪", "🟥", "🟫", "🟨", "⬛", "🔷", "🔶", "🟢", "🟣", "🔴")
MONTH_NAMES = (
    "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь",
    "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
)
MONTH_CELL_LIMIT = 4


def _shift(months: int = 0, days: int = 0) -> None:
    anchor: date = st.session_state["cal_anchor"]
    if months:
        month_index = anchor.year * 12 + anchor.month - 1 + months
        anchor = date(month_index // 12, month_index % 12 + 1, 1)
    st.session_state["cal_anchor"] = anchor + timedelta(days=days)


def _to_today() -> None:
    st.session_state["cal_anchor"] = today()


def _open_week(day: date) -> None:
    st.session_state.update(cal_view="week", cal_anchor=day)


def _marker_of(session: Session, colour_by: str, legend: dict[str, str]) -> str:
    """The place's (or service's) marker, noted in the legend.

    Taken from its id, not from the order of what this period shows: a place keeps its colour
    from week to week (ids further apart than the markers may share one)."""
    if colour_by == "place":
        name, ident = session.place_name, session.place_id
    else:
        name, ident = session.service_name, session.service_id
    return legend.setdefault(name, MARKERS[ident % len(MARKERS)])


def _session_button(session: Session, marker: str, open_session: Callable[[Session], None]) -> None:
    label = f"{marker} {ru_time(session.start_time)} {md(session.service_name)} {session.booked}/{session.capacity}"
    st.button(
        label,
        key=f"cal_{session.event_service_id}_{session.date:%Y%m%d}",
        on_click=open_session,
        args=(session,),
        width="stretch",
        help=f"{md(session.place_name)}, {md(session.event_title)}",
    )


def _day_title(day: date) -> str:
    return ("📍 " if day == today() else "") + ru_day_short(day)


def _month_grid(start: date, end: date, anchor: date, by_day, colour_by: str, legend: dict) -> None:
    """Seven columns a week; each day lists its first sessions and opens its week in full."""
    with st.container(key="table_header"):
        for index, col in enumerate(st.columns(7)):
            col.caption(WEEKDAYS_SHORT[index].upper())
    grid = st.container(key="cal_grid")
    day = start
    while day <= end:
        for index, col in enumerate(grid.columns(7)):
            current = day + timedelta(days=index)
            with col.container(border=True, key=f"cal_day_{current:%Y%m%d}"):
                title = _day_title(current)
                st.markdown(f"**{title}**" if current.month == anchor.month else title)
                sessions = by_day.get(current, [])
                for session in sessions[:MONTH_CELL_LIMIT]:
                    marker = _marker_of(session, colour_by, legend)
                    st.caption(f"{marker} {ru_time(session.start_time)} {md(session.service_name)}")
                if sessions:
                    more = len(sessions) - MONTH_CELL_LIMIT
                    label = f"ещё {more} →" if more > 0 else "открыть →"
                    st.button(label, key=f"cal_more_{current:%Y%m%d}", on_click=_open_week, args=(current,), type="tertiary")
        day += timedelta(days=7)


def _week_agenda(start: date, by_day, colour_by: str, legend: dict, open_session) -> None:
    """One block per day with every session as a button: legible with many sessions a day."""
    week = st.container(key="cal_week")
    for offset in range(7):
        current = start + timedelta(days=offset)
        sessions = by_day.get(current, [])
        with week.container(border=True, key=f"cal_day_{current:%Y%m%d}"):
            st.markdown(f"**{_day_title(current)}** · {len(sessions)} {plural(len(sessions), 'мероприятие', 'мероприятия', 'мероприятий')}")
            # one wrapping row a day, three buttons wide (ui/style.py), one on a phone: a row of
            # st.columns per three sessions drew four more elements each, a busy week ~250
            with st.container(horizontal=True, key=f"cal_sessions_{current:%Y%m%d}"):
                for session in sessions:
                    _session_button(session, _marker_of(session, colour_by, legend), open_session)


def render(flt: SessionFilter, open_session: Callable[[Session], None]) -> None:
    st.session_state.setdefault("cal_anchor", today())
    st.session_state.setdefault("cal_view", "week")
    st.session_state.setdefault("cal_colour", "place")
    controls = st.columns([1.4, 1.6, 2.2], vertical_alignment="bottom")
    view = controls[0].segmented_control("Вид", ["month", "week"], key="cal_view", required=True,
                                         format_func={"month": "Месяц", "week": "Неделя"}.get)
    colour_by = controls[1].segmented_control("Цвет", ["place", "service"], key="cal_colour", required=True,
                                              format_func={"place": "по месту", "service": "по услуге"}.get)
    step = {"months": -1} if view == "month" else {"days": -7}
    # a row that never wraps: on a phone, columns would stack the three buttons one under another
    with controls[2].container(horizontal=True, wrap=False, key="cal_nav"):
        st.button("←", key="cal_prev", on_click=_shift, kwargs=step, width="stretch", help="Назад")
        st.button("Сегодня", key="cal_today", on_click=_to_today, width="stretch")
        st.button("→", key="cal_next", on_click=_shift, kwargs={k: -v for k, v in step.items()},
                  width="stretch", help="Вперёд")
    anchor: date = st.session_state["cal_anchor"]
    if view == "month":
        first = anchor.replace(day=1)
        start = first - timedelta(days=first.weekday())
        next_month = (first + timedelta(days=32)).replace(day=1)
        end = next_month - timedelta(days=1)
        end = end + timedelta(days=6 - end.weekday())
        st.subheader(f"{MONTH_NAMES[first.month - 1]} {first.year}")
    else:
        start = anchor - timedelta(days=anchor.weekday())
        end = start + timedelta(days=6)
        st.subheader(f"{start.day} {MONTHS_GENITIVE[start.month - 1]} — {end.day} {MONTHS_GENITIVE[end.month - 1]} {end.year}")

    found = cached_sessions_between(flt, start, end, today())
    by_day: dict[date, list[Session]] = {}
    for session in found:
        by_day.setdefault(session.date, []).append(session)
    legend: dict[str, str] = {}

    if view == "month":
        _month_grid(start, end, anchor, by_day, colour_by, legend)
    else:
        _week_agenda(start, by_day, colour_by, legend, open_session)
    if legend:
        st.caption("Цвета: " + " · ".join(f"{marker} {md(name)}" for name, marker in legend.items()))
    st.caption(f"Мероприятий в периоде: {len(found)}. Период: {ru_date(start)} — {ru_date(end)}.")
