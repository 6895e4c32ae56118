"""Every table on one MetaData.

DuckDB needs an explicit Sequence per integer key. There are no FOREIGN KEY constraints: DuckDB
refuses to UPDATE a row that another table references (it rewrites updates as delete + insert),
and bookings must update the session rows they point at. Core keeps references valid; rows are
soft-deleted and history is kept.
Occurrences of a series are computed, not stored: `occurrences` and `sessions` hold a row only
for a date somebody touched (a booking, a change, a cancellation).
"""

import sqlalchemy as sa

from core import statuses
from core.validation import catalog_key

metadata = sa.MetaData()


def _known_status() -> sa.CheckConstraint:
    """The database refuses a status the code does not know (migration 3)."""
    return sa.CheckConstraint(sa.column("status").in_(statuses.ALL))


def _key(table_name: str) -> sa.Column:
    seq = sa.Sequence(f"{table_name}_id_seq", metadata=metadata)
    return sa.Column("id", sa.Integer, seq, server_default=seq.next_value(), primary_key=True)


schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

places = sa.Table(
    "places",
    metadata,
    _key("places"),
    sa.Column("name", sa.String(60), nullable=False),
    # case-folded name: uniqueness regardless of case ("цветной" == "Цветной")
    sa.Column("name_key", sa.String(60), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # how a visitor finds the place (migration 9): shown wherever a visitor chooses or sees it
    sa.Column("address", sa.String(200)),
    sa.Column("metro", sa.String(80)),
    sa.Column("directions", sa.String(500)),
)

services = sa.Table(
    "services",
    metadata,
    _key("services"),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    # the name as core.validation.catalog_key folds it (case, ё, spaces, invisible characters),
    # so the database itself refuses a second «стирка» (migration 4). Filled from the name by
    # every SQLAlchemy insert that does not give it; NULL only for rows bulk-loaded around
    # SQLAlchemy (bench/generate.py on DuckDB), which core.catalog compares by their name.
    # Wider than the name: case folding can lengthen a word ("ß" -> "ss").
    sa.Column("name_key", sa.String(240), unique=True, default=lambda ctx: catalog_key(ctx.get_current_parameters()["name"])),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("default_capacity", sa.Integer, nullable=False),
    sa.Column("default_window_days", sa.Integer, nullable=False),
    sa.Column("default_duration_min", sa.Integer, nullable=False),
    # retired from the catalog by an admin: gone from the event form and from visitors' offers,
    # kept by the events, bookings and history that name it (migration 4)
    sa.Column("retired_at", sa.DateTime),
    # «не чаще раза в N дней» for one person across every place and event (migration 12);
    # NULL: no limit (core/service_limits.py)
    sa.Column("limit_days", sa.Integer),
)

events = sa.Table(
    "events",
    metadata,
    _key("events"),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("place_id", sa.Integer, nullable=False),
    sa.Column("first_date", sa.Date, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    # NULL freq means a one-off event
    sa.Column("freq", sa.String(10)),
    sa.Column("interval", sa.Integer, nullable=False, server_default="1"),
    # weekly weekdays as "2,4" (0 = Monday)
    sa.Column("weekdays", sa.String(20), nullable=False, server_default=""),
    sa.Column("count", sa.Integer),
    sa.Column("until", sa.Date),
    sa.Column("archived_at", sa.DateTime),
    sa.Column("deleted_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

event_services = sa.Table(
    "event_services",
    metadata,
    _key("event_services"),
    sa.Column("event_id", sa.Integer, nullable=False, index=True),
    sa.Column("service_id", sa.Integer, nullable=False),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("window_days", sa.Integer, nullable=False),
    # removed from the event by an edit; kept because bookings point at it
    sa.Column("removed_at", sa.DateTime),
)

occurrences = sa.Table(
    "occurrences",
    metadata,
    _key("occurrences"),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("capacity", sa.Integer),
    sa.Column("cancelled_at", sa.DateTime),
    # bumped by every booking and every session change on this event day, so concurrent
    # writers conflict (DuckDB) or queue behind the row lock (PostgreSQL); never read as a count
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("event_id", "date", name="uq_occurrence"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    _key("sessions"),
    sa.Column("event_service_id", sa.Integer, nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False, index=True),
    # overrides for this one date; NULL means "as the event service says"
    sa.Column("start_time", sa.Time),
    sa.Column("end_time", sa.Time),
    sa.Column("capacity", sa.Integer),
    sa.Column("cancelled_at", sa.DateTime),
    # no longer written: the event day's occurrence row is the one lock (core.booking); kept
    # because DuckDB cannot drop a column of a table with indexes
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("event_service_id", "date", name="uq_session"),
)

visitors = sa.Table(
    "visitors",
    metadata,
    _key("visitors"),
    sa.Column("card_number", sa.String(12), nullable=False, unique=True),
    sa.Column("first_name", sa.String(60), nullable=False),
    sa.Column("last_name", sa.String(60), nullable=False),
    # case- and ё-folded "фамилия имя" for search
    sa.Column("search_key", sa.String(130), nullable=False, index=True),
    sa.Column("phone", sa.String(16)),
    sa.Column("comment", sa.String(500)),
    sa.Column("pin_hash", sa.String(200)),
    # no longer written: wrong PINs are slowed per card and address (core/throttle.py) instead
    # of locking the card for its owner too; kept because DuckDB cannot drop a column of a
    # table with indexes (migration 7 cleared them)
    sa.Column("pin_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_at", sa.DateTime),
    sa.Column("consent_at", sa.DateTime),
    sa.Column("consent_version", sa.String(20)),
    sa.Column("consent_by", sa.String(40)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(40), nullable=False),
    sa.Column("erased_at", sa.DateTime),
)

volunteers = sa.Table(
    "volunteers",
    metadata,
    _key("volunteers"),
    sa.Column("first_name", sa.String(60), nullable=False),
    sa.Column("last_name", sa.String(60), nullable=False),
    sa.Column("phone", sa.String(16)),
    sa.Column("login", sa.String(32), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    # pending -> active -> deactivated
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("approved_at", sa.DateTime),
)

staff = sa.Table(
    "staff",
    metadata,
    _key("staff"),
    sa.Column("login", sa.String(32), nullable=False, unique=True),
    sa.Column("display_name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

bookings = sa.Table(
    "bookings",
    metadata,
    _key("bookings"),
    sa.Column("session_id", sa.Integer, nullable=False, index=True),
    sa.Column("visitor_id", sa.Integer, nullable=False, index=True),
    sa.Column("status", sa.String(12), nullable=False),
    # the words of whoever booked (often the visitor's own); staff notes go to staff_comment
    sa.Column("comment", sa.String(500)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # who made it: "visitor" (self), "volunteer" (volunteers.id) or "staff" (staff.id)
    sa.Column("created_by_kind", sa.String(10), nullable=False),
    sa.Column("created_by_id", sa.Integer),
    sa.Column("status_changed_at", sa.DateTime),
    sa.Column("status_changed_by", sa.String(40)),
    # the comment given with the last status change in Участники (migration 3)
    sa.Column("staff_comment", sa.String(500)),
    # a «Не пришел» whose place was given to somebody at the door (core.door): it holds no
    # place any more (core.joins.HOLDS_PLACE). Migration 11.
    sa.Column("released_at", sa.DateTime),
    _known_status(),
)

status_history = sa.Table(
    "status_history",
    metadata,
    _key("status_history"),
    sa.Column("booking_id", sa.Integer, nullable=False, index=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("comment", sa.String(500)),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("changed_by", sa.String(40), nullable=False),
    _known_status(),
)

# Counts of tries per rule and subject (core/throttle.py); the subject is a hash of what was
# tried and from where, never the typed text. Migration 7 (replaces login_attempts).
throttles = sa.Table(
    "throttles",
    metadata,
    sa.Column("rule", sa.String(30), primary_key=True),
    sa.Column("subject", sa.String(64), primary_key=True),
    sa.Column("window_start", sa.DateTime, nullable=False),
    sa.Column("hits", sa.Integer, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _key("audit_log"),
    sa.Column("happened_at", sa.DateTime, nullable=False),
    # "admin:admin", "volunteer:В-0007", "visitor:100001", "system"
    sa.Column("actor", sa.String(40), nullable=False),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("entity", sa.String(30), nullable=False),
    sa.Column("entity_id", sa.String(40)),
    # ids, counts and filter names only: never personal values
    sa.Column("detail", sa.String(1000)),
)

# One optional profile photo per visitor, re-encoded as a small JPEG (core/photos.py); never
# the uploaded bytes as they came. Migration 2.
visitor_photos = sa.Table(
    "visitor_photos",
    metadata,
    sa.Column("visitor_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("image", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# Sign-ins that outlive a page (core/sign_ins.py): hashes of the browser's token and of the
# one-time ticket that fetched it, never the secrets themselves. Migration 5.
sign_ins = sa.Table(
    "sign_ins",
    metadata,
    _key("sign_ins"),
    sa.Column("token_hash", sa.String(64), index=True),
    sa.Column("ticket_hash", sa.String(64), index=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),
)

# One number that every change of what the app instances keep in memory (events, places, the
# catalog) moves on; each instance compares it every few seconds (ui/db.py). Migration 6.
data_version = sa.Table(
    "data_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
)

# МКС, the charity's case-management system (core/mks.py). Migration 8.
# Catalog services that come from a МКС service type: the МКС id each sync matches them by.
mks_service_types = sa.Table(
    "mks_service_types",
    metadata,
    sa.Column("service_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("mks_type_id", sa.Integer, nullable=False, unique=True),
)

# A visitor linked to one МКС client, and a МКС client to one visitor; the birth date as МКС
# had it when linked tells namesakes apart at the desk (our visitors have none of their own).
mks_clients = sa.Table(
    "mks_clients",
    metadata,
    sa.Column("visitor_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("mks_client_id", sa.Integer, nullable=False, unique=True),
    sa.Column("birth_date", sa.Date),
    sa.Column("linked_at", sa.DateTime, nullable=False),
    sa.Column("linked_by", sa.String(40), nullable=False),
)

# Services received, on their way to МКС (core/mks_outbox.py): written in the transaction of
# the attendance mark, delivered in id order by a worker. What to write is fixed at the mark.
mks_outbox = sa.Table(
    "mks_outbox",
    metadata,
    _key("mks_outbox"),
    sa.Column("booking_id", sa.Integer, nullable=False, index=True),
    # "add" a service row, or "remove" the one added (the mark was taken back)
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("mks_client_id", sa.Integer, nullable=False),
    sa.Column("mks_type_id", sa.Integer, nullable=False),
    sa.Column("service_at", sa.DateTime, nullable=False),
    sa.Column("comment", sa.String(300), nullable=False),
    sa.Column("queued_at", sa.DateTime, nullable=False),
    # waiting -> sent | failed (МКС refused the row) | kept (not removed: МКС staff changed it)
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_try_at", sa.DateTime),
    # an error code of core.errors, never МКС's own text (it may quote a person's data)
    sa.Column("error", sa.String(40)),
    sa.Column("mks_service_id", sa.Integer),
    sa.Column("done_at", sa.DateTime),
)

# One row: how the last contacts with МКС went, for the status panel and the hourly sync.
mks_state = sa.Table(
    "mks_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("catalog_synced_at", sa.DateTime),
    sa.Column("last_ok_at", sa.DateTime),
    sa.Column("last_error", sa.String(40)),
    sa.Column("last_error_at", sa.DateTime),
)

# The waiting list of a full session (core.waitlist), in line order. Migration 10.
waitlist = sa.Table(
    "waitlist",
    metadata,
    _key("waitlist"),
    sa.Column("session_id", sa.Integer, nullable=False, index=True),
    sa.Column("visitor_id", sa.Integer, nullable=False, index=True),
    # the line's order: smaller first; admins move people by swapping it
    sa.Column("position", sa.Integer, nullable=False),
    # waiting -> booked (a place came to them) | left (they or staff took them off) | closed
    sa.Column("state", sa.String(10), nullable=False),
    # why a closed entry closed: the booking rule that refused it (core.errors code)
    sa.Column("reason", sa.String(40)),
    sa.Column("comment", sa.String(500)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by_kind", sa.String(10), nullable=False),
    sa.Column("created_by_id", sa.Integer),
    sa.Column("booking_id", sa.Integer),
    sa.Column("resolved_at", sa.DateTime),
)
