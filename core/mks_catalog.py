"""The catalog kept in step with МКС's service types (on start, hourly, and on «Обновить из МКС»).

Services are matched by their МКС id (table mks_service_types), never by name: a type renamed
in МКС renames its service here. A type new to us becomes a service, unless a service of ours
already has its name (the catalog kept by hand before МКС was connected): that one is linked
to the type instead of getting a twin. A type gone from МКС retires its service, which keeps
its history like any retired one (core/catalog.py). What belongs to this app alone stays as
admins set it: description, default places, window and duration, and a retirement by an admin
(a sync never brings a service back).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, mks, mks_status
from core.actors import SYSTEM, Actor
from core.db import note_shared_change, run_in_transaction
from core.schema import mks_service_types, mks_state, services
from core.validation import SERVICE_NAME_MAX, catalog_key, clean_service_name

# a service new from МКС starts with the defaults of the catalog form; admins change them
NEW_SERVICE_DEFAULTS = dict(description="", default_capacity=10, default_window_days=7, default_duration_min=60)
# the hourly sync: one instance of several does it, the one that finds the last sync older than this
SYNC_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class SyncCounts:
    added: int = 0
    linked: int = 0
    renamed: int = 0
    retired: int = 0
    # a МКС name another service of ours already has: left as it is until an admin renames one
    conflicts: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.linked or self.renamed or self.retired)


def _name_for_us(name: str) -> str:
    """A МКС name as our catalog keeps it: one line, at most SERVICE_NAME_MAX characters."""
    return clean_service_name(" ".join(name.split())[:SERVICE_NAME_MAX])


def apply_types(conn: Connection, types: list[mks.MksServiceType], actor: Actor, now: datetime) -> SyncCounts:
    """Bring the catalog in step with `types` inside the caller's transaction; audited with counts."""
    linked_ids = dict(conn.execute(sa.select(mks_service_types.c.mks_type_id, mks_service_types.c.service_id)).all())
    catalog = {row.id: row for row in conn.execute(sa.select(services.c.id, services.c.name, services.c.name_key, services.c.retired_at))}
    owner_of_key = {row.name_key or catalog_key(row.name): row.id for row in catalog.values()}
    counts = dict(added=0, linked=0, renamed=0, retired=0, conflicts=0)

    for item in types:
        name = _name_for_us(item.name)
        key = catalog_key(name)
        service_id = linked_ids.get(item.id)
        holder = owner_of_key.get(key)
        if service_id is not None:
            if catalog[service_id].name == name:
                continue
            if holder not in (None, service_id):
                counts["conflicts"] += 1
                continue
            conn.execute(services.update().where(services.c.id == service_id).values(name=name, name_key=key))
            owner_of_key.pop(catalog[service_id].name_key or catalog_key(catalog[service_id].name), None)
            owner_of_key[key] = service_id
            counts["renamed"] += 1
        elif holder is not None and holder not in linked_ids.values():
            conn.execute(mks_service_types.insert().values(service_id=holder, mks_type_id=item.id))
            linked_ids[item.id] = holder
            counts["linked"] += 1
        elif holder is not None:
            counts["conflicts"] += 1
        else:
            new_id = conn.execute(services.insert().values(name=name, name_key=key, **NEW_SERVICE_DEFAULTS).returning(services.c.id)).scalar_one()
            conn.execute(mks_service_types.insert().values(service_id=new_id, mks_type_id=item.id))
            linked_ids[item.id] = owner_of_key[key] = new_id
            counts["added"] += 1

    present = {item.id for item in types}
    gone = sorted(service_id for type_id, service_id in linked_ids.items() if type_id not in present and catalog.get(service_id) is not None
                  and catalog[service_id].retired_at is None)
    if gone:
        conn.execute(services.update().where(services.c.id.in_(gone)).values(retired_at=now))
        counts["retired"] = len(gone)

    result = SyncCounts(**counts)
    if result.changed:
        note_shared_change(conn)
    conn.execute(mks_state.update().where(mks_state.c.id == 1).values(catalog_synced_at=now))
    audit.record(conn, actor, now, "mks_sync", "catalog", None, added=result.added, linked=result.linked, renamed=result.renamed,
                 retired=result.retired, conflicts=result.conflicts)
    return result


def sync_catalog(engine: Engine, mks_engine: Engine, actor: Actor, now: datetime) -> SyncCounts:
    """Read МКС's service types and apply them; an MksError is recorded for the panel and raised."""
    try:
        with mks.reading(mks_engine) as conn:
            types = mks.service_types(conn)
    except mks.MksError as exc:
        mks_status.record_error(engine, exc, now)
        raise
    counts = run_in_transaction(engine, lambda conn: apply_types(conn, types, actor, now), retry_duplicates=True)
    mks_status.record_ok(engine, now)
    return counts


def sync_if_due(engine: Engine, mks_engine: Engine, now: datetime) -> SyncCounts | None:
    """The hourly sync: runs when no instance synced within SYNC_EVERY (or the clock went back)."""
    with engine.connect() as conn:
        last = conn.execute(sa.select(mks_state.c.catalog_synced_at).where(mks_state.c.id == 1)).scalar()
    if last is not None and last <= now < last + SYNC_EVERY:
        return None
    return sync_catalog(engine, mks_engine, SYSTEM, now)
