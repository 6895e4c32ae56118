"""Справочник услуг: the catalog of services admins keep; events pick their services from it.

A retired service leaves the event form's picker and the offers visitors (and the volunteer
desk) book from. Nothing that already names it changes: events keep it, and bookings, history,
exports and charts still show its name, because they point at the catalog row by id and the
row is never deleted.

Names are unique as `catalog_key` folds them (case, ё, spaces, invisible characters): the
check runs in the writing transaction and the unique `name_key` column backs it, so two admins
adding «Стирка» at once get one service and one clear refusal.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit
from core.actors import Actor
from core.db import note_shared_change, run_in_transaction
from core.errors import DomainError, NotAllowed, ValidationError
from core.schema import services
from core.validation import (
    FieldChecks,
    catalog_key,
    clean_capacity,
    clean_duration,
    clean_int,
    clean_service_name,
    clean_text,
    clean_window_days,
)

DESCRIPTION_MAX = 500
LIMIT_DAYS_MAX = 365


@dataclass(frozen=True)
class CatalogService:
    id: int
    name: str
    description: str
    default_capacity: int
    default_window_days: int
    default_duration_min: int
    retired_at: datetime | None = None
    # «не чаще раза в N дней» for one person at every place (core.service_limits); None: no limit
    limit_days: int | None = None

    @property
    def active(self) -> bool:
        """Действует: offered in the event form and to visitors."""
        return self.retired_at is None


@dataclass
class ServiceFields:
    """What the catalog form submits, raw; `validate_fields` cleans it or refuses every bad field."""

    name: str
    description: str
    default_capacity: int | str
    default_window_days: int | str
    default_duration_min: int | str
    limit_days: int | str | None = ""


# --- reading ----------------------------------------------------------------------------

_CATALOG_ROWS = sa.select(
    services.c.id, services.c.name, services.c.description, services.c.default_capacity,
    services.c.default_window_days, services.c.default_duration_min, services.c.retired_at, services.c.limit_days,
).order_by(services.c.name, services.c.id)


def list_catalog(conn: Connection) -> list[CatalogService]:
    """Every catalog service, retired ones too (lists of history need their names), by name."""
    return [CatalogService(*row) for row in conn.execute(_CATALOG_ROWS)]


def offered(catalog) -> list[CatalogService]:
    """The services still in force: what the event form may pick from."""
    return [item for item in catalog if item.active]


def retired_service_ids(conn: Connection) -> set[int]:
    """Services retired from the catalog: their sessions are not offered for booking."""
    return set(conn.execute(sa.select(services.c.id).where(services.c.retired_at.is_not(None))).scalars())


# --- validation -------------------------------------------------------------------------


def clean_limit_days(value, field: str = "limit_days") -> int | None:
    """«Не чаще раза в N дней»: empty means no limit, otherwise 1 to 365."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return clean_int(value, field, 1, LIMIT_DAYS_MAX, "limit_days_range")


def validate_fields(fields: ServiceFields) -> dict:
    """The table's values for the six fields; every bad field is refused at once (FieldErrors)."""
    checks = FieldChecks()
    name = checks.clean(clean_service_name, fields.name)
    description = checks.clean(clean_text, fields.description, field="description", maximum=DESCRIPTION_MAX)
    if description is None and not checks.failed("description"):
        checks.refuse("required", "description")
    values = dict(
        name=name,
        name_key=catalog_key(name) if name else None,
        description=description,
        default_capacity=checks.clean(clean_capacity, fields.default_capacity, field="default_capacity"),
        default_window_days=checks.clean(clean_window_days, fields.default_window_days, field="default_window_days"),
        default_duration_min=checks.clean(clean_duration, fields.default_duration_min, field="default_duration_min"),
        limit_days=checks.clean(clean_limit_days, fields.limit_days),
    )
    checks.done()
    return values


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAllowed()


def _name_taken(conn: Connection, key: str, except_id: int | None = None) -> bool:
    """Another service (retired ones count: bringing one back must not make two) has this name."""
    # The catalog is a few dozen rows: compared here rather than by `name_key = :key` alone,
    # so a row bulk-loaded without a key (NULL) is compared by its name.
    rows = conn.execute(sa.select(services.c.id, services.c.name, services.c.name_key)).all()
    return any(row.id != except_id and (row.name_key or catalog_key(row.name)) == key for row in rows)


def _current(conn: Connection, service_id: int) -> sa.Row:
    row = conn.execute(sa.select(services.c.id, services.c.retired_at).where(services.c.id == service_id)).first()
    if row is None:
        raise DomainError("service_not_found")
    return row


# --- writing ----------------------------------------------------------------------------
# Duplicates are retried (retry_duplicates): when two admins write the same name at once, the
# database's unique key refuses the later one, and its second attempt sees the first's row and
# refuses with the words an admin reads.


def add_service(engine: Engine, fields: ServiceFields, actor: Actor, now: datetime) -> int:
    """A new service in the catalog, in force at once; returns its id."""
    _require_admin(actor)
    values = validate_fields(fields)

    def work(conn: Connection) -> int:
        if _name_taken(conn, values["name_key"]):
            raise ValidationError("service_exists", field="name")
        service_id = conn.execute(services.insert().values(**values).returning(services.c.id)).scalar_one()
        note_shared_change(conn)
        audit.record(conn, actor, now, "create", "service", service_id)
        return service_id

    return run_in_transaction(engine, work, retry_duplicates=True)


def update_service(engine: Engine, service_id: int, fields: ServiceFields, actor: Actor, now: datetime) -> None:
    """Rename a service or change its defaults; events that have it keep their own times and places."""
    _require_admin(actor)
    values = validate_fields(fields)

    def work(conn: Connection) -> None:
        _current(conn, service_id)
        if _name_taken(conn, values["name_key"], except_id=service_id):
            raise ValidationError("service_exists", field="name")
        conn.execute(services.update().where(services.c.id == service_id).values(**values))
        note_shared_change(conn)
        audit.record(conn, actor, now, "update", "service", service_id)

    run_in_transaction(engine, work, retry_duplicates=True)


def retire_service(engine: Engine, service_id: int, actor: Actor, now: datetime) -> None:
    """«Вывести из справочника»: no longer picked for events or offered for booking."""
    _require_admin(actor)

    def work(conn: Connection) -> None:
        if _current(conn, service_id).retired_at is not None:
            raise DomainError("service_already_retired")
        conn.execute(services.update().where(services.c.id == service_id).values(retired_at=now))
        note_shared_change(conn)
        audit.record(conn, actor, now, "retire", "service", service_id)

    run_in_transaction(engine, work)


def restore_service(engine: Engine, service_id: int, actor: Actor, now: datetime) -> None:
    """«Вернуть»: a retired service is in force again."""
    _require_admin(actor)

    def work(conn: Connection) -> None:
        if _current(conn, service_id).retired_at is None:
            raise DomainError("service_not_retired")
        conn.execute(services.update().where(services.c.id == service_id).values(retired_at=None))
        note_shared_change(conn)
        audit.record(conn, actor, now, "restore", "service", service_id)

    run_in_transaction(engine, work)
