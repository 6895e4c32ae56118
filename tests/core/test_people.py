"""People (SPEC §3.7, §4.7, §5 Safe): sign-in, throttling, visitor registration, PINs, search."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.errors import DomainError, ValidationError
from core.accounts import VolunteerRow, authenticate, matching_volunteers, register_volunteer
from core.actors import volunteer_code
from core.visitors import find_visitors, get_visitor, register_visitor, reset_pin, visitor_sign_in, visitors_by_surname
from core.schema import audit_log, throttles
from core.validation import luhn_digit
from tests.conftest import STAFF_PASSWORD, VISITOR_PIN, VOLUNTEER_PASSWORD


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def all_at_once(count: int, attempt) -> list[str]:
    """Run `attempt` from `count` threads released together; each one's refusal code."""
    start = threading.Barrier(count)

    def one() -> str:
        start.wait()
        try:
            attempt()
        except DomainError as refused:
            return refused.code
        return "signed in"

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: one(), range(count)))


def card_of(engine, visitor_id: int) -> str:
    with engine.connect() as conn:
        return get_visitor(conn, visitor_id).card_number


# --- staff and volunteer sign-in --------------------------------------------------------


def test_staff_sign_in_with_the_right_password(engine, now, admin):
    actor = authenticate(engine, "admin", STAFF_PASSWORD, now)

    assert (actor.kind, actor.id, actor.role, actor.label) == ("staff", admin.id, "admin", "admin")


def test_a_login_is_read_without_case_or_surrounding_spaces(engine, now, admin):
    assert authenticate(engine, "  Admin ", STAFF_PASSWORD, now).id == admin.id


@pytest.mark.parametrize(
    "login, password",
    [("admin", "wrong-password-1"), ("nobody", STAFF_PASSWORD), ("admin", ""), ("", "")],
    ids=["wrong password", "unknown login", "empty password", "nothing typed"],
)
def test_a_failed_sign_in_never_says_what_was_wrong(login, password, engine, now, admin):
    error = refusal(lambda: authenticate(engine, login, password, now))

    assert (error.code, error.message) == ("login_failed", "Неверный логин или пароль.")


def test_five_failures_in_fifteen_minutes_throttle_even_the_right_password(engine, now, admin):
    for minute in range(5):
        refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now + timedelta(minutes=minute)))

    error = refusal(lambda: authenticate(engine, "admin", STAFF_PASSWORD, now + timedelta(minutes=5)))

    assert (error.code, error.params) == ("login_throttled", {"minutes": 15})


def test_four_failures_do_not_throttle(engine, now, admin):
    for minute in range(4):
        refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now + timedelta(minutes=minute)))

    assert authenticate(engine, "admin", STAFF_PASSWORD, now + timedelta(minutes=4)).id == admin.id


def test_the_throttle_lifts_after_fifteen_minutes(engine, now, admin):
    for _ in range(5):
        refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now))

    assert authenticate(engine, "admin", STAFF_PASSWORD, now + timedelta(minutes=15, seconds=1)).id == admin.id


def test_unknown_logins_are_throttled_too(engine, now):
    for _ in range(5):
        refusal(lambda: authenticate(engine, "nobody", "wrong-password-1", now))

    assert refusal(lambda: authenticate(engine, "nobody", "wrong-password-1", now)).code == "login_throttled"


def test_a_strangers_failures_never_refuse_the_owner_from_another_address(engine, now, admin):
    for _ in range(8):
        refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now, "203.0.113.5"))

    assert refusal(lambda: authenticate(engine, "admin", STAFF_PASSWORD, now, "203.0.113.5")).code == "login_throttled"
    assert authenticate(engine, "admin", STAFF_PASSWORD, now, "198.51.100.7").id == admin.id


def test_one_address_trying_many_logins_is_slowed_after_thirty(engine, now, admin):
    for number in range(30):
        refusal(lambda: authenticate(engine, f"guess{number}", "wrong-password-1", now, "203.0.113.5"))

    assert refusal(lambda: authenticate(engine, "admin", STAFF_PASSWORD, now, "203.0.113.5")).code == "login_throttled"
    assert authenticate(engine, "admin", STAFF_PASSWORD, now, "198.51.100.7").id == admin.id


def test_a_success_forgives_the_owners_own_earlier_typos(engine, now, admin):
    for _ in range(4):
        refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now))
    authenticate(engine, "admin", STAFF_PASSWORD, now)
    for _ in range(4):
        assert refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now)).code == "login_failed"


def test_two_dozen_simultaneous_guesses_check_only_five_passwords(engine, now, admin):
    answers = all_at_once(24, lambda: authenticate(engine, "admin", "wrong-password-1", now, "203.0.113.5"))

    assert sorted(answers) == ["login_failed"] * 5 + ["login_throttled"] * 19
    with engine.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action)).scalars().all()
        counted = conn.execute(sa.select(sa.func.sum(throttles.c.hits)).where(throttles.c.rule == "staff_password")).scalar()
    assert sorted(actions) == ["login_failed"] * 5 + ["login_throttled"] * 19
    assert counted == 24


def test_a_failed_sign_in_keeps_the_typed_login_only_for_an_existing_account(engine, now, admin):
    pasted_password = "Moy-Parol-2026"
    refusal(lambda: authenticate(engine, pasted_password, "wrong-password-1", now))
    refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now))

    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM audit_log ORDER BY id")).all()
        throttled_subjects = conn.execute(sa.select(throttles.c.subject)).scalars().all()
    assert [r.actor for r in rows] == ["anonymous:-", "anonymous:admin"]
    assert pasted_password.lower() not in str(rows).lower() + str(throttled_subjects).lower()


def test_a_throttled_attempt_is_audited(engine, now, admin):
    for _ in range(5):
        refusal(lambda: authenticate(engine, "admin", "wrong-password-1", now))

    refusal(lambda: authenticate(engine, "admin", STAFF_PASSWORD, now))

    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id"))]
    assert actions == ["login_failed"] * 5 + ["login_throttled"]


def test_an_active_volunteer_signs_in_with_their_id(engine, now, make_volunteer):
    volunteer_id = make_volunteer(login="ksenia")

    actor = authenticate(engine, "ksenia", VOLUNTEER_PASSWORD, now)

    assert (actor.kind, actor.id, actor.role, actor.label) == ("volunteer", volunteer_id, "volunteer", f"В-{volunteer_id:04d}")


def test_a_pending_volunteer_is_told_to_wait_for_approval(engine, now, make_volunteer):
    make_volunteer(login="ksenia", status="pending")

    assert refusal(lambda: authenticate(engine, "ksenia", VOLUNTEER_PASSWORD, now)).code == "account_pending"


def test_a_pending_volunteer_with_a_wrong_password_learns_nothing(engine, now, make_volunteer):
    make_volunteer(login="ksenia", status="pending")

    assert refusal(lambda: authenticate(engine, "ksenia", "wrong-password-1", now)).code == "login_failed"


def test_a_deactivated_volunteer_cannot_sign_in(engine, now, make_volunteer):
    volunteer_id = make_volunteer(login="ksenia")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE volunteers SET status = 'deactivated' WHERE id = :id"), {"id": volunteer_id})

    assert refusal(lambda: authenticate(engine, "ksenia", VOLUNTEER_PASSWORD, now)).code == "login_failed"


def test_a_deactivated_staff_account_cannot_sign_in(engine, now, make_staff):
    make_staff(login="old.admin", active=False)

    assert refusal(lambda: authenticate(engine, "old.admin", STAFF_PASSWORD, now)).code == "login_failed"


# --- visitor registration ---------------------------------------------------------------


def test_registration_issues_a_card_number_and_a_four_digit_pin(engine, now, volunteer_actor):
    first = register_visitor(engine, "Анна", "Петрова", "8 (916) 123-45-67", None, True, volunteer_actor, now)
    second = register_visitor(engine, "Сергей", "Иванов", None, None, True, None, now)

    assert re.fullmatch(r"[0-9]{7}", first.card_number) and re.fullmatch(r"[0-9]{7}", second.card_number)
    assert re.fullmatch(r"[0-9]{4}", first.pin) and re.fullmatch(r"[0-9]{4}", second.pin)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM visitors WHERE id = :id"), {"id": first.visitor_id}).one()
    assert (row.first_name, row.last_name, row.phone) == ("Анна", "Петрова", "+79161234567")
    assert (row.consent_at, row.consent_by, row.created_by) == (now, volunteer_actor.audit_name, volunteer_actor.audit_name)
    assert row.consent_version
    assert row.pin_hash and first.pin not in row.pin_hash


def test_a_self_registered_visitor_is_recorded_as_such(engine, now):
    registration = register_visitor(engine, "Фёдор", "Ёлкин", None, None, True, None, now, pin="0042")

    assert registration.pin == "0042"
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT first_name, last_name, consent_by FROM visitors")).one()
    assert tuple(row) == ("Фёдор", "Ёлкин", "visitor:self")


def test_registration_without_consent_is_refused_and_writes_nothing(engine, now, admin, table_count):
    with pytest.raises(ValidationError) as caught:
        register_visitor(engine, "Анна", "Петрова", None, None, False, admin, now)

    assert (caught.value.code, caught.value.field) == ("consent_required", "consent")
    assert table_count("visitors") == 0 and table_count("audit_log") == 0


@pytest.mark.parametrize(
    "first, last, phone, code, field",
    [
        ("А", "Петрова", None, "name_too_short", "first_name"),
        ("Анна", "", None, "required", "last_name"),
        ("Анна", "Петрова1", None, "name_bad_chars", "last_name"),
        ("Анна", "Петрова", "12345", "phone_invalid", "phone"),
    ],
    ids=["one-letter name", "no surname", "digits in a surname", "a phone that is no phone"],
)
def test_bad_registration_input_is_refused_and_writes_nothing(first, last, phone, code, field, engine, now, admin, table_count):
    with pytest.raises(ValidationError) as caught:
        register_visitor(engine, first, last, phone, None, True, admin, now)

    assert (caught.value.code, caught.value.field) == (code, field)
    assert table_count("visitors") == 0


# --- visitor sign-in and PINs -----------------------------------------------------------


def test_a_visitor_signs_in_with_card_and_pin(engine, now, make_visitor):
    visitor_id = make_visitor()
    card = card_of(engine, visitor_id)

    actor = visitor_sign_in(engine, f" {card} ", VISITOR_PIN, now)

    assert (actor.kind, actor.id, actor.role, actor.label) == ("visitor", visitor_id, "visitor", card)


def test_a_wrong_pin_and_an_unknown_card_get_the_same_answer(engine, now, make_visitor):
    card = card_of(engine, make_visitor())

    wrong_pin = refusal(lambda: visitor_sign_in(engine, card, "0000", now))
    unknown_card = refusal(lambda: visitor_sign_in(engine, "999999", VISITOR_PIN, now))

    assert (wrong_pin.code, wrong_pin.message) == (unknown_card.code, unknown_card.message)
    assert wrong_pin.code == "visitor_login_failed"


def test_five_wrong_pins_slow_that_address_down_but_never_the_owner_elsewhere(engine, now, make_visitor):
    visitor_id = make_visitor()
    card = card_of(engine, visitor_id)
    for _ in range(5):
        assert refusal(lambda: visitor_sign_in(engine, card, "0000", now, "203.0.113.5")).code == "visitor_login_failed"

    slowed = refusal(lambda: visitor_sign_in(engine, card, VISITOR_PIN, now, "203.0.113.5"))
    assert (slowed.code, slowed.field, slowed.params) == ("pin_throttled", "pin", {"minutes": 15})
    assert visitor_sign_in(engine, card, VISITOR_PIN, now, "198.51.100.7").id == visitor_id
    assert visitor_sign_in(engine, card, VISITOR_PIN, now + timedelta(minutes=15, seconds=1), "203.0.113.5").id == visitor_id


def test_one_pin_sprayed_over_many_cards_from_one_address_stops_after_twenty(engine, now, make_visitor):
    cards = [card_of(engine, make_visitor(last_name=f"Петрова{'а' * n}")) for n in range(21)]
    answers = [refusal(lambda: visitor_sign_in(engine, card, "0000", now, "203.0.113.5")).code for card in cards]

    assert answers == ["visitor_login_failed"] * 20 + ["pin_throttled"]


def test_two_dozen_simultaneous_pins_each_get_an_answer_and_are_counted_exactly(engine, now, make_visitor):
    card = card_of(engine, make_visitor())

    answers = all_at_once(24, lambda: visitor_sign_in(engine, card, "0000", now, "203.0.113.5"))

    assert sorted(answers) == ["pin_throttled"] * 19 + ["visitor_login_failed"] * 5
    with engine.connect() as conn:
        counted = conn.execute(sa.select(throttles.c.hits).where(throttles.c.rule == "visitor_pin")).scalar()
    assert counted == 24


@pytest.mark.parametrize("pin", ["", "abc", "12345", "12"])
def test_a_pin_that_cannot_be_one_is_refused_at_the_field_and_is_not_counted(engine, now, make_visitor, pin):
    visitor_id = make_visitor()
    card = card_of(engine, visitor_id)
    for _ in range(12):
        assert refusal(lambda: visitor_sign_in(engine, card, pin, now)).field == "pin"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(throttles)).scalar() == 0
    assert visitor_sign_in(engine, card, VISITOR_PIN, now).id == visitor_id


def test_a_right_pin_clears_earlier_misses(engine, now, make_visitor):
    card = card_of(engine, make_visitor())
    for _ in range(4):
        refusal(lambda: visitor_sign_in(engine, card, "0000", now))
    visitor_sign_in(engine, card, VISITOR_PIN, now)

    for _ in range(4):
        assert refusal(lambda: visitor_sign_in(engine, card, "0000", now)).code == "visitor_login_failed"


def test_a_pin_reset_gives_a_new_pin_that_works_and_the_old_one_does_not(engine, now, make_visitor, volunteer_actor):
    visitor_id = make_visitor()
    card = card_of(engine, visitor_id)

    pin = reset_pin(engine, visitor_id, volunteer_actor, now)

    assert re.fullmatch(r"[0-9]{4}", pin)
    assert visitor_sign_in(engine, card, pin, now).id == visitor_id
    if pin != VISITOR_PIN:
        assert refusal(lambda: visitor_sign_in(engine, card, VISITOR_PIN, now)).code == "visitor_login_failed"


def test_new_card_numbers_are_random_with_a_check_digit(engine, now, admin):
    cards = [register_visitor(engine, "Анна", f"Петрова{'а' * n}", None, None, True, admin, now).card_number for n in range(6)]

    assert all(re.fullmatch(r"[1-9][0-9]{6}", card) and luhn_digit(card[:6]) == card[6] for card in cards)
    assert len(set(cards)) == 6
    assert any(abs(int(b) - int(a)) != 1 for a, b in zip(cards, cards[1:]))  # not in order


def test_a_mistyped_card_number_is_caught_at_the_field_and_is_not_a_guess(engine, now, admin):
    card = register_visitor(engine, "Анна", "Петрова", None, None, True, admin, now, pin="1234").card_number
    typo = card[:2] + str((int(card[2]) + 1) % 10) + card[3:]

    error = refusal(lambda: visitor_sign_in(engine, typo, "1234", now))

    assert (error.code, error.field) == ("card_typo", "card")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(throttles)).scalar() == 0
    assert visitor_sign_in(engine, card, "1234", now).label == card


def test_self_registration_allows_a_few_per_address_and_hour(engine, now, admin, table_count):
    def register(n: int, address: str, actor=None):
        return register_visitor(engine, "Анна", "Петрова" + "а" * n, None, None, True, actor, now, address=address)

    for n in range(5):
        register(n, "203.0.113.5")
    before = table_count("visitors")

    error = refusal(lambda: register(5, "203.0.113.5"))

    assert (error.code, error.params) == ("public_form_throttled", {"minutes": 60})
    assert table_count("visitors") == before
    register(6, "198.51.100.7")
    register(7, "203.0.113.5", actor=admin)  # the desk is never slowed


def test_volunteer_sign_up_allows_a_few_per_address_and_hour(engine, now):
    for n in range(5):
        register_volunteer(engine, "Павел", "Громов", None, f"pavel{n}", "пароль-длинный", now, "203.0.113.5")

    error = refusal(lambda: register_volunteer(engine, "Павел", "Громов", None, "pavel5", "пароль-длинный", now, "203.0.113.5"))

    assert error.code == "public_form_throttled"
    assert register_volunteer(engine, "Павел", "Громов", None, "pavel6", "пароль-длинный", now, "198.51.100.7")



# --- finding people ---------------------------------------------------------------------


@pytest.fixture
def people(make_visitor):
    """Four visitors with cards 100001..100004."""
    return {
        "Анна Петрова": make_visitor("Анна", "Петрова", "+79161234567"),
        "Иван Фёдоров": make_visitor("Иван", "Фёдоров", "+79031112233"),
        "Анна Петрова 2": make_visitor("Анна", "Петрова", None),
        "Пётр Петровский": make_visitor("Пётр", "Петровский", "+79250001122"),
    }


def names(found) -> list[str]:
    return sorted(f"{v.first_name} {v.last_name} {v.card_number}" for v in found)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("100002", ["Иван Фёдоров 100002"]),
        ("10000", ["Анна Петрова 100001", "Анна Петрова 100003", "Иван Фёдоров 100002", "Пётр Петровский 100004"]),
        ("1112233", ["Иван Фёдоров 100002"]),
        ("+7 903 111-22-33", ["Иван Фёдоров 100002"]),
        ("8 (903) 111-22-33", ["Иван Фёдоров 100002"]),
        ("федоров", ["Иван Фёдоров 100002"]),
        ("ФЁДОРОВ ИВ", ["Иван Фёдоров 100002"]),
        ("федоров иван", ["Иван Фёдоров 100002"]),
        ("петров", ["Анна Петрова 100001", "Анна Петрова 100003", "Пётр Петровский 100004"]),
        ("петровский п", ["Пётр Петровский 100004"]),
        ("п", []),
        ("Сидоров", []),
        # LIKE wildcards are letters like any other, not "anything"
        ("%%", []),
        ("пет%", []),
        ("__", []),
    ],
)
def test_find_visitors(query, expected, engine, people):
    with engine.connect() as conn:
        assert names(find_visitors(conn, query)) == expected


def test_find_visitors_skips_erased_people(engine, now, people):
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE visitors SET erased_at = :now WHERE id = :id"), {"now": now, "id": people["Иван Фёдоров"]})
        assert find_visitors(conn, "федоров") == []


def test_namesakes_are_listed_by_exact_surname_and_shown_masked(engine, people):
    with engine.connect() as conn:
        found = visitors_by_surname(conn, " петрова ")

    assert [v.masked for v in found] == ["Анна П., карта …01", "Анна П., карта …03"]


def test_masked_shows_first_name_initial_and_last_two_card_digits(make_visitor, engine):
    for _ in range(41):
        make_visitor("Борис", "Иванов")
    visitor_id = make_visitor("Анна", "Петрова")

    with engine.connect() as conn:
        visitor = get_visitor(conn, visitor_id)
    assert visitor.card_number == "100042"
    assert visitor.masked == "Анна П., карта …42"
    assert (visitor.full_name, visitor.phone_display) == ("Петрова Анна", "+7 (916) 123-45-67")


@pytest.mark.parametrize("surname", ["%", "петров%", "_етрова", "петров_"])
def test_wildcards_in_a_surname_list_nobody_on_the_public_sign_in(engine, people, surname):
    with engine.connect() as conn:
        assert visitors_by_surname(conn, surname) == []


def test_a_blank_surname_lists_nobody(engine, people):
    with engine.connect() as conn:
        assert visitors_by_surname(conn, "  ") == []


def test_a_registration_with_several_bad_fields_refuses_them_all_at_once(engine, now, admin, table_count):
    with pytest.raises(ValidationError) as caught:
        register_visitor(engine, "А", "", "12345", None, False, admin, now)

    assert [(e.code, e.field) for e in caught.value.errors] == [
        ("name_too_short", "first_name"), ("required", "last_name"), ("phone_invalid", "phone"), ("consent_required", "consent"),
    ]
    assert table_count("visitors") == 0 and table_count("audit_log") == 0


def test_a_volunteer_signup_refuses_every_bad_field_and_a_taken_login_at_once(engine, now, make_volunteer, table_count):
    make_volunteer(login="pavel.g")
    before = table_count("volunteers")
    with pytest.raises(ValidationError) as caught:
        register_volunteer(engine, "Павел", "Г", "12", "pavel.g", "короткий", now)

    assert [(e.code, e.field) for e in caught.value.errors] == [
        ("name_too_short", "last_name"), ("phone_invalid", "phone"), ("password_too_short", "password"), ("login_taken", "login"),
    ]
    assert table_count("volunteers") == before


# --- finding a volunteer on the Волонтёры page --------------------------------------------


def volunteer_row(volunteer_id: int, first: str, last: str, phone: str | None, login: str) -> VolunteerRow:
    return VolunteerRow(volunteer_id, volunteer_code(volunteer_id), first, last, phone, login, "active", datetime(2026, 1, 1), 0)


CREW = [
    volunteer_row(1, "Ксения", "Орлова", "+79165550000", "ksenia"),
    volunteer_row(2, "Пётр", "Ёлкин", None, "petr"),
    volunteer_row(12, "Анна", "Орлова", "+79031234567", "anna.o"),
]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", [1, 2, 12]),
        ("  ", [1, 2, 12]),
        ("орлова", [1, 12]),
        ("ОРЛОВА анна", [12]),
        ("елкин", [2]),  # ё and е are one letter here
        ("В-0012", [12]),
        ("0002", [2]),
        ("ksen", [1]),
        ("8 916 555-00-00", [1]),
        ("+7 (903) 123", [12]),
        ("5550000", [1]),
        ("8", [1, 12]),  # a volunteer without a phone has no digits to match
        ("орлова пётр", []),
    ],
)
def test_a_volunteer_is_found_by_any_part_of_name_login_id_or_phone(query, expected):
    assert [v.id for v in matching_volunteers(CREW, query)] == expected
