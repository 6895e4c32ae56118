"""Посещаемость charts: plotly figures with Russian labels, and the numbers behind each one.

Each chart is built once as a `Chart`: the figure the page draws and the table its Excel
download holds, from the same DataFrame, so the picture and the file never disagree. Figures
are made to be read at 320 px: short titles, the legend under the plot, names wrapped, no
zoom or drag (a finger scrolling the page must not pan a chart), no English mode bar.
Labels come from the database (place names are typed by admins), so they are escaped: plotly
reads tags such as <a> or <b> inside text.
"""

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from core import statuses
from core.analytics import CHART_STATUSES, AttendanceReport, KeyFigures
from core.spreadsheet import Column
from ui.format import WEEKDAYS_SHORT

MONTHS_SHORT = ("янв.", "февр.", "март", "апр.", "май", "июнь", "июль", "авг.", "сент.", "окт.", "нояб.", "дек.")
MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)
NEW_COLOUR, RETURNING_COLOUR = "#3b6fb6", "#a9c1e6"
ZERO_COLOUR = "#808495"  # the axis labels' grey: a quiet "0", not a figure to read first
FILL_SCALE = [[0.0, "#f3f7f4"], [0.5, "#8fcf9c"], [1.0, "#1e7b34"]]
# one percent format everywhere on the page: "43 %", the space a no-break one so the sign
# never ends up alone on the next line
PERCENT_SIGN = "\u00a0%"
# what st.plotly_chart passes to plotly: no mode bar (its tooltips are English), no zoom
# Weeks and months along x: at most 10 labels (every 2nd or 3rd when there are more), turned by
# plotly as far as they must not to overlap. Left to itself plotly packs a label every 14 px on
# a phone, and turned labels are 16 px wide.
TIME_AXIS = {"type": "category", "nticks": 10}
PLOTLY_CONFIG = {"displayModeBar": False, "scrollZoom": False, "doubleClick": False, "responsive": True}


@dataclass(frozen=True)
class Chart:
    key: str  # widget keys and the download's file name
    title: str  # sheet title of the download
    note: str  # one line under the chart: what is counted
    figure: go.Figure
    columns: list[Column]  # the download: header and rows
    rows: list[tuple]


# --- words and numbers --------------------------------------------------------------------


def week_label(monday: date) -> str:
    """"02.11" under the axis titled «Неделя с»: short enough for 13 weeks side by side on a phone."""
    return f"{monday:%d.%m}"


def month_label(first: date) -> str:
    """"нояб. 2026"."""
    return f"{MONTHS_SHORT[first.month - 1]} {first.year}"


def month_name(first: date) -> str:
    """"ноябрь 2026"."""
    return f"{MONTHS[first.month - 1]} {first.year}"


def percent(rate: float | None, digits: int = 0) -> str:
    """0.2213 -> "22 %" (Russian: decimal comma, a no-break space before the sign); None -> "—"."""
    if rate is None or pd.isna(rate):
        return "—"
    return f"{rate * 100:.{digits}f}".replace(".", ",") + PERCENT_SIGN


def _percent_number(rate: float | None) -> float | None:
    """A rate as a percentage number for a spreadsheet cell (None stays empty)."""
    return None if rate is None or pd.isna(rate) else round(rate * 100, 1)


def plain(text: str) -> str:
    """Text plotly shows as typed: its pseudo-HTML tags become inert entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrapped(text: str, width: int = 14) -> str:
    """A label broken onto lines of about `width` characters, for axes on a phone screen."""
    lines, line = [], ""
    for word in plain(text).split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(lines)


def _layout(figure: go.Figure, title: str, height: int = 360) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        height=height,
        margin={"l": 4, "r": 8, "t": 40, "b": 4},
        # under the plot, at the bottom of the figure, in the order the bars are stacked
        legend={
            "orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom", "yref": "container",
            "title_text": "", "traceorder": "normal",
        },
        barmode="stack",
        dragmode=False,
        separators=", ",
        font={"size": 12},
        hoverlabel={"align": "left"},
    )
    figure.update_xaxes(fixedrange=True, automargin=True)
    figure.update_yaxes(fixedrange=True, automargin=True)
    return figure


def _zero_marks(figure: go.Figure, labels: list[str], totals, full: list[str], nothing: str) -> None:
    """A "0" over each empty bucket: an empty slot on the axis would read as missing data."""
    empty = [i for i, total in enumerate(totals) if total == 0]
    if empty:
        figure.add_scatter(
            x=[labels[i] for i in empty],
            y=[0] * len(empty),
            mode="text",
            text=["0"] * len(empty),
            textposition="top center",
            textfont={"size": 10, "color": ZERO_COLOUR},
            customdata=[full[i] for i in empty],
            hovertemplate=f"%{{customdata}}<br>{nothing}<extra></extra>",
            showlegend=False,
            cliponaxis=False,
        )


def _status_columns(first: Column) -> list[Column]:
    return [first, *(Column(statuses.ADMIN_LABEL[s]) for s in CHART_STATUSES), Column("Всего")]


# --- the charts ---------------------------------------------------------------------------


def over_time_chart(frame: pd.DataFrame, grain: str) -> Chart:
    """Bookings per week (or month), stacked by status."""
    weekly = grain == "week"
    labels = [week_label(p) if weekly else month_label(p) for p in frame["period"]]
    full = [f"неделя с {p:%d.%m.%Y}" if weekly else month_name(p) for p in frame["period"]]
    figure = go.Figure()
    for status in CHART_STATUSES:
        figure.add_bar(
            x=labels,
            y=frame[status],
            name=statuses.ADMIN_LABEL[status],
            marker_color=statuses.COLOUR[status],
            customdata=full,
            hovertemplate=f"%{{customdata}}<br>{statuses.ADMIN_LABEL[status]}: %{{y}}<extra></extra>",
        )
    _zero_marks(figure, labels, frame[list(CHART_STATUSES)].sum(axis=1), full, "записей нет")
    title = "Записи по неделям" if weekly else "Записи по месяцам"
    _layout(figure, title)
    figure.update_yaxes(title_text="Записей")
    figure.update_xaxes(title_text="Неделя с" if weekly else None, **TIME_AXIS)
    rows = [
        (r.period if weekly else month_name(r.period), r.attended, r.no_show, r.expected, r.attended + r.no_show + r.expected)
        for r in frame.itertuples()
    ]
    first = Column("Неделя с" if weekly else "Месяц")
    return Chart(
        "weeks" if weekly else "months", title,
        "По дате мероприятия; отменённые записи не считаются.", figure, _status_columns(first), rows,
    )


def breakdown_chart(frame: pd.DataFrame, key: str, title: str, what: str) -> Chart:
    """Bookings per service or place, most booked on top, stacked by status."""
    figure = go.Figure()
    names = [wrapped(n) for n in frame["name"]]
    for status in CHART_STATUSES:
        figure.add_bar(
            y=names,
            x=frame[status],
            orientation="h",
            name=statuses.ADMIN_LABEL[status],
            marker_color=statuses.COLOUR[status],
            customdata=[plain(n) for n in frame["name"]],
            hovertemplate=f"%{{customdata}}<br>{statuses.ADMIN_LABEL[status]}: %{{x}}<extra></extra>",
        )
    _layout(figure, title, height=150 + 42 * len(frame))
    figure.update_xaxes(title_text="Записей")
    figure.update_yaxes(autorange="reversed")
    rows = [(r.name, r.attended, r.no_show, r.expected, r.bookings) for r in frame.itertuples()]
    return Chart(key, title, "Отменённые записи не считаются.", figure, _status_columns(Column(what)), rows)


def fill_chart(frame: pd.DataFrame) -> Chart:
    """Fill rate of held sessions as a weekday × start-hour grid."""
    hours = sorted(frame["hour"].unique())
    cells = {(r.weekday, r.hour): r for r in frame.itertuples()}
    z, text, hover = [], [], []
    for hour in hours:
        row_z, row_text, row_hover = [], [], []
        for weekday in range(1, 8):
            cell = cells.get((weekday, hour))
            row_z.append(cell.fill_rate if cell else None)
            row_text.append(percent(cell.fill_rate) if cell else "")
            row_hover.append(
                f"мероприятий: {cell.sessions}<br>записано {cell.booked} из {cell.capacity} мест" if cell else "нет мероприятий"
            )
        z.append(row_z)
        text.append(row_text)
        hover.append(row_hover)
    figure = go.Figure(
        go.Heatmap(
            x=list(WEEKDAYS_SHORT),
            y=[f"{h:02d}:00" for h in hours],
            z=z,
            zmin=0,
            zmax=1,
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            colorscale=FILL_SCALE,
            showscale=False,
            xgap=2,
            ygap=2,
            textfont={"size": 11},
            hovertemplate="%{x}, %{y}<br>заполненность: %{text}<br>%{customdata}<extra></extra>",
        )
    )
    title = "Заполненность по дням и часам"
    _layout(figure, title, height=120 + 34 * max(len(hours), 3))
    figure.update_xaxes(type="category")
    figure.update_yaxes(autorange="reversed", type="category", title_text="Начало")
    rows = [
        (WEEKDAYS_SHORT[r.weekday - 1], f"{r.hour:02d}:00", r.sessions, r.booked, r.capacity, _percent_number(r.fill_rate))
        for r in frame.itertuples()
    ]
    columns = [Column(title) for title in ("День недели", "Час начала", "Мероприятий", "Записано", "Мест", "Заполненность, %")]
    note = "Записано / мест, по прошедшим мероприятиям, на которые кто-то записывался."
    return Chart("fill", title, note, figure, columns, rows)


def no_show_chart(frame: pd.DataFrame) -> Chart:
    """The share of no-shows among marked bookings, per service."""
    marked = frame[frame[statuses.ATTENDED] + frame[statuses.NO_SHOW] > 0].sort_values(["no_show_rate", "name"], ascending=[False, True])
    figure = go.Figure(
        go.Bar(
            y=[wrapped(n) for n in marked["name"]],
            x=marked["no_show_rate"] * 100,
            orientation="h",
            marker_color=statuses.COLOUR[statuses.NO_SHOW],
            text=[percent(r) for r in marked["no_show_rate"]],
            # plotly draws no text on a bar of width 0: "0 %" goes beside it, not nowhere
            textposition=["auto" if r > 0 else "outside" for r in marked["no_show_rate"]],
            cliponaxis=False,
            customdata=[
                [plain(r.name), r.no_show, r.attended + r.no_show] for r in marked.itertuples()
            ],
            hovertemplate="%{customdata[0]}<br>не пришли: %{customdata[1]} из %{customdata[2]}<extra></extra>",
            showlegend=False,
        )
    )
    title = "Неявки по услугам"
    _layout(figure, title, height=130 + 42 * max(len(marked), 1))
    figure.update_xaxes(title_text="Доля неявок", ticksuffix=PERCENT_SIGN, rangemode="tozero")
    figure.update_yaxes(autorange="reversed")
    rows = [(r.name, r.attended, r.no_show, _percent_number(r.no_show_rate)) for r in marked.itertuples()]
    columns = [Column("Услуга"), Column(statuses.ADMIN_LABEL[statuses.ATTENDED]), Column(statuses.ADMIN_LABEL[statuses.NO_SHOW]), Column("Доля неявок, %")]
    note = "Не пришли / (присутствовали + не пришли); «Ожидается» не считается."
    return Chart("no_show", title, note, figure, columns, rows)


def visitors_chart(frame: pd.DataFrame) -> Chart:
    """Distinct visitors per month: new (first booking ever that month) and returning."""
    labels = [month_label(m) for m in frame["month"]]
    full = [month_name(m) for m in frame["month"]]
    figure = go.Figure()
    for column, name, colour in (("new", "Новые", NEW_COLOUR), ("returning", "Вернувшиеся", RETURNING_COLOUR)):
        figure.add_bar(
            x=labels,
            y=frame[column],
            name=name,
            marker_color=colour,
            customdata=full,
            hovertemplate=f"%{{customdata}}<br>{name}: %{{y}}<extra></extra>",
        )
    _zero_marks(figure, labels, frame["visitors"], full, "посетителей нет")
    title = "Новые и вернувшиеся"
    _layout(figure, title)
    figure.update_xaxes(**TIME_AXIS)
    figure.update_yaxes(title_text="Посетителей")
    rows = [(month_name(r.month), r.visitors, r.new, r.returning) for r in frame.itertuples()]
    columns = [Column("Месяц"), Column("Посетителей"), Column("Новые"), Column("Вернувшиеся")]
    note = "Новый — впервые записался к нам именно в этом месяце (в любом месте, на любую услугу)."
    return Chart("visitors", title, note, figure, columns, rows)


def all_charts(report: AttendanceReport) -> list[Chart]:
    """The page's charts, in the order they are shown."""
    return [
        over_time_chart(report.over_time, report.grain),
        breakdown_chart(report.services, "services", "Записи по услугам", "Услуга"),
        breakdown_chart(report.places, "places", "Записи по местам", "Место"),
        fill_chart(report.fill),
        no_show_chart(report.services),
        visitors_chart(report.visitors),
    ]


# --- key figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigure:
    """One key figure: its label, this period's value and the previous period's, as shown and as numbers."""

    label: str
    help: str
    value: float | None
    previous: float | None
    is_rate: bool = False
    lower_is_better: bool = False

    @property
    def shown(self) -> str:
        if self.is_rate:
            return percent(self.value)
        return "—" if self.value is None else f"{int(self.value):,}".replace(",", " ")

    @property
    def delta(self) -> str | None:
        """"+12" or "−3,5 п. п." against the previous period; None when either side is unknown."""
        if self.value is None or self.previous is None:
            return None
        if self.is_rate:
            points = round((self.value - self.previous) * 100, 1)
            return f"{points:+.1f}".replace(".", ",") + " п. п."
        return f"{int(self.value - self.previous):+d}"


def key_figure_list(current: KeyFigures, previous: KeyFigures | None) -> list["KeyFigure"]:
    """The six figures at the top of the page, each with the previous period's value (when compared)."""
    pairs = (
        ("Мероприятий прошло", "Прошедшие мероприятия периода (до сегодняшнего дня), на которые записался хотя бы один человек.",
         "sessions_held", False, False),
        ("Записей", "Все записи на мероприятия периода, кроме отменённых.", "bookings", False, False),
        ("Пришли", "Записи со статусом «Присутствовал».", "attended", False, False),
        ("Доля неявок", "Не пришли / (пришли + не пришли).", "no_show_rate", True, True),
        ("Заполненность", "Занятые места / все места прошедших мероприятий, на которые кто-то записывался.",
         "fill_rate", True, False),
        ("Посетителей", "Разных людей хотя бы с одной записью.", "visitors", False, False),
    )
    return [
        KeyFigure(label, help, getattr(current, name), getattr(previous, name) if previous else None, rate, lower)
        for label, help, name, rate, lower in pairs
    ]


def key_figures_table(figures: list[KeyFigure], period: str, previous_period: str | None) -> tuple[list[Column], list[tuple]]:
    """The key figures as a download; the previous period's column only when it was compared (`previous_period`)."""
    columns = [Column("Показатель"), Column(f"Период {period}")]
    if previous_period:
        columns.append(Column(f"Предыдущий период {previous_period}"))

    def number(figure: KeyFigure, value: float | None):
        return _percent_number(value) if figure.is_rate else value

    rows = [
        (f.label + (", %" if f.is_rate else ""), number(f, f.value), *((number(f, f.previous),) if previous_period else ()))
        for f in figures
    ]
    return columns, rows
