"""Staff accounts, volunteers and visitors: registration, sign-in, search."""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from core import audit, mks_outbox, storage, throttle
from core.booking import cancel_bookings_in_transaction
from core.actors import Actor, volunteer_code
from core.db import run_in_transaction
from core.errors import DomainError, NotAllowed, ValidationError
from core.schema import bookings, mks_clients, sessions, staff, status_history, visitor_photos, visitors, volunteers
from core.sign_ins import end_all_for
from core.validation import (
    FieldChecks,
    clean_card_number,
    clean_login,
    clean_name,
    clean_password,
    clean_phone,
    clean_pin,
    clean_text,
    format_phone,
    luhn_digit,
    search_key,
)

CONSENT_VERSION = "2026-11"
CONSENT_TEXT = (
    "Я согласен(на) на обработку моих персональных данных (имя, фамилия, телефон) "
    "благотворительной организацией для записи на услуги, в соответствии с 152-ФЗ."
)
# Cards issued before random numbers ran in order from here (six digits); tests and demo data
# still make such cards, and they keep working.
FIRST_CARD_NUMBER = 100001
# what screens and exports show instead of an erased visitor's name (152-ФЗ)
ERASED_NAME = "Данные удалены"
STAFF_ROLES = ("admin", "coordinator")
# the address of a client the app cannot tell apart (a local browser, a test)
LOCAL_ADDRESS = "local"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # argon2id with the library's RFC 9106 "low memory" defaults
    return PasswordHasher()


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    if not secret_hash:
        return False
    try:
        return _hasher().verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the login is unknown, so a wrong login and a wrong password
# take the same time.
_DUMMY_HASH = hash_secret("not-a-real-password")


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


# --- staff ------------------------------------------------------------------------------


def create_staff(conn: Connection, login: str, password: str, role: str, display_name: str, now: datetime) -> int:
    """Create a staff account (admin or coordinator) inside the caller's transaction."""
    if role not in STAFF_ROLES:
        raise ValueError(role)
    login = clean_login(login)
    password = clean_password(password)
    if _login_taken(conn, login):
        raise ValidationError("login_taken", field="login")
    return conn.execute(
        staff.insert()
        .values(login=login, display_name=display_name, role=role, password_hash=hash_secret(password), created_at=now)
        .returning(staff.c.id)
    ).scalar_one()


def has_active_admin(conn: Connection) -> bool:
    """True when some admin account can sign in (a deactivated one cannot)."""
    return conn.execute(
        sa.select(sa.func.count()).select_from(staff).where(staff.c.role == "admin", staff.c.active.is_(True))
    ).scalar() > 0


def ensure_admin(engine: Engine, login: str, password: str, now: datetime) -> None:
    """Create the first admin from configuration when no active admin exists."""
    with engine.begin() as conn:
        if not has_active_admin(conn):
            create_staff(conn, login, password, "admin", "Администратор", now)


def find_demo_accounts(conn: Connection, credentials: dict[str, str]) -> list[str]:
    """Logins that can sign in with a published demo password (core.demo.demo_credentials()).

    Both must match: a real admin who chose the login "admin" and a password of their own is
    not a demo account. Deactivated accounts cannot sign in, so they are not reported.
    """
    rows = conn.execute(
        sa.select(staff.c.login, staff.c.password_hash).where(staff.c.login.in_(credentials), staff.c.active.is_(True))
    ).all()
    rows += conn.execute(
        sa.select(volunteers.c.login, volunteers.c.password_hash).where(
            volunteers.c.login.in_(credentials), volunteers.c.status.in_(("active", "pending"))
        )
    ).all()
    return sorted(row.login for row in rows if verify_secret(row.password_hash, credentials[row.login]))


def _login_taken(conn: Connection, login: str) -> bool:
    in_staff = conn.execute(sa.select(staff.c.id).where(staff.c.login == login)).first()
    in_volunteers = conn.execute(sa.select(volunteers.c.id).where(volunteers.c.login == login)).first()
    return bool(in_staff or in_volunteers)


def authenticate(engine: Engine, login: str, password: str, now: datetime, address: str = LOCAL_ADDRESS) -> Actor:
    """Staff or volunteer sign-in; one generic refusal whatever was wrong.

    Slowed per account and address and per address (core.throttle): a stranger's guesses
    never refuse the owner signing in from elsewhere.
    """
    login_key = (login or "").strip().lower()[:32]
    allowed = throttle.STAFF_SIGN_IN.take(engine, login_key, address, now)
    ok = False
    with engine.begin() as conn:
        actor, secret_hash, pending = _find_account(conn, login_key)
        if allowed:
            ok = verify_secret(secret_hash or _DUMMY_HASH, password or "") and actor is not None
        action = "login" if ok else "login_failed" if allowed else "login_throttled"
        audit.record(conn, actor if ok else _anonymous(actor), now, action, "account")
    if not allowed:
        raise DomainError("login_throttled", minutes=throttle.STAFF_PASSWORD.minutes)
    if not ok:
        raise DomainError("login_failed")
    throttle.STAFF_SIGN_IN.succeeded(engine, login_key, address)
    if pending:
        raise DomainError("account_pending")
    return actor


def _anonymous(account: Actor | None) -> Actor:
    """Who a failed sign-in is written down as: the account tried when it exists, else nobody.

    Never the typed text: it is sometimes a password typed into «Логин».
    """
    return Actor(kind="anonymous", id=0, role="visitor", label=account.label if account else "-")


def _find_account(conn: Connection, login: str) -> tuple[Actor | None, str | None, bool]:
    row = conn.execute(sa.select(staff).where(staff.c.login == login, staff.c.active.is_(True))).first()
    if row:
        return Actor("staff", row.id, row.role, row.login, row.display_name), row.password_hash, False
    row = conn.execute(
        sa.select(volunteers).where(volunteers.c.login == login, volunteers.c.status.in_(("active", "pending")))
    ).first()
    if row:
        actor = Actor("volunteer", row.id, "volunteer", volunteer_code(row.id), f"{row.first_name} {row.last_name}")
        return actor, row.password_hash, row.status == "pending"
    return None, None, False


def load_actor(engine: Engine, kind: str, actor_id: int) -> Actor | None:
    """Re-read a signed-in account, so a deactivated one stops working at once."""
    with engine.connect() as conn:
        if kind == "staff":
            row = conn.execute(sa.select(staff).where(staff.c.id == actor_id, staff.c.active.is_(True))).first()
            return row and Actor("staff", row.id, row.role, row.login, row.display_name)
        if kind == "volunteer":
            row = conn.execute(
                sa.select(volunteers).where(volunteers.c.id == actor_id, volunteers.c.status == "active")
            ).first()
            return row and Actor("volunteer", row.id, "volunteer", volunteer_code(row.id), f"{row.first_name} {row.last_name}")
        if kind == "visitor":
            row = conn.execute(
                sa.select(visitors).where(
                    visitors.c.id == actor_id, visitors.c.erased_at.is_(None)
                )
            ).first()
            return row and Actor("visitor", row.id, "visitor", row.card_number, f"{row.first_name} {row.last_name}")
    return None


# --- volunteers -------------------------------------------------------------------------


def register_volunteer(
    engine: Engine, first_name: str, last_name: str, phone: str, login: str, password: str, now: datetime, address: str = LOCAL_ADDRESS
) -> int:
    """Self-registration of a volunteer; the account waits for an admin's approval.

    Every bad field is refused at once (FieldErrors), a taken login among them; a few
    sign-ups per address and hour (core.throttle.PUBLIC_FORM).
    """
    checks = FieldChecks()
    values = dict(
        first_name=checks.clean(clean_name, first_name, "first_name"),
        last_name=checks.clean(clean_name, last_name, "last_name"),
        phone=checks.clean(clean_phone, phone),
        login=checks.clean(clean_login, login),
    )
    password = checks.clean(clean_password, password)
    if not checks.failed("login"):
        # the transaction below checks again; this read spares a second refusal later and keeps
        # a refused form from counting against the address's few sign-ups
        with engine.connect() as conn:
            if _login_taken(conn, values["login"]):
                checks.refuse("login_taken", "login")
    checks.done()
    _take_public_form(engine, address, now)
    password_hash = hash_secret(password)

    def work(conn: Connection) -> int:
        if _login_taken(conn, values["login"]):
            raise ValidationError("login_taken", field="login")
        volunteer_id = conn.execute(
            volunteers.insert()
            .values(
                **values,
                password_hash=password_hash,
                status="pending",
                created_at=now,
            )
            .returning(volunteers.c.id)
        ).scalar_one()
        code = volunteer_code(volunteer_id)
        audit.record(conn, Actor("volunteer", volunteer_id, "volunteer", code), now, "register", "volunteer", code)
        return volunteer_id

    return run_in_transaction(engine, work)


# --- visitors ---------------------------------------------------------------------------


def _take_public_form(engine: Engine, address: str, now: datetime) -> None:
    if not throttle.take(engine, throttle.PUBLIC_FORM, address, now=now):
        raise DomainError("public_form_throttled", minutes=throttle.PUBLIC_FORM.minutes)


def new_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


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
        _take_public_form(engine, address, now)
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
            verify_secret(_DUMMY_HASH, pin)
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


@dataclass(frozen=True)
class VolunteerRow:
    id: int
    code: str
    first_name: str
    last_name: str
    phone: str | None
    login: str
    status: str
    created_at: datetime
    bookings_made: int

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"


VOLUNTEER_STATUS_LABELS = {"pending": "Ждёт подтверждения", "active": "Работает", "deactivated": "Отключён"}


def list_volunteers(conn: Connection) -> list[VolunteerRow]:
    """Every volunteer with how many bookings they made; the pending ones first."""
    made = (
        sa.select(bookings.c.created_by_id, sa.func.count().label("n"))
        .where(bookings.c.created_by_kind == "volunteer")
        .group_by(bookings.c.created_by_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(volunteers, sa.func.coalesce(made.c.n, 0).label("made"))
        .select_from(volunteers.outerjoin(made, made.c.created_by_id == volunteers.c.id))
        .order_by(sa.case((volunteers.c.status == "pending", 0), else_=1), volunteers.c.last_name, volunteers.c.first_name)
    ).all()
    return [
        VolunteerRow(r.id, volunteer_code(r.id), r.first_name, r.last_name, r.phone, r.login, r.status, r.created_at, r.made)
        for r in rows
    ]


def set_volunteer_status(engine: Engine, volunteer_id: int, status: str, actor: Actor, now: datetime) -> None:
    """Approve (active) or deactivate a volunteer; their past bookings keep their ID."""
    if actor.role != "admin":
        raise NotAllowed()
    if status not in ("active", "deactivated"):
        raise ValueError(status)

    def work(conn: Connection) -> None:
        values: dict = dict(status=status)
        if status == "active":
            values["approved_at"] = now
        conn.execute(volunteers.update().where(volunteers.c.id == volunteer_id).values(**values))
        action = "approve" if status == "active" else "deactivate"
        if status != "active":
            end_all_for(conn, "volunteer", volunteer_id, now)
        audit.record(conn, actor, now, action, "volunteer", volunteer_code(volunteer_id))

    run_in_transaction(engine, work)



# no 0/O, 1/l/I: a temporary password is read aloud or copied from a screen
_TEMPORARY_PASSWORD_LETTERS = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 12


def reset_password(engine: Engine, kind: str, account_id: int, actor: Actor, now: datetime) -> str:
    """An admin gives a staff account or a volunteer a new temporary password (returned, to
    hand over); whoever knew the old one is signed out on every device."""
    if actor.role != "admin":
        raise NotAllowed()
    table = {"staff": staff, "volunteer": volunteers}[kind]
    password = "".join(secrets.choice(_TEMPORARY_PASSWORD_LETTERS) for _ in range(TEMPORARY_PASSWORD_LENGTH))
    password_hash = hash_secret(password)

    def work(conn: Connection) -> None:
        changed = conn.execute(table.update().where(table.c.id == account_id).values(password_hash=password_hash)).rowcount
        if not changed:
            raise DomainError("person_not_found")
        end_all_for(conn, kind, account_id, now)
        label = volunteer_code(account_id) if kind == "volunteer" else account_id
        audit.record(conn, actor, now, "password_reset", kind if kind == "volunteer" else "account", label)

    run_in_transaction(engine, work)
    return password


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
            sa.select(bookings.c.id)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(bookings.c.visitor_id == visitor_id, sessions.c.date >= now.date())
        ).scalars().all()
        cancelled = cancel_bookings_in_transaction(conn, list(coming), actor, now, reason=None)
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
