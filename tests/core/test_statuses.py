"""One vocabulary of booking statuses (core.statuses): attendance cannot be lost or faked.

A marked booking is history: nobody cancels it until an admin sets it back to «Ожидается»; a
mark that says what happened is refused before the session's day; the database refuses a
status the code does not know; the audit screen has a word for every action the code writes.
"""

import ast
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import audit, db, statuses
from core.booking_changes import cancel
from core.marks import set_status
from core.errors import DomainError, ValidationError
from core.schema import bookings, status_history
from tests.conftest import key_of

ROOT = Path(__file__).resolve().parents[2]


def status_of(engine, booking_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.select(bookings.c.status).where(bookings.c.id == booking_id)).scalar_one()


@pytest.mark.parametrize(
    ("role", "status", "allowed"),
    [
        (role, status, status == statuses.EXPECTED and role != "coordinator")
        for role in ("admin", "volunteer", "visitor", "coordinator")
        for status in statuses.ALL
    ],
)
def test_only_a_booking_still_expected_can_be_cancelled_by_anyone(role, status, allowed):
    assert statuses.can_cancel(role, status) is allowed


@pytest.mark.parametrize("mark", statuses.OUTCOMES)
@pytest.mark.parametrize(("days_ahead", "allowed"), [(-3, True), (0, True), (1, False), (3, False)])
def test_a_mark_of_what_happened_opens_on_the_sessions_day(mark, days_ahead, allowed, today):
    assert statuses.can_mark("admin", statuses.EXPECTED, mark, today + timedelta(days=days_ahead), today) is allowed
    assert statuses.can_mark("admin", mark, statuses.EXPECTED, today + timedelta(days=days_ahead), today)


@pytest.mark.parametrize("mark", statuses.OUTCOMES)
def test_a_volunteer_or_visitor_cannot_cancel_a_marked_booking(engine, now, make_event, make_visitor, visitor_actor, volunteer_actor, mark):
    event = make_event(first_date=now.date())
    person = make_visitor()
    booking_id = _add(engine, now, key_of(event), person, mark, "visitor", person)
    volunteer_booking = _add(engine, now, key_of(event, service=0), make_visitor("Борис"), mark, "volunteer", volunteer_actor.id)

    for actor, target in ((visitor_actor(person), booking_id), (volunteer_actor, volunteer_booking)):
        with pytest.raises(DomainError) as refused:
            cancel(engine, target, actor, now)
        assert refused.value.code == "booking_marked"
        assert "Администратор может вернуть статус" in refused.value.message
        assert status_of(engine, target) == mark


def _add(engine, now, key, visitor_id, status, kind, maker) -> int:
    """A booking in `status` made by a visitor or a volunteer (the add_booking fixture makes
    staff bookings only), straight into the tables."""
    with engine.begin() as conn:
        event_id = conn.execute(sa.text("SELECT event_id FROM event_services WHERE id = :id"), {"id": key.event_service_id}).scalar_one()
        session_id = conn.execute(
            sa.text("SELECT id FROM sessions WHERE event_service_id = :es AND date = :d"), {"es": key.event_service_id, "d": key.date}
        ).scalar()
        if session_id is None:
            session_id = conn.execute(
                sa.text("INSERT INTO sessions (event_service_id, event_id, date) VALUES (:es, :e, :d) RETURNING id"),
                {"es": key.event_service_id, "e": event_id, "d": key.date},
            ).scalar_one()
        return conn.execute(
            bookings.insert()
            .values(session_id=session_id, visitor_id=visitor_id, status=status, created_at=now, created_by_kind=kind, created_by_id=maker)
            .returning(bookings.c.id)
        ).scalar_one()


def test_an_admin_corrects_a_mark_back_to_expected_and_only_then_cancels(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event(first_date=now.date())
    booking_id = add_booking(key_of(event), make_visitor(), "attended")

    with pytest.raises(DomainError) as refused:
        cancel(engine, booking_id, admin, now)
    assert refused.value.code == "booking_marked"
    assert status_of(engine, booking_id) == "attended"

    assert set_status(engine, [booking_id], statuses.EXPECTED, admin, now, comment="ошибочная отметка") == 1
    cancel(engine, booking_id, admin, now)

    assert status_of(engine, booking_id) == "cancelled"
    with engine.connect() as conn:
        history = [tuple(r) for r in conn.execute(
            sa.select(status_history.c.status, status_history.c.comment).where(status_history.c.booking_id == booking_id).order_by(status_history.c.id)
        )]
        actions = [r.action for r in audit.search(conn)][::-1]
    assert history[-2:] == [("expected", "ошибочная отметка"), ("cancelled", None)]
    assert actions[-2:] == ["set_status", "cancel"]


@pytest.mark.parametrize("mark", statuses.OUTCOMES)
def test_a_mark_of_what_happened_is_refused_before_the_sessions_day_and_changes_nothing(engine, now, make_event, make_visitor, admin, add_booking, mark):
    event = make_event(first_date=now.date() + timedelta(days=3))
    booking_id = add_booking(key_of(event), make_visitor())

    with pytest.raises(ValidationError) as refused:
        set_status(engine, [booking_id], mark, admin, now)

    assert refused.value.code == "mark_before_session_day"
    assert statuses.ADMIN_LABEL[mark] in refused.value.message
    assert status_of(engine, booking_id) == "expected"
    on_the_day = datetime.combine(event.first_date, time(8))
    assert set_status(engine, [booking_id], mark, admin, on_the_day) == 1
    assert set_status(engine, [booking_id], statuses.EXPECTED, admin, now) == 1


def test_a_visitors_own_comment_survives_a_status_comment(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event(first_date=now.date())
    booking_id = add_booking(key_of(event), make_visitor())
    with engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(comment="Опоздаю на 10 минут"))

    set_status(engine, [booking_id], "no_show", admin, now, comment="Не дозвонились")

    with engine.connect() as conn:
        row = conn.execute(sa.select(bookings.c.comment, bookings.c.staff_comment).where(bookings.c.id == booking_id)).one()
    assert tuple(row) == ("Опоздаю на 10 минут", "Не дозвонились")


@pytest.mark.parametrize("table", ["bookings", "status_history"])
def test_the_database_refuses_an_unknown_status(engine, now, make_event, make_visitor, add_booking, table):
    booking_id = add_booking(key_of(make_event()), make_visitor())
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        if table == "bookings":
            conn.execute(bookings.update().where(bookings.c.id == booking_id).values(status="photo_set"))
        else:
            conn.execute(status_history.insert().values(booking_id=booking_id, status="done", changed_at=now, changed_by="x"))
    assert status_of(engine, booking_id) == "expected"


def test_a_database_of_migration_2_gets_the_status_check_and_keeps_its_bookings(engine, now, make_event, make_visitor, add_booking, monkeypatch):
    """Made as the code before migration 3 made it: no staff_comment, no CHECK."""
    booking_id = add_booking(key_of(make_event()), make_visitor())
    with engine.begin() as conn:
        for table in (bookings, status_history):
            old = sa.MetaData()
            kept = [c._copy() for c in table.columns if c.name != "staff_comment"]
            rows = conn.execute(sa.select(*[table.c[c.name] for c in kept])).mappings().all()
            conn.execute(sa.text(f"DROP TABLE {table.name}"))
            columns = [
                sa.Column("id", sa.Integer, server_default=sa.text(f"nextval('{table.name}_id_seq')"), primary_key=True, autoincrement=False)
                if c.name == "id" else sa.Column(c.name, c.type, nullable=c.nullable)
                for c in kept
            ]
            older = sa.Table(table.name, old, *columns)
            older.create(conn)
            conn.execute(older.insert(), [dict(r) for r in rows])
        conn.execute(sa.text("UPDATE schema_version SET version = 2"))
        conn.execute(sa.text("UPDATE bookings SET status = 'unknown' WHERE id = :id"), {"id": booking_id})
        conn.execute(sa.text("UPDATE bookings SET status = 'expected' WHERE id = :id"), {"id": booking_id})

    assert db.migrate(engine) == len(db.MIGRATIONS)

    assert status_of(engine, booking_id) == "expected"
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(status="unknown"))
    with engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(staff_comment="проверка"))
        new_id = conn.execute(
            bookings.insert()
            .values(session_id=1, visitor_id=1, status="expected", created_at=now, created_by_kind="staff", created_by_id=1)
            .returning(bookings.c.id)
        ).scalar_one()
    assert new_id > booking_id


# --- the audit screen's words ------------------------------------------------------------


def written(expr: ast.expr) -> set[str]:
    """The strings an expression can give: a literal, or either side of `a if … else b`."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return written(expr.body) | written(expr.orelse)
    return set()


def audit_calls() -> list[tuple[str, set[str], set[str], set[str]]]:
    """(file, actions, entities, detail keys) of every audit.record / audit.entry call in core."""
    found = []
    for path in sorted((ROOT / "core").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        choices = {
            node.targets[0].id: written(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)):
                continue
            if node.func.value.id != "audit" or node.func.attr not in ("record", "entry"):
                continue
            first = 3 if node.func.attr == "record" else 2
            words = [choices[arg.id] if isinstance(arg, ast.Name) else written(arg) for arg in node.args[first:first + 2]]
            assert all(words), f"{path.name}:{node.lineno}: an audit action or entity the test cannot read"
            keys = {k.arg for k in node.keywords if k.arg}
            found.append((path.name, words[0], words[1], keys))
    return found


def test_the_audit_screen_has_a_russian_word_for_every_action_entity_and_detail_the_code_writes():
    calls = audit_calls()
    assert len(calls) >= 25
    missing = [
        (name, word)
        for name, actions, entities, keys in calls
        for word in (actions - audit.ACTION_LABELS.keys()) | (entities - audit.ENTITY_LABELS.keys()) | (keys - audit.DETAIL_LABELS.keys())
    ]
    assert missing == []
    assert {"photo_set", "photo_delete", "approve", "deactivate"} <= set().union(*(a for _, a, _, _ in calls))
