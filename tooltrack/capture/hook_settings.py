"""`tooltrack hook install` / `uninstall`: tooltrack's hook entries in Claude Code's settings.json.

Two ways to capture, one entry per event (PreToolUse, PostToolUse, PostToolUseFailure, Stop,
SubagentStop):

- `http`: a `"type": "http"` hook posting each event to `tooltrack serve`
  (`/api/v1/hooks/claude-code`), the bearer token and the workflow meta as headers filled from
  the environment (`allowedEnvVars`, so nothing secret is written in the file);
- `command`: the command hook `tooltrack-hook` with `"async": true`, for a user who runs no
  server (Claude Code starts it and does not wait for it; the events go to the local spool).

The file is changed as little as can be: every other key, event, entry and hook stays as it
was, in its order; only hooks that are tooltrack's (`is_ours`) are replaced or removed, so
installing twice changes nothing the second time and switching modes leaves one entry. The file
is backed up beside itself before it is written (atomically, its mode kept). A file that is not
valid JSON, or whose `hooks` is not the shape Claude Code reads, is refused with the file, line
and column named, and nothing is written.

Standard library only, like the rest of `capture`.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from tooltrack.capture.hook import META_ENV

Mode = Literal["http", "command"]

HOOK_PATH: Final = "/api/v1/hooks/claude-code"
TOOL_EVENTS: Final = ("PreToolUse", "PostToolUse", "PostToolUseFailure")
HOOK_EVENTS: Final = (*TOOL_EVENTS, "Stop", "SubagentStop")
TOKEN_ENV: Final = "TOOLTRACK_API_TOKEN"
#: Seconds Claude Code waits for the endpoint at most (it answers in about a millisecond; a server
#: that hangs must not hold the agent longer than this).
HTTP_TIMEOUT: Final = 5
#: Seconds an async command hook may run before Claude Code ends it.
COMMAND_TIMEOUT: Final = 30
HOOK_COMMAND: Final = "tooltrack-hook"


class SettingsError(ValueError):
    """A settings file tooltrack will not change (the message names the file and the place)."""


def settings_path(scope: Literal["project", "user"], project_dir: Path | None = None) -> Path:
    """`<project>/.claude/settings.json`, or `~/.claude/settings.json` for the user."""
    if scope == "user":
        return Path.home() / ".claude" / "settings.json"
    return (project_dir or Path.cwd()) / ".claude" / "settings.json"


def hook_url(url: str) -> str:
    """The endpoint's URL: `url` as given, or with the hook path added when it names only the server."""
    if urlsplit(url).path in ("", "/"):
        return url.rstrip("/") + HOOK_PATH
    return url


def meta_header(variable: str) -> str:
    """The header that carries TOOLTRACK_* `variable` to the endpoint (`X-Tooltrack-Adw-Id` ...)."""
    return "X-" + "-".join(part.capitalize() for part in variable.split("_"))


def http_hook(url: str) -> dict[str, Any]:
    """The `"type": "http"` hook posting to `url`, the token and meta read from the environment."""
    variables = [TOKEN_ENV, *META_ENV.values()]
    headers = {"Authorization": f"Bearer ${TOKEN_ENV}"}
    headers |= {meta_header(variable): f"${variable}" for variable in META_ENV.values()}
    return {
        "type": "http",
        "url": hook_url(url),
        "timeout": HTTP_TIMEOUT,
        "headers": headers,
        "allowedEnvVars": variables,
    }


def default_command() -> str:
    """`tooltrack-hook` by its full path when it is installed beside this Python, else by name."""
    beside = Path(sys.executable).with_name(HOOK_COMMAND)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(HOOK_COMMAND) or HOOK_COMMAND


def command_hook(command: str | None = None) -> dict[str, Any]:
    """The async command hook (Claude Code starts it and goes on without waiting)."""
    return {"type": "command", "command": command or default_command(), "async": True, "timeout": COMMAND_TIMEOUT}


def is_ours(hook: object) -> bool:
    """Whether a hook of the settings is tooltrack's: an http hook to the hook path, or a command running the hook."""
    if not isinstance(hook, Mapping):
        return False
    if hook.get("type") == "http":
        url = hook.get("url")
        return isinstance(url, str) and urlsplit(url).path.rstrip("/") == HOOK_PATH
    if hook.get("type") == "command":
        command = hook.get("command")
        if not isinstance(command, str):
            return False
        words = command.split()
        names = [Path(word).name for word in words]
        return (
            (bool(names) and names[0] == HOOK_COMMAND)
            or names[:2] == ["tooltrack", "hook"]
            or "tooltrack.capture.hook" in words
        )
    return False


def load_settings(path: Path) -> tuple[str | None, dict[str, Any]]:
    """The file's text (None when there is no file) and its settings; SettingsError when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read: {exc}") from exc
    if not text.strip():
        return text, {}
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); nothing was changed"
        ) from exc
    if not isinstance(settings, dict):
        raise SettingsError(f"{path}: the settings must be a JSON object, not {type(settings).__name__}")
    hooks = settings.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise SettingsError(f"{path}: `hooks` must be an object of events, not {type(hooks).__name__}")
    for event in HOOK_EVENTS:
        entries = (hooks or {}).get(event)
        if entries is not None and not isinstance(entries, list):
            raise SettingsError(f"{path}: `hooks.{event}` must be a list of entries, not {type(entries).__name__}")
    return text, settings


def without_ours(settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` without tooltrack's hooks; entries, events and `hooks` left empty by that go too."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return dict(settings)  # a copy: callers change what they get
    new_hooks: dict[str, Any] = {}
    for event, entries in hooks.items():
        if not isinstance(entries, list):
            new_hooks[event] = entries
            continue
        kept_entries: list[Any] = []
        for entry in entries:
            inner = entry.get("hooks") if isinstance(entry, dict) else None
            if not isinstance(inner, list) or not any(is_ours(h) for h in inner):
                kept_entries.append(entry)
                continue
            kept = [h for h in inner if not is_ours(h)]
            if kept:
                kept_entries.append({**entry, "hooks": kept})
        if kept_entries or not entries:
            new_hooks[event] = kept_entries
    result = dict(settings)
    if new_hooks or not hooks:
        result["hooks"] = new_hooks
    else:
        del result["hooks"]
    return result


def with_hook(settings: dict[str, Any], hook: dict[str, Any]) -> dict[str, Any]:
    """`settings` with `hook` as tooltrack's one hook of each event (any earlier one of tooltrack's replaced)."""
    result = without_ours(settings)
    hooks = dict(result.get("hooks") or {})
    for event in HOOK_EVENTS:
        entry: dict[str, Any] = {"matcher": "*", "hooks": [hook]} if event in TOOL_EVENTS else {"hooks": [hook]}
        hooks[event] = [*(hooks.get(event) or []), entry]
    result["hooks"] = hooks
    return result


def _indent_of(text: str | None) -> int | str:
    """The file's own indentation (its first indented line), so that a rewrite changes only what it must."""
    for line in (text or "").splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def render(settings: dict[str, Any], like: str | None) -> str:
    return json.dumps(settings, indent=_indent_of(like), ensure_ascii=False) + "\n"


@dataclass(frozen=True, slots=True)
class Change:
    """What install or uninstall would do to one settings file."""

    path: Path
    before: str | None
    """The file's text, None when there is no file."""
    after: str | None
    """The text to write, None when nothing changes."""

    @property
    def changed(self) -> bool:
        return self.after is not None

    def diff(self) -> str:
        """A unified diff of the change (empty when nothing changes)."""
        if self.after is None:
            return ""
        return "".join(
            difflib.unified_diff(
                (self.before or "").splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=str(self.path) if self.before is not None else "/dev/null",
                tofile=str(self.path),
            )
        )


def plan_install(path: Path, hook: dict[str, Any]) -> Change:
    before, settings = load_settings(path)
    updated = with_hook(settings, hook)
    return Change(path, before, None if updated == settings and before is not None else render(updated, before))


def plan_uninstall(path: Path) -> Change:
    before, settings = load_settings(path)
    updated = without_ours(settings)
    return Change(path, before, None if updated == settings else render(updated, before))


def backup_path(path: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return path.with_name(f"{path.name}.bak-{stamp}")


def apply(change: Change) -> Path | None:
    """Write the change: the old file copied to a backup first, then the new text put in place at once.

    Returns the backup (None when there was no file, or nothing to change).
    """
    if change.after is None:
        return None
    path = change.path
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    mode = 0o644
    if change.before is not None:
        backup = backup_path(path)
        shutil.copy2(path, backup)
        mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(change.after)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return backup
