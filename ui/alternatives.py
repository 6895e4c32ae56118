"""«Можно в другой день или в другом месте»: the nearest sessions of the same catalog service the
person can book right now (core.alternatives), each with one tap to book it."""

from collections.abc import Callable
from datetime import date

import streamlit as st

from core.alternatives import alternatives
from core.recurrence import plural
from core.visits import Offer
from ui.clock import now
from ui.db import cached_events, get_engine
from ui.format import WEEKDAYS_SHORT, md, ru_date, time_range

BookOne = Callable[[Offer], None]  # books that one session


def load(visitor_id: int, service_id: int, skip: tuple[tuple[int, date], ...] = ()) -> list[Offer]:
    with get_engine().connect() as conn:
        return alternatives(conn, cached_events(), visitor_id, service_id, now(), skip=skip)


def words(offer: Offer) -> str:
    """"ср 12.03.2026, 10:00–11:00 · Ясная · свободно 3 места" (user text inert)."""
    s = offer.session
    return (f"{WEEKDAYS_SHORT[s.date.weekday()]} {ru_date(s.date)}, {time_range(s.start_time, s.end_time)} · "
            f"{md(s.place_name)} · свободно {offer.free} {plural(offer.free, 'место', 'места', 'мест')}")


def box(prefix: str, found: list[Offer], book_one: BookOne, title: str = "Можно в другой день или в другом месте") -> None:
    """The offers as lines with «Записаться» each; nothing when there are none."""
    if not found:
        st.caption("Других свободных дат в ближайшие дни нет.")
        return
    with st.container(border=True, key=f"{prefix}_where_else_box"):
        st.markdown(f"**{title}**")
        for offer in found:
            value = f"{offer.session.event_service_id}:{offer.session.date.isoformat()}"
            cols = st.columns([3, 1], vertical_alignment="center")
            cols[0].markdown(words(offer))
            cols[1].button("Записаться", key=f"{prefix}_alt_{value}", on_click=book_one, args=(offer,), width="stretch")
