"""The local spool: task-log payloads waiting to reach the API, one JSON payload a line.

This is tooltrack JSONL (format 1 of `tooltrack ingest`): each line is one `TaskLogCreate` payload
with a client `log_key`, so sending a line twice (a replay after a crash, an ingest after a replay)
stores it once. Lines the API refuses go to a dead-letter file beside the spool, with the reason.

When the spool's folder cannot be written (a read-only home, a file where the folder should be,
a full disk), appends go to a **fallback** folder instead: the system temp folder, per user
(`$TMPDIR/tooltrack-<uid>/`, else `/tmp/tooltrack-<uid>/`), created private (mode 700) and used
only when it is a real folder owned by the user and closed to others (another user could
otherwise plant it in the shared temp folder). `tooltrack replay` sends it too; `tooltrack doctor`
says when it holds anything.

Standard library only: the hook writes here.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tooltrack.capture.files import append_line
from tooltrack.core import default_data_dir

SPOOL_ENV = "TOOLTRACK_SPOOL"
SPOOL_NAME = "task_logs.jsonl"


def default_spool_path() -> Path:
    """`TOOLTRACK_SPOOL` when set, else `<data dir>/spool/task_logs.jsonl`."""
    override = os.environ.get(SPOOL_ENV)
    if override:
        return Path(override).expanduser()
    return default_data_dir() / "spool" / SPOOL_NAME


def fallback_dir() -> Path:
    """The second place capture writes to when the spool's folder cannot be written (see the module docstring).

    `TMPDIR` is read here rather than through `tempfile`, whose import costs the hook milliseconds.
    """
    return Path(os.environ.get("TMPDIR") or "/tmp") / f"tooltrack-{os.getuid()}"


def fallback_spool_path() -> Path:
    """The fallback spool file (its hook sessions, dead letters and error log sit beside it)."""
    return fallback_dir() / SPOOL_NAME


def ensure_private_dir(folder: Path) -> None:
    """Create `folder` (mode 700) or check that the one there is a folder of this user's, closed to others.

    Raises PermissionError for anything else (a symbolic link, another user's folder, one others
    may write to), so that a fallback in the shared temp folder cannot be redirected.
    """
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{folder} is not a private folder of this user: not used as the fallback spool")


def dead_letter_path(spool: Path) -> Path:
    """Where refused payloads of `spool` go: `<name>.rejected.jsonl` beside it."""
    return spool.with_name(f"{spool.stem}.rejected.jsonl")


def sessions_dir(spool: Path) -> Path:
    """Where the hook keeps each Claude Code session's calls until the session's task log closes."""
    return spool.parent / "hook-sessions"


def hook_log_path(spool: Path) -> Path:
    """Where the hook writes its own errors (it must never print them to the agent)."""
    return spool.parent / "hook-errors.log"


def dumps_line(value: Any) -> bytes:
    """One compact JSON line. ASCII-escaped so that any string (even a lone surrogate) encodes."""
    return json.dumps(value, separators=(",", ":"), default=str).encode("ascii") + b"\n"


def utc_iso(epoch_seconds: float | None = None) -> str:
    """A timezone-aware ISO 8601 timestamp (UTC) for `epoch_seconds`, default now."""
    return datetime.fromtimestamp(time.time() if epoch_seconds is None else epoch_seconds, UTC).isoformat()


class Spool:
    """One spool file and its dead-letter file, with the fallback folder for when they cannot be written.

    `fallback=False` gives a spool that never falls back (the fallback spool itself, or a caller
    that wants the error).
    """

    def __init__(
        self, path: Path | str | None = None, *, dead_letter: Path | str | None = None, fallback: bool = True
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else default_spool_path()
        self.dead_letter_path = Path(dead_letter) if dead_letter is not None else dead_letter_path(self.path)
        self._fallback = fallback
        #: Why the last write went to the fallback folder (None while the spool itself is written).
        self.fallback_reason: str | None = None

    @property
    def fallback_path(self) -> Path | None:
        """Where appends go when this spool cannot be written; None when it never falls back."""
        if not self._fallback:
            return None
        path = fallback_spool_path()
        return None if path == self.path else path

    def fallback_spool(self) -> Spool | None:
        """The fallback spool (its folder made or checked), or None when there is none to use.

        Raises PermissionError when the fallback folder exists but is not this user's private folder.
        """
        path = self.fallback_path
        if path is None:
            return None
        ensure_private_dir(path.parent)
        return Spool(path, fallback=False)

    def existing_fallback(self) -> Spool | None:
        """The fallback spool when its folder exists (something was written there), else None."""
        path = self.fallback_path
        if path is None or not path.parent.is_dir():
            return None
        return Spool(path, fallback=False)

    def _write(self, target: Path, data: bytes, fallback_target: Callable[[Spool], Path]) -> Path:
        try:
            append_line(target, data, sync=True)
            self.fallback_reason = None
            return target
        except OSError as exc:
            if self.fallback_path is None:
                raise
            try:
                backup = self.fallback_spool()
                assert backup is not None
                where = fallback_target(backup)
                append_line(where, data, sync=True)
            except OSError as second:
                both = f"{exc}; the fallback {self.fallback_path.parent} failed too: {second}"
                raise OSError(exc.errno, both) from exc
            self.fallback_reason = f"{type(exc).__name__}: {exc}"
            return where

    def append(self, payload: dict[str, Any]) -> Path:
        """Add one payload as one whole line, flushed to disk (a payload is a phase's whole record).

        Returns the file written: the spool, or the fallback spool when the spool cannot be written.
        """
        return self._write(self.path, dumps_line(payload), lambda backup: backup.path)

    def append_raw(self, lines: list[bytes]) -> Path | None:
        """Put back whole lines exactly as they were, in one write (replay returns what it could not send)."""
        if not lines:
            return None
        data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
        return self._write(self.path, data, lambda backup: backup.path)

    def dead_letter(
        self,
        reason: str,
        *,
        payload: Any = None,
        raw_line: str | None = None,
        status: int | None = None,
        origin: str | None = None,
    ) -> Path:
        """Keep a refused payload with the reason, so it can be fixed and sent again by hand."""
        record: dict[str, Any] = {"rejected_at": utc_iso(), "reason": reason}
        if status is not None:
            record["status"] = status
        if origin is not None:
            record["origin"] = origin
        if raw_line is not None:
            record["line"] = raw_line
        else:
            record["payload"] = payload
        return self._write(self.dead_letter_path, dumps_line(record), lambda backup: backup.dead_letter_path)

    def __repr__(self) -> str:
        return f"Spool({str(self.path)!r})"
