"""`tooltrack hook install` / `uninstall` on real settings files (tests/fixtures/real/case8-settings-hooks).

Each real file keeps every other setting, event, entry and hook, in order; install adds one
entry per event and changes nothing the second time; uninstall gives back the same settings;
the file is backed up; --dry-run writes nothing; a malformed file is refused naming the file and
the place, and nothing is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tooltrack.capture.hook_settings import HOOK_EVENTS, HOOK_PATH, TOOL_EVENTS, is_ours
from tooltrack.cli import main

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "case8-settings-hooks"
SETTINGS_FILES = sorted(REAL.rglob("*.json"))


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["hook", *args], catch_exceptions=False)


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project" / ".claude" / "settings.json"
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    return target


def _ours(settings: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for event, entries in (settings.get("hooks") or {}).items():
        for entry in entries:
            for hook in entry.get("hooks", []):
                if is_ours(hook):
                    found.setdefault(event, []).append(hook)
    return found


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.bak-*"))


def test_the_fixtures_are_there() -> None:
    assert len(SETTINGS_FILES) >= 10, f"expected the real settings files under {REAL}"


@pytest.mark.parametrize("source", SETTINGS_FILES, ids=lambda p: str(p.relative_to(REAL)))
def test_install_keeps_everything_else_is_idempotent_and_uninstall_gives_it_back(source: Path, tmp_path: Path) -> None:
    path = _copy(source, tmp_path)
    original_bytes = path.read_bytes()
    original = json.loads(original_bytes)

    result = _run("install", "--settings", str(path), "--url", "http://127.0.0.1:8765")
    assert result.exit_code == 0, result.output
    installed = json.loads(path.read_text())
    # Every other setting as it was.
    assert {k: v for k, v in installed.items() if k != "hooks"} == {k: v for k, v in original.items() if k != "hooks"}
    before_hooks = original.get("hooks", {})
    for event, entries in before_hooks.items():
        # The user's entries first, unchanged and in order; tooltrack's after them.
        assert installed["hooks"][event][: len(entries)] == entries, event
    for event in HOOK_EVENTS:
        added = installed["hooks"][event][len(before_hooks.get(event, [])) :]
        assert len(added) == 1, event
        assert added[0].get("matcher") == ("*" if event in TOOL_EVENTS else None)
        (hook,) = added[0]["hooks"]
        assert hook["type"] == "http"
        assert hook["url"] == f"http://127.0.0.1:8765{HOOK_PATH}"
        assert hook["headers"]["Authorization"] == "Bearer $TOOLTRACK_API_TOKEN"
        assert "TOOLTRACK_API_TOKEN" in hook["allowedEnvVars"]
    assert set(_ours(installed)) == set(HOOK_EVENTS)
    (backup,) = _backups(path)
    assert backup.read_bytes() == original_bytes

    again = _run("install", "--settings", str(path), "--url", "http://127.0.0.1:8765")
    assert again.exit_code == 0
    assert "nothing to change" in again.output
    assert json.loads(path.read_text()) == installed
    assert len(_backups(path)) == 1  # nothing written, nothing backed up

    removed = _run("uninstall", "--settings", str(path))
    assert removed.exit_code == 0, removed.output
    assert json.loads(path.read_text()) == original
    assert _ours(json.loads(path.read_text())) == {}


def test_switching_to_the_async_command_hook_leaves_one_entry_per_event(tmp_path: Path) -> None:
    path = _copy(REAL / "claude-code-hooks-mastery.settings.json", tmp_path)
    original = json.loads(path.read_text())
    assert _run("install", "--settings", str(path)).exit_code == 0
    result = _run("install", "--settings", str(path), "--mode", "command", "--command", "/opt/tt/bin/tooltrack-hook")
    assert result.exit_code == 0, result.output
    ours = _ours(json.loads(path.read_text()))
    assert set(ours) == set(HOOK_EVENTS)
    for hooks in ours.values():
        assert hooks == [{"type": "command", "command": "/opt/tt/bin/tooltrack-hook", "async": True, "timeout": 30}]
    # The user's own command hooks (uv run .../pre_tool_use.py) are not tooltrack's: still there.
    assert json.loads(path.read_text())["hooks"]["PreToolUse"][0] == original["hooks"]["PreToolUse"][0]
    _run("uninstall", "--settings", str(path))
    assert json.loads(path.read_text()) == original


def test_an_older_tooltrack_hook_entry_is_replaced_not_duplicated(tmp_path: Path) -> None:
    path = _copy(REAL / "kotadb.settings.json", tmp_path)
    settings = json.loads(path.read_text())
    settings.setdefault("hooks", {}).setdefault("PostToolUse", []).append(
        {"matcher": "", "hooks": [{"type": "command", "command": "tooltrack hook"}]}
    )
    path.write_text(json.dumps(settings, indent=2))
    assert _run("install", "--settings", str(path)).exit_code == 0
    ours = _ours(json.loads(path.read_text()))
    assert [h["type"] for h in ours["PostToolUse"]] == ["http"]


def test_dry_run_prints_the_change_and_writes_nothing(tmp_path: Path) -> None:
    path = _copy(REAL / "echocontext-factory.settings.json", tmp_path)
    before = path.read_bytes()
    result = _run("install", "--settings", str(path), "--dry-run")
    assert result.exit_code == 0
    assert f"+++ {path}" in result.output
    assert '+          "type": "http",' in result.output or '"type": "http"' in result.output
    assert "dry run" in result.output
    assert path.read_bytes() == before
    assert _backups(path) == []


def test_project_and_user_settings_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    project = tmp_path / "repo"
    project.mkdir()
    assert _run("install", "--project-dir", str(project)).exit_code == 0
    assert set(_ours(json.loads((project / ".claude" / "settings.json").read_text()))) == set(HOOK_EVENTS)
    user_file = home / ".claude" / "settings.json"
    user_file.parent.mkdir()
    shutil.copyfile(REAL / "dotclaude-user-level.settings.json", user_file)
    assert _run("install", "--user", "--mode", "command").exit_code == 0
    assert {h["type"] for hooks in _ours(json.loads(user_file.read_text())).values() for h in hooks} == {"command"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{\n  "hooks": {\n    "PreToolUse": [\n  }\n', "line 4"),
        ('{"env": {"A": "1"},}', "line 1"),
        ("[1, 2]", "must be a JSON object"),
        ('{"hooks": []}', "`hooks` must be an object"),
        ('{"hooks": {"Stop": {"type": "command"}}}', "`hooks.Stop` must be a list"),
    ],
)
def test_a_malformed_file_is_refused_naming_it_and_nothing_is_written(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    for command in (["install", "--settings", str(path)], ["uninstall", "--settings", str(path)]):
        result = CliRunner().invoke(main, ["hook", *command])
        assert result.exit_code == 1
        assert str(path) in result.output
        assert where in result.output
        assert path.read_text() == text
        assert _backups(path) == []


def test_uninstall_of_a_file_without_tooltrack_changes_nothing(tmp_path: Path) -> None:
    path = _copy(REAL / "big3.settings.json", tmp_path)
    before = path.read_bytes()
    result = _run("uninstall", "--settings", str(path))
    assert "nothing to change" in result.output
    assert path.read_bytes() == before
