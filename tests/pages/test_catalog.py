"""Справочник услуг (admin): add, rename, retire with confirmation, bring back; errors under fields."""

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.catalog import retire_service
from core.schema import audit_log, services
from tests.pages.conftest import ACTORS
from tests.pages.test_access import spy_on_menu
from ui.clock import now
from ui.db import after_write

FIELD_KEYS = {"name": "cat_name", "description": "cat_description", "capacity": "cat_capacity",
              "window": "cat_window", "duration": "cat_duration"}
WIDGET_TYPES = {"cat_name": "text_input", "cat_description": "text_area"}


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception
    return at


def fill(at: AppTest, **values) -> AppTest:
    for name, value in values.items():
        widget = at.number_input(key=FIELD_KEYS[name]) if name in ("capacity", "window", "duration") else (
            at.text_area(key=FIELD_KEYS[name]) if name == "description" else at.text_input(key=FIELD_KEYS[name])
        )
        widget.set_value(value)
    return at


def catalog_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(services.c.name, services.c.description, services.c.default_capacity, services.c.default_window_days,
                      services.c.default_duration_min, services.c.retired_at.is_not(None)).order_by(services.c.id)
        )]


def service_id(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(services.c.id).where(services.c.name == name)).scalar_one()


def catalog_audit(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(audit_log.c.action, audit_log.c.entity_id).where(audit_log.c.entity == "service").order_by(audit_log.c.id)
        )]


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.error])


def order_in(block) -> list[tuple[str, str | None]]:
    """(type, key or error text) of every element inside a container, in the order drawn."""
    found = []
    for child in getattr(block, "children", {}).values():
        found.append((child.type, child.value if child.type == "error" else getattr(child, "key", None)))
        found.extend(order_in(child))
    return found


def test_the_list_shows_each_service_with_its_defaults_and_state(app):
    at = app("catalog", "admin")
    assert [t.value for t in at.title] == ["Справочник услуг"]
    shown = texts(at)
    assert "**Стирка**" in shown and "Стирка и сушка вещей" in shown
    assert "Действуют: 10. Выведены: 0." in shown
    assert "Выведена" not in shown and "Действует" in shown


def test_an_admin_adds_a_service_with_all_five_fields(app, db_engine):
    before = catalog_rows(db_engine)
    at = click(app("catalog", "admin"), "cat_add")
    fill(at, name="  Массаж\u200b ", description="Лечебный массаж спины", capacity=3, window=14, duration=45)
    click(at, "cat_save")

    assert [s.value for s in at.success] == ["Услуга добавлена в справочник."]
    assert catalog_rows(db_engine) == before + [("Массаж", "Лечебный массаж спины", 3, 14, 45, False)]
    assert catalog_audit(db_engine) == [("create", str(service_id(db_engine, "Массаж")))]
    assert "**Массаж**" in texts(at) and "Действуют: 11." in texts(at)
    assert not [b for b in at.button if b.key == "cat_save"]  # the form closed


def test_every_bad_field_gets_its_message_under_it_and_nothing_is_written(app, db_engine):
    before = catalog_rows(db_engine)
    at = click(app("catalog", "admin"), "cat_add")
    fill(at, name="\u200b", description="  ", capacity=0, window=400, duration=1)
    click(at, "cat_save")

    drawn = order_in(at.main)
    expected = [
        ("cat_name", "Заполните это поле."),
        ("cat_description", "Заполните это поле."),
        ("cat_capacity", "Вместимость — от 1 до 1000."),
        ("cat_window", "Окно записи — от 0 до 365 дней."),
        ("cat_duration", "Длительность — от 5 до 720 минут."),
    ]
    for key, message in expected:
        where = drawn.index((WIDGET_TYPES.get(key, "number_input"), key))
        assert drawn[where + 1] == ("error", message), key
    assert sorted(e.value for e in at.error) == sorted(m for _, m in expected)
    assert catalog_rows(db_engine) == before and catalog_audit(db_engine) == []


def test_a_name_already_in_the_catalog_is_refused_under_the_name(app, db_engine):
    before = catalog_rows(db_engine)
    at = click(app("catalog", "admin"), "cat_add")
    fill(at, name=" сти\u00adрка ", description="Ещё одна стирка")
    click(at, "cat_save")
    assert [e.value for e in at.error] == ["Такая услуга уже есть в справочнике."]
    drawn = order_in(at.main)
    assert drawn[drawn.index(("text_input", "cat_name")) + 1] == ("error", "Такая услуга уже есть в справочнике.")
    assert catalog_rows(db_engine) == before

    at.text_input(key="cat_name").input("Стирка обуви").run()
    assert not at.error  # the cause is fixed: the message goes
    click(at, "cat_save")
    assert catalog_rows(db_engine)[-1][:2] == ("Стирка обуви", "Ещё одна стирка")


def test_an_admin_renames_a_service_and_its_new_name_shows_everywhere(app, db_engine):
    shower = service_id(db_engine, "Душ")
    at = click(app("catalog", "admin"), f"cat_edit_{shower}")
    assert at.text_input(key="cat_name").value == "Душ"
    assert at.number_input(key="cat_capacity").value == catalog_rows(db_engine)[1][2]
    fill(at, name="Душ и гигиена", duration=40)
    click(at, "cat_save")

    assert [s.value for s in at.success] == ["Изменения сохранены."]
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(services).where(services.c.id == shower)).one()
    assert (row.name, row.name_key, row.default_duration_min) == ("Душ и гигиена", "душ и гигиена", 40)
    assert catalog_audit(db_engine) == [("update", str(shower))]
    assert "**Душ и гигиена**" in texts(at)


def test_cancel_closes_the_form_without_writing(app, db_engine):
    before = catalog_rows(db_engine)
    at = click(app("catalog", "admin"), f"cat_edit_{service_id(db_engine, 'Душ')}")
    fill(at, name="Что-то другое")
    click(at, "cat_cancel")
    assert catalog_rows(db_engine) == before and not [b for b in at.button if b.key == "cat_save"]


def test_retiring_asks_first_then_retires_and_vernut_brings_it_back(app, db_engine):
    washing = service_id(db_engine, "Стирка")
    at = click(app("catalog", "admin"), f"cat_retire_{washing}")
    [question] = at.main.warning
    assert question.value.startswith("Вывести «Стирка» из справочника?")
    assert "активн" in question.value  # the demo's events have it: they keep it
    assert catalog_rows(db_engine)[0][-1] is False and catalog_audit(db_engine) == []

    click(at, f"cat_no_{washing}")
    assert not at.main.warning and catalog_rows(db_engine)[0][-1] is False

    click(at, f"cat_retire_{washing}")
    click(at, f"cat_yes_retire_{washing}")
    assert [s.value for s in at.success] == ["Услуга «Стирка» выведена из справочника."]
    assert catalog_rows(db_engine)[0][-1] is True
    assert "Выведены: 1." in texts(at)
    assert not [b for b in at.button if b.key == f"cat_retire_{washing}"]

    click(at, f"cat_restore_{washing}")
    assert [s.value for s in at.success] == ["Услуга «Стирка» снова в справочнике."]
    assert catalog_rows(db_engine)[0][-1] is False
    assert catalog_audit(db_engine) == [("retire", str(washing)), ("restore", str(washing))]


def test_a_retired_service_leaves_the_event_forms_picker(app, db_engine):
    retire_service(db_engine, service_id(db_engine, "Стирка"), ACTORS["admin"], now())
    at = click(app("schedule", "admin"), "ev_create")
    choices = at.selectbox(key="ev_add_service").options
    assert "Стирка" not in choices and "Душ" in choices


def test_a_retired_service_leaves_the_visitor_page(app, db_engine):
    washing = service_id(db_engine, "Стирка")
    assert [b for b in app("visitor", "visitor").button if b.key == f"vb_pick_{washing}"]
    retire_service(db_engine, washing, ACTORS["admin"], now())
    after_write()  # what the admin's retiring does in the app: the next run reads the offers again
    at = app("visitor", "visitor")
    assert not at.exception
    assert not [b for b in at.button if b.key == f"vb_pick_{washing}"]
    assert "**Стирка**" not in texts(at) and "**Душ**" in texts(at)


@pytest.mark.parametrize("role", ["coordinator", "volunteer", "visitor"])
def test_other_roles_are_refused_and_see_no_catalog(app, role):
    at = app("catalog", role)
    assert not at.exception
    assert [e.value for e in at.error] == ["Этот раздел вам недоступен."]
    assert not [b for b in at.button if (b.key or "").startswith("cat_")]
    assert "Стирка и сушка вещей" not in texts(at)


def test_the_admin_menu_links_to_the_catalog(app, monkeypatch):
    menus = spy_on_menu(monkeypatch)
    app("catalog", "admin")
    assert "Справочник услуг" in menus[-1]


def test_an_admin_sets_a_limit_per_person_and_the_row_shows_it(app, db_engine):
    clothes = service_id(db_engine, "Душ")
    at = click(app("catalog", "admin"), f"cat_edit_{clothes}")
    assert at.text_input(key="cat_limit").value == ""
    at.text_input(key="cat_limit").set_value("0")
    click(at, "cat_save")
    assert [e.value for e in at.error] == ["Не чаще раза в N дней: N — от 1 до 365; пусто — без ограничения."]

    at.text_input(key="cat_limit").set_value("30")
    click(at, "cat_save")
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(services.c.limit_days).where(services.c.id == clothes)).scalar_one() == 30
    assert "не чаще раза в 30 дней" in texts(at)
    click(at, f"cat_edit_{clothes}")
    at.text_input(key="cat_limit").set_value(" ")
    click(at, "cat_save")
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(services.c.limit_days).where(services.c.id == clothes)).scalar_one() is None
