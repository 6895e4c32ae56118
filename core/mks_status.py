"""How the link with МКС is doing, for the panel on «Служебное»: every contact records its
outcome in mks_state (shared by all app instances), the outbox counts its rows."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.errors import MESSAGES
from core.schema import mks_outbox, mks_state


def record_ok(engine: Engine, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(mks_state.update().where(mks_state.c.id == 1).values(last_ok_at=now))


def record_error(engine: Engine, error, now: datetime) -> None:
    """Remember an MksError's code (never МКС's text) and when it happened."""
    with engine.begin() as conn:
        conn.execute(mks_state.update().where(mks_state.c.id == 1).values(last_error=error.code, last_error_at=now))


@dataclass(frozen=True)
class MksStatus:
    catalog_synced_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    sent: int
    waiting: int
    failed: int
    kept: int

    @property
    def connected(self) -> bool:
        """The last contact went well: a success after the last error (in the same second, the
        clock's grain, the error counts as the later)."""
        if self.last_ok_at is None:
            return False
        return self.last_error_at is None or self.last_error_at < self.last_ok_at

    @property
    def error_message(self) -> str | None:
        return MESSAGES.get(self.last_error, MESSAGES["mks_error"]) if self.last_error else None


def read_status(engine: Engine) -> MksStatus:
    with engine.connect() as conn:
        state = conn.execute(sa.select(mks_state).where(mks_state.c.id == 1)).first()
        counts = dict(conn.execute(sa.select(mks_outbox.c.state, sa.func.count()).group_by(mks_outbox.c.state)).all())
    return MksStatus(
        catalog_synced_at=state.catalog_synced_at if state else None,
        last_ok_at=state.last_ok_at if state else None,
        last_error=state.last_error if state else None,
        last_error_at=state.last_error_at if state else None,
        sent=counts.get("sent", 0),
        waiting=counts.get("waiting", 0),
        failed=counts.get("failed", 0),
        kept=counts.get("kept", 0),
    )
