"""Slow-downs for guessing and flooding: a few tries per subject and time window, then a wait.

A try is *taken* before the secret is checked, in its own short transaction: 24 sign-ins sent
at the same moment take 24 counts one after another (the row lock on PostgreSQL, a retried
write conflict on DuckDB), so only the allowed number ever reach the password check. A success
gives its count back (`forgive`), so owners are slowed only by their own mistakes.

Subjects pair what is tried with where from (an account or card and the client's address), so
a stranger's failures never lock the owner out from another address: nothing here is a lock
that an admin must lift, every count expires with its window. Subjects are stored as hashes:
a password pasted into «Логин» never lands in the database.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.db import run_in_transaction
from core.errors import DomainError
from core.schema import throttles

# the address of a client the app cannot tell apart (a local browser, a test)
LOCAL_ADDRESS = "local"
# enough for a crowd of simultaneous tries to queue on one counter row instead of failing
_ATTEMPTS = 60


@dataclass(frozen=True)
class Rule:
    """At most `limit` tries per subject in a window of `window`; the window starts at the first try."""

    name: str
    limit: int
    window: timedelta

    @property
    def minutes(self) -> int:
        return int(self.window.total_seconds() // 60)


# Staff and volunteer passwords: per account and address, and per address across accounts
# (one address spraying many logins). An office behind one address signs in far below either.
STAFF_PASSWORD = Rule("staff_password", 5, timedelta(minutes=15))
PASSWORDS_FROM_ADDRESS = Rule("passwords_from_address", 30, timedelta(minutes=15))
# Visitor PINs have 10 000 values: per card and address, and per address across cards.
VISITOR_PIN = Rule("visitor_pin", 5, timedelta(minutes=15))
PINS_FROM_ADDRESS = Rule("pins_from_address", 20, timedelta(hours=1))
# The public forms (visitor registration, volunteer sign-up), per address. Mobile carriers put
# many phones behind one address, hence a few rather than one.
PUBLIC_FORM = Rule("public_form", 5, timedelta(hours=1))


def _subject_hash(rule: Rule, *parts: str) -> str:
    joined = "\x1f".join((rule.name, *parts))
    return hashlib.sha256(joined.encode()).hexdigest()


def take(engine: Engine, rule: Rule, *parts: str, now: datetime) -> bool:
    """Count one try for the subject `parts`; False when it is over the rule's limit.

    Refused tries are counted too (the count is exactly the tries made), but they never move
    the window: a subject waits at most `rule.window` from its first try.
    """
    subject = _subject_hash(rule, *parts)
    hits = run_in_transaction(engine, lambda conn: _count(conn, rule, subject, now), attempts=_ATTEMPTS, retry_duplicates=True)
    return hits <= rule.limit


def _count(conn: Connection, rule: Rule, subject: str, now: datetime) -> int:
    expired = throttles.c.window_start <= now - rule.window
    # one statement reads and bumps the count: concurrent tries queue on the row (PostgreSQL)
    # or conflict and retry (DuckDB), so no two of them see the same count
    hits = conn.execute(
        throttles.update()
        .where(throttles.c.rule == rule.name, throttles.c.subject == subject)
        .values(
            window_start=sa.case((expired, now), else_=throttles.c.window_start),
            hits=sa.case((expired, 1), else_=throttles.c.hits + 1),
        )
        .returning(throttles.c.hits)
    ).scalar()
    if hits is None:
        # two first tries racing: the loser's insert is a duplicate, retried as an update
        conn.execute(throttles.insert().values(rule=rule.name, subject=subject, window_start=now, hits=1))
        hits = 1
    return hits


def forgive(engine: Engine, rule: Rule, *parts: str, everything: bool = False) -> None:
    """Give back one try, or with `everything` the whole count: a success is not a guess."""
    run_in_transaction(engine, lambda conn: _forgive(conn, rule, _subject_hash(rule, *parts), everything), attempts=_ATTEMPTS)


def _forgive(conn: Connection, rule: Rule, subject: str, everything: bool) -> None:
    mine = sa.and_(throttles.c.rule == rule.name, throttles.c.subject == subject)
    if everything:
        conn.execute(throttles.delete().where(mine))
    else:
        conn.execute(throttles.update().where(mine, throttles.c.hits > 0).values(hits=throttles.c.hits - 1))


@dataclass(frozen=True)
class SecretGuard:
    """The two counters in front of a secret: per thing tried (an account, a card) and address,
    and per address across everything tried from it."""

    per_subject: Rule
    per_address: Rule

    def take(self, engine: Engine, subject: str, address: str, now: datetime) -> bool:
        """Count one try on both counters in one transaction; False when either is over its limit."""

        def work(conn: Connection) -> bool:
            # both are counted whatever the first says: each counter counts every try
            for_subject = _count(conn, self.per_subject, _subject_hash(self.per_subject, subject, address), now)
            from_address = _count(conn, self.per_address, _subject_hash(self.per_address, address), now)
            return for_subject <= self.per_subject.limit and from_address <= self.per_address.limit

        return run_in_transaction(engine, work, attempts=_ATTEMPTS, retry_duplicates=True)

    def succeeded(self, engine: Engine, subject: str, address: str) -> None:
        """The owner's own earlier slips are forgotten; the address gets this try back."""

        def work(conn: Connection) -> None:
            _forgive(conn, self.per_subject, _subject_hash(self.per_subject, subject, address), everything=True)
            _forgive(conn, self.per_address, _subject_hash(self.per_address, address), everything=False)

        run_in_transaction(engine, work, attempts=_ATTEMPTS)


STAFF_SIGN_IN = SecretGuard(STAFF_PASSWORD, PASSWORDS_FROM_ADDRESS)
VISITOR_SIGN_IN = SecretGuard(VISITOR_PIN, PINS_FROM_ADDRESS)


def forget_expired(conn: Connection, now: datetime, longest: timedelta = timedelta(days=1)) -> int:
    """Delete counters whose window ended long ago (the nightly run); returns how many."""
    return conn.execute(throttles.delete().where(throttles.c.window_start < now - longest)).rowcount


def take_public_form(engine: Engine, address: str, now: datetime) -> None:
    """Count a self-registration from this address, or refuse it (core.errors says how long to wait)."""
    if not take(engine, PUBLIC_FORM, address, now=now):
        raise DomainError("public_form_throttled", minutes=PUBLIC_FORM.minutes)
