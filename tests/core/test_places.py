"""Places: how a visitor finds one (address, metro, «как пройти»), described by admins; migration 9."""

import pytest
import sqlalchemy as sa

from core import db
from core.errors import DomainError, NotAllowed
from core.places import Place, list_places, update_place
from core.schema import audit_log, places, schema_version
from core.validation import FieldErrors


def test_an_admin_describes_how_to_get_to_a_place(engine, now, admin, make_place):
    place_id = make_place("Цветной")

    updated = update_place(
        engine, place_id, "  Цветной бульвар,\u200b 11 ", "Цветной бульвар", "Выход к цирку.\nВход со двора.", admin, now
    )

    assert updated == Place(place_id, "Цветной", "Цветной бульвар, 11", "Цветной бульвар", "Выход к цирку.\nВход со двора.")
    with engine.connect() as conn:
        assert list_places(conn) == [updated]
        logged = conn.execute(sa.select(audit_log.c.action, audit_log.c.entity, audit_log.c.entity_id, audit_log.c.detail)).all()
    assert [tuple(r) for r in logged] == [("update", "place", str(place_id), None)]  # no text in the audit


def test_blank_fields_clear_the_description(engine, now, admin, make_place):
    place_id = make_place("Ясная")
    update_place(engine, place_id, "Ясный проезд, 19", "Бабушкинская", "Налево", admin, now)
    assert update_place(engine, place_id, " ", "", None, admin, now) == Place(place_id, "Ясная")


def test_every_too_long_field_is_refused_at_once_and_nothing_changes(engine, now, admin, make_place):
    place_id = make_place("Ясная")
    with pytest.raises(FieldErrors) as refused:
        update_place(engine, place_id, "д" * 201, "м" * 81, "к" * 501, admin, now)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("address", "Не больше 200 символов."),
        ("metro", "Не больше 80 символов."),
        ("directions", "Не больше 500 символов."),
    ]
    with engine.connect() as conn:
        assert list_places(conn) == [Place(place_id, "Ясная")]


@pytest.mark.parametrize("who", ["coordinator", "volunteer_actor"])
def test_only_an_admin_describes_a_place(request, engine, now, make_place, who):
    place_id = make_place("Ясная")
    with pytest.raises(NotAllowed):
        update_place(engine, place_id, "Ясный проезд, 19", None, None, request.getfixturevalue(who), now)


def test_an_unknown_place_is_refused(engine, now, admin):
    with pytest.raises(DomainError) as refused:
        update_place(engine, 999, "Где-то", None, None, admin, now)
    assert refused.value.code == "place_not_found"


@pytest.mark.parametrize(
    "metro, where",
    [
        ("Цветной бульвар", "Цветной бульвар, 11 · м. Цветной бульвар"),
        ("м. Цветной бульвар", "Цветной бульвар, 11 · м. Цветной бульвар"),
        ("Метро Цветной бульвар", "Цветной бульвар, 11 · Метро Цветной бульвар"),
        (None, "Цветной бульвар, 11"),
    ],
)
def test_where_puts_address_and_metro_on_one_line(metro, where):
    assert Place(1, "Цветной", "Цветной бульвар, 11", metro).where == where


def test_an_undescribed_place_says_nothing_about_where():
    assert Place(1, "Цветной").where == ""


def test_migration_9_adds_the_description_to_a_version_8_database_and_keeps_its_places(engine, now, admin):
    # the places table as migration 8 left it
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE places"))
        conn.execute(sa.text(
            "CREATE TABLE places (id INTEGER PRIMARY KEY, name VARCHAR(60) NOT NULL, "
            "name_key VARCHAR(60) NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL)"
        ))
        conn.execute(places.insert().values(id=1, name="Цветной", name_key="цветной", created_at=now))
        conn.execute(schema_version.delete())
        conn.execute(schema_version.insert().values(version=8))

    assert db.MIGRATIONS.index(db._place_address_metro_directions) + 1 == 9
    assert db.migrate(engine) == len(db.MIGRATIONS)

    update_place(engine, 1, "Цветной бульвар, 11", "Цветной бульвар", None, admin, now)
    with engine.connect() as conn:
        assert list_places(conn) == [Place(1, "Цветной", "Цветной бульвар, 11", "Цветной бульвар")]
