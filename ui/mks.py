"""МКС in the app: its engine (once per server process), the background worker, and the status
panel with «Обновить из МКС» on «Служебное». Without MKS_DATABASE_URL all of it stays quiet."""

import logging
import threading
import time

import streamlit as st
from sqlalchemy.engine import Engine

from core import mks, mks_outbox
from core.actors import SYSTEM, Actor
from core.mks_catalog import sync_catalog, sync_if_due
from core.mks_status import read_status
from ui.auth import as_signed_in
from ui.clock import now
from ui.db import after_write, get_engine
from ui.format import ru_datetime

log = logging.getLogger(__name__)
# how often the worker looks at the outbox; МКС itself is contacted only for rows that are due
WORKER_EVERY_SECONDS = 5
# a catalog sync that failed (МКС away) is tried again after this, not on every round
SYNC_RETRY_SECONDS = 300


@st.cache_resource(show_spinner=False)
def mks_connection() -> tuple[Engine | None, str | None]:
    """(engine, None) when MKS_DATABASE_URL is usable, (None, error code) when it is written
    wrong, (None, None) when it is not set. Never raises: the app runs without МКС."""
    url = mks.configured_url()
    if url is None:
        return None, None
    try:
        return mks.make_mks_engine(url), None
    except mks.MksError as exc:
        return None, exc.code


class _Worker:
    """The catalog sync (at start, then hourly) and the deliveries, every WORKER_EVERY_SECONDS."""

    def __init__(self, mks_engine: Engine) -> None:
        self.mks_engine = mks_engine
        self.synced_once = False
        self.sync_after = 0.0  # monotonic seconds: a failed sync waits before the next try

    def run_once(self) -> None:
        engine = get_engine()
        if time.monotonic() >= self.sync_after:
            try:
                if self.synced_once:
                    sync_if_due(engine, self.mks_engine, now())
                else:
                    sync_catalog(engine, self.mks_engine, SYSTEM, now())  # on start
                    self.synced_once = True
            except mks.MksError as exc:
                self.sync_after = time.monotonic() + SYNC_RETRY_SECONDS
                log.warning("МКС: catalog sync failed (%s)", exc.code)
        # costs МКС nothing while no row is due (a row waiting out its delay included)
        run = mks_outbox.deliver_due(engine, self.mks_engine, now(), mks.configured_user_id())
        if run.error:
            log.warning("МКС: delivery waits (%s)", run.error)


def _loop(mks_engine: Engine) -> None:
    worker = _Worker(mks_engine)
    while True:
        try:
            worker.run_once()
        except Exception as exc:  # nothing may stop the worker; the panel shows МКС's state
            # the kind of failure only: an exception's text may quote a person's data
            log.error("МКС worker run failed (%s)", type(exc).__name__)
        time.sleep(WORKER_EVERY_SECONDS)


@st.cache_resource(show_spinner=False)
def start_mks_worker() -> threading.Thread | None:
    """One worker thread per server process, only when МКС is configured."""
    mks_engine, _error = mks_connection()
    if mks_engine is None:
        return None
    thread = threading.Thread(target=_loop, args=(mks_engine,), name="mks-worker", daemon=True)
    thread.start()
    return thread


@st.cache_data(show_spinner=False, ttl=30)
def _probe() -> str | None:
    """None when МКС answers now, else its error code; asked at most every 30 s."""
    mks_engine, error = mks_connection()
    if mks_engine is None:
        return error
    try:
        mks.probe(mks_engine)
    except mks.MksError as exc:
        return exc.code
    return None


def _refresh(actor: Actor) -> None:
    mks_engine, error = mks_connection()
    if mks_engine is None:
        st.session_state["sv_error"] = mks.MksError(error or "mks_not_configured").message
        return
    try:
        counts = sync_catalog(get_engine(), mks_engine, actor, now())
    except mks.MksError as exc:
        st.session_state["sv_error"] = exc.message
        _probe.clear()
        return
    st.session_state["sv_flash"] = (
        f"Справочник обновлён из МКС: добавлено {counts.added}, переименовано {counts.renamed}, "
        f"выведено {counts.retired}, связано по названию {counts.linked}."
        + (f" Не переименовано (название уже занято): {counts.conflicts}." if counts.conflicts else "")
    )
    after_write()


def mks_panel(actor: Actor) -> None:
    """«Связь с МКС»: connected or not, the last catalog sync, deliveries, the last error."""
    st.subheader("Связь с МКС")
    mks_engine, url_error = mks_connection()
    if mks_engine is None and url_error is None:
        # the setting's name is for whoever runs the server (README), not for an admin
        st.caption("Связь с МКС не настроена: справочник услуг ведётся вручную. Подключает её тот, кто обслуживает сервер.")
        return
    error = url_error or _probe()
    status = read_status(get_engine())
    if error:
        st.error(f"Нет связи с МКС. {mks.MksError(error).message}", icon="⚠️")
    else:
        st.success("МКС на связи.", icon="✅")
    synced = ru_datetime(status.catalog_synced_at) if status.catalog_synced_at else "ещё ни разу"
    st.caption(f"Справочник услуг обновлён из МКС: {synced}. Обновляется при запуске и каждый час.")
    st.markdown(
        f"Полученные услуги в МКС: отправлено **{status.sent}**, ждут отправки **{status.waiting}**, "
        f"не приняты МКС **{status.failed}**."
    )
    if status.kept:
        st.warning(
            f"Отметок «Присутствовал» снято, а услуга в МКС оставлена: {status.kept}. "
            "Сотрудники МКС изменили эти услуги после отправки — проверьте их в МКС."
        )
    if status.error_message:
        st.caption(f"Последняя ошибка ({ru_datetime(status.last_error_at)}): {status.error_message}")
    st.button("Обновить из МКС", key="sv_mks_sync", on_click=as_signed_in(_refresh), args=(actor,), disabled=mks_engine is None)
