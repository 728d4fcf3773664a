"""The local spool: task-log payloads waiting to reach the API, one JSON payload a line.

This is tooltrack JSONL (format 1 of `tooltrack ingest`): each line is one `TaskLogCreate` payload
with a client `log_key`, so sending a line twice (a replay after a crash, an ingest after a replay)
stores it once. Lines the API refuses go to a dead-letter file beside the spool, with the reason.

Standard library only: the hook writes here.
"""

from __future__ import annotations

import json
import os
import time
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
    """One spool file and its dead-letter file."""

    def __init__(self, path: Path | str | None = None, *, dead_letter: Path | str | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_spool_path()
        self.dead_letter_path = Path(dead_letter) if dead_letter is not None else dead_letter_path(self.path)

    def append(self, payload: dict[str, Any]) -> None:
        """Add one payload as one whole line, flushed to disk (a payload is a phase's whole record)."""
        append_line(self.path, dumps_line(payload), sync=True)

    def append_raw(self, lines: list[bytes]) -> None:
        """Put back whole lines exactly as they were, in one write (replay returns what it could not send)."""
        if lines:
            append_line(
                self.path, b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines), sync=True
            )

    def dead_letter(
        self,
        reason: str,
        *,
        payload: Any = None,
        raw_line: str | None = None,
        status: int | None = None,
        origin: str | None = None,
    ) -> None:
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
        append_line(self.dead_letter_path, dumps_line(record), sync=True)

    def __repr__(self) -> str:
        return f"Spool({str(self.path)!r})"
