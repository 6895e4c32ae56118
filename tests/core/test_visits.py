"""One person's own bookings (history, reminders, event days, offers) and the profile photo."""

import io
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from core import db
from core.errors import NotAllowed, ValidationError
from core.events import load_events
from core.photos import MAX_UPLOAD_BYTES, delete_photo, load_photo, prepare_photo, save_photo
from core.schema import occurrences, places, visitor_photos
from core.sessions import SessionFilter
from core.visits import event_days_of, history, offers, reminders, reminders_and_days_ahead, visits_of
from tests.conftest import key_of


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


# --- history ----------------------------------------------------------------------------


def test_visits_come_earliest_first_with_service_place_and_who_booked(engine, make_event, make_visitor, add_booking, admin):
    event = make_event(services=[{"start": time(10)}, {"start": time(12)}])
    person = make_visitor()
    by_admin = add_booking(key_of(event, service=1), person)  # 12:00, booked first
    by_self = add_booking(key_of(event, service=0), person, created_by_kind="visitor", created_by_id=person)
    add_booking(key_of(event, service=0), make_visitor("Сергей", "Иванов"))  # somebody else's

    with engine.connect() as conn:
        found = visits_of(conn, person)

    assert [v.booking_id for v in found] == [by_self, by_admin]
    assert [(v.start_time, v.created_by_kind, v.staff_login) for v in found] == [
        (time(10), "visitor", None),
        (time(12), "staff", "admin"),
    ]
    assert {(v.event_title, v.place_name, v.recurring) for v in found} == {("Стирка и душ", event.place_name, False)}


def test_history_puts_what_is_not_over_ahead_nearest_first_and_the_rest_latest_first(engine, now, today, make_event, make_visitor, add_booking):
    event = make_event(freq="daily", first_date=today - timedelta(days=5))  # 10:00-11:00 every day
    person = make_visitor()
    for offset in (-2, -1, 0, 1, 2):
        add_booking(key_of(event, today + timedelta(days=offset)), person)
    with engine.connect() as conn:
        visits = visits_of(conn, person)

    def offsets(found):
        return [(v.date - today).days for v in found]

    ahead, past = history(visits, at(today, 9, 0))  # today's session has not begun
    assert (offsets(ahead), offsets(past)) == ([0, 1, 2], [-1, -2])
    ahead, past = history(visits, at(today, 11, 30))  # today's is over
    assert (offsets(ahead), offsets(past)) == ([1, 2], [0, -1, -2])


def test_only_a_planned_booking_not_started_yet_can_be_changed(engine, today, make_event, make_visitor, add_booking):
    event = make_event(freq="daily", first_date=today)
    person = make_visitor()
    add_booking(key_of(event, today), person)
    add_booking(key_of(event, today + timedelta(days=1)), person, status="cancelled")
    with engine.connect() as conn:
        planned, cancelled = visits_of(conn, person)
    assert planned.is_changeable(at(today, 9, 59))
    assert not planned.is_changeable(at(today, 10, 0))
    assert not cancelled.is_changeable(at(today, 9))


# --- reminders --------------------------------------------------------------------------


def test_reminders_name_planned_bookings_ahead_and_no_shows_of_the_last_30_days(engine, now, today, make_event, make_visitor, add_booking):
    event = make_event(freq="daily", first_date=today - timedelta(days=40))
    person = make_visitor()
    planned = add_booking(key_of(event, today + timedelta(days=1)), person)
    add_booking(key_of(event, today + timedelta(days=2)), person, status="cancelled")
    missed_30 = add_booking(key_of(event, today - timedelta(days=30)), person, status="no_show")
    missed_1 = add_booking(key_of(event, today - timedelta(days=1)), person, status="no_show")
    add_booking(key_of(event, today - timedelta(days=31)), person, status="no_show")
    add_booking(key_of(event, today - timedelta(days=3)), person, status="attended")

    with engine.connect() as conn:
        found = reminders(conn, person, now)

    assert [v.booking_id for v in found.upcoming] == [planned]
    assert [v.booking_id for v in found.missed] == [missed_1, missed_30]


def test_a_booking_under_way_is_still_a_reminder_until_it_ends(engine, today, make_event, make_visitor, add_booking):
    event = make_event(freq="daily", first_date=today)
    person = make_visitor()
    add_booking(key_of(event, today), person)
    with engine.connect() as conn:
        assert len(reminders(conn, person, at(today, 10, 30)).upcoming) == 1
        assert reminders(conn, person, at(today, 11, 0)).upcoming == ()


def test_a_visit_names_the_volunteer_who_booked_by_first_name_and_initial_and_carries_the_place(
    engine, make_event, make_visitor, make_volunteer, add_booking
):
    event = make_event(services=[{"start": time(10)}, {"start": time(12)}])
    with engine.begin() as conn:
        conn.execute(places.update().where(places.c.id == event.place_id).values(
            address="Цветной бульвар, 11", metro="Цветной бульвар", directions="Вход со двора"))
    person = make_visitor()
    irina = make_volunteer("Ирина", "Козлова")
    add_booking(key_of(event, service=0), person, created_by_kind="volunteer", created_by_id=irina)
    add_booking(key_of(event, service=1), person, created_by_kind="visitor", created_by_id=person)

    with engine.connect() as conn:
        by_volunteer, by_self = visits_of(conn, person)

    assert (by_volunteer.volunteer_name, by_self.volunteer_name) == ("Ирина К.", None)
    assert by_volunteer.place.where == "Цветной бульвар, 11 · м. Цветной бульвар"
    assert by_volunteer.place.directions == "Вход со двора"


def test_visits_can_be_read_by_their_booking_ids(engine, make_event, make_visitor, add_booking):
    event = make_event(services=[{"start": time(10)}, {"start": time(12)}])
    person = make_visitor()
    first = add_booking(key_of(event, service=0), person)
    add_booking(key_of(event, service=1), person)
    with engine.connect() as conn:
        assert [v.booking_id for v in visits_of(conn, person, booking_ids=[first])] == [first]


# --- event days -------------------------------------------------------------------------


def test_an_event_day_gathers_the_persons_services_and_counts_participants_without_names(engine, today, make_event, make_visitor, add_booking):
    event = make_event(capacity=12, services=[{"start": time(10)}, {"start": time(12)}], freq="weekly", weekdays=(2,))
    person, other, gone = make_visitor(), make_visitor("Сергей", "Иванов"), make_visitor("Олег", "Сидоров")
    day = event.first_date
    add_booking(key_of(event, day, service=1), person)
    add_booking(key_of(event, day, service=0), person)
    add_booking(key_of(event, day, service=0), other)
    add_booking(key_of(event, day, service=1), gone, status="cancelled")
    with engine.begin() as conn:
        conn.execute(occurrences.update().where(occurrences.c.event_id == event.id, occurrences.c.date == day).values(capacity=5))

    with engine.connect() as conn:
        (found,) = event_days_of(conn, person)

    assert (found.event_id, found.date, found.recurring) == (event.id, day, True)
    assert [v.start_time for v in found.visits] == [time(10), time(12)]
    assert (found.participants, found.capacity, found.free) == (2, 5, 3)
    assert (found.start_time, found.end_time) == (time(10), time(13))


def test_event_days_from_a_date_leave_the_earlier_ones_out(engine, today, make_event, make_visitor, add_booking):
    event = make_event(freq="weekly", weekdays=(today.weekday(),), first_date=today - timedelta(days=14))
    person = make_visitor()
    for weeks in (-2, -1, 0, 1):
        add_booking(key_of(event, today + timedelta(weeks=weeks)), person)
    with engine.connect() as conn:
        assert [d.date for d in event_days_of(conn, person, start=today)] == [today, today + timedelta(weeks=1)]
        assert len(event_days_of(conn, person)) == 4


def test_a_day_with_only_cancelled_bookings_is_no_participation(engine, make_event, make_visitor, add_booking):
    event = make_event()
    person = make_visitor()
    add_booking(key_of(event), person, status="cancelled")
    with engine.connect() as conn:
        assert event_days_of(conn, person) == []


def test_the_visitors_page_gets_its_reminders_and_days_ahead_from_one_read_of_the_bookings(
    engine, now, today, make_event, make_visitor, add_booking
):
    event = make_event(freq="daily", first_date=today - timedelta(days=40))
    person = make_visitor()
    for days, status in ((-31, "no_show"), (-30, "no_show"), (-3, "attended"), (-1, "no_show"), (0, "expected"),
                         (1, "expected"), (2, "cancelled"), (3, "attended")):
        add_booking(key_of(event, today + timedelta(days=days)), person, status=status)
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    with engine.connect() as conn:
        found_reminders, found_days = reminders_and_days_ahead(conn, person, now)
    bookings_read = [sql for sql in statements if sql.lstrip().startswith("SELECT bookings.id,")]
    with engine.connect() as conn:
        assert found_reminders == reminders(conn, person, now)
        assert found_days == event_days_of(conn, person, start=today)
    assert len(found_days) == 3 and found_reminders.upcoming and len(found_reminders.missed) == 2
    assert len(bookings_read) == 1, bookings_read


# --- offers -----------------------------------------------------------------------------


@pytest.fixture
def daily(make_event, today):
    """A daily event from today: A 10:00 (2 places, 2-day window) and B 12:00 (2 places); 2 participants a day."""
    return make_event(
        capacity=2,
        freq="daily",
        first_date=today,
        services=[{"start": time(10), "capacity": 2, "window_days": 2}, {"start": time(12), "capacity": 2, "window_days": 2}],
    )


def offered(engine, person, moment) -> dict[tuple[str, int], tuple[int, bool]]:
    """(service, days from today) -> (free places for the person, already theirs)."""
    with engine.connect() as conn:
        found = offers(conn, load_events(conn), person, SessionFilter(), moment)
    return {(o.session.service_name, (o.session.date - moment.date()).days): (o.free, o.mine) for o in found}


def test_offers_are_the_sessions_inside_the_window_not_started_yet(engine, now, daily, make_visitor):
    person = make_visitor()
    a, b = (es.service_name for es in daily.services)
    morning = at(now.date(), 9)  # before both of today's services
    assert set(offered(engine, person, morning)) == {(name, d) for name in (a, b) for d in (0, 1, 2)}
    later = offered(engine, person, at(now.date(), 11))
    assert (a, 0) not in later and (b, 0) in later


def test_a_participant_may_take_a_service_the_full_event_day_refuses_to_others(engine, now, daily, make_visitor, add_booking):
    first, second, third = make_visitor(), make_visitor("Сергей", "Иванов"), make_visitor("Олег", "Сидоров")
    tomorrow = now.date() + timedelta(days=1)
    add_booking(key_of(daily, tomorrow, service=0), first)
    add_booking(key_of(daily, tomorrow, service=0), second)
    a, b = (es.service_name for es in daily.services)

    assert offered(engine, first, now)[(a, 1)] == (0, True)
    assert offered(engine, first, now)[(b, 1)] == (2, False)  # already taking part: B's own places count
    assert offered(engine, third, now)[(b, 1)] == (0, False)  # the day already has its 2 participants


# --- the photo --------------------------------------------------------------------------


def encoded(fmt: str, size=(640, 480), mode="RGB", colour=(30, 120, 200), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt, **save)
    return out.getvalue()


# MPO: a phone camera's JPEG with a second picture inside
@pytest.mark.parametrize("fmt, save", [("JPEG", {}), ("PNG", {}), ("MPO", {"save_all": True, "append_images": [Image.new("RGB", (64, 64))]})])
def test_a_jpeg_or_png_becomes_a_small_square_jpeg(fmt, save):
    stored = Image.open(io.BytesIO(prepare_photo(encoded(fmt, size=(1200, 700), **save))))
    assert (stored.format, stored.size, stored.mode) == ("JPEG", (256, 256), "RGB")


def test_nothing_but_the_pixels_survives(engine):
    exif = Image.Exif()
    exif[0x010E] = "Москва, Цветной бульвар"  # ImageDescription
    stored = Image.open(io.BytesIO(prepare_photo(encoded("JPEG", exif=exif.tobytes()))))
    assert not stored.getexif()


@pytest.mark.parametrize("size", [(640, 480), (3000, 2000)], ids=["small", "shrunk in bands"])
@pytest.mark.parametrize(
    "mode, clear, save", [("RGBA", (0, 0, 0, 0), {}), ("LA", (0, 0), {}), ("P", 0, {"transparency": 0})], ids=["RGBA", "LA", "palette"]
)
def test_a_transparent_png_is_laid_on_white(mode, clear, save, size):
    stored = Image.open(io.BytesIO(prepare_photo(encoded("PNG", size=size, mode=mode, colour=clear, **save))))
    assert min(stored.getpixel((128, 128))) > 240


@pytest.mark.parametrize("scale", [1, 10], ids=["small", "shrunk in bands"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_upright_tag_is_applied(fmt, scale):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    tall = Image.new("RGB", (400 * scale, 200 * scale), "white")
    tall.paste((0, 0, 0), (0, 0, 200 * scale, 200 * scale))  # black on the left half as stored
    out = io.BytesIO()
    tall.save(out, format=fmt, exif=exif.tobytes())
    stored = Image.open(io.BytesIO(prepare_photo(out.getvalue())))
    assert sum(stored.getpixel((128, 10))) < 100 and sum(stored.getpixel((128, 245))) > 600  # black on top


@pytest.mark.parametrize(
    "data, code",
    [
        (None, "photo_required"),
        (b"", "photo_required"),
        (b"%PDF-1.4 not a photo", "photo_invalid"),
        (encoded("GIF"), "photo_invalid"),
        (encoded("WEBP"), "photo_invalid"),
        (encoded("JPEG")[:1500], "photo_invalid"),
        (encoded("PNG", size=(8000, 6000), mode="1", colour=0), "photo_too_many_pixels"),  # 48 megapixels
        (b"\xff\xd8" + b"\0" * MAX_UPLOAD_BYTES, "photo_too_big"),
    ],
    ids=["none", "empty", "pdf", "gif", "webp", "truncated jpeg", "huge png", "over 5 MB"],
)
def test_anything_else_is_refused(data, code):
    with pytest.raises(ValidationError) as refused:
        prepare_photo(data)
    assert (refused.value.code, refused.value.field) == (code, "photo")


def test_a_new_photo_replaces_the_old_and_deleting_brings_back_none(engine, now, make_visitor, visitor_actor):
    person = make_visitor()
    actor = visitor_actor(person)
    save_photo(engine, person, encoded("PNG", colour=(255, 0, 0)), actor, now)
    save_photo(engine, person, encoded("PNG", colour=(0, 0, 255)), actor, now)
    with engine.connect() as conn:
        red, green, blue = Image.open(io.BytesIO(load_photo(conn, person))).getpixel((128, 128))
        assert conn.execute(sa.select(sa.func.count()).select_from(visitor_photos)).scalar() == 1
    assert blue > 200 and red < 50
    delete_photo(engine, person, actor, now)
    with engine.connect() as conn:
        assert load_photo(conn, person) is None


def test_a_visitor_cannot_set_another_persons_photo(engine, now, make_visitor, visitor_actor, coordinator):
    person, stranger = make_visitor(), make_visitor("Сергей", "Иванов")
    for actor in (visitor_actor(stranger), coordinator):
        with pytest.raises(NotAllowed):
            save_photo(engine, person, encoded("PNG"), actor, now)
    with engine.connect() as conn:
        assert load_photo(conn, person) is None


def test_migration_2_adds_the_photo_table_to_a_version_1_database(engine):
    with engine.begin() as conn:
        visitor_photos.drop(conn)
        conn.execute(sa.text("UPDATE schema_version SET version = 1"))
    assert db.migrate(engine) == len(db.MIGRATIONS)
    with engine.connect() as conn:
        assert load_photo(conn, 1) is None
