"""Visitors and МКС clients: a visitor linked to one МКС client (and a client to one visitor),
or a МКС client taken over as a new visitor. Only a linked visitor's attendance goes to МКС.

МКС's data stays МКС's: the link keeps the client's number and the birth date that tells
namesakes apart; names are copied only when a client becomes a visitor, through the same
registration (and checks) as anybody's. The audit log names the visitor's card, never the
МКС number.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, mks
from core.actors import Actor
from core.db import run_in_transaction
from core.errors import DomainError, NotAllowed
from core.visitors import Registration, register_visitor
from core.schema import mks_clients, visitors

LINKING_ROLES = ("admin", "volunteer")


@dataclass(frozen=True)
class MksLink:
    visitor_id: int
    mks_client_id: int
    birth_date: date | None

    @property
    def label(self) -> str:
        """How the visitor's card shows it: «МКС №1234»."""
        return f"МКС №{self.mks_client_id}"


def links_of(conn: Connection, visitor_ids) -> dict[int, MksLink]:
    """The links of these visitors, by visitor id (the unlinked ones are absent)."""
    ids = sorted(set(visitor_ids))
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(mks_clients.c.visitor_id, mks_clients.c.mks_client_id, mks_clients.c.birth_date).where(mks_clients.c.visitor_id.in_(ids))
    )
    return {row.visitor_id: MksLink(*row) for row in rows}


def visitors_of_clients(conn: Connection, mks_client_ids) -> dict[int, str]:
    """The card numbers of the visitors these МКС clients are already, by МКС client id."""
    ids = sorted(set(mks_client_ids))
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(mks_clients.c.mks_client_id, visitors.c.card_number)
        .join(visitors, visitors.c.id == mks_clients.c.visitor_id)
        .where(mks_clients.c.mks_client_id.in_(ids))
    )
    return dict(rows.all())


def _require_linking_role(actor: Actor) -> None:
    if actor.role not in LINKING_ROLES:
        raise NotAllowed()


def _client(mks_engine: Engine, mks_client_id: int) -> mks.MksClient:
    """The client as МКС has it now; refused when МКС has no such client."""
    with mks.reading(mks_engine) as conn:
        found = mks.get_client(conn, mks_client_id)
    if found is None:
        raise DomainError("mks_client_not_found")
    return found


def _link(conn: Connection, visitor_id: int, client: mks.MksClient, actor: Actor, now: datetime) -> None:
    """Link inside the caller's transaction: the visitor's earlier link, if any, is replaced."""
    holder = conn.execute(
        sa.select(mks_clients.c.visitor_id, visitors.c.card_number)
        .join(visitors, visitors.c.id == mks_clients.c.visitor_id)
        .where(mks_clients.c.mks_client_id == client.id)
    ).first()
    if holder is not None and holder.visitor_id != visitor_id:
        raise DomainError("mks_client_taken", card=holder.card_number)
    conn.execute(mks_clients.delete().where(mks_clients.c.visitor_id == visitor_id))
    conn.execute(mks_clients.insert().values(
        visitor_id=visitor_id, mks_client_id=client.id, birth_date=client.birth_date, linked_at=now, linked_by=actor.audit_name
    ))


def link_visitor(engine: Engine, mks_engine: Engine, visitor_id: int, mks_client_id: int, actor: Actor, now: datetime) -> MksLink:
    """Link a visitor to a МКС client (checked in МКС first); from now on their attendance goes there."""
    _require_linking_role(actor)
    client = _client(mks_engine, mks_client_id)

    def work(conn: Connection) -> MksLink:
        person = conn.execute(sa.select(visitors.c.card_number, visitors.c.erased_at).where(visitors.c.id == visitor_id)).first()
        if person is None:
            raise DomainError("person_not_found")
        if person.erased_at is not None:
            raise DomainError("person_erased")
        _link(conn, visitor_id, client, actor, now)
        audit.record(conn, actor, now, "mks_link", "visitor", person.card_number)
        return MksLink(visitor_id, client.id, client.birth_date)

    # two desks linking one client at once: the unique key refuses the later, its rerun says why
    return run_in_transaction(engine, work, retry_duplicates=True)


def unlink_visitor(engine: Engine, visitor_id: int, actor: Actor, now: datetime) -> None:
    """Take the link away; services already in МКС stay there."""
    _require_linking_role(actor)

    def work(conn: Connection) -> None:
        card = conn.execute(sa.select(visitors.c.card_number).where(visitors.c.id == visitor_id)).scalar()
        if card is None:
            raise DomainError("person_not_found")
        if conn.execute(mks_clients.delete().where(mks_clients.c.visitor_id == visitor_id)).rowcount:
            audit.record(conn, actor, now, "mks_unlink", "visitor", card)

    run_in_transaction(engine, work)


def take_over(
    engine: Engine, mks_engine: Engine, mks_client_id: int, phone: str | None, consent: bool, actor: Actor, now: datetime
) -> Registration:
    """A МКС client becomes a new visitor, linked: name from МКС, phone, consent, card and PIN as
    at any registration, all in one transaction."""
    _require_linking_role(actor)
    client = _client(mks_engine, mks_client_id)

    def link(conn: Connection, visitor_id: int) -> None:
        _link(conn, visitor_id, client, actor, now)
        card = conn.execute(sa.select(visitors.c.card_number).where(visitors.c.id == visitor_id)).scalar_one()
        audit.record(conn, actor, now, "mks_take_over", "visitor", card)

    return register_visitor(engine, client.first_name, client.last_name, phone, None, consent, actor, now, and_then=link)
