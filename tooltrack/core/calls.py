"""What one stored tool call means for analytics: failed, cancelled, its target, its day.

These few definitions are shared by the rollups (on insert and on rebuild), by the service's reads
of raw rows and by the tests' plain-Python reference, so every answer counts the same way.

- A call is *cancelled* when its outcome is "cancelled" (a parallel sibling failed and took it
  down). It is neither a success nor a failure and is left out of success rates.
- A call *failed* when `success` is false and it was not cancelled (interrupted and rejected calls
  are failures: the agent did not get what it asked for).
- A task log's *activity time* is `started_at`, else `created_at` (imported logs carry their real
  start; `created_at` is when the row was inserted). Every day bucket is that instant's UTC day.
- A call without a result may still be running for `UNFINISHED_GRACE_SECONDS` after it was made
  (a long permission prompt, a long sub-agent): the hook and the ingest both wait that long
  before they store it as interrupted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

#: Tools that change a file named by `file_path`.
FILE_MODIFIERS: Final = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
#: Tools that edit a file in place (runs of these are "consecutive edits").
EDITORS: Final = frozenset({"Edit", "MultiEdit"})

#: How long a call without a result counts as still running (not interrupted): 24 h. The hook
#: (`tooltrack.capture`) and the ingest of files that may still grow share this one figure.
UNFINISHED_GRACE_SECONDS: Final = 24 * 3600.0

_TARGET_FIELDS: Final = ("file_path", "command", "pattern", "url", "subagent_type")
MAX_TARGET: Final = 500


def is_cancelled(call: dict[str, Any]) -> bool:
    return call.get("outcome") == "cancelled"


def is_failed(call: dict[str, Any]) -> bool:
    return not call.get("success", False) and call.get("outcome") != "cancelled"


def duration_of(call: dict[str, Any]) -> int | None:
    """The call's duration in ms, None when unknown."""
    value = call.get("duration_ms")
    return None if value is None else int(value)


def outcome_of(call: dict[str, Any]) -> tuple[bool, bool, int | None]:
    """(failed, cancelled, duration) at once: what the rollups ask of every call on insert."""
    cancelled = call.get("outcome") == "cancelled"
    value = call.get("duration_ms")
    return (not cancelled and not call.get("success", False)), cancelled, (None if value is None else int(value))


def call_target(call: dict[str, Any]) -> str | None:
    """What a call worked on, for lists and findings: file, command, pattern, URL or sub-agent."""
    for field in _TARGET_FIELDS:
        value = call.get(field)
        if value:
            return str(value)[:MAX_TARGET]
    return None


def activity_time(started_at: datetime | None, created_at: datetime | None) -> datetime:
    """When a task log happened: its start when known, else when it was stored (UTC)."""
    moment = started_at or created_at or datetime.now(UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def activity_day(started_at: datetime | None, created_at: datetime | None) -> date:
    return activity_time(started_at, created_at).date()


def call_time(call: dict[str, Any], fallback: datetime) -> datetime:
    """The call's own timestamp when it has a readable one, else `fallback`."""
    value = call.get("timestamp")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return fallback
    else:
        return fallback
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


#: The duration sources that time the call's execution alone (the tracker's measurement, the
#: tool's own timing, the hook's `duration_ms`); the others ("timestamps" of transcript lines,
#: "hook_timing" between PreToolUse and PostToolUse) include any wait for the user's permission.
EXECUTION_SOURCES: Final = frozenset({"measured", "tool_reported", "hook"})
