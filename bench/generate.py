"""A large, realistic data set for the benchmark: years of history, built by bulk inserts.

13 places, 12 services, 60 events (45 recurring, some without an end), 5 years of history,
~50,000 sessions with bookings, 20,000 visitors, ~500,000 bookings, 200 volunteers; fixed seed.
Rows are generated with numpy into DataFrames and handed to the database in bulk (DuckDB reads
a registered DataFrame; PostgreSQL gets COPY-sized executemany batches).
"""

import random
import sys
import time as clock
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core import demo, schema
from core.db import is_duckdb, make_engine, migrate
from core.passwords import hash_secret
from core.recurrence import Recurrence, occurrences, rule_to_stored
from core.validation import search_key

SEED = 20261129
YEARS = 5
PLACE_COUNT = 13
EXTRA_SERVICES = [("Маникюр", "Уход за руками.", 6, 7, 120), ("Стоматолог", "Осмотр и консультация стоматолога.", 6, 14, 180)]
EVENT_COUNT = 60
RECURRING_COUNT = 45
VISITOR_COUNT = 20_000
VOLUNTEER_COUNT = 200
BOOKED_SESSION_SHARE = 0.95
MEAN_FILL = 0.8


def _bulk(engine: Engine, table: sa.Table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    if is_duckdb(engine):
        with engine.begin() as conn:
            duck = conn.connection.driver_connection
            duck.register("bulk_frame", frame)
            columns = ", ".join(frame.columns)
            duck.execute(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM bulk_frame")
            duck.unregister("bulk_frame")
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        with engine.begin() as conn:
            for start in range(0, len(records), 20_000):
                conn.execute(table.insert(), records[start : start + 20_000])


def _advance_sequence(engine: Engine, table: sa.Table) -> None:
    """Bulk rows carry explicit ids: move the table's sequence past them."""
    with engine.begin() as conn:
        top = conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
        sequence = f"{table.name}_id_seq"
        if is_duckdb(engine):
            current = conn.execute(sa.text(f"SELECT nextval('{sequence}')")).scalar()
            if top > current:
                conn.execute(sa.text(f"SELECT max(nextval('{sequence}')) FROM range({top - current})"))
        else:
            conn.execute(sa.text(f"SELECT setval('{sequence}', {max(top, 1)})"))


def generate(engine: Engine, today: date, seed: int = SEED) -> dict[str, int]:
    """Fill an empty, migrated database; returns row counts."""
    rng = np.random.default_rng(seed)
    py_rng = random.Random(seed)
    now = datetime.combine(today, time(9))
    start = today - timedelta(days=365 * YEARS)
    definitions = demo.json.loads(demo.DEMO_FILE.read_text(encoding="utf-8"))

    demo_places = [place["name"] for place in definitions["places"]]
    place_names = demo_places + [f"Пункт помощи №{n}" for n in range(1, PLACE_COUNT - len(demo_places) + 1)]
    _bulk(engine, schema.places, pd.DataFrame({
        "id": range(1, len(place_names) + 1), "name": place_names,
        "name_key": [search_key(n) for n in place_names], "created_at": now - timedelta(days=365 * YEARS),
    }))
    catalog = definitions["catalog"] + [dict(name=n, description=d, capacity=c, window=w, minutes=m) for n, d, c, w, m in EXTRA_SERVICES]
    _bulk(engine, schema.services, pd.DataFrame({
        "id": range(1, len(catalog) + 1), "name": [c["name"] for c in catalog],
        "description": [c["description"] for c in catalog], "default_capacity": [c["capacity"] for c in catalog],
        "default_window_days": [c["window"] for c in catalog], "default_duration_min": [c["minutes"] for c in catalog],
    }))
    password = hash_secret(demo.DEMO_ACCOUNTS["admin"])
    _bulk(engine, schema.staff, pd.DataFrame({
        "id": [1, 2], "login": ["admin", "coordinator"], "display_name": ["Администратор", "Координатор"],
        "role": ["admin", "coordinator"], "password_hash": [password, hash_secret(demo.DEMO_ACCOUNTS["coordinator"])],
        "active": True, "created_at": now,
    }))
    volunteer_hash = hash_secret(demo.DEMO_ACCOUNTS["volunteer"])
    _bulk(engine, schema.volunteers, pd.DataFrame({
        "id": range(1, VOLUNTEER_COUNT + 1),
        "first_name": [py_rng.choice(definitions["female_first"] + definitions["male_first"]) for _ in range(VOLUNTEER_COUNT)],
        "last_name": [py_rng.choice(definitions["surnames"])[0] for _ in range(VOLUNTEER_COUNT)],
        "phone": [f"+7916{n:07d}" for n in range(VOLUNTEER_COUNT)],
        "login": ["volunteer"] + [f"volunteer{n}" for n in range(2, VOLUNTEER_COUNT + 1)],
        "password_hash": volunteer_hash, "status": "active", "created_at": now - timedelta(days=400), "approved_at": now - timedelta(days=399),
    }))
    pin_hash = hash_secret(demo.DEMO_VISITOR_PIN)
    male = rng.random(VISITOR_COUNT) < 0.6
    first = [py_rng.choice(definitions["male_first" if m else "female_first"]) for m in male]
    last = [py_rng.choice(definitions["surnames"])[0 if m else 1] for m in male]
    registered = [now - timedelta(days=int(d)) for d in rng.integers(1, 365 * YEARS, VISITOR_COUNT)]
    _bulk(engine, schema.visitors, pd.DataFrame({
        "id": range(1, VISITOR_COUNT + 1), "card_number": [str(100001 + n) for n in range(VISITOR_COUNT)],
        "first_name": first, "last_name": last, "search_key": [search_key(f"{a} {b}") for a, b in zip(last, first)],
        "phone": [f"+79{n:09d}" if rng.random() > 0.25 else None for n in rng.integers(10**8, 10**9 - 1, VISITOR_COUNT)],
        "pin_hash": pin_hash, "pin_failures": 0, "consent_at": registered, "consent_version": "2026-11",
        "consent_by": "staff:admin", "created_at": registered, "created_by": "staff:admin",
    }))

    events_rows, services_rows = [], []
    es_id = 0
    for event_id in range(1, EVENT_COUNT + 1):
        recurring = event_id <= RECURRING_COUNT
        if recurring:
            kind = py_rng.choices(["daily", "weekly", "monthly"], [6, 29, 10])[0]
            weekdays = tuple(sorted(py_rng.sample(range(6), py_rng.choice([1, 2, 2, 3])))) if kind == "weekly" else ()
            first_date = start + timedelta(days=py_rng.randrange(0, 200))
            ends = py_rng.random()
            until = today + timedelta(days=py_rng.randrange(30, 400)) if ends < 0.5 else None
            rule = Recurrence(kind, 1, weekdays, None, until)
        else:
            rule = None
            first_date = start + timedelta(days=py_rng.randrange(0, 365 * YEARS + 60))
        services_here = py_rng.sample(range(1, len(catalog) + 1), py_rng.choice([1, 2, 2, 3]))
        capacities = [catalog[s - 1]["capacity"] for s in services_here]
        events_rows.append(dict(
            id=event_id, title=f"{catalog[services_here[0] - 1]['name']} — {place_names[(event_id - 1) % PLACE_COUNT]} №{event_id}",
            place_id=(event_id - 1) % PLACE_COUNT + 1, first_date=first_date, capacity=sum(capacities),
            created_at=now - timedelta(days=365 * YEARS), updated_at=now - timedelta(days=30), **rule_to_stored(rule),
        ))
        for service_id, capacity in zip(services_here, capacities):
            es_id += 1
            hour = py_rng.choice([9, 10, 11, 12, 13, 14, 15])
            services_rows.append(dict(id=es_id, event_id=event_id, service_id=service_id, start_time=time(hour),
                                      end_time=time(hour + 2), capacity=capacity, window_days=catalog[service_id - 1]["window"],
                                      rule=rule, first_date=first_date))
    events_frame = pd.DataFrame(events_rows)
    events_frame["interval"] = events_frame["interval"].astype("int64")
    for column in ("count",):
        events_frame[column] = events_frame[column].astype("Int64")
    _bulk(engine, schema.events, events_frame)
    _bulk(engine, schema.event_services, pd.DataFrame(services_rows).drop(columns=["rule", "first_date"]))

    session_rows, occurrence_keys = [], set()
    session_id = 0
    history_end = today + timedelta(days=14)
    for row in services_rows:
        for day in occurrences(row["first_date"], row["rule"], start, history_end):
            if py_rng.random() > BOOKED_SESSION_SHARE:
                continue
            session_id += 1
            session_rows.append((session_id, row["id"], row["event_id"], day, row["capacity"]))
            occurrence_keys.add((row["event_id"], day))
    sessions_frame = pd.DataFrame(session_rows, columns=["id", "event_service_id", "event_id", "date", "capacity_of_service"])
    _bulk(engine, schema.sessions, sessions_frame.drop(columns=["capacity_of_service"]).assign(version=0))
    _bulk(engine, schema.occurrences, pd.DataFrame(
        [(n, e, d) for n, (e, d) in enumerate(sorted(occurrence_keys), start=1)], columns=["id", "event_id", "date"]
    ).assign(version=0))

    # bookings: per session a fill drawn around MEAN_FILL, people drawn without repeats
    capacity = sessions_frame["capacity_of_service"].to_numpy()
    fill = np.clip(rng.normal(MEAN_FILL, 0.2, len(capacity)), 0.05, 1.0)
    per_session = np.maximum(1, (capacity * fill).astype(int))
    total = int(per_session.sum())
    session_of = np.repeat(sessions_frame["id"].to_numpy(), per_session)
    date_of = np.repeat(sessions_frame["date"].to_numpy(), per_session)
    # regulars come often: ids drawn with a skew towards the low numbers (u ** 1.5)
    visitor_of = (VISITOR_COUNT * rng.random(total) ** 1.5).astype(np.int64) + 1
    days = pd.to_datetime(date_of)
    past = days < pd.Timestamp(today)
    roll = rng.random(total)
    status = np.where(past, np.where(roll < 0.68, "attended", np.where(roll < 0.88, "no_show", "cancelled")),
                      np.where(roll < 0.9, "expected", "cancelled"))
    maker_roll = rng.random(total)
    kind = np.where(maker_roll < 0.45, "visitor", np.where(maker_roll < 0.8, "volunteer", "staff"))
    maker = np.where(kind == "visitor", visitor_of, np.where(kind == "volunteer", rng.integers(1, VOLUNTEER_COUNT + 1, total), 1))
    created = days + pd.to_timedelta(9, "h") - pd.to_timedelta(rng.integers(1, 6 * 24, total), "h")
    bookings_frame = pd.DataFrame({
        "id": np.arange(1, total + 1), "session_id": session_of, "visitor_id": visitor_of, "status": status,
        "created_at": created, "created_by_kind": kind, "created_by_id": maker,
        "status_changed_at": created, "status_changed_by": "staff:admin",
    })
    # a person appears at most once per session: drop the rare repeats the popularity draw made
    bookings_frame = bookings_frame.drop_duplicates(["session_id", "visitor_id"])
    _bulk(engine, schema.bookings, bookings_frame)
    for table in (schema.places, schema.services, schema.staff, schema.volunteers, schema.visitors, schema.events,
                  schema.event_services, schema.sessions, schema.occurrences, schema.bookings):
        _advance_sequence(engine, table)
    return {"sessions": len(sessions_frame), "bookings": len(bookings_frame), "visitors": VISITOR_COUNT, "events": EVENT_COUNT}


def build(url: str, today: date) -> dict[str, int]:
    engine = make_engine(url)
    with engine.begin() as conn:
        schema.metadata.drop_all(conn)
    migrate(engine)
    started = clock.perf_counter()
    counts = generate(engine, today)
    counts["seconds"] = round(clock.perf_counter() - started, 1)
    engine.dispose()
    return counts


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "duckdb:///data/bench.duckdb"
    print(build(target, date.today()))
