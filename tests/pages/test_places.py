"""Места (admin): describe how a visitor finds a place; the visitor page shows it at once."""

import sqlalchemy as sa

from core.schema import places
from core.validation import ADDRESS_MAX, METRO_MAX, TEXT_MAX
from tests.pages.test_visitor import click


def place_id(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(places.c.id).where(places.c.name == name)).scalar_one()


def test_every_place_is_listed_with_its_address_metro_and_directions(app):
    at = app("places", "admin")
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert "**Ясная**" in shown
    assert "Ясный проезд, 19, корп\\. 2 · м\\. Бабушкинская" in shown
    assert any(text.startswith("Как пройти: Автобус 428") for text in shown)


def test_an_admin_changes_a_place_and_the_visitor_sees_it_when_choosing(app, db_engine):
    yasnaya = place_id(db_engine, "Ясная")
    at = click(app("places", "admin"), f"pl_edit_{yasnaya}")
    assert at.text_input(key="pl_address").value == "Ясный проезд, 19, корп. 2"
    at.text_input(key="pl_address").input("Ясный проезд, 21")
    at.text_input(key="pl_metro").input("Свиблово")
    at.text_area(key="pl_directions").input("От метро 10 минут пешком.")
    click(at, f"pl_save_{yasnaya}")
    assert [s.value for s in at.success] == ["Место «Ясная» сохранено."]
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(places).where(places.c.id == yasnaya)).one()
    assert (row.address, row.metro, row.directions) == ("Ясный проезд, 21", "Свиблово", "От метро 10 минут пешком.")

    visitor = app("visitor", "visitor")
    visitor.button_group(key="vp_place").set_value("Ясная").run()
    assert "📍 **Ясная** · Ясный проезд, 21 · м\\. Свиблово" in [m.value for m in visitor.markdown]
    assert "Как пройти: От метро 10 минут пешком\\." in [c.value for c in visitor.caption]


def test_the_fields_stop_at_the_limits_core_checks(app, db_engine):
    at = click(app("places", "admin"), f"pl_edit_{place_id(db_engine, 'Ясная')}")
    limits = (at.text_input(key="pl_address").max_chars, at.text_input(key="pl_metro").max_chars,
              at.text_area(key="pl_directions").max_chars)
    assert limits == (ADDRESS_MAX, METRO_MAX, TEXT_MAX)
