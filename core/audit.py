"""The append-only audit log: who did what to which entity, never personal values."""

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.actors import Actor
from core.schema import audit_log


def record(conn: Connection, actor: Actor, now: datetime, action: str, entity: str, entity_id=None, **detail) -> None:
    """Append one audit row inside the caller's transaction, so it commits with the change."""
    conn.execute(
        audit_log.insert().values(
            happened_at=now,
            actor=actor.audit_name,
            role=actor.role,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        )
    )


def recent(conn: Connection, limit: int = 200) -> list[sa.Row]:
    return conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).all()
