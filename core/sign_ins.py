"""Sign-ins that outlive a page: a browser keeps a random token in an HttpOnly cookie, the
database keeps only its hash, with the account, the role and when it was last used.

How a browser gets its token: the sign-in form checks the password and makes a one-time
ticket (`issue_ticket`); the browser is sent to the app's own route with it, and the route
trades it for the token (`redeem_ticket`) and sets the cookie. So the token never appears in
an address, a log or a page, and every sign-in gets a new one (no fixation).

A sign-in ends by signing out, after the idle limit (staff 30 minutes, visitors 15), and on
every device at once when the account is disabled, its PIN is reset or the person is erased
(`end_all_for`).
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.actors import Actor
from core.db import run_in_transaction
from core.schema import sign_ins

# the browser's side: the cookie and the app's own routes that set and drop it (ui/server.py)
COOKIE = "zapis_sign_in"
SIGN_IN_ROUTE = "/_app/sign-in"
SIGN_OUT_ROUTE = "/_app/sign-out"

IDLE_LIMIT = {"visitor": timedelta(minutes=15)}
STAFF_IDLE_LIMIT = timedelta(minutes=30)
TICKET_LIFETIME = timedelta(seconds=60)
# last_seen_at is written at most this often: every click would otherwise be a write
SEEN_PRECISION = timedelta(seconds=30)


def idle_limit(role: str) -> timedelta:
    return IDLE_LIMIT.get(role, STAFF_IDLE_LIMIT)


def _hash(secret: str) -> str:
    # a 256-bit random secret needs no slow hash: nobody can guess it to test against this
    return hashlib.sha256(secret.encode()).hexdigest()


def _insert(conn: Connection, actor: Actor, now: datetime, **secret_hashes) -> int:
    return conn.execute(
        sign_ins.insert()
        .values(kind=actor.kind, account_id=actor.id, role=actor.role, created_at=now, last_seen_at=now, **secret_hashes)
        .returning(sign_ins.c.id)
    ).scalar_one()


def issue_ticket(engine: Engine, actor: Actor, now: datetime) -> tuple[str, int]:
    """A one-time ticket for `actor`'s new sign-in, valid for a minute, and the sign-in's id."""
    ticket = secrets.token_urlsafe(32)
    sign_in_id = run_in_transaction(engine, lambda conn: _insert(conn, actor, now, ticket_hash=_hash(ticket)))
    return ticket, sign_in_id


def redeem_ticket(engine: Engine, ticket: str, now: datetime) -> str | None:
    """The token for a fresh, unused ticket (which is used up); None for any other."""
    token = secrets.token_urlsafe(32)

    def work(conn: Connection) -> str | None:
        changed = conn.execute(
            sign_ins.update()
            .where(
                sign_ins.c.ticket_hash == _hash(ticket or ""),
                sign_ins.c.token_hash.is_(None),
                sign_ins.c.ended_at.is_(None),
                sign_ins.c.created_at >= now - TICKET_LIFETIME,
            )
            .values(ticket_hash=None, token_hash=_hash(token), last_seen_at=now)
            .returning(sign_ins.c.id)
        ).first()
        return token if changed else None

    return run_in_transaction(engine, work)


def start(engine: Engine, actor: Actor, now: datetime) -> tuple[int, str]:
    """A sign-in with its token at once (no browser round trip): (its id, the token)."""
    token = secrets.token_urlsafe(32)
    sign_in_id = run_in_transaction(engine, lambda conn: _insert(conn, actor, now, token_hash=_hash(token)))
    return sign_in_id, token


# (connection, kind, account id) -> the account as it is now, or None if it may not sign in
# (core.accounts.read_actor, passed in: accounts end sign-ins, so they import this module)
AccountLoader = Callable[[Connection, str, int], Actor | None]


def _current(engine: Engine, condition, now: datetime, read_actor: AccountLoader) -> tuple[int, Actor] | None:
    """The sign-in matching `condition` and its account as it is now, or None (ending it when
    it has been idle too long or its account can no longer sign in)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(sign_ins).where(condition, sign_ins.c.ended_at.is_(None))).first()
        actor = row and read_actor(conn, row.kind, row.account_id)
    if row is None:
        return None
    if actor is None or now - row.last_seen_at > idle_limit(row.role):
        end(engine, row.id, now)
        return None
    if now - row.last_seen_at >= SEEN_PRECISION:
        run_in_transaction(
            engine,
            lambda conn: conn.execute(
                sign_ins.update().where(sign_ins.c.id == row.id, sign_ins.c.ended_at.is_(None)).values(last_seen_at=now)
            ),
        )
    return row.id, actor


def resume(engine: Engine, token: str, now: datetime, read_actor: AccountLoader) -> tuple[int, Actor] | None:
    """The live sign-in a browser's token stands for, or None."""
    return _current(engine, sign_ins.c.token_hash == _hash(token or ""), now, read_actor)


def check(engine: Engine, sign_in_id: int, now: datetime, read_actor: AccountLoader) -> Actor | None:
    """The account of a live sign-in (re-read, so a disabled one stops at once), or None."""
    found = _current(engine, sign_ins.c.id == sign_in_id, now, read_actor)
    return found[1] if found else None


def end(engine: Engine, sign_in_id: int, now: datetime) -> None:
    run_in_transaction(
        engine,
        lambda conn: conn.execute(
            sign_ins.update().where(sign_ins.c.id == sign_in_id, sign_ins.c.ended_at.is_(None)).values(ended_at=now)
        ),
    )


def end_all_for(conn: Connection, kind: str, account_id: int, now: datetime) -> int:
    """End every live sign-in of an account, on every device, in the caller's transaction."""
    return conn.execute(
        sign_ins.update()
        .where(sign_ins.c.kind == kind, sign_ins.c.account_id == account_id, sign_ins.c.ended_at.is_(None))
        .values(ended_at=now)
    ).rowcount
