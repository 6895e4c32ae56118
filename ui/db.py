"""The engine (once per server process) and cached reads, cleared after every write."""

import itertools
from datetime import date

import streamlit as st
from sqlalchemy.engine import Engine

from core.config import SECRET_KEYS, settings
from core.db import make_engine, shared_version
from core.accounts import VolunteerRow, list_volunteers
from core.catalog import list_catalog
from core.events import Event, load_events, next_participants
from core.manage import StartRefused, start_up
from core.places import list_places
from core.sessions import Session, SessionFilter, list_sessions, sessions_between
from ui.clock import now


def app_settings():
    """Settings from the environment, then .streamlit/secrets.toml."""
    try:
        secrets = {key: st.secrets[key] for key in SECRET_KEYS if key in st.secrets}
    except FileNotFoundError:
        secrets = {}
    return settings(secrets)


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    """Migrate; then demo data into an empty database, or (APP_MODE=production) the production checks.

    `make serve` has run the same checks before Streamlit started; a refusal here (settings
    changed since) shows its words instead of the app, and the next rerun tries again.
    """
    engine = make_engine()
    try:
        start_up(engine, app_settings(), now())
    except StartRefused as exc:
        engine.dispose()
        st.error(f"Приложение не запущено. {exc.message}")
        st.stop()
        raise  # outside a script run (the backup thread) st.stop() returns
    return engine


# Events, places and the catalog are read on every page. They are immutable values, so they are
# shared as they are (cache_resource) rather than copied out of a pickle on every read as
# st.cache_data does (noticeable for the events of years of data). They are kept per shared
# version: every write to them, in any app instance, moves the database's version on in its own
# transaction (core.db.note_shared_change). This process reads that version at most every
# SHARED_VERSION_TTL seconds, and at once after its own writes (after_write clears it), so a
# booking or a mark, which leaves the version alone, does not make every page read them again.
SHARED_VERSION_TTL = 5


_SHARED_READS = {"events": load_events, "places": list_places, "catalog": list_catalog}


@st.cache_data(show_spinner=False, ttl=SHARED_VERSION_TTL)
def database_version() -> int:
    """The shared version as the database has it, read at most every SHARED_VERSION_TTL seconds."""
    with get_engine().connect() as conn:
        return shared_version(conn)


@st.cache_resource(show_spinner=False, ttl=600, max_entries=3 * 4)
def _shared(what: str, version: int) -> tuple:
    with get_engine().connect() as conn:
        return tuple(_SHARED_READS[what](conn))


def data_version() -> tuple[int, int]:
    """Moves on with every write in this process and, within SHARED_VERSION_TTL, with a change to
    events, places or the catalog made by another app instance."""
    return writes_so_far(), database_version()


def cached_events() -> tuple[Event, ...]:
    return _shared("events", database_version())


def cached_places() -> tuple:
    return _shared("places", database_version())


def cached_catalog() -> tuple:
    return _shared("catalog", database_version())


# short-lived: bookings made by other app instances (PostgreSQL) show up within half a minute
@st.cache_data(show_spinner=False, ttl=30)
def cached_session_page(flt: SessionFilter, today: date, upcoming: bool, offset: int, limit: int) -> tuple[list[Session], bool]:
    """One page of Предстоящие / Прошедшие; reruns of the page (a click, a checkbox) reuse it."""
    with get_engine().connect() as conn:
        return list_sessions(conn, cached_events(), flt, today, upcoming=upcoming, offset=offset, limit=limit)


@st.cache_data(show_spinner=False, ttl=30)
def cached_sessions_between(flt: SessionFilter, start: date, end: date, today: date) -> list[Session]:
    """The calendar's month or week; its buttons and arrows rerun the page."""
    with get_engine().connect() as conn:
        return sessions_between(conn, cached_events(), flt, start, end, today)


@st.cache_data(show_spinner=False, ttl=30)
def cached_next_participants(event_ids: tuple[int, ...], today: date) -> dict[int, tuple[date, int]]:
    """Расписание's «ближайшая дата, записано N из M» for the shown events; reruns reuse it."""
    shown = [e for e in cached_events() if e.id in event_ids]
    with get_engine().connect() as conn:
        return next_participants(conn, shown, today)


@st.cache_data(show_spinner=False, ttl=30)
def cached_volunteers() -> list[VolunteerRow]:
    """Волонтёры: everyone with the bookings they made (a count over every booking); the
    page's buttons and its search rerun it without reading again."""
    with get_engine().connect() as conn:
        return list_volunteers(conn)


_writes = itertools.count(1)
_last_write = 0


def writes_so_far() -> int:
    """A number that changes with every write in this process. Caches of live objects
    (st.cache_resource), which st.cache_data.clear() does not reach, take it as an argument."""
    return _last_write


def after_write() -> None:
    """Drop cached reads so every page shows what was just written."""
    global _last_write
    _last_write = next(_writes)
    st.cache_data.clear()
