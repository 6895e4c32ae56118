"""МКС, the charity's case-management system (Symfony on MySQL; public source nochlezhka/mks):
the connection, the three tables this app touches, and every statement it sends there.

Read: `service_type` (the catalog) and `client` (people), only the columns named below.
Written: `service` rows («Полученная услуга») and nothing else. Each row this app writes carries
a marker, `sync_id = -booking id`: МКС's own code never reads `service.sync_id`, and its own
sync ids are positive, so the marker tells our rows apart and names the booking a row came from.
Checking for the marker and inserting happen under one MySQL named lock (GET_LOCK), so no two
deliveries of one booking, from any number of app instances, can both insert.

The connection is optional (MKS_DATABASE_URL). A wrong URL or an unreachable server gives an
MksError with Russian words; it never reaches the booking paths, which only write our outbox.
Nothing read from МКС goes into a log: errors are logged by their code alone.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.config import settings
from core.errors import DomainError
from core.validation import search_key

# An unreachable МКС answers within these many seconds, so no page or worker hangs on it.
CONNECT_TIMEOUT_SECONDS = 3
QUERY_TIMEOUT_SECONDS = 15
# The one named lock every delivery to МКС holds (GET_LOCK is per server, across databases).
DELIVERY_LOCK = "zapis.mks.service"

mks_metadata = sa.MetaData()

service_type = sa.Table(
    "service_type",
    mks_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("sort", sa.Integer),
)

client = sa.Table(
    "client",
    mks_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("firstname", sa.String(255)),
    sa.Column("lastname", sa.String(255)),
    sa.Column("middlename", sa.String(255)),
    sa.Column("birth_date", sa.Date),
)

service = sa.Table(
    "service",
    mks_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.Integer),
    sa.Column("type_id", sa.Integer),
    sa.Column("comment", sa.Text),
    sa.Column("amount", sa.Integer),
    sa.Column("sync_id", sa.Integer),
    sa.Column("sort", sa.Integer),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
    sa.Column("created_by_id", sa.Integer),
    sa.Column("updated_by_id", sa.Integer),
)


class MksError(DomainError):
    """МКС could not be reached or refused; `message` says so in Russian, `lasting` says whether
    trying the same row again cannot help (МКС refused that row itself)."""

    def __init__(self, code: str, lasting: bool = False):
        super().__init__(code)
        self.lasting = lasting


# MySQL error numbers worth their own words; everything else is "mks_error"
_ERROR_CODES = {
    1044: "mks_access_denied", 1045: "mks_access_denied", 1049: "mks_no_database",
    1142: "mks_no_rights", 1143: "mks_no_rights", 1146: "mks_no_table", 1054: "mks_no_table",
    2003: "mks_unreachable", 2005: "mks_unreachable", 2006: "mks_unreachable", 2013: "mks_unreachable",
    1205: "mks_busy", 1213: "mks_busy",
    # the row itself is refused: its client or service type no longer exists in МКС
    1451: "mks_row_refused", 1452: "mks_row_refused", 1048: "mks_row_refused",
}


def translate(exc: BaseException) -> MksError:
    """The driver's exception as an MksError (never its text: it may quote a person's data)."""
    if isinstance(exc, MksError):
        return exc
    args = getattr(getattr(exc, "orig", None), "args", None) or getattr(exc, "args", ())
    number = args[0] if args and isinstance(args[0], int) else None
    code = _ERROR_CODES.get(number, "mks_error")
    if number is None and isinstance(exc, (OSError, TimeoutError)):
        code = "mks_unreachable"
    if number == 1452 and "fos_user_user" in str(args[1:]):
        # MKS_USER_ID names no МКС user: every row would be refused alike, so they wait for the
        # setting to be fixed instead of failing one by one (the text read is the constraint's)
        code = "mks_user_invalid"
    return MksError(code, lasting=code == "mks_row_refused")


def configured_url() -> str | None:
    """MKS_DATABASE_URL, or None when the app runs on its own catalog."""
    return settings().mks_url


def configured_user_id() -> int | None:
    """MKS_USER_ID: the МКС user named as the author of the rows we write (optional)."""
    return settings().mks_user_id


def make_mks_engine(url: str) -> Engine:
    """An engine for МКС through PyMySQL, with short timeouts; MksError("mks_url_invalid") for a
    URL that is not a MySQL one. Connects lazily: a server that is down fails the first use."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise MksError("mks_url_invalid") from None
    if parsed.get_backend_name() not in ("mysql", "mariadb") or not parsed.host or not parsed.database:
        raise MksError("mks_url_invalid")
    parsed = parsed.set(drivername="mysql+pymysql")
    if "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return sa.create_engine(
        parsed,
        pool_size=2,
        max_overflow=4,
        pool_pre_ping=True,
        pool_recycle=1800,
        # an error's text shows its statement, never the values (names, birth dates) it carried
        hide_parameters=True,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "read_timeout": QUERY_TIMEOUT_SECONDS,
            "write_timeout": QUERY_TIMEOUT_SECONDS,
        },
    )


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection to МКС for reads; any failure comes out as an MksError."""
    try:
        with engine.connect() as conn:
            yield conn
    except MksError:
        raise
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise translate(exc) from None


def probe(engine: Engine) -> None:
    """Raise MksError unless МКС answers and lets us read what we read."""
    with reading(engine) as conn:
        conn.execute(sa.select(service_type.c.id, service_type.c.name).limit(1)).all()
        conn.execute(sa.select(client.c.id).limit(1)).all()
        conn.execute(sa.select(service.c.id).limit(1)).all()


# --- the catalog --------------------------------------------------------------------------


@dataclass(frozen=True)
class MksServiceType:
    id: int
    name: str


def service_types(conn: Connection) -> list[MksServiceType]:
    """Every МКС service type that has a name, in МКС's own order."""
    rows = conn.execute(
        sa.select(service_type.c.id, service_type.c.name).order_by(service_type.c.sort, service_type.c.id)
    ).all()
    return [MksServiceType(row.id, row.name) for row in rows if (row.name or "").strip()]


# --- people -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MksClient:
    id: int
    last_name: str
    first_name: str
    middle_name: str
    birth_date: date | None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)


def _client(row) -> MksClient:
    return MksClient(row.id, row.lastname or "", row.firstname or "", row.middlename or "", row.birth_date)


_CLIENT_COLUMNS = (client.c.id, client.c.lastname, client.c.firstname, client.c.middlename, client.c.birth_date)


def get_client(conn: Connection, client_id: int) -> MksClient | None:
    row = conn.execute(sa.select(*_CLIENT_COLUMNS).where(client.c.id == client_id)).first()
    return _client(row) if row else None


def find_clients(conn: Connection, query: str, limit: int = 20) -> list[MksClient]:
    """МКС clients by their МКС number, or by surname (and the start of a name): «Иванов Пётр».

    МКС compares names in its utf8_unicode_ci collation (case-blind, е = ё); the words are
    compared again here the way our own search folds them, so «Ёлкин» finds «Елкин» either way.
    Namesakes come back in birth-date order, to be told apart by it.
    """
    text = " ".join((query or "").split())
    if not text:
        return []
    if text.isdigit():
        found = get_client(conn, int(text))
        return [found] if found else []
    words = text.split(" ")
    stmt = sa.select(*_CLIENT_COLUMNS).where(client.c.lastname.like(f"{_like(words[0])}%"))
    if len(words) > 1:
        stmt = stmt.where(client.c.firstname.like(f"{_like(words[1])}%"))
    rows = conn.execute(stmt.order_by(client.c.lastname, client.c.firstname, client.c.birth_date, client.c.id).limit(limit)).all()
    wanted = [search_key(word) for word in words[:2]]
    found = [_client(row) for row in rows]
    return [c for c in found if all(search_key(name).startswith(w) for name, w in zip((c.last_name, c.first_name), wanted))]


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- services received: the only rows written ----------------------------------------------


@dataclass(frozen=True)
class ServiceRecord:
    """One «Полученная услуга» as this app writes it for one booking."""

    booking_id: int
    client_id: int
    type_id: int
    created_at: datetime
    comment: str

    @property
    def marker(self) -> int:
        return marker_of(self.booking_id)


def marker_of(booking_id: int) -> int:
    """The `sync_id` our row for a booking carries: negative, so it never meets МКС's own ids."""
    return -booking_id


@contextmanager
def delivery_lock(engine: Engine, wait_seconds: int = 0) -> Iterator[Connection | None]:
    """A connection holding DELIVERY_LOCK, or None when another instance holds it now.

    The lock belongs to the connection: a delivering process that dies (even by SIGKILL) loses
    its connection and so its lock, and the next delivery finds whatever the dead one committed.
    """
    try:
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT GET_LOCK(:name, :wait)"), {"name": DELIVERY_LOCK, "wait": wait_seconds}).scalar()
            conn.commit()
            if got != 1:
                yield None
                return
            try:
                yield conn
            finally:
                try:
                    conn.rollback()
                    conn.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": DELIVERY_LOCK})
                    conn.commit()
                except sa.exc.SQLAlchemyError:
                    conn.invalidate()  # a dead connection holds no lock
    except MksError:
        raise
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise translate(exc) from None


def _ours(conn: Connection, booking_id: int) -> sa.Row | None:
    return conn.execute(sa.select(service).where(service.c.sync_id == marker_of(booking_id)).order_by(service.c.id).limit(1)).first()


def put_service(conn: Connection, record: ServiceRecord, user_id: int | None) -> tuple[int, bool]:
    """Insert the booking's service row unless it is there already; returns (МКС id, inserted).

    Runs on the connection that holds DELIVERY_LOCK, in a transaction of its own that commits
    before returning: after that, the row is in МКС whatever happens to this process.
    """
    try:
        with conn.begin():
            found = _ours(conn, record.booking_id)
            if found is not None:
                return found.id, False
            new_id = conn.execute(
                service.insert().values(
                    client_id=record.client_id, type_id=record.type_id, comment=record.comment, amount=None,
                    sync_id=record.marker, sort=100, created_at=record.created_at, updated_at=record.created_at,
                    created_by_id=user_id, updated_by_id=user_id,
                )
            ).inserted_primary_key[0]
            return new_id, True
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise translate(exc) from None


def withdraw_service(conn: Connection, record: ServiceRecord) -> str:
    """Delete the row we wrote for the booking, unless МКС staff changed it since.

    Returns "removed", "gone" (nothing of ours is there) or "changed" (kept: МКС's own code
    sets updated_at on every edit, and we wrote updated_at = created_at).
    """
    try:
        with conn.begin():
            found = _ours(conn, record.booking_id)
            if found is None:
                return "gone"
            untouched = (
                found.updated_at == found.created_at
                and found.created_at == record.created_at
                and (found.client_id, found.type_id, found.comment, found.amount) == (record.client_id, record.type_id, record.comment, None)
            )
            if not untouched:
                return "changed"
            conn.execute(service.delete().where(service.c.id == found.id))
            return "removed"
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise translate(exc) from None
