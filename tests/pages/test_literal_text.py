"""User text is inert: place and service names, titles, names, comments and typed search text
reach every markdown-reading widget escaped, so a picture or a link typed into them stays text."""

import re

import pytest
import sqlalchemy as sa

from core.schema import bookings, events, places, services, visitors
from tests.pages.test_schedule import add_service, click, start_form
from ui.format import md

BOLD = "**S**"


def image(port: int) -> str:
    return f"![p](http://127.0.0.1:{port}/x.png)"


def link(port: int) -> str:
    return f"http://127.0.0.1:{port}/y"


def plant(engine, port: int) -> None:
    """Markdown, a picture and a bare address from 127.0.0.1:`port` in all user text of the demo.

    Straight into the tables, as text from before today's input rules (or from an import) would
    be: the forms refuse most of it in names, and the screens must not depend on that."""
    comment = f"{image(port)} {link(port)} {BOLD} www.example.org mail@example.org"
    with engine.begin() as conn:
        conn.execute(sa.update(places).values(
            name=sa.literal(image(port)) + places.c.name, address=f"{image(port)} {link(port)}", metro=f"{BOLD}Трубная",
            directions=comment,
        ))
        conn.execute(sa.update(services).values(
            name=sa.literal(BOLD) + services.c.name + sa.literal(" " + link(port)),
            description=sa.literal(f"{image(port)} {link(port)} ") + services.c.description,
        ))
        conn.execute(sa.update(events).values(
            title=sa.literal(image(port) + BOLD) + events.c.title + sa.literal(" " + link(port))
        ))
        conn.execute(sa.update(visitors).values(
            last_name=sa.literal(image(port)) + visitors.c.last_name, first_name=sa.literal(BOLD) + visitors.c.first_name
        ))
        conn.execute(sa.update(bookings).values(comment=comment, staff_comment=comment))


def names(engine, table, column) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(column).order_by(table.c.id)).scalars())


@pytest.fixture
def planted(db_engine):
    plant(db_engine, 9)
    return db_engine


@pytest.mark.parametrize("text", [
    image(9), link(9), "https://example.org", "WWW.example.org", "mail@example.org", ":streamlit: :material/home:", "a -> b",
])
def test_escaped_text_leaves_nothing_the_renderer_turns_into_a_link_or_a_picture(text):
    # what remark and Streamlit's plugins see once the backslashes are read (they rewrite that text)
    parsed = re.sub(r"\\(.)", r"\1", md(text))
    assert parsed.replace("\u2060", "") == text
    assert not re.search(r"https?://|www\.|@\w|:streamlit:|:material/|\s->\s", parsed, re.IGNORECASE)


def test_the_visitor_sees_place_names_on_the_where_pills_escaped(app, planted):
    at = app("visitor", "visitor")
    assert not at.exception
    shown = at.button_group(key="vp_place").options
    assert shown == ["Все места", *(md(name) for name in names(planted, places, places.c.name))]


def test_the_visitor_sees_address_metro_and_directions_escaped_where_a_place_is_shown(app, planted):
    at = app("visitor", "visitor")
    place = names(planted, places, places.c.name)[0]
    at.button_group(key="vp_place").set_value(place).run()
    assert not at.exception
    with planted.connect() as conn:
        comment = conn.execute(sa.select(places.c.directions).limit(1)).scalar_one()
    where = f"📍 **{md(place)}** · {md(f'{image(9)} {link(9)} · м. {BOLD}Трубная')}"
    assert where in [m.value for m in at.markdown]
    assert f"Как пройти: {md(comment)}" in [c.value for c in at.caption]


def test_an_admin_sees_the_places_description_escaped(app, planted):
    at = app("places", "admin")
    assert not at.exception
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert md(f"{image(9)} {link(9)} · м. {BOLD}Трубная") in shown


def test_the_typed_search_and_the_chosen_place_are_escaped_in_the_schedule_filter_summary(app, planted):
    at = app("schedule", "admin")
    at.text_input(key="ef_text").set_value(BOLD)
    place = names(planted, places, places.c.name)[0]
    at.selectbox(key="ef_place").set_value(place)
    at.run()
    assert not at.exception
    assert at.expander[0].label == "🔎 Фильтры: " + md(f"поиск «{BOLD}»; место: {place}")


def test_the_calendar_legend_names_places_escaped(app, planted):
    at = app("sessions", "admin")
    at.segmented_control(key="ss_tab").set_value("calendar")
    at.run()
    assert not at.exception
    legend = next(c.value for c in at.caption if c.value.startswith("Цвета:"))
    assert image(9) not in legend
    assert any(md(name) in legend for name in names(planted, places, places.c.name))


def test_the_export_preview_shows_every_cell_escaped(app, planted):
    at = app("export", "coordinator")
    assert not at.exception
    frame = at.table[0].value
    with planted.connect() as conn:
        comment = conn.execute(sa.select(bookings.c.comment).limit(1)).scalar_one()
    assert set(frame["Комментарий"]) - {""} == {md(comment)}  # "" for a person whose data was erased
    assert set(frame["Место"]) <= {md(name) for name in names(planted, places, places.c.name)}


def test_a_refusal_naming_a_place_shows_the_name_escaped(app, planted):
    at = start_form(app("schedule", "admin"), "На новом месте")
    at.selectbox(key="ev_place").set_value(-1).run()
    at.text_input(key="ev_new_place").input("цветной").run()  # the planted place keeps its name key
    add_service(at, at.selectbox(key="ev_add_service").options[0], capacity=5)
    click(at, "ev_save")
    place = next(name for name in names(planted, places, places.c.name) if name.endswith("Цветной"))
    assert [e.value for e in at.error] == [f"Такое место уже есть: «{md(place)}»."]
