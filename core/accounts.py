"""Accounts that sign in with a password: staff (admins, coordinators) and volunteers;
volunteers' self-registration and approval; re-reading whoever is signed in."""

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, throttle
from core.actors import Actor, volunteer_code
from core.db import run_in_transaction
from core.errors import DomainError, NotAllowed, ValidationError
from core.passwords import DUMMY_HASH, hash_secret, temporary_password, verify_secret
from core.schema import bookings, staff, visitors, volunteers
from core.sign_ins import end_all_for
from core.throttle import LOCAL_ADDRESS
from core.validation import FieldChecks, clean_login, clean_name, clean_password, clean_phone, search_key


STAFF_ROLES = ("admin", "coordinator")


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
            ok = verify_secret(secret_hash or DUMMY_HASH, password or "") and actor is not None
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
        return read_actor(conn, kind, actor_id)


def read_actor(conn: Connection, kind: str, actor_id: int) -> Actor | None:
    """load_actor on the caller's connection (the sign-in check reads its row on the same one)."""
    if kind == "staff":
        row = conn.execute(sa.select(staff).where(staff.c.id == actor_id, staff.c.active.is_(True))).first()
        return row and Actor("staff", row.id, row.role, row.login, row.display_name)
    if kind == "volunteer":
        row = conn.execute(sa.select(volunteers).where(volunteers.c.id == actor_id, volunteers.c.status == "active")).first()
        return row and Actor("volunteer", row.id, "volunteer", volunteer_code(row.id), f"{row.first_name} {row.last_name}")
    if kind == "visitor":
        row = conn.execute(sa.select(visitors).where(visitors.c.id == actor_id, visitors.c.erased_at.is_(None))).first()
        return row and Actor("visitor", row.id, "visitor", row.card_number, f"{row.first_name} {row.last_name}")
    return None


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
    throttle.take_public_form(engine, address, now)
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


_PHONE_PART = re.compile(r"[\d()+\-]+")
_PHONE_MARKS = re.compile(r"[()+\-]")
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


def matching_volunteers(people: list[VolunteerRow], query: str) -> list[VolunteerRow]:
    """The volunteers whose ФИО, login, ID or phone holds every word of `query`; all for a blank
    one. Case and ё/е do not matter, and a phone matches by its digits, typed 8 916 … or +7 (916) …"""
    words = [_PHONE_MARKS.sub("", word) if _PHONE_PART.fullmatch(word) else word for word in search_key(query).split()]
    if not words:
        return list(people)

    def text_of(person: VolunteerRow) -> str:
        digits = re.sub(r"\D", "", person.phone or "")
        phone = f"{digits} 8{digits[1:]}" if digits else ""
        return search_key(f"{person.full_name} {person.login} {person.code} {phone}")

    return [person for person, text in ((p, text_of(p)) for p in people) if all(word in text for word in words)]


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


def reset_password(engine: Engine, kind: str, account_id: int, actor: Actor, now: datetime) -> str:
    """An admin gives a staff account or a volunteer a new temporary password (returned, to
    hand over); whoever knew the old one is signed out on every device."""
    if actor.role != "admin":
        raise NotAllowed()
    table = {"staff": staff, "volunteer": volunteers}[kind]
    password = temporary_password()
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
