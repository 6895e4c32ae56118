"""Security rules that hold for the whole code base."""

import ast
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for folder in ("app.py", "app_pages", "ui", "core") for p in sorted((ROOT / folder).rglob("*.py"))] + [ROOT / "app.py"]


def calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def module_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound once to a string literal."""
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def test_no_code_turns_on_unsafe_html():
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in calls(tree):
            for keyword in call.keywords:
                if keyword.arg in ("unsafe_allow_html", "unsafe_allow_javascript") and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert offenders == []


def test_st_html_is_only_ever_given_constant_text():
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = module_constants(tree)
        for call in calls(tree):
            if isinstance(call.func, ast.Attribute) and call.func.attr == "html" and isinstance(call.func.value, ast.Name) and call.func.value.id == "st":
                argument = call.args[0] if call.args else None
                constant = isinstance(argument, ast.Constant) or (isinstance(argument, ast.Name) and argument.id in constants)
                if not constant:
                    offenders.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert offenders == []


def test_streamlit_config_keeps_xsrf_protection_on_and_error_details_hidden():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    # uncaught errors reach the log through logging (core/private_logs.py), never printed by rich
    assert config["logger"]["enableRich"] is False


def test_git_tracks_no_secrets_databases_or_backups():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    forbidden = [
        name for name in tracked
        if name.endswith((".duckdb", ".duckdb.wal", ".dump", "secrets.toml")) or "/backups/" in f"/{name}"
    ]
    assert forbidden == []


def test_core_never_imports_streamlit():
    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] == "streamlit" for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
