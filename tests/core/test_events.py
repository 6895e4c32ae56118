"""Events (SPEC §3.1, §3.6): create, validate, edit, archive, activate, delete; places."""

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from core.errors import DomainError, ValidationError
from core.event_changes import EventSpec, ServiceSpec, activate_event, archive_event, create_event, delete_event, update_event
from core.events import get_event, load_events
from core.places import add_place
from core.recurrence import Recurrence
from tests.conftest import key_of


def spec_of(event, **changes) -> EventSpec:
    """The form an admin sees when editing `event`, with `changes` typed in."""
    rule = event.rule
    values = dict(
        title=event.title,
        first_date=event.first_date,
        capacity=event.capacity,
        place_id=event.place_id,
        freq=rule.freq if rule else None,
        interval=rule.interval if rule else 1,
        weekdays=rule.weekdays if rule else (),
        end_kind="count" if rule and rule.count else "until" if rule and rule.until else "never",
        count=rule.count if rule else None,
        until=rule.until if rule else None,
        services=[ServiceSpec(es.service_id, es.start_time, es.end_time, es.capacity, es.window_days) for es in event.services],
    )
    values.update(changes)
    return EventSpec(**values)


def kept(event) -> dict[int, int]:
    """Every current service of `event` kept, in its form row."""
    return {es.id: index for index, es in enumerate(event.services)}


def statuses(engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT id, status FROM bookings")).all())


def reload(engine, event_id):
    with engine.connect() as conn:
        return get_event(conn, event_id)


# --- creating ---------------------------------------------------------------------------


def test_one_off_event_is_created_with_its_services(engine, now, today, admin, make_place, make_service):
    place = make_place("Цветной")
    laundry, shower = make_service("Стирка"), make_service("Душ")
    spec = EventSpec(
        title="  Большой день помощи ",
        first_date=today + timedelta(days=5),
        capacity="40",
        place_id=place,
        services=[
            ServiceSpec(laundry, time(10), time(12), "8", "7"),
            ServiceSpec(shower, time(9), time(11), 10, 0),
        ],
    )

    event = reload(engine, create_event(engine, spec, admin, now))

    assert (event.title, event.first_date, event.capacity, event.place_name, event.rule) == (
        "Большой день помощи",
        today + timedelta(days=5),
        40,
        "Цветной",
        None,
    )
    assert [(s.service_name, s.start_time, s.end_time, s.capacity, s.window_days) for s in event.services] == [
        ("Душ", time(9), time(11), 10, 0),
        ("Стирка", time(10), time(12), 8, 7),
    ]
    assert not event.is_recurring
    assert event.schedule_text() == f"{today + timedelta(days=5):%d.%m.%Y}"


def test_recurring_event_keeps_its_rule(engine, now, today, make_event):
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7)
    until = tuesday + timedelta(days=300)
    event = make_event(freq="weekly", weekdays=(1, 3), first_date=tuesday, end_kind="until", until=until)

    assert event.rule == Recurrence("weekly", weekdays=(1, 3), until=until)
    assert event.is_recurring
    assert event.occurs_on(tuesday + timedelta(days=2)) and not event.occurs_on(tuesday + timedelta(days=1))
    assert event.schedule_text() == f"каждую неделю по вт и чт до {until:%d.%m.%Y}"


def test_creating_an_event_is_audited(engine, make_event):
    event = make_event()

    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT actor, action, entity, entity_id FROM audit_log WHERE action = 'create'")).one()
    assert tuple(row) == ("staff:admin", "create", "event", str(event.id))


def _valid_spec(today, place_id, service_id) -> EventSpec:
    return EventSpec(
        title="Стирка",
        first_date=today,
        capacity=5,
        place_id=place_id,
        services=[ServiceSpec(service_id, time(10), time(11), 5, 7)],
    )


REFUSALS = {
    "a service cannot hold more than the event": (
        lambda s: replace(s, services=[replace(s.services[0], capacity=6)]),
        "service_capacity_above_event",
        "services.0.capacity",
    ),
    "an event needs a service": (lambda s: replace(s, services=[]), "services_required", "services"),
    "a weekly event needs a weekday": (lambda s: replace(s, freq="weekly", weekdays=()), "weekdays_required", "weekdays"),
    "the first date cannot be in the past": (
        lambda s: replace(s, first_date=s.first_date - timedelta(days=1)),
        "date_in_past",
        "first_date",
    ),
    "an event needs a place": (lambda s: replace(s, place_id=None, new_place_name="  "), "required", "place"),
    "an event needs a title": (lambda s: replace(s, title=" "), "required", "title"),
    "capacity must be a number": (lambda s: replace(s, capacity="много"), "not_a_number", "capacity"),
    "capacity must be at least one": (lambda s: replace(s, capacity=0), "capacity_range", "capacity"),
    "a series cannot end before it starts": (
        lambda s: replace(s, freq="daily", end_kind="until", until=s.first_date - timedelta(days=1)),
        "until_before_first",
        "until",
    ),
    "a service ends after it starts": (
        lambda s: replace(s, services=[replace(s.services[0], end_time=time(9))]),
        "time_order",
        "services.0.end_time",
    ),
    "the same service twice at one time": (
        lambda s: replace(s, services=[s.services[0], s.services[0]]),
        "service_repeated",
        "services.1.service_id",
    ),
}


@pytest.mark.parametrize("change, code, field", REFUSALS.values(), ids=REFUSALS.keys())
def test_event_form_refusal(change, code, field, engine, now, today, admin, make_place, make_service, table_count):
    spec = change(_valid_spec(today, make_place(), make_service()))

    with pytest.raises(ValidationError) as caught:
        create_event(engine, spec, admin, now)

    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.message  # a Russian sentence, never a KeyError on a missing parameter
    assert table_count("events") == 0 and table_count("event_services") == 0


def test_a_new_place_is_created_with_the_event(engine, now, today, admin, make_service, table_count):
    spec = replace(_valid_spec(today, None, make_service()), new_place_name="  Новая площадка ")

    event = reload(engine, create_event(engine, spec, admin, now))

    assert event.place_name == "Новая площадка"
    assert table_count("places") == 1


@pytest.mark.parametrize("typed", ["Цветной", "цветной", "  ЦВЕТНОЙ  "])
def test_a_new_place_must_differ_from_existing_ones_regardless_of_case(typed, engine, now, today, admin, make_place, make_service, table_count):
    make_place("Цветной")
    spec = replace(_valid_spec(today, None, make_service()), new_place_name=typed)

    with pytest.raises(ValidationError) as caught:
        create_event(engine, spec, admin, now)

    assert (caught.value.code, caught.value.params) == ("place_exists", {"place": "Цветной"})
    assert table_count("events") == 0 and table_count("places") == 1


def test_add_place_refuses_a_name_that_differs_only_in_case(engine, now, make_place):
    make_place("Ясная")

    with pytest.raises(ValidationError) as caught, engine.begin() as conn:
        add_place(conn, "ясная", now)
    assert caught.value.code == "place_exists"


# --- archiving and activating -----------------------------------------------------------


def test_archive_cancels_future_bookings_and_counts_the_people(engine, now, today, make_event, make_visitor, admin, add_booking):
    event = make_event(freq="daily", first_date=today - timedelta(days=3), services=[dict(), dict(start=time(12))])
    anna, boris, vera = make_visitor(), make_visitor(first_name="Борис"), make_visitor(first_name="Вера")
    tomorrow, later, yesterday = (today + timedelta(days=n) for n in (1, 4, -1))
    future = [
        add_booking(key_of(event, tomorrow, 0), anna),
        add_booking(key_of(event, tomorrow, 1), anna),
        add_booking(key_of(event, later, 0), boris),
    ]
    past = add_booking(key_of(event, yesterday, 0), vera, "attended")

    assert archive_event(engine, event.id, admin, now) == 2

    assert statuses(engine) == {**{b: "cancelled" for b in future}, past: "attended"}
    assert reload(engine, event.id).is_archived(today)


def test_archive_keeps_attendance_already_marked_today(engine, now, today, make_event, make_visitor, admin, add_booking):
    # an early service today has happened and been marked; archiving must not rewrite it
    event = make_event(freq="daily", first_date=today - timedelta(days=3), services=[dict(start=time(8))])
    attended = add_booking(key_of(event, today), make_visitor(), "attended")

    archive_event(engine, event.id, admin, now)

    assert statuses(engine) == {attended: "attended"}


def test_archive_refuses_an_archived_event(engine, now, make_event, admin):
    event = make_event(freq="daily")
    archive_event(engine, event.id, admin, now)

    with pytest.raises(DomainError) as caught:
        archive_event(engine, event.id, admin, now)
    assert caught.value.code == "event_already_archived"


def test_activating_an_archived_series_returns_it_to_active(engine, now, today, make_event, admin):
    event = make_event(freq="weekly", weekdays=(2,))
    archive_event(engine, event.id, admin, now)

    activate_event(engine, event.id, admin, now)

    event = reload(engine, event.id)
    assert event.archived_at is None and not event.is_archived(today)


def test_activating_a_finished_series_lets_it_run_again(engine, now, today, make_event, admin):
    event = make_event(freq="daily", first_date=today - timedelta(days=10), end_kind="count", count=3)
    assert event.is_archived(today)

    activate_event(engine, event.id, admin, now)

    assert not reload(engine, event.id).is_archived(today)


def test_activating_a_past_one_off_event_needs_a_date(engine, now, today, make_event, admin):
    event = make_event(first_date=today - timedelta(days=3))

    with pytest.raises(ValidationError) as caught:
        activate_event(engine, event.id, admin, now)
    assert (caught.value.code, caught.value.field) == ("required", "new_date")


def test_activating_a_one_off_event_refuses_a_past_date(engine, now, today, make_event, admin):
    event = make_event(first_date=today - timedelta(days=3))

    with pytest.raises(ValidationError) as caught:
        activate_event(engine, event.id, admin, now, new_date=today - timedelta(days=1))
    assert caught.value.code == "date_in_past"
    assert reload(engine, event.id).first_date == today - timedelta(days=3)


@pytest.mark.parametrize("days", [0, 7])
def test_activating_a_one_off_event_moves_it_to_the_new_date(days, engine, now, today, make_event, admin):
    event = make_event(first_date=today - timedelta(days=3))

    activate_event(engine, event.id, admin, now, new_date=today + timedelta(days=days))

    event = reload(engine, event.id)
    assert event.first_date == today + timedelta(days=days)
    assert not event.is_archived(today)


def test_activating_an_active_event_is_refused(engine, now, make_event, admin):
    event = make_event()

    with pytest.raises(DomainError) as caught:
        activate_event(engine, event.id, admin, now, new_date=event.first_date)
    assert caught.value.code == "event_not_archived"


@pytest.mark.parametrize(
    "first, expected",
    [(-1, True), (0, False), (1, False)],
    ids=["yesterday's one-off is archived", "today's one-off is active", "tomorrow's one-off is active"],
)
def test_a_one_off_event_is_archived_once_its_date_has_passed(first, expected, today, make_event):
    event = make_event(first_date=today + timedelta(days=first))

    assert event.is_archived(today) is expected


def test_a_series_whose_end_has_passed_is_archived(today, make_event):
    event = make_event(freq="daily", first_date=today - timedelta(days=5), end_kind="until", until=today - timedelta(days=1))

    assert event.is_archived(today)
    assert not event.is_archived(today - timedelta(days=1))


# --- deleting ---------------------------------------------------------------------------


def test_an_event_with_booking_history_cannot_be_deleted(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event()
    add_booking(key_of(event), make_visitor(), "cancelled")  # even a cancelled booking is history

    with pytest.raises(DomainError) as caught:
        delete_event(engine, event.id, admin, now)

    assert caught.value.code == "event_has_history"
    with engine.connect() as conn:
        assert [e.id for e in load_events(conn)] == [event.id]


def test_an_event_nobody_booked_is_deleted(engine, now, make_event, admin):
    kept_event, deleted = make_event(title="Остаётся"), make_event(title="Удаляется")

    delete_event(engine, deleted.id, admin, now)

    with engine.connect() as conn:
        assert [e.id for e in load_events(conn)] == [kept_event.id]
        with pytest.raises(DomainError) as caught:
            get_event(conn, deleted.id)
    assert caught.value.code == "event_not_found"


# --- editing ----------------------------------------------------------------------------


def test_edit_refuses_when_bookings_fall_outside_the_new_series(engine, now, today, make_event, make_visitor, admin, add_booking):
    # daily from tomorrow; the booking is on the day after; the edit keeps tomorrow's weekday only
    first = today + timedelta(days=1)
    event = make_event(freq="daily", first_date=first)
    day_after = today + timedelta(days=2)
    booking = add_booking(key_of(event, day_after), make_visitor())

    with pytest.raises(ValidationError) as caught:
        update_event(engine, event.id, spec_of(event, freq="weekly", weekdays=(first.weekday(),)), admin, now, kept_service_ids=kept(event))

    assert caught.value.code == "bookings_outside_series"
    assert f"{day_after:%d.%m.%Y}" in caught.value.message
    assert reload(engine, event.id).rule == Recurrence("daily")
    assert statuses(engine) == {booking: "expected"}


def test_edit_cancels_bookings_outside_the_new_series_when_confirmed(engine, now, today, make_event, make_visitor, admin, add_booking):
    event = make_event(freq="daily", first_date=today + timedelta(days=1))
    first, day_after = today + timedelta(days=1), today + timedelta(days=2)
    stays = add_booking(key_of(event, first), make_visitor())
    goes = add_booking(key_of(event, day_after), make_visitor(first_name="Борис"))

    cancelled = update_event(
        engine, event.id, spec_of(event, freq="weekly", weekdays=(first.weekday(),)), admin, now, kept_service_ids=kept(event), cancel_outside=True
    )

    assert cancelled == 1
    assert statuses(engine) == {stays: "expected", goes: "cancelled"}
    assert reload(engine, event.id).rule == Recurrence("weekly", weekdays=(first.weekday(),))


def test_edit_removing_a_service_counts_its_bookings_as_outside(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event(services=[dict(), dict(start=time(12))])
    booking = add_booking(key_of(event, service=1), make_visitor())
    spec = spec_of(event)
    spec.services = spec.services[:1]

    with pytest.raises(ValidationError) as caught:
        update_event(engine, event.id, spec, admin, now, kept_service_ids={event.services[0].id: 0})

    assert caught.value.code == "bookings_outside_series"
    assert statuses(engine) == {booking: "expected"}


def test_edit_refuses_a_service_capacity_below_its_bookings(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event(services=[dict(capacity=3)])
    for name in ("Анна", "Борис", "Вера"):
        add_booking(key_of(event), make_visitor(first_name=name))
    spec = spec_of(event)
    spec.services = [replace(spec.services[0], capacity=2)]

    with pytest.raises(ValidationError) as caught:
        update_event(engine, event.id, spec, admin, now, kept_service_ids=kept(event))

    assert caught.value.code == "capacity_below_booked"
    assert f"{event.first_date:%d.%m.%Y}" in caught.value.message
    assert reload(engine, event.id).services[0].capacity == 3


def test_edit_refuses_an_event_capacity_below_its_participants(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event(capacity=3, services=[dict(capacity=3), dict(capacity=3, start=time(12))])
    add_booking(key_of(event, service=0), make_visitor())
    add_booking(key_of(event, service=0), make_visitor(first_name="Борис"))
    add_booking(key_of(event, service=1), make_visitor(first_name="Вера"))
    spec = spec_of(event, capacity=2)
    spec.services = [replace(s, capacity=2) for s in spec.services]

    with pytest.raises(ValidationError) as caught:
        update_event(engine, event.id, spec, admin, now, kept_service_ids=kept(event))

    assert caught.value.code == "capacity_below_booked"
    assert reload(engine, event.id).capacity == 3


def test_edit_keeps_bookings_when_the_capacity_still_holds_them(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event(services=[dict(capacity=3)])
    booking = add_booking(key_of(event), make_visitor())
    spec = spec_of(event, title="Стирка (новое время)")
    spec.services = [replace(spec.services[0], capacity=1, start_time=time(11), end_time=time(12))]

    assert update_event(engine, event.id, spec, admin, now, kept_service_ids=kept(event)) == 0

    event = reload(engine, event.id)
    assert (event.title, event.services[0].capacity, event.services[0].start_time) == ("Стирка (новое время)", 1, time(11))
    assert statuses(engine) == {booking: "expected"}


def test_edit_with_past_bookings_leaves_history_alone(engine, now, today, make_event, make_visitor, admin, add_booking):
    # the edit moves a series forward; a date already passed is history, not a conflict
    event = make_event(freq="daily", first_date=today - timedelta(days=3))
    past = add_booking(key_of(event, today - timedelta(days=2)), make_visitor(), "attended")
    spec = spec_of(event, first_date=today + timedelta(days=1))

    update_event(engine, event.id, spec, admin, now, kept_service_ids=kept(event))

    assert statuses(engine) == {past: "attended"}


def test_edit_moves_an_event_to_another_place(engine, now, make_event, make_place, admin):
    event = make_event()
    other = make_place("Гиляровского")

    update_event(engine, event.id, spec_of(event, place_id=other), admin, now, kept_service_ids=kept(event))

    assert reload(engine, event.id).place_name == "Гиляровского"


def test_a_place_that_differs_only_by_an_invisible_character_is_refused_as_existing(engine, now, make_place):
    make_place("Цветной")
    with engine.begin() as conn, pytest.raises(ValidationError) as refused:
        add_place(conn, "Цветной\u200b", now)
    assert (refused.value.code, refused.value.params) == ("place_exists", {"place": "Цветной"})
