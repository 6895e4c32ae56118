"""Demo data: realistic, relative to today, so every screen has examples on a fresh clone.

Definitions (places, catalog, names) live in data/demo.json; dates are laid out here around
`today`. Bookings are generated within every capacity, and a test checks that they are.
"""

import json
import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.config import PROJECT_ROOT
from core.db import migrate
from core.passwords import hash_secret
from core.recurrence import Recurrence, rule_from_stored, rule_to_stored
from core.recurrence import occurrences as series_dates
from core.schema import (
    bookings,
    event_services,
    events,
    metadata,
    occurrences,
    places,
    services,
    sessions,
    staff,
    status_history,
    visitors,
    volunteers,
)
from core.validation import search_key

DEMO_FILE = PROJECT_ROOT / "data" / "demo.json"
DEMO_ACCOUNTS = {"admin": "admin-demo", "coordinator": "coordinator-demo", "volunteer": "volunteer-demo"}
DEMO_VISITOR_CARD = "100001"
DEMO_VISITOR_PIN = "1111"
VISITOR_COUNT = 72
PHONELESS_SHARE = 0.25


def _events_plan(today: date) -> list[dict]:
    """The demo events: one-off past and future, daily, weekly on two days, monthly, endless, archived."""
    last_31st = next(d for d in (today - timedelta(days=n) for n in range(1, 200)) if d.day == 31)
    return [
        dict(title="Стирка и душ", place="Цветной", first=today - timedelta(days=60), capacity=15,
             rule=Recurrence("daily"),
             services=[("Стирка", time(10), time(12), 8, 7), ("Душ", time(10), time(13), 10, 3)]),
        dict(title="Приём врача и психолога", place="Гиляровского", first=today - timedelta(days=90), capacity=16,
             rule=Recurrence("weekly", weekdays=(1, 3), until=today + timedelta(days=120)),
             services=[("Медицинская консультация", time(11), time(14), 12, 14), ("Психолог", time(12), time(15), 6, 14)]),
        dict(title="Юридическая помощь", place="Ясная", first=today - timedelta(days=150), capacity=10,
             rule=Recurrence("monthly", count=12),
             services=[("Юридическая консультация", time(15), time(18), 10, 30), ("Помощь с документами", time(15), time(18), 8, 30)]),
        dict(title="Одежда и горячий обед", place="Цветной", first=today - timedelta(days=84), capacity=40,
             rule=Recurrence("weekly", interval=2, weekdays=(5,)),
             services=[("Выдача одежды", time(12), time(16), 25, 10), ("Горячее питание", time(13), time(14), 30, 10)]),
        dict(title="Продуктовые наборы", place="Гиляровского", first=last_31st, capacity=40,
             rule=Recurrence("monthly"),
             services=[("Продуктовый набор", time(10), time(13), 40, 14)]),
        dict(title="Парикмахерская акция", place="Гиляровского", first=today - timedelta(days=20), capacity=12,
             rule=None, services=[("Парикмахер", time(10), time(16), 12, 7)]),
        dict(title="Большой день помощи", place="Ясная", first=today + timedelta(days=5), capacity=60,
             rule=None,
             services=[("Стирка", time(9), time(11), 8, 7), ("Душ", time(9), time(12), 10, 7),
                       ("Медицинская консультация", time(10), time(13), 12, 7), ("Выдача одежды", time(10), time(14), 25, 7),
                       ("Юридическая консультация", time(11), time(14), 10, 7), ("Парикмахер", time(11), time(15), 12, 7),
                       ("Психолог", time(12), time(15), 6, 7), ("Горячее питание", time(13), time(14), 30, 7),
                       ("Помощь с документами", time(14), time(17), 8, 7)]),
        dict(title="Летний душ", place="Ясная", first=today - timedelta(days=200), capacity=10,
             rule=Recurrence("weekly", weekdays=(0,)), archived=today - timedelta(days=30),
             services=[("Душ", time(9), time(12), 10, 3)]),
    ]


def demo_credentials() -> dict[str, str]:
    """Every demo staff and volunteer login with its demo password (published in the README)."""
    definitions = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    volunteer_logins = {row["login"]: DEMO_ACCOUNTS["volunteer"] for row in definitions["volunteers"]}
    return {"admin": DEMO_ACCOUNTS["admin"], "coordinator": DEMO_ACCOUNTS["coordinator"]} | volunteer_logins


def reset(engine: Engine) -> None:
    """Drop everything and create an empty schema (`make demo` then loads the demo)."""
    with engine.begin() as conn:
        metadata.drop_all(conn)
    migrate(engine)


def load(engine: Engine, now: datetime, seed: int = 2026) -> None:
    """Fill an empty database with the demo, laid out around `now`."""
    definitions = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    today = now.date()
    with engine.begin() as conn:
        place_ids = _insert_places(conn, definitions["places"], now)
        service_ids = _insert_catalog(conn, definitions["catalog"])
        _insert_staff(conn, now)
        volunteer_ids = _insert_volunteers(conn, definitions["volunteers"], now)
        visitor_ids = _insert_visitors(conn, definitions, rng, now)
        plan = _events_plan(today)
        for spec in plan:
            _insert_event(conn, spec, place_ids, service_ids, now)
        _insert_bookings(conn, rng, today, now, visitor_ids, volunteer_ids)


def _insert_places(conn: Connection, definitions: list[dict], now: datetime) -> dict[str, int]:
    """Each place with its address, metro and «как пройти»; returns name -> id."""
    ids = {}
    for place in definitions:
        name = place["name"]
        ids[name] = conn.execute(
            places.insert()
            .values(name=name, name_key=search_key(name), created_at=now, address=place["address"],
                    metro=place["metro"], directions=place["directions"])
            .returning(places.c.id)
        ).scalar_one()
    return ids


def _insert_catalog(conn: Connection, catalog: list[dict]) -> dict[str, int]:
    ids = {}
    for item in catalog:
        ids[item["name"]] = conn.execute(
            services.insert()
            .values(
                name=item["name"],
                description=item["description"],
                default_capacity=item["capacity"],
                default_window_days=item["window"],
                default_duration_min=item["minutes"],
            )
            .returning(services.c.id)
        ).scalar_one()
    return ids


def _insert_staff(conn: Connection, now: datetime) -> None:
    for login, role, name in (("admin", "admin", "Администратор"), ("coordinator", "coordinator", "Координатор")):
        conn.execute(
            staff.insert().values(
                login=login, display_name=name, role=role, password_hash=hash_secret(DEMO_ACCOUNTS[login]), created_at=now
            )
        )


def _insert_volunteers(conn: Connection, rows: list[dict], now: datetime) -> list[int]:
    password_hash = hash_secret(DEMO_ACCOUNTS["volunteer"])
    active = []
    for number, row in enumerate(rows):
        volunteer_id = conn.execute(
            volunteers.insert()
            .values(
                first_name=row["first"],
                last_name=row["last"],
                phone=f"+7916555{number:04d}",
                login=row["login"],
                password_hash=password_hash,
                status=row["status"],
                created_at=now - timedelta(days=120 - number * 10),
                approved_at=now - timedelta(days=118 - number * 10) if row["status"] == "active" else None,
            )
            .returning(volunteers.c.id)
        ).scalar_one()
        if row["status"] == "active":
            active.append(volunteer_id)
    return active


def _insert_visitors(conn: Connection, definitions: dict, rng: random.Random, now: datetime) -> list[int]:
    # one PIN for every demo visitor, so the demo needs one slow argon2 hash, not seventy
    pin_hash = hash_secret(DEMO_VISITOR_PIN)
    people = [("Виктор", "Толстихин"), ("Анна", "Петрова"), ("Сергей", "Иванов"), ("Анна", "Петрова")]
    while len(people) < VISITOR_COUNT:
        male = rng.random() < 0.6
        first = rng.choice(definitions["male_first" if male else "female_first"])
        last = rng.choice(definitions["surnames"])[0 if male else 1]
        people.append((first, last))
    ids = []
    for number, (first, last) in enumerate(people):
        card = str(100001 + number)
        has_phone = number < 3 or rng.random() > PHONELESS_SHARE
        registered = now - timedelta(days=rng.randint(30, 400))
        visitor_id = conn.execute(
            visitors.insert()
            .values(
                card_number=card,
                first_name=first,
                last_name=last,
                search_key=search_key(f"{last} {first}"),
                phone=f"+79{rng.randint(10**8, 10**9 - 1)}" if has_phone else None,
                comment="Нужна обувь 43 размера" if number == 2 else None,
                pin_hash=pin_hash,
                consent_at=registered,
                consent_version="2026-11",
                consent_by="staff:admin",
                created_at=registered,
                created_by="staff:admin",
            )
            .returning(visitors.c.id)
        ).scalar_one()
        ids.append(visitor_id)
    return ids


def _insert_event(conn: Connection, spec: dict, place_ids: dict, service_ids: dict, now: datetime) -> None:
    archived = spec.get("archived")
    event_id = conn.execute(
        events.insert()
        .values(
            title=spec["title"],
            place_id=place_ids[spec["place"]],
            first_date=spec["first"],
            capacity=spec["capacity"],
            archived_at=datetime.combine(archived, time(18)) if archived else None,
            created_at=now - timedelta(days=210),
            updated_at=now - timedelta(days=30),
            **rule_to_stored(spec["rule"]),
        )
        .returning(events.c.id)
    ).scalar_one()
    for name, start, end, capacity, window in spec["services"]:
        conn.execute(
            event_services.insert().values(
                event_id=event_id,
                service_id=service_ids[name],
                start_time=start,
                end_time=end,
                capacity=capacity,
                window_days=window,
            )
        )


def _insert_bookings(conn, rng: random.Random, today: date, now: datetime, visitor_ids: list[int], volunteer_ids: list[int]) -> None:
    """Bookings on sessions from 45 days ago to 14 days ahead, each session and day within capacity."""
    event_rows = conn.execute(sa.select(events)).all()
    es_rows = conn.execute(sa.select(event_services)).all()
    start, end = today - timedelta(days=45), today + timedelta(days=14)
    booking_rows, history_rows = [], []
    for event in event_rows:
        rule = rule_from_stored(event.freq, event.interval, event.weekdays, event.count, event.until)
        last = end if event.archived_at is None else min(end, event.archived_at.date())
        services_of_event = [es for es in es_rows if es.event_id == event.id]
        for day in series_dates(event.first_date, rule, start, last):
            conn.execute(occurrences.insert().values(event_id=event.id, date=day))
            # past days were busier than the days already booked ahead
            fill = rng.uniform(0.35, 0.8) if day < today else rng.uniform(0.1, 0.45)
            participants: set[int] = set()
            for es in services_of_event:
                session_id = conn.execute(
                    sessions.insert()
                    .values(event_service_id=es.id, event_id=event.id, date=day)
                    .returning(sessions.c.id)
                ).scalar_one()
                wanted = int(es.capacity * fill)
                people = rng.sample(visitor_ids, k=min(wanted, len(visitor_ids)))
                for visitor_id in people:
                    if visitor_id not in participants and len(participants) >= event.capacity:
                        continue
                    participants.add(visitor_id)
                    status = _demo_status(rng, day, today)
                    created_at = datetime.combine(day, time(9)) - timedelta(days=rng.randint(0, min(es.window_days, 5)), hours=rng.randint(1, 12))
                    created_at = min(created_at, now - timedelta(hours=1))
                    maker = rng.random()
                    if maker < 0.45:
                        kind, maker_id = "visitor", visitor_id
                    elif maker < 0.8:
                        kind, maker_id = "volunteer", rng.choice(volunteer_ids)
                    else:
                        kind, maker_id = "staff", 1
                    booking_rows.append(
                        dict(
                            session_id=session_id,
                            visitor_id=visitor_id,
                            status=status,
                            comment=rng.choice([None, None, None, "Опоздаю на 10 минут", "Первый раз"]),
                            created_at=created_at,
                            created_by_kind=kind,
                            created_by_id=maker_id,
                            status_changed_at=created_at if status == "expected" else datetime.combine(day, time(18)),
                            status_changed_by="staff:admin",
                        )
                    )
    if not booking_rows:
        return
    conn.execute(bookings.insert(), booking_rows)
    for row in conn.execute(sa.select(bookings.c.id, bookings.c.status, bookings.c.status_changed_at)):
        history_rows.append(dict(booking_id=row.id, status=row.status, comment=None, changed_at=row.status_changed_at, changed_by="staff:admin"))
    conn.execute(status_history.insert(), history_rows)


def _demo_status(rng: random.Random, day: date, today: date) -> str:
    roll = rng.random()
    if day < today:
        return "attended" if roll < 0.68 else "no_show" if roll < 0.88 else "cancelled"
    return "expected" if roll < 0.9 else "cancelled"
