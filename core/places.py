"""Places: where help is given, and how a visitor finds one (address, metro, «как пройти»).

Places are created with an event (core.event_changes) or at a production start (core.manage);
an admin describes how to get there.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit
from core.actors import Actor
from core.db import note_shared_change, run_in_transaction
from core.errors import DomainError, NotAllowed, ValidationError
from core.schema import places
from core.validation import ADDRESS_MAX, METRO_MAX, FieldChecks, clean_line, clean_place_name, clean_text, search_key


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    address: str | None = None
    metro: str | None = None
    directions: str | None = None

    @property
    def metro_label(self) -> str | None:
        """"м. Цветной бульвар", however the admin typed the station."""
        if not self.metro:
            return None
        return self.metro if self.metro.lower().startswith(("м.", "метро")) else f"м. {self.metro}"

    @property
    def where(self) -> str:
        """The address and the metro on one line ("" when the admin has not described the place)."""
        return " · ".join(part for part in (self.address, self.metro_label) if part)


_PLACE_ROWS = sa.select(places.c.id, places.c.name, places.c.address, places.c.metro, places.c.directions)


def list_places(conn: Connection) -> list[Place]:
    return [Place(*row) for row in conn.execute(_PLACE_ROWS.order_by(places.c.id))]


def update_place(
    engine: Engine,
    place_id: int,
    address: str | None,
    metro: str | None,
    directions: str | None,
    actor: Actor,
    now: datetime,
) -> Place:
    """An admin describes how to get to a place; every bad field is refused at once."""
    if not actor.is_admin:
        raise NotAllowed()
    checks = FieldChecks()
    address = checks.clean(clean_line, address, "address", ADDRESS_MAX)
    metro = checks.clean(clean_line, metro, "metro", METRO_MAX)
    directions = checks.clean(clean_text, directions, "directions")
    checks.done()

    def work(conn: Connection) -> Place:
        changed = conn.execute(
            places.update().where(places.c.id == place_id).values(address=address, metro=metro, directions=directions)
        ).rowcount
        if not changed:
            raise DomainError("place_not_found")
        audit.record(conn, actor, now, "update", "place", place_id)
        note_shared_change(conn)
        return Place(*conn.execute(_PLACE_ROWS.where(places.c.id == place_id)).one())

    return run_in_transaction(engine, work)


def place_for_event(conn: Connection, place_id: int | None, new_place_name: str | None, now: datetime) -> int:
    """The place an event form chose, or the new one it named (already cleaned), created here."""
    if place_id is not None:
        return place_id
    key = search_key(new_place_name)
    existing = conn.execute(sa.select(places).where(places.c.name_key == key)).first()
    if existing:
        raise ValidationError("place_exists", field="place", place=existing.name)
    return conn.execute(
        places.insert().values(name=new_place_name, name_key=key, created_at=now).returning(places.c.id)
    ).scalar_one()


def add_place(conn: Connection, name: str, now: datetime) -> int:
    """A new place, trimmed and unique regardless of case."""
    return place_for_event(conn, None, clean_place_name(name), now)
