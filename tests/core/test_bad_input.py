"""Bad input everywhere: every form field refuses a corpus of bad values in Russian and writes nothing."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.booking import book
from core.errors import DomainError
from core.event_changes import EventSpec, ServiceSpec, create_event
from core.accounts import register_volunteer
from core.visitors import register_visitor, visitor_sign_in
from core.schema import metadata
from core.session_changes import edit_session
from core.sessions import get_session
from core.events import load_events
from tests.conftest import key_of

HUGE = "ж" * 10_000
EMOJI = "😀😀😀"
SQL = "Robert'); DROP TABLE visitors;--"
HTML = "<img src=x onerror=alert(1)>"
FORMULA = "=HYPERLINK(\"http://x\",\"y\")"
CYRILLIC = re.compile("[а-яА-ЯёЁ]")

NAME_CORPUS = ["", "   ", HUGE, EMOJI, SQL, HTML, FORMULA, "-5", "123", "A"]
PHONE_CORPUS = ["abc", "123", "+1 202 555 0100", "8916123456789", HTML, FORMULA, EMOJI, "9" * 10_000, SQL]
NUMBER_CORPUS = ["", "   ", "-1", "0", "1001", "99999999999999999999", "1.5", "abc", EMOJI, FORMULA]
WINDOW_CORPUS = ["-1", "366", "abc", "", EMOJI]
LONG_TEXT_CORPUS = [HUGE]
LOGIN_CORPUS = ["", "я", "a b", HTML, "x" * 100, SQL]
PASSWORD_CORPUS = ["", "short", "x" * 10_000]
PIN_CORPUS = ["", "abc", "12345", "12", EMOJI]


def snapshot(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in metadata.sorted_tables}


def refuses(engine, action) -> str:
    before = snapshot(engine)
    with pytest.raises(DomainError) as refusal:
        action()
    assert snapshot(engine) == before
    assert CYRILLIC.search(refusal.value.message), refusal.value.message
    return refusal.value.field or ""


VISITOR = dict(first_name="Анна", last_name="Петрова", phone="+7 916 123-45-67", comment=None)


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("value", NAME_CORPUS, ids=range(len(NAME_CORPUS)))
def test_visitor_names_refuse_bad_values(engine, now, admin, field, value):
    data = VISITOR | {field: value}
    assert refuses(engine, lambda: register_visitor(engine, consent=True, actor=admin, now=now, **data)) == field


@pytest.mark.parametrize("value", PHONE_CORPUS, ids=range(len(PHONE_CORPUS)))
def test_phones_refuse_bad_values(engine, now, admin, value):
    data = VISITOR | {"phone": value}
    assert refuses(engine, lambda: register_visitor(engine, consent=True, actor=admin, now=now, **data)) == "phone"


@pytest.mark.parametrize("value", LONG_TEXT_CORPUS)
def test_comments_refuse_ten_thousand_characters(engine, now, admin, value):
    data = VISITOR | {"comment": value}
    assert refuses(engine, lambda: register_visitor(engine, consent=True, actor=admin, now=now, **data)) == "comment"


@pytest.mark.parametrize("field, corpus", [("login", LOGIN_CORPUS), ("password", PASSWORD_CORPUS), ("first_name", NAME_CORPUS), ("phone", PHONE_CORPUS)])
def test_volunteer_registration_refuses_bad_values(engine, now, field, corpus):
    good = dict(first_name="Павел", last_name="Громов", phone="89161112233", login="pavel.g", password="длинный-пароль-1")
    for value in corpus:
        data = good | {field: value}
        assert refuses(engine, lambda: register_volunteer(engine, now=now, **data)) == field


@pytest.mark.parametrize("value", PIN_CORPUS, ids=range(len(PIN_CORPUS)))
def test_a_malformed_pin_signs_nobody_in(engine, now, make_visitor, value):
    make_visitor()
    before = snapshot(engine)["visitors"]
    with pytest.raises(DomainError) as refusal:
        visitor_sign_in(engine, "100001", value, now)
    assert CYRILLIC.search(refusal.value.message)
    assert snapshot(engine)["visitors"] == before


def event_spec(make_place, make_service, now, **changes) -> EventSpec:
    values = dict(
        title="Стирка", first_date=now.date(), capacity="20", place_id=make_place(),
        services=[ServiceSpec(make_service(), now.time().replace(hour=10), now.time().replace(hour=12), "8", "7")],
    )
    service_changes = {k: changes.pop(k) for k in list(changes) if k.startswith("service_")}
    values |= changes
    if service_changes:
        row = values["services"][0]
        for key, value in service_changes.items():
            setattr(row, key.removeprefix("service_"), value)
    return EventSpec(**values)


@pytest.mark.parametrize(
    "changes, field",
    [({"title": v}, "title") for v in ("", "   ", HUGE)]
    + [({"capacity": v}, "capacity") for v in NUMBER_CORPUS]
    + [({"service_capacity": v}, "services.0.capacity") for v in NUMBER_CORPUS]
    + [({"service_window_days": v}, "services.0.window_days") for v in WINDOW_CORPUS]
    + [({"first_date": "past"}, "first_date")]
    + [({"freq": "weekly", "weekdays": (), "interval": v}, "interval") for v in ("0", "-1", "abc", "100")]
    + [({"freq": "daily", "end_kind": "until", "until": "before"}, "until")]
    + [({"freq": "daily", "end_kind": "count", "count": v}, "count") for v in ("0", "1001", "abc")]
    + [({"new_place_name": v, "place_id": None}, "place") for v in ("", "   ", HUGE)],
)
def test_event_form_fields_refuse_bad_values(engine, now, admin, make_place, make_service, changes, field):
    if changes.get("first_date") == "past":
        changes["first_date"] = now.date() - timedelta(days=1)
    if changes.get("until") == "before":
        changes["until"] = now.date() - timedelta(days=1)
    if changes.get("freq") == "weekly":
        changes["weekdays"] = (1,)
    spec = event_spec(make_place, make_service, now, **changes)
    assert refuses(engine, lambda: create_event(engine, spec, admin, now)) == field


def test_html_sql_and_formulas_in_free_text_are_stored_verbatim_as_text(engine, now, admin, make_place, make_service):
    for title in (HTML, SQL, FORMULA, EMOJI + " Стирка"):
        event_id = create_event(engine, event_spec(make_place, make_service, now, title=title), admin, now)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT title FROM events WHERE id = :id"), {"id": event_id}).scalar() == title


@pytest.mark.parametrize("value", NUMBER_CORPUS, ids=range(len(NUMBER_CORPUS)))
def test_session_capacity_refuses_bad_values(engine, now, admin, make_event, value):
    event = make_event(capacity=10)
    with engine.connect() as conn:
        session = get_session(conn, load_events(conn), event.services[0].id, event.first_date, now.date())
    start, end = session.start_time, session.end_time
    if value in ("1001",):
        value = "11"  # above the event's capacity of 10
    assert refuses(engine, lambda: edit_session(engine, session, start, end, value, admin, now)) == "capacity"


def test_a_booking_comment_of_ten_thousand_characters_is_refused(engine, now, admin, make_event, make_visitor):
    event = make_event()
    person = make_visitor()
    assert refuses(engine, lambda: book(engine, person, [key_of(event)], admin, now, comment=HUGE)) == "comment"
