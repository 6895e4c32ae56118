"""People from МКС: found by МКС number or by surname and name (namesakes by birth date), linked
to one visitor each, taken over as new visitors; an erasure takes the link away."""

import logging
from datetime import date

import pytest
import sqlalchemy as sa

from core import mks, statuses
from core.marks import set_status
from core.errors import DomainError
from core.mks_people import links_of, link_visitor, take_over, unlink_visitor, visitors_of_clients
from core.visitors import erase_visitor, find_visitors, get_visitor
from core.schema import mks_clients, mks_outbox
from tests.conftest import key_of


def refusal(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def found(mks_db, query: str) -> list[tuple]:
    with mks.reading(mks_db.engine) as conn:
        return [(c.id, c.full_name, c.birth_date) for c in mks.find_clients(conn, query)]


def test_clients_are_found_by_number_or_surname_and_name_and_namesakes_by_birth_date(mks_db):
    later = mks_db.add_client("Ёлкин", "Пётр", date(1980, 5, 1), "Иванович")
    earlier = mks_db.add_client("Елкин", "Петр", date(1961, 2, 3))
    other = mks_db.add_client("Елкина", "Анна", date(1990, 1, 1))
    assert found(mks_db, "елкин петр") == [(earlier, "Елкин Петр", date(1961, 2, 3)), (later, "Ёлкин Пётр Иванович", date(1980, 5, 1))]
    assert [c[0] for c in found(mks_db, "Ёлкина")] == [other]
    assert found(mks_db, str(later)) == [(later, "Ёлкин Пётр Иванович", date(1980, 5, 1))]
    assert found(mks_db, "999999") == [] and found(mks_db, "  ") == []
    assert found(mks_db, "Ел%") == []  # the words are words, not patterns


def test_a_visitor_is_linked_to_one_client_and_a_client_to_one_visitor(engine, mks_db, make_visitor, volunteer_actor, now):
    anna, boris = make_visitor(), make_visitor(first_name="Борис", last_name="Орлов")
    first, second = mks_db.add_client("Петрова", "Анна", date(1970, 1, 2)), mks_db.add_client("Петрова", "Анна", date(1985, 3, 4))
    link_visitor(engine, mks_db.engine, anna, first, volunteer_actor, now)
    with engine.connect() as conn:
        card = get_visitor(conn, anna).card_number
    assert refusal(lambda: link_visitor(engine, mks_db.engine, boris, first, volunteer_actor, now)) == "mks_client_taken"
    assert refusal(lambda: link_visitor(engine, mks_db.engine, boris, 424242, volunteer_actor, now)) == "mks_client_not_found"
    link_visitor(engine, mks_db.engine, anna, second, volunteer_actor, now)  # a wrong link is corrected
    with engine.connect() as conn:
        (link,) = links_of(conn, [anna, boris]).values()
        assert (link.visitor_id, link.mks_client_id, link.birth_date, link.label) == (anna, second, date(1985, 3, 4), f"МКС №{second}")
        assert visitors_of_clients(conn, [first, second]) == {second: card}
        assert [v.id for v in find_visitors(conn, f"МКС {second}")] == [anna]
        assert [v.id for v in find_visitors(conn, f"мкс №{second}")] == [anna]
    unlink_visitor(engine, anna, volunteer_actor, now)
    with engine.connect() as conn:
        assert links_of(conn, [anna]) == {}


def test_a_client_taken_over_becomes_a_linked_visitor_with_a_card_and_pin(engine, mks_db, volunteer_actor, now):
    client = mks_db.add_client("Сидоров", "Олег", date(1975, 6, 7))
    registration = take_over(engine, mks_db.engine, client, "+7 916 555-00-11", True, volunteer_actor, now)
    with engine.connect() as conn:
        person = get_visitor(conn, registration.visitor_id)
        assert (person.full_name, person.phone) == ("Сидоров Олег", "+79165550011")
        assert links_of(conn, [person.id])[person.id].birth_date == date(1975, 6, 7)
    assert len(registration.pin) == 4
    assert refusal(lambda: take_over(engine, mks_db.engine, client, None, True, volunteer_actor, now)) == "mks_client_taken"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM visitors")).scalar() == 1  # the refused one left nothing


def test_a_coordinator_links_nobody(engine, mks_db, make_visitor, coordinator, now):
    client = mks_db.add_client("Петрова", "Анна")
    assert refusal(lambda: link_visitor(engine, mks_db.engine, make_visitor(), client, coordinator, now)) == "not_allowed"


def test_an_erasure_takes_the_link_and_the_outbox_rows_away_and_no_log_holds_mks_data(
    engine, mks_db, make_visitor, make_event, add_booking, admin, now, caplog
):
    caplog.set_level(logging.DEBUG)
    from core.mks_catalog import sync_catalog

    mks_db.add_type("Стирка")
    sync_catalog(engine, mks_db.engine, admin, now)
    with engine.connect() as conn:
        service_id = conn.execute(sa.text("SELECT service_id FROM mks_service_types")).scalar_one()
    event = make_event(first_date=now.date(), services=[dict(service_id=service_id)])
    person = make_visitor()
    link_visitor(engine, mks_db.engine, person, mks_db.add_client("Канарейкина", "Зоя", date(1966, 6, 6)), admin, now)
    set_status(engine, [add_booking(key_of(event), person)], statuses.ATTENDED, admin, now)

    erase_visitor(engine, person, admin, now)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(mks_clients)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(mks_outbox)).scalar() == 0
    assert "Канарейкина" not in caplog.text and "1966" not in caplog.text
