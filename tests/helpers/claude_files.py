"""Real Claude Code files as a test needs them on disk: with a given modification time, as JSONL,
with recent timestamps. Every helper copies whole lines (or whole JSON-array elements) and changes
only what it says it changes."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: When the real fixtures were last written by their authors, long before any test runs (more
#: than the 24 h a file may still grow): the oldest commit date of tests/fixtures/SOURCES.md.
WRITTEN_LONG_AGO = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)


def set_written(path: Path, when: datetime) -> Path:
    """Give `path` the modification time `when` (as if last written then)."""
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def copy_written(source: Path, target: Path, when: datetime = WRITTEN_LONG_AGO) -> Path:
    """Copy `source` to `target` (folders made) and give the copy the modification time `when`:
    a checkout or a copy has the time it was made, which would make every file look just written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return set_written(target, when)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file, in order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_lines(path: Path, values: Iterable[dict[str, Any]]) -> Path:
    """Write JSON objects one per line (Claude Code's own shape: compact JSON, one object a line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(value, ensure_ascii=False) + "\n" for value in values), encoding="utf-8")
    return path


def array_as_jsonl(source: Path, target: Path) -> Path:
    """A transcript saved as one JSON array (`logs/chat.json`) as the JSONL transcript it copies:
    one element per line, each unchanged."""
    elements = json.loads(source.read_text(encoding="utf-8"))
    assert isinstance(elements, list)
    return write_lines(target, elements)


def newest_time(values: list[dict[str, Any]]) -> datetime:
    """The latest `timestamp` of the lines."""
    return max(_time(v["timestamp"]) for v in values if isinstance(v.get("timestamp"), str))


def shift_times(values: list[dict[str, Any]], offset: timedelta) -> list[dict[str, Any]]:
    """The same lines with every `timestamp` moved by `offset` (e.g. so that a real session looks
    like one still being written: its last line recent). Nothing else changes."""
    return [_with(v, "timestamp", _stamp(_time(v["timestamp"]) + offset)) if "timestamp" in v else v for v in values]


def _with(value: dict[str, Any], key: str, new: Any) -> dict[str, Any]:
    changed = dict(value)
    changed[key] = new
    return changed


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _stamp(when: datetime) -> str:
    """Claude Code's own timestamp shape: UTC, milliseconds, `Z`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def edit(values: list[dict[str, Any]], index: int, change: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    """The lines with line `index` (0-based) changed in place by `change` on a deep copy of it."""
    copied = [dict(v) for v in values]
    copied[index] = json.loads(json.dumps(values[index]))
    change(copied[index])
    return copied
