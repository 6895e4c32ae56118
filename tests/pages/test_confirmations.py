"""Destructive buttons only ask: «Сбросить PIN» at the desk and «Отключить» on Волонтёры do
nothing until «Да, …» under them, and «Нет» leaves everything as it was. (The desk's «Отменить»
is checked in test_desk.py.)"""

import sqlalchemy as sa

from core.visitors import visitor_sign_in
from core.schema import visitors, volunteers
from ui.clock import now

DEMO_PIN = "1111"


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def test_resetting_a_pin_first_asks_and_no_keeps_the_old_pin(app, db_engine):
    at = app("desk", "volunteer")
    at.text_input(key="dk_q").input("100003").run()
    with db_engine.connect() as conn:
        visitor_id = conn.execute(sa.select(visitors.c.id).where(visitors.c.card_number == "100003")).scalar_one()
    click(at, f"dk_pick_{visitor_id}")
    click(at, "dk_reset_pin")
    assert [w.value for w in at.warning if w.value.startswith("Сбросить PIN?")]
    assert not [m for m in at.metric if m.label.startswith("Новый PIN")]

    click(at, "dk_no_pin")

    assert "dk_yes_pin" not in {b.key for b in at.button}
    assert visitor_sign_in(db_engine, "100003", DEMO_PIN, now()).label == "100003"


def test_switching_a_volunteer_off_first_asks_and_no_keeps_them_active(app, db_engine):
    at = app("volunteers", "admin")
    click(at, "vl_off_1")
    assert [w.value for w in at.warning if w.value.startswith("Отключить волонтёра")]

    click(at, "vl_no_off_1")

    assert "vl_yes_off_1" not in {b.key for b in at.button}
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(volunteers.c.status).where(volunteers.c.id == 1)).scalar_one() == "active"
