"""Служебное: the admin makes a backup by hand and reads the audit log in Russian."""

from pathlib import Path

from core.backup import list_backups


def test_the_backup_button_writes_a_snapshot_and_the_warning_goes_away(app, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "copies"))
    at = app("service", "admin")
    assert any("больше 26 часов" in w.value for w in at.warning)
    at.button(key="sv_backup").click().run()
    assert not at.exception
    assert any("Резервная копия создана" in s.value for s in at.success)
    assert len(list_backups(Path(tmp_path / "copies"))) == 1
    assert not any("больше 26 часов" in w.value for w in at.warning)


def test_the_restore_note_speaks_to_an_admin_in_words_not_a_command(app, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "copies"))
    at = app("service", "admin")
    at.button(key="sv_backup").click().run()
    note = next(c.value for c in at.caption if "Восстановить базу" in c.value)
    assert "make" not in note and "BACKUP" not in note


def test_the_audit_log_lists_actions_in_russian_and_filters_by_action(app, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "copies"))
    at = app("service", "admin")
    at.button(key="sv_backup").click().run()
    at.selectbox(key="sv_action").select("Резервная копия").run()
    table = at.table[-1].value
    assert list(table["Действие"]) == ["Резервная копия"]
    assert list(table["Кто"]) == ["сотрудник admin"]
