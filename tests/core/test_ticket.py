"""Талон (core.ticket): who, what, when, where and how to cancel, every value escaped."""

from datetime import date, datetime, time

from core.places import Place
from core.ticket import HOW_TO_CANCEL, ticket
from core.visits import Visit

PRINTED = datetime(2026, 3, 10, 9, 30)


def visit(service="Стирка", day=date(2026, 3, 12), start=time(10), place=None) -> Visit:
    place = place or Place(1, "Цветной", "Цветной бульвар, 11", "Цветной бульвар", "Во двор, вторая дверь слева")
    return Visit(
        booking_id=1, event_id=1, event_title="Стирка и душ", recurring=False, event_service_id=1, date=day,
        start_time=start, end_time=time(start.hour + 1), service_name=service, place=place, status="expected",
        comment=None, created_at=PRINTED, created_by_kind="volunteer", created_by_id=1, staff_login=None, volunteer_name=None,
    )


def page(made) -> str:
    return made.data.decode("utf-8")


def test_the_ticket_names_the_person_briefly_with_the_card_and_says_what_when_where_and_how_to_cancel():
    made = ticket("Анна", "Петрова", "100042", [visit(), visit("Душ", start=time(9))], PRINTED)
    text = page(made)
    assert made.file_name == "талон-12.03.2026.html" and made.mime == "text/html" and made.rows == 2
    assert "Анна П." in text and "Петрова" not in text and "Карта 100042" in text
    assert text.index("Душ") < text.index("Стирка</p>")  # in the order of the day
    assert "12.03.2026, четверг · 10:00–11:00" in text and "12.03.2026, четверг · 09:00–10:00" in text
    assert "Цветной бульвар, 11 · м. Цветной бульвар" in text
    assert "Как пройти: Во двор, вторая дверь слева" in text
    assert HOW_TO_CANCEL in text
    assert "Напечатано 10.03.2026 09:30" in text
    assert "max-width: 72mm" in text  # an 80 mm receipt roll or an A6 sheet


def test_every_value_on_the_ticket_is_escaped():
    place = Place(2, "<b>Ясная</b>", "ул. <script>alert(1)</script>", None, "Спросить & «охрану»")
    text = page(ticket("<i>Анна</i>", "Петрова", "100042", [visit("Стирка <img src=x>", place=place)], PRINTED))
    assert "<script>" not in text and "<img" not in text and "<b>Ясная" not in text and "<i>" not in text
    assert "&lt;b&gt;Ясная&lt;/b&gt;" in text and "Стирка &lt;img src=x&gt;" in text and "Спросить &amp; «охрану»" in text


def test_an_undescribed_place_leaves_no_empty_lines():
    text = page(ticket("Анна", "Петрова", "100042", [visit(place=Place(3, "Ясная"))], PRINTED))
    assert 'class="where"' not in text and "Как пройти" not in text
