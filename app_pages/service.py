"""Служебное (admin): the link with МКС, backups, erasure and the audit log."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from core import audit
from core.backup import is_stale, list_backups, take_backup
from core.errors import DomainError
from core.private_logs import private_logger
from core.visitors import erase_visitor, find_visitors
from ui.auth import as_signed_in, require_role
from core.backup import backup_folder
from ui.clock import now, today
from ui.db import after_write, get_engine
from core.actors import ROLE_LABELS
from ui.forms import show_once
from ui.format import CHOOSE, audit_actor, audit_detail, md, ru_datetime
from ui.mks import mks_panel

log = private_logger("app_pages.service")  # a page runs as __main__
actor = require_role("admin")


@as_signed_in
def make_backup() -> None:
    try:
        backup = take_backup(get_engine(), backup_folder(), now(), actor)
    except Exception:  # disk full, permissions: the admin gets words, the log gets the traceback
        log.exception("backup on request failed")
        st.session_state["sv_error"] = "Не удалось создать резервную копию. Проверьте место на диске."
        return
    st.session_state["sv_flash"] = f"Резервная копия создана: {ru_datetime(backup.taken_at)}."


@as_signed_in
def erase(visitor_id: int, label: str) -> None:
    try:
        erase_visitor(get_engine(), visitor_id, actor, now())
    except DomainError as refusal:
        st.session_state["sv_error"] = refusal.message
        return
    st.session_state.update(sv_erase_q="", sv_erase_sure=False)
    st.session_state["sv_flash"] = f"Персональные данные удалены (карта {label.rsplit(' ', 1)[-1]})."
    after_write()


st.title("Служебное")
show_once("sv_flash")
show_once("sv_error", "error")

mks_panel(actor)

st.subheader("Резервные копии")
folder = backup_folder()
backups = list_backups(folder)
if is_stale(folder, now()):
    st.warning("Последней резервной копии больше 26 часов. Создайте копию сейчас.")
st.caption("Копия создаётся автоматически раз в день. Хранятся 7 ежедневных и 3 еженедельные копии (не старше 28 дней).")
st.button("Создать резервную копию", key="sv_backup", type="primary", on_click=make_backup)
if backups:
    # st.table, not st.dataframe: a data grid's toolbar and column menu speak English
    st.table(
        pd.DataFrame(
            {"Когда": [ru_datetime(b.taken_at) for b in backups], "Размер, МБ": [round(b.path.stat().st_size / 2**20, 1) for b in backups]}
        ),
        hide_index=True,
    )
    # the command itself is in README, for whoever runs the server
    st.caption(
        "Восстановить базу из копии может тот, кто обслуживает сервер: приложение останавливают, "
        "выбирают копию по дате, подтверждают замену; заменённая база сохраняется рядом."
    )

st.subheader("Удалить персональные данные посетителя")
st.caption("По требованию посетителя (152-ФЗ): имя, телефон, комментарии и фото стираются; записи остаются обезличенными для статистики.")
st.text_input("Найти посетителя: карта, фамилия и имя или телефон", key="sv_erase_q")
if st.session_state.get("sv_erase_q"):
    with get_engine().connect() as conn:
        found = find_visitors(conn, st.session_state["sv_erase_q"])
    if not found:
        st.caption("Никого не нашли.")
    else:
        labels = {f"{v.full_name} · карта {v.card_number}": v.id for v in found}
        chosen_person = st.selectbox("Посетитель", list(labels), key="sv_erase_pick", placeholder=CHOOSE)
        st.checkbox("Посетитель попросил удалить свои данные. Это действие нельзя отменить.", key="sv_erase_sure")
        st.button("Удалить персональные данные", key="sv_erase", type="primary", on_click=erase,
                  args=(labels[chosen_person], chosen_person), disabled=not st.session_state.get("sv_erase_sure"))

st.subheader("Журнал действий")
with get_engine().connect() as conn:
    known_actions = audit.actions(conn)
cols = st.columns([1.4, 1.4, 1.2])
chosen = cols[0].selectbox("Действие", ["Все", *[audit.ACTION_LABELS.get(a, a) for a in known_actions]], key="sv_action", placeholder=CHOOSE)
who = cols[1].text_input("Кто (логин, ID волонтёра, номер карты)", key="sv_actor")
days = cols[2].selectbox("За период", [1, 7, 30, 365], index=1, key="sv_days", placeholder=CHOOSE, format_func=lambda d: f"{d} дн.")
action_code = next((code for code in known_actions if audit.ACTION_LABELS.get(code, code) == chosen), None)
with get_engine().connect() as conn:
    rows = audit.search(conn, action=action_code, actor=who or None, start=now() - timedelta(days=days), end=None)
st.caption(f"Записей: {len(rows)} (показаны последние 500). Сегодня {today():%d.%m.%Y}.")
if rows:
    with st.container(height=420, key="sv_audit_rows"):
        st.table(
            pd.DataFrame(
                {
                    "Когда": [ru_datetime(r.happened_at) for r in rows],
                    "Кто": [md(audit_actor(r.actor)) for r in rows],
                    "Роль": [ROLE_LABELS.get(r.role, r.role) for r in rows],
                    "Действие": [audit.ACTION_LABELS.get(r.action, r.action) for r in rows],
                    "Объект": [audit.ENTITY_LABELS.get(r.entity, r.entity) for r in rows],
                    "Номер": [str(r.entity_id or "") for r in rows],
                    "Подробности": [md(audit_detail(r.detail)) for r in rows],
                }
            ),
            hide_index=True,
        )
