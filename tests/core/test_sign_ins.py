"""Sign-ins that outlive a page (core.sign_ins): one-time tickets, hashed tokens, idle limits,
and every device signed out at once when the account changes."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import sign_ins
from core.errors import DomainError, NotAllowed
from core.accounts import authenticate, read_actor, reset_password, set_volunteer_status
from core.visitors import erase_visitor, reset_pin
from core.schema import sign_ins as sign_ins_table
from tests.conftest import STAFF_PASSWORD, VOLUNTEER_PASSWORD


def test_a_ticket_gives_one_token_once_and_the_database_keeps_only_hashes(engine, now, admin):
    ticket, _ = sign_ins.issue_ticket(engine, admin, now)

    token = sign_ins.redeem_ticket(engine, ticket, now + timedelta(seconds=5))

    assert token and token != ticket
    assert sign_ins.redeem_ticket(engine, ticket, now + timedelta(seconds=6)) is None
    with engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(sa.select(sign_ins_table)) for v in row)
    assert token not in stored and ticket not in stored
    assert sign_ins.resume(engine, token, now + timedelta(seconds=7), read_actor)[1] == admin


def test_a_ticket_older_than_a_minute_or_made_up_gives_nothing(engine, now, admin):
    ticket, _ = sign_ins.issue_ticket(engine, admin, now)
    assert sign_ins.redeem_ticket(engine, "made-up", now) is None
    assert sign_ins.redeem_ticket(engine, ticket, now + timedelta(seconds=61)) is None


def test_every_sign_in_gets_a_new_token(engine, now, admin):
    tokens = {sign_ins.start(engine, admin, now)[1] for _ in range(3)}
    assert len(tokens) == 3


@pytest.mark.parametrize(("role", "limit"), [("admin", 30), ("volunteer", 30), ("visitor", 15)])
def test_a_sign_in_ends_after_its_idle_limit_and_each_use_moves_it_on(engine, now, admin, volunteer_actor, make_visitor, visitor_actor, role, limit):
    actor = {"admin": admin, "volunteer": volunteer_actor}.get(role) or visitor_actor(make_visitor())
    sign_in_id, token = sign_ins.start(engine, actor, now)

    used = now + timedelta(minutes=limit - 1)
    assert sign_ins.resume(engine, token, used, read_actor) == (sign_in_id, actor)
    assert sign_ins.check(engine, sign_in_id, used + timedelta(minutes=limit - 1), read_actor) == actor
    assert sign_ins.resume(engine, token, used + timedelta(minutes=3 * limit), read_actor) is None
    # ended for good: coming back within the limit afterwards does not revive it
    assert sign_ins.check(engine, sign_in_id, used, read_actor) is None


def test_signing_out_makes_a_copied_token_worthless(engine, now, admin):
    sign_in_id, token = sign_ins.start(engine, admin, now)
    sign_ins.end(engine, sign_in_id, now)
    assert sign_ins.resume(engine, token, now, read_actor) is None


def test_disabling_a_volunteer_signs_them_out_on_every_device(engine, now, admin, volunteer_actor):
    phone, desk = (sign_ins.start(engine, volunteer_actor, now)[1] for _ in range(2))
    set_volunteer_status(engine, volunteer_actor.id, "deactivated", admin, now)
    assert sign_ins.resume(engine, phone, now, read_actor) is None
    assert sign_ins.resume(engine, desk, now, read_actor) is None


def test_a_pin_reset_and_an_erasure_sign_the_visitor_out(engine, now, admin, make_visitor, visitor_actor):
    person = make_visitor()
    _, before_reset = sign_ins.start(engine, visitor_actor(person), now)
    reset_pin(engine, person, admin, now)
    assert sign_ins.resume(engine, before_reset, now, read_actor) is None

    _, before_erasure = sign_ins.start(engine, visitor_actor(person), now)
    erase_visitor(engine, person, admin, now)
    assert sign_ins.resume(engine, before_erasure, now, read_actor) is None
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(sign_ins_table.c.ended_at.is_(None))).scalar() == 0


@pytest.mark.parametrize("kind, login, old_password", [("volunteer", "volunteer1", VOLUNTEER_PASSWORD), ("staff", "irina", STAFF_PASSWORD)])
def test_a_password_reset_signs_the_person_out_everywhere_and_only_the_new_password_works(
    engine, now, admin, volunteer_actor, make_staff, kind, login, old_password
):
    person = volunteer_actor if kind == "volunteer" else make_staff(login="irina", role="coordinator")
    phone, desk = (sign_ins.start(engine, person, now)[1] for _ in range(2))

    password = reset_password(engine, kind, person.id, admin, now)

    assert sign_ins.resume(engine, phone, now, read_actor) is None
    assert sign_ins.resume(engine, desk, now, read_actor) is None
    assert authenticate(engine, login, password, now).id == person.id
    with pytest.raises(DomainError):
        authenticate(engine, login, old_password, now)


def test_only_an_admin_resets_a_password(engine, now, volunteer_actor, coordinator):
    with pytest.raises(NotAllowed):
        reset_password(engine, "volunteer", volunteer_actor.id, coordinator, now)
