"""Finding repeated work in the calls of one task log (one agent session).

Three patterns, each counted within one task log: a new phase starts a new agent with an empty
context, so reading a file again in a later phase is not waste.

- **Repeated read**: a file read again (same `file_path`, `offset` and `limit`) after a
  successful read of it, with no Write/Edit/MultiEdit/NotebookEdit of that file in between.
  Changes made by Bash commands cannot be seen and are not taken into account.
- **Repeated command**: the same Bash command (exact text) run again with nothing in between that
  could change its result: no file-changing tool call and no other Bash command.
- **Consecutive edits**: a run of two or more Edit/MultiEdit calls on one file with no other call
  between them; every edit after the first could have been part of one MultiEdit.

Calls issued in parallel (same non-empty `turn_id`) are never redundant with each other.
The first, necessary call is not counted; `count` is the number of redundant calls and
`wasted_ms` their summed duration (unknown durations count as 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from tooltrack.core.calls import EDITORS, FILE_MODIFIERS, duration_of, is_cancelled, is_failed

Kind = Literal["repeated_read", "repeated_command", "consecutive_edits"]

REDUNDANCY_PATTERNS: Final[dict[str, tuple[str, str]]] = {
    "repeated_read": (
        "Multiple reads of same file",
        "Keep the file's content in context instead of reading it again, or read only the lines needed.",
    ),
    "repeated_command": (
        "Same command re-run with nothing changed",
        "Nothing changed since the last run: reuse its output, or change something before running it again.",
    ),
    "consecutive_edits": (
        "Consecutive edits of one file",
        "Combine the edits into one MultiEdit (or one Write) instead of several Edit calls.",
    ),
}


@dataclass(slots=True)
class Tally:
    """One pattern on one target within one task log."""

    kind: Kind
    target: str
    file_path: str | None = None
    command: str | None = None
    count: int = 0
    occurrences: int = 0
    wasted_ms: int = 0
    wasted_tokens: int = 0
    """Attributed tokens of the redundant calls (`cost_tokens`, where the source let it be known)."""
    wasted_usd: float = 0.0
    """Attributed cost of the redundant calls (`cost_usd`, where known)."""

    def waste(self, call: dict[str, Any]) -> None:
        """Count `call` as one redundant call: its time, and what it cost."""
        self.count += 1
        self.wasted_ms += duration_of(call) or 0
        self.wasted_tokens += call.get("cost_tokens") or 0
        self.wasted_usd += call.get("cost_usd") or 0.0


@dataclass(slots=True)
class _Findings:
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)

    def get(self, kind: Kind, target: str, **extra: Any) -> Tally:
        key = (kind, target)
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = Tally(kind, target, **extra)
        return tally


def _same_turn(a: str | None, b: str | None) -> bool:
    return a is not None and a == b


def read_target(call: dict[str, Any]) -> str:
    """The key of a read: its file, with offset and limit when given."""
    path = str(call.get("file_path"))
    offset, limit = call.get("offset"), call.get("limit")
    if offset is None and limit is None:
        return path
    return f"{path} (offset={offset}, limit={limit})"


def find_in_log(calls: Iterable[dict[str, Any]]) -> list[Tally]:
    """Every redundant pattern in one task log's calls (in call order)."""
    found = _Findings()
    reads = _ReadTracker(found)
    commands = _CommandTracker(found)
    edits = _EditTracker(found)
    for call in calls:
        reads.see(call)
        commands.see(call)
        edits.see(call)
    edits.close()
    return [t for t in found.tallies.values() if t.count > 0]


class _ReadTracker:
    def __init__(self, found: _Findings) -> None:
        self.found = found
        self.known: dict[str, str | None] = {}  # read key -> turn of the read that made it known
        self.keys_of_path: dict[str, set[str]] = {}

    def see(self, call: dict[str, Any]) -> None:
        tool = call.get("tool_name")
        path = call.get("file_path")
        if not path:
            return
        if tool == "Read":
            key = read_target(call)
            turn = call.get("turn_id")
            tally = self.found.get("repeated_read", key, file_path=str(path))
            tally.occurrences += 1
            if key in self.known and not _same_turn(self.known[key], turn):
                tally.waste(call)
            if key not in self.known and not is_failed(call) and not is_cancelled(call):
                self.known[key] = turn
                self.keys_of_path.setdefault(str(path), set()).add(key)
        elif tool in FILE_MODIFIERS:
            for key in self.keys_of_path.pop(str(path), set()):
                self.known.pop(key, None)


class _CommandTracker:
    def __init__(self, found: _Findings) -> None:
        self.found = found
        self.last: tuple[str, str | None] | None = None  # (command, turn) of the last Bash run

    def see(self, call: dict[str, Any]) -> None:
        tool = call.get("tool_name")
        if tool == "Bash" and call.get("command"):
            command = str(call["command"]).strip()
            turn = call.get("turn_id")
            tally = self.found.get("repeated_command", command, command=command)
            tally.occurrences += 1
            if self.last is not None and self.last[0] == command and not _same_turn(self.last[1], turn):
                tally.waste(call)
            self.last = (command, turn)
        elif tool in FILE_MODIFIERS:
            self.last = None


class _EditTracker:
    def __init__(self, found: _Findings) -> None:
        self.found = found
        self.path: str | None = None
        self.turn: str | None = None
        self.length = 0
        self.wasted: list[dict[str, Any]] = []  # the redundant edits of the current run

    def see(self, call: dict[str, Any]) -> None:
        path = call.get("file_path")
        if call.get("tool_name") in EDITORS and path:
            turn = call.get("turn_id")
            if str(path) == self.path:
                self.length += 1
                if not _same_turn(self.turn, turn):
                    self.wasted.append(call)
            else:
                self.close()
                self.path, self.length = str(path), 1
            self.turn = turn
        else:
            self.close()

    def close(self) -> None:
        if self.path is not None and self.length >= 2 and self.wasted:
            tally = self.found.get("consecutive_edits", self.path, file_path=self.path)
            tally.occurrences += self.length
            for call in self.wasted:
                tally.waste(call)
        self.path, self.turn, self.length, self.wasted = None, None, 0, []
