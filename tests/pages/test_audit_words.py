"""The audit log on Служебное reads in Russian: the codes an entry keeps are shown as words."""

import json
import re

from core import audit
from core.actors import Actor
from ui.format import audit_detail

ADMIN = Actor("staff", 1, "admin", "admin", "Администратор")


def test_an_export_entry_shows_its_fields_statuses_format_and_empty_dates_in_russian(now):
    entry = audit.entry(
        ADMIN, now, "export", "bookings", None,
        format="print", rows=3, fields=["service", "booked_at", "card", "staff_comment"],
        statuses=["no_show", "attended"], include_cancelled=False, session_period=[None, None],
    )

    shown = audit_detail(entry["detail"])

    assert re.findall(r"[A-Za-z]+", shown) == [], shown
    assert "Тип мероприятия, Дата записи, Номер карты" in shown and "Не пришел, Присутствовал" in shown
    assert "формат: печать" in shown and "с отменёнными: нет" in shown


def test_a_detail_that_is_not_an_object_is_shown_as_it_is():
    assert audit_detail(json.dumps([1, 2])) == "[1, 2]"
