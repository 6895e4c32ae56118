"""Справочник услуг: unique names, retire and bring back, audit, who may change it, what retiring hides."""

import json
from datetime import time

import pytest
import sqlalchemy as sa

from core import catalog as catalog_module
from core import db
from core.catalog import (
    ServiceFields,
    add_service,
    list_catalog,
    offered,
    restore_service,
    retire_service,
    update_service,
)
from core.booking import book
from core.errors import BookingRefused, DomainError, NotAllowed, ValidationError
from core.events import load_events
from core.export import ExportFilter, iter_rows
from core.schema import audit_log, schema_version, services
from core.sessions import SessionFilter
from core.visits import offers, visits_of
from core.validation import FieldErrors
from tests.conftest import key_of


def fields(name="Стирка", description="Стиральные машины и сушка", capacity=6, window=7, duration=90) -> ServiceFields:
    return ServiceFields(name, description, capacity, window, duration)


def rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(services.c.name, services.c.name_key, services.c.retired_at).order_by(services.c.id)
            )
        ]


def audit_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(audit_log.c.action, audit_log.c.entity, audit_log.c.entity_id, audit_log.c.detail, audit_log.c.actor)
                .where(audit_log.c.entity == "service")
                .order_by(audit_log.c.id)
            )
        ]


def refusal_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- adding and unique names ------------------------------------------------------------


def test_an_admin_adds_a_service_that_is_in_force_with_its_five_fields(engine, admin, now):
    service_id = add_service(engine, fields(), admin, now)
    with engine.connect() as conn:
        [item] = list_catalog(conn)
    assert (item.id, item.name, item.description, item.default_capacity, item.default_window_days, item.default_duration_min) == (
        service_id, "Стирка", "Стиральные машины и сушка", 6, 7, 90,
    )
    assert item.active and item.retired_at is None


def test_the_name_is_stored_cleaned_of_extra_spaces_and_invisible_characters(engine, admin, now):
    add_service(engine, fields(name="  Сти\u200bрка\u00ad  для\u00a0 белья\ufeff "), admin, now)
    assert rows(engine) == [("Стирка для белья", "стирка для белья", None)]


@pytest.mark.parametrize(
    "same",
    [
        "Стирка",
        " стирка ",
        "СТИРКА",
        "Сти\u200bрка",
        "Сти\u200cрка",
        "Сти\u200dрка",
        "Сти\u2060рка",
        "\ufeffСтирка",
        "Сти\u00adрка",
        "Стирка\u200b",
        "\u00a0Стирка\t",
    ],
)
def test_a_name_the_catalog_has_ignoring_case_spaces_and_invisible_characters_is_refused(engine, admin, now, same):
    add_service(engine, fields(name="Стирка"), admin, now)
    refusal = refusal_of(lambda: add_service(engine, fields(name=same), admin, now))
    assert (refusal.code, refusal.field, refusal.message) == ("service_exists", "name", "Такая услуга уже есть в справочнике.")
    assert len(rows(engine)) == 1


def test_decomposed_letters_are_the_same_name_after_nfc(engine, admin, now):
    add_service(engine, fields(name="Парикмахер-стилист й"), admin, now)
    refusal = refusal_of(lambda: add_service(engine, fields(name="Парикмахер-стилист и\u0306"), admin, now))
    assert refusal.code == "service_exists"


def test_a_retired_service_still_holds_its_name(engine, admin, now):
    service_id = add_service(engine, fields(), admin, now)
    retire_service(engine, service_id, admin, now)
    assert refusal_of(lambda: add_service(engine, fields(name="стирка"), admin, now)).code == "service_exists"


def test_the_database_itself_refuses_a_second_row_with_the_same_key(engine, admin, now):
    add_service(engine, fields(), admin, now)
    with pytest.raises(sa.exc.DBAPIError) as caught:
        with engine.begin() as conn:
            conn.execute(services.insert().values(
                name="СТИРКА", description="x", default_capacity=1, default_window_days=1, default_duration_min=30,
            ))
    assert db.is_duplicate(caught.value)


def test_a_row_inserted_without_a_key_gets_it_from_its_name(engine):
    with engine.begin() as conn:
        conn.execute(services.insert().values(
            name="Душ\u200b", description="x", default_capacity=1, default_window_days=1, default_duration_min=30,
        ))
    assert rows(engine) == [("Душ\u200b", "душ", None)]


def test_an_admin_racing_another_with_the_same_name_gets_the_clear_refusal(engine, admin, now, monkeypatch):
    # the other admin's row is committed between this one's check and its insert: the unique key
    # refuses the insert, the transaction runs again, and the check now sees the row
    add_service(engine, fields(), admin, now)
    real = catalog_module._name_taken
    checks = []

    def first_check_misses(conn, key, except_id=None):
        checks.append(key)
        return False if len(checks) == 1 else real(conn, key, except_id)

    monkeypatch.setattr(catalog_module, "_name_taken", first_check_misses)
    refusal = refusal_of(lambda: add_service(engine, fields(name="стирка"), admin, now))
    assert (refusal.code, len(checks)) == ("service_exists", 2)
    assert len(rows(engine)) == 1


# --- bad input: every field at once, nothing written ------------------------------------


@pytest.mark.parametrize(
    "bad, field, message",
    [
        (dict(name=""), "name", "Заполните это поле."),
        (dict(name="\u200b \u00ad"), "name", "Заполните это поле."),
        (dict(name="С" * 81), "name", "Не больше 80 символов."),
        (dict(description="  "), "description", "Заполните это поле."),
        (dict(description="о" * 501), "description", "Не больше 500 символов."),
        (dict(capacity=0), "default_capacity", "Вместимость — от 1 до 1000."),
        (dict(capacity="много"), "default_capacity", "Введите целое число."),
        (dict(window=366), "default_window_days", "Окно записи — от 0 до 365 дней."),
        (dict(duration=4), "default_duration_min", "Длительность — от 5 до 720 минут."),
        (dict(duration=721), "default_duration_min", "Длительность — от 5 до 720 минут."),
    ],
)
def test_a_bad_field_is_refused_by_name_and_nothing_is_written(engine, admin, now, bad, field, message):
    refusal = refusal_of(lambda: add_service(engine, fields(**bad), admin, now))
    assert isinstance(refusal, ValidationError)
    assert (refusal.field, refusal.message) == (field, message)
    assert rows(engine) == [] and audit_rows(engine) == []


def test_every_bad_field_is_refused_at_once(engine, admin, now):
    refusal = refusal_of(lambda: add_service(engine, fields(name=" ", description="", capacity=0, window=-1, duration=0), admin, now))
    assert isinstance(refusal, FieldErrors)
    assert [e.field for e in refusal.errors] == [
        "name", "description", "default_capacity", "default_window_days", "default_duration_min",
    ]


# --- changing, retiring, bringing back --------------------------------------------------


def test_an_admin_renames_a_service_and_changes_its_defaults(engine, admin, now):
    service_id = add_service(engine, fields(), admin, now)
    update_service(engine, service_id, fields(name="Стирка белья", description="Две машины", capacity=4, window=3, duration=120), admin, now)
    with engine.connect() as conn:
        [item] = list_catalog(conn)
    assert (item.name, item.description, item.default_capacity, item.default_window_days, item.default_duration_min) == (
        "Стирка белья", "Две машины", 4, 3, 120,
    )
    assert rows(engine)[0][1] == "стирка белья"


def test_a_service_may_keep_its_own_name_in_another_case(engine, admin, now):
    service_id = add_service(engine, fields(), admin, now)
    update_service(engine, service_id, fields(name="СТИРКА"), admin, now)
    assert rows(engine)[0][:2] == ("СТИРКА", "стирка")


def test_renaming_to_another_services_name_is_refused_and_changes_nothing(engine, admin, now):
    add_service(engine, fields(name="Душ"), admin, now)
    washing = add_service(engine, fields(), admin, now)
    refusal = refusal_of(lambda: update_service(engine, washing, fields(name=" ду\u200bш "), admin, now))
    assert (refusal.code, refusal.field) == ("service_exists", "name")
    assert [r[0] for r in rows(engine)] == ["Душ", "Стирка"]


def test_retire_and_bring_back(engine, admin, now):
    service_id = add_service(engine, fields(), admin, now)
    retire_service(engine, service_id, admin, now)
    assert rows(engine) == [("Стирка", "стирка", now)]
    restore_service(engine, service_id, admin, now)
    assert rows(engine) == [("Стирка", "стирка", None)]


@pytest.mark.parametrize(
    "call, code",
    [
        (lambda e, a, n, i: retire_service(e, i, a, n) or retire_service(e, i, a, n), "service_already_retired"),
        (lambda e, a, n, i: restore_service(e, i, a, n), "service_not_retired"),
        (lambda e, a, n, i: retire_service(e, i + 99, a, n), "service_not_found"),
        (lambda e, a, n, i: update_service(e, i + 99, fields(name="Душ"), a, n), "service_not_found"),
    ],
)
def test_a_change_that_makes_no_sense_is_refused(engine, admin, now, call, code):
    service_id = add_service(engine, fields(), admin, now)
    assert refusal_of(lambda: call(engine, admin, now, service_id)).code == code


def test_every_change_writes_one_audit_row_with_ids_only(engine, admin, now):
    service_id = add_service(engine, fields(description="Текст, который в журнал не попадает"), admin, now)
    update_service(engine, service_id, fields(name="Стирка белья"), admin, now)
    retire_service(engine, service_id, admin, now)
    restore_service(engine, service_id, admin, now)
    assert audit_rows(engine) == [
        (action, "service", str(service_id), None, "staff:admin") for action in ("create", "update", "retire", "restore")
    ]


def test_a_refused_change_writes_no_audit_row(engine, admin, now):
    add_service(engine, fields(), admin, now)
    refusal_of(lambda: add_service(engine, fields(name="стирка"), admin, now))
    assert [r[0] for r in audit_rows(engine)] == ["create"]


# --- only admins ------------------------------------------------------------------------


@pytest.fixture(params=["coordinator", "volunteer", "visitor"])
def not_an_admin(request, coordinator, volunteer_actor, make_visitor, visitor_actor):
    return {"coordinator": lambda: coordinator, "volunteer": lambda: volunteer_actor,
            "visitor": lambda: visitor_actor(make_visitor())}[request.param]()


def test_nobody_but_an_admin_may_change_the_catalog(engine, admin, now, not_an_admin):
    service_id = add_service(engine, fields(), admin, now)
    for call in (
        lambda: add_service(engine, fields(name="Душ"), not_an_admin, now),
        lambda: update_service(engine, service_id, fields(name="Душ"), not_an_admin, now),
        lambda: retire_service(engine, service_id, not_an_admin, now),
        lambda: restore_service(engine, service_id, not_an_admin, now),
    ):
        assert isinstance(refusal_of(call), NotAllowed)
    assert rows(engine) == [("Стирка", "стирка", None)]
    assert [r[0] for r in audit_rows(engine)] == ["create"]


def test_a_non_admin_is_refused_before_the_fields_are_looked_at(engine, coordinator, now):
    assert isinstance(refusal_of(lambda: add_service(engine, fields(name=""), coordinator, now)), NotAllowed)


# --- what retiring hides and what it keeps ----------------------------------------------


@pytest.fixture
def washing_and_shower(engine, admin, now, make_event):
    """Tomorrow's event with Стирка 10:00 and Душ 12:00, both from the catalog."""
    washing = add_service(engine, fields(), admin, now)
    shower = add_service(engine, fields(name="Душ", description="Горячий душ"), admin, now)
    event = make_event(services=[{"service_id": washing, "start": time(10)}, {"service_id": shower, "start": time(12)}])
    return washing, shower, event


def offered_names(engine, person, now) -> set[str]:
    with engine.connect() as conn:
        return {o.session.service_name for o in offers(conn, load_events(conn), person, SessionFilter(), now)}


def test_a_retired_service_is_not_offered_for_booking_and_comes_back_when_restored(engine, admin, now, washing_and_shower, make_visitor):
    washing, _, _ = washing_and_shower
    person = make_visitor()
    assert offered_names(engine, person, now) == {"Стирка", "Душ"}
    retire_service(engine, washing, admin, now)
    assert offered_names(engine, person, now) == {"Душ"}
    restore_service(engine, washing, admin, now)
    assert offered_names(engine, person, now) == {"Стирка", "Душ"}


def test_a_retired_service_leaves_the_event_forms_choices_but_not_the_catalog(engine, admin, now, washing_and_shower):
    washing, shower, _ = washing_and_shower
    retire_service(engine, washing, admin, now)
    with engine.connect() as conn:
        everything = list_catalog(conn)
    assert [(c.name, c.active) for c in everything] == [("Душ", True), ("Стирка", False)]
    assert [c.id for c in offered(everything)] == [shower]


def test_retiring_keeps_events_bookings_history_and_exports_by_name(engine, admin, now, washing_and_shower, make_visitor, add_booking):
    washing, _, event = washing_and_shower
    person = make_visitor()
    add_booking(key_of(event, service=0), person)
    retire_service(engine, washing, admin, now)
    with engine.connect() as conn:
        [kept] = load_events(conn, [event.id])
        history = visits_of(conn, person)
        exported = list(iter_rows(conn, ExportFilter(service_ids=(washing,)), ["service", "status"]))
    assert [es.service_name for es in kept.services] == ["Стирка", "Душ"]
    assert [(v.service_name, v.status) for v in history] == [("Стирка", "expected")]
    assert exported == [("Стирка", "Ожидается")]


# --- migration 4 on a database made before it --------------------------------------------

OLD_SERVICES = """
CREATE TABLE services (
    id INTEGER DEFAULT nextval('services_id_seq') PRIMARY KEY,
    name VARCHAR(80) NOT NULL UNIQUE,
    description VARCHAR(500) NOT NULL,
    default_capacity INTEGER NOT NULL,
    default_window_days INTEGER NOT NULL,
    default_duration_min INTEGER NOT NULL
)
"""


def test_migration_4_keys_an_older_catalog_and_keeps_every_row(engine, admin, now):
    # the services table as migration 3 left it, with two names that now count as one
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE services"))
        conn.execute(sa.text(OLD_SERVICES))
        for name in ("Стирка", "Душ", "стирка"):
            conn.execute(
                sa.text("INSERT INTO services (name, description, default_capacity, default_window_days, default_duration_min) "
                        "VALUES (:name, 'x', 5, 7, 60)"),
                {"name": name},
            )
        conn.execute(schema_version.delete())
        conn.execute(schema_version.insert().values(version=3))
        ids = conn.execute(sa.text("SELECT id FROM services ORDER BY id")).scalars().all()

    assert db.migrate(engine) == len(db.MIGRATIONS)

    assert rows(engine) == [("Стирка", "стирка", None), ("Душ", "душ", None), ("стирка", f"стирка#{ids[2]}", None)]
    # the key is the database's own now, and the catalog works on the migrated table
    assert refusal_of(lambda: add_service(engine, fields(name="ДУШ"), admin, now)).code == "service_exists"
    new_id = add_service(engine, fields(name="Психолог"), admin, now)
    assert new_id > ids[2]
    retire_service(engine, ids[0], admin, now)
    with pytest.raises(sa.exc.DBAPIError) as caught:
        with engine.begin() as conn:
            conn.execute(services.insert().values(
                name="Душ ", name_key="душ", description="x", default_capacity=1, default_window_days=1, default_duration_min=30,
            ))
    assert db.is_duplicate(caught.value)


def test_migration_4_leaves_a_new_database_as_migration_1_made_it(engine, admin, now):
    add_service(engine, fields(), admin, now)
    with engine.begin() as conn:
        conn.execute(schema_version.delete())
        conn.execute(schema_version.insert().values(version=3))
    assert db.migrate(engine) == len(db.MIGRATIONS)
    assert rows(engine) == [("Стирка", "стирка", None)]


def test_the_audit_detail_of_a_catalog_change_holds_no_text(engine, admin, now):
    service_id = add_service(engine, fields(name="Юрист", description="Консультация юриста"), admin, now)
    update_service(engine, service_id, fields(name="Юридическая помощь", description="Другое описание"), admin, now)
    with engine.connect() as conn:
        stored = " ".join(json.dumps(tuple(r)[1:], default=str, ensure_ascii=False) for r in conn.execute(sa.select(audit_log)))
    assert "Юрист" not in stored and "Юридическая" not in stored and "описание" not in stored


def test_a_retired_service_is_refused_by_booking_itself_and_bookable_again_when_restored(engine, admin, now, washing_and_shower, make_visitor):
    washing, _, event = washing_and_shower
    person = make_visitor()
    retire_service(engine, washing, admin, now)

    with pytest.raises(BookingRefused) as refused:
        book(engine, person, [key_of(event, service=0)], admin, now)

    assert refused.value.code == "service_retired"
    assert book(engine, person, [key_of(event, service=1)], admin, now)
    restore_service(engine, washing, admin, now)
    assert book(engine, person, [key_of(event, service=0)], admin, now)
