"""Visitors: registration with consent, card number and PIN, sign-in, search, PIN reset and
152-ФЗ erasure."""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, mks_outbox, storage, throttle
from core.actors import ERASED_NAME, Actor
from core.cancellation import cancel_bookings_in_transaction
from core.db import run_in_transaction
from core.errors import DomainError, NotAllowed
from core.passwords import DUMMY_HASH, hash_secret, new_pin, verify_secret
from core.schema import bookings, mks_clients, sessions, status_history, visitor_photos, visitors
from core.sign_ins import end_all_for
from core.throttle import LOCAL_ADDRESS
from core.validation import (
    FieldChecks,
    clean_card_number,
    clean_name,
    clean_phone,
    clean_pin,
    clean_text,
    format_phone,
    luhn_digit,
    search_key,
)
from core.waitlist import fill_freed, leave_every_line

CONSENT_VERSION = "2026-11"
CONSENT_TEXT = (
    "Я согласен(на) на обработку моих персональных данных (имя, фамилия, телефон) "
    "благотворительной организацией для записи на услуги, в соответствии с 152-ФЗ."
)

# Cards issued before random numbers ran in order from here (six digits); tests and demo data
# still make such cards, and they keep working.
FIRST_CARD_NUMBER = 100001


@dataclass(frozen=True)
class VisitorRow:
    id: int
    card_number: str
    first_name: str
    last_name: str
    phone: str | None
    comment: str | None
    erased: bool

    @property
    def full_name(self) -> str:
        return ERASED_NAME if self.erased else f"{self.last_name} {self.first_name}"

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def masked(self) -> str:
        """What a stranger may see when namesakes are listed: "Анна П., карта …42"."""
        return f"{self.first_name} {self.last_name[:1]}., карта …{self.card_number[-2:]}"


def _visitor(row) -> VisitorRow:
    return VisitorRow(
        id=row.id,
        card_number=row.card_number,
        first_name=row.first_name,
        last_name=row.last_name,
        phone=row.phone,
        comment=row.comment,
        erased=row.erased_at is not None,
    )


@dataclass(frozen=True)
class Registration:
    visitor_id: int
    card_number: str
    pin: str


def new_card_number() -> str:
    """Seven digits: six random ones (never a leading zero) and a check digit that catches a typo."""
    body = str(100_000 + secrets.randbelow(900_000))
    return body + luhn_digit(body)


def register_visitor(
    engine: Engine,
    first_name: str,
    last_name: str,
    phone: str | None,
    comment: str | None,
    consent: bool,
    actor: Actor | None,
    now: datetime,
    *,
    pin: str | None = None,
    address: str = LOCAL_ADDRESS,
    and_then: Callable[[Connection, int], None] | None = None,
) -> Registration:
    """Register a visitor: validate, record consent, issue a card number and a PIN.

    Every bad field is refused at once (FieldErrors), in the order of the form. A visitor
    registering themself (no `actor`) gets a few registrations per address and hour.
    `and_then(conn, visitor_id)` finishes the use case in the same transaction (a МКС client
    taken over is linked with it: core.mks_people).
    """
    checks = FieldChecks()
    first = checks.clean(clean_name, first_name, "first_name")
    last = checks.clean(clean_name, last_name, "last_name")
    phone_e164 = checks.clean(clean_phone, phone)
    comment_text = checks.clean(clean_text, comment, "comment")
    if not consent:
        checks.refuse("consent_required", "consent")
    if pin is not None:
        pin = checks.clean(clean_pin, pin)
    checks.done()
    if actor is None:
        throttle.take_public_form(engine, address, now)
    pin = pin or new_pin()
    pin_hash = hash_secret(pin)
    collected_by = actor.audit_name if actor else "visitor:self"

    def work(conn: Connection) -> Registration:
        visitor_id = conn.execute(sa.select(visitors.c.id.default.next_value())).scalar_one()
        card_number = new_card_number()
        conn.execute(
            visitors.insert().values(
                id=visitor_id,
                card_number=card_number,
                first_name=first,
                last_name=last,
                search_key=search_key(f"{last} {first}"),
                phone=phone_e164,
                comment=comment_text,
                pin_hash=pin_hash,
                consent_at=now,
                consent_version=CONSENT_VERSION,
                consent_by=collected_by,
                created_at=now,
                created_by=collected_by,
            )
        )
        who = actor or Actor("visitor", visitor_id, "visitor", card_number)
        audit.record(conn, who, now, "register", "visitor", card_number)
        if and_then is not None:
            and_then(conn, visitor_id)
        return Registration(visitor_id, card_number, pin)

    # one in 900 000 a new number is taken: the unique card number refuses it, drawn again
    return run_in_transaction(engine, work, retry_duplicates=True)


def get_visitor(conn: Connection, visitor_id: int) -> VisitorRow | None:
    row = conn.execute(sa.select(visitors).where(visitors.c.id == visitor_id)).first()
    return row and _visitor(row)


def visitor_sign_in(engine: Engine, card_number: str, pin: str, now: datetime, address: str = LOCAL_ADDRESS) -> Actor:
    """Card number + PIN. Unknown card and wrong PIN get the same answer.

    Slowed per card and address and per address across cards (core.throttle): nobody can
    lock a card for its owner, and spraying one PIN over many cards stops soon.
    """
    # a PIN or card number that cannot be one is a typing slip, answered at the field: not a guess
    pin = clean_pin(pin)
    card_number = clean_card_number(card_number)
    if not throttle.VISITOR_SIGN_IN.take(engine, card_number, address, now):
        raise DomainError("pin_throttled", field="pin", minutes=throttle.VISITOR_PIN.minutes)
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(visitors).where(visitors.c.card_number == card_number, visitors.c.erased_at.is_(None))
        ).first()
        if row is None:
            verify_secret(DUMMY_HASH, pin)
            raise DomainError("visitor_login_failed", field="pin")
        actor = Actor("visitor", row.id, "visitor", row.card_number, f"{row.first_name} {row.last_name}")
        ok = verify_secret(row.pin_hash, pin)
        audit.record(conn, actor, now, "login" if ok else "login_failed", "visitor", row.card_number)
    if not ok:
        raise DomainError("visitor_login_failed", field="pin")
    throttle.VISITOR_SIGN_IN.succeeded(engine, card_number, address)
    return actor


def reset_pin(engine: Engine, visitor_id: int, actor: Actor, now: datetime) -> str:
    """Issue a new PIN (admins and volunteers at the desk)."""
    if actor.role not in ("admin", "volunteer"):
        raise NotAllowed()
    pin = new_pin()
    with engine.begin() as conn:
        conn.execute(
            visitors.update()
            .where(visitors.c.id == visitor_id)
            .values(pin_hash=hash_secret(pin))
        )
        # whoever knew the old PIN is signed out everywhere
        end_all_for(conn, "visitor", visitor_id, now)
        audit.record(conn, actor, now, "pin_reset", "visitor", visitor_id)
    return pin


# «МКС 1234», «мкс №1234»: a visitor linked to that МКС client
_MKS_NUMBER = re.compile(r"мкс\s*№?\s*(\d{1,9})", re.IGNORECASE)


def find_visitors(conn: Connection, query: str, limit: int = 10) -> list[VisitorRow]:
    """Suggestions as one types: card number, phone digits, «МКС 1234», or "фамилия имя" prefix."""
    text = (query or "").strip()
    if len(text) < 2:
        return []
    base = sa.select(visitors).where(visitors.c.erased_at.is_(None))
    digits = "".join(ch for ch in text if ch.isdigit())
    if mks_number := _MKS_NUMBER.fullmatch(text):
        linked = sa.select(mks_clients.c.visitor_id).where(mks_clients.c.mks_client_id == int(mks_number[1]))
        stmt = base.where(visitors.c.id.in_(linked))
    elif digits and len(digits) == len(text.replace(" ", "").replace("+", "").replace("-", "").replace("(", "").replace(")", "")):
        conditions = [visitors.c.card_number.startswith(digits, autoescape=True)]
        if len(digits) >= 4:
            conditions.append(visitors.c.phone.contains(digits.removeprefix("8") if len(digits) == 11 else digits, autoescape=True))
        stmt = base.where(sa.or_(*conditions))
    else:
        key = search_key(text)
        words = key.split(" ")
        stmt = base.where(*[visitors.c.search_key.contains(word, autoescape=True) for word in words])
        stmt = stmt.order_by(sa.case((visitors.c.search_key.startswith(key, autoescape=True), 0), else_=1))
    rows = conn.execute(stmt.order_by(visitors.c.last_name, visitors.c.first_name).limit(limit)).all()
    return [_visitor(row) for row in rows]


def visitors_by_surname(conn: Connection, last_name: str, limit: int = 20) -> list[VisitorRow]:
    """Namesakes for the visitor's own sign-in: an exact surname match, shown masked."""
    key = search_key(last_name)
    if not key:
        return []
    rows = conn.execute(
        sa.select(visitors)
        .where(visitors.c.erased_at.is_(None), visitors.c.search_key.startswith(key + " ", autoescape=True))
        .order_by(visitors.c.first_name, visitors.c.card_number)
        .limit(limit)
    ).all()
    return [_visitor(row) for row in rows]


def erase_visitor(engine: Engine, visitor_id: int, actor: Actor, now: datetime) -> int:
    """152-ФЗ erasure: name, phone, comments, photo and PIN go; bookings stay, anonymised, for
    statistics, and those still to come are cancelled, so they free their places. Returns how
    many were cancelled. Afterwards no freed copy of the erased values stays on disk
    (core.storage.scrub)."""
    if actor.role != "admin":
        raise NotAllowed()

    def work(conn: Connection) -> int:
        row = conn.execute(sa.select(visitors.c.card_number).where(visitors.c.id == visitor_id)).first()
        if row is None:
            raise DomainError("person_not_found")
        conn.execute(
            visitors.update()
            .where(visitors.c.id == visitor_id)
            .values(first_name="", last_name="", search_key="", phone=None, comment=None, pin_hash=None, erased_at=now)
        )
        # the person can no longer sign in to cancel, and nobody could ask for them by name
        coming = conn.execute(
            sa.select(bookings.c.id, sessions.c.event_id, sessions.c.date)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(bookings.c.visitor_id == visitor_id, sessions.c.date >= now.date())
        ).all()
        cancelled = cancel_bookings_in_transaction(conn, [row.id for row in coming], actor, now, reason=None)
        leave_every_line(conn, visitor_id, now)
        fill_freed(conn, {(row.event_id, row.date) for row in coming}, now)
        booking_ids = sa.select(bookings.c.id).where(bookings.c.visitor_id == visitor_id).scalar_subquery()
        conn.execute(bookings.update().where(bookings.c.visitor_id == visitor_id).values(comment=None, staff_comment=None))
        conn.execute(status_history.update().where(status_history.c.booking_id.in_(booking_ids)).values(comment=None))
        conn.execute(visitor_photos.delete().where(visitor_photos.c.visitor_id == visitor_id))
        mks_outbox.forget_visitor(conn, visitor_id)
        end_all_for(conn, "visitor", visitor_id, now)
        audit.record(conn, actor, now, "erase", "visitor", row.card_number, cancelled_bookings=cancelled)
        return cancelled

    cancelled = run_in_transaction(engine, work)
    storage.scrub(engine)
    return cancelled
