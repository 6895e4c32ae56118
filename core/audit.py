"""The append-only audit log: who did what to which entity, never personal values."""

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.actors import Actor
from core.schema import audit_log


# Every action, entity and detail the code writes, in the words of the audit screen (a test
# reads the code's audit calls and fails on any word missing here).
ACTION_LABELS = {
    "login": "Вход",
    "login_failed": "Неудачный вход",
    "login_throttled": "Вход приостановлен",
    "register": "Регистрация",
    "create": "Создание",
    "update": "Изменение",
    "archive": "В архив",
    "activate": "Активация",
    "delete": "Удаление",
    "book": "Запись",
    "cancel": "Отмена записи",
    "set_status": "Отметка посещения",
    "comment": "Комментарий",
    "pin_reset": "Сброс PIN",
    "password_reset": "Новый пароль",
    "approve": "Подтверждение волонтёра",
    "deactivate": "Отключение волонтёра",
    "export": "Выгрузка",
    "backup": "Резервная копия",
    "erase": "Удаление персональных данных",
    "photo_set": "Новое фото",
    "photo_delete": "Фото удалено",
    "retire": "Вывод из справочника",
    "restore": "Возврат в справочник",
    "mks_sync": "Обновление из МКС",
    "mks_link": "Связь с клиентом МКС",
    "mks_unlink": "Связь с МКС снята",
    "mks_take_over": "Посетитель из МКС",
    "waitlist_join": "В лист ожидания",
    "waitlist_leave": "Из листа ожидания",
    "waitlist_move": "Порядок листа ожидания",
    "waitlist_booked": "Запись из листа ожидания",
    "release": "Место неявившегося отдано",
}
ENTITY_LABELS = {
    "event": "Событие", "event_day": "День события", "session": "Мероприятие", "booking": "Запись",
    "bookings": "Записи", "visitor": "Посетитель", "volunteer": "Волонтёр", "account": "Учётная запись",
    "database": "База данных", "attendance": "Посещаемость", "service": "Услуга", "catalog": "Справочник услуг",
    "place": "Место", "waitlist": "Лист ожидания",
}
DETAIL_LABELS = {
    "services": "услуг", "cancelled_bookings": "отменено записей", "people_affected": "затронуто людей",
    "status": "статус", "count": "количество", "sessions": "мероприятий", "capacity": "вместимость",
    "rows": "строк", "format": "формат", "filters": "фильтры", "fields": "поля", "bookings": "записей",
    "bytes": "байт", "service_ids": "услуги", "statuses": "статусы", "session_period": "даты мероприятий", "include_cancelled": "с отменёнными",
    "booked_period": "даты записи", "start": "с", "end": "по", "place_id": "место", "service_id": "услуга",
    "added": "добавлено", "linked": "связано по названию", "renamed": "переименовано", "retired": "выведено",
    "conflicts": "не переименовано (название занято)", "to": "на место",
    "limit_override": "вопреки «не чаще раза в N дней», причина",
}

_APPEND = audit_log.insert()  # built once: every write of the app appends through it


def entry(actor: Actor, now: datetime, action: str, entity: str, entity_id=None, **detail) -> dict:
    """One audit row's values: who did what to which entity, never personal values."""
    return {
        "happened_at": now,
        "actor": actor.audit_name,
        "role": actor.role,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    }


def record(conn: Connection, actor: Actor, now: datetime, action: str, entity: str, entity_id=None, **detail) -> None:
    """Append one audit row inside the caller's transaction, so it commits with the change."""
    conn.execute(_APPEND, entry(actor, now, action, entity, entity_id, **detail))


def record_all(conn: Connection, entries: list[dict]) -> None:
    """Append several rows made by `entry` in one statement, inside the caller's transaction."""
    if entries:
        conn.execute(_APPEND, entries)


def search(
    conn: Connection,
    *,
    action: str | None = None,
    actor: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> list[sa.Row]:
    """The newest audit rows matching the filters (actor: a part of "kind:label")."""
    stmt = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if actor:
        stmt = stmt.where(audit_log.c.actor.contains(actor.strip(), autoescape=True))
    if start:
        stmt = stmt.where(audit_log.c.happened_at >= start)
    if end:
        stmt = stmt.where(audit_log.c.happened_at < end)
    return conn.execute(stmt).all()


def actions(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(sa.select(audit_log.c.action).distinct().order_by(audit_log.c.action))]
