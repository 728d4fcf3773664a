"""What one ingested file gave: counts, duplicates, and every rejected line with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

#: A file of garbage must not fill memory with reasons: beyond this many, only the count grows.
MAX_LISTED: Final = 1000


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A line that was not stored, and why (`line` counts from 1; 0 means the whole file)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Note:
    """A remark about a line that was read without losing anything (e.g. a result without its call)."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts a parser adds to its file's report: nothing was lost, but the user should know."""

    parents_guessed: int = 0
    """Sub-agent calls whose Task was guessed (see `FileReport.parents_guessed`)."""
    calls_pending: int = 0
    """Calls still running at the end of a file that may still grow (see `FileReport.calls_pending`)."""


@dataclass(slots=True)
class FileReport:
    """The outcome of ingesting one file or stream.

    `duplicates` counts what was skipped as already stored: tool calls, plus task logs that held
    no tool call (so a re-ingest never reports 0 when it skipped something).
    """

    name: str
    format: str | None = None
    task_logs_stored: int = 0
    tool_calls_stored: int = 0
    duplicate_task_logs: int = 0
    duplicate_tool_calls: int = 0
    duplicate_empty_task_logs: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    rejected_count: int = 0
    notes: list[Note] = field(default_factory=list)
    parents_guessed: int = 0
    """Sub-agent (sidechain) calls stored with a guessed `parent_call_id`: no Task matched them by
    the agent its result names or by the agent's first prompt, so the Task running when each was
    made was taken (a note says so too)."""
    calls_pending: int = 0
    """Calls without a result at the end of a file that may still grow (its last line is recent):
    still running, not stored yet; a later ingest stores them with their outcome."""
    lines: int = 0
    bytes_read: int = 0
    error: str | None = None
    """A problem with the whole file (unknown format, unreadable): nothing of it was stored."""

    @property
    def duplicates(self) -> int:
        return self.duplicate_tool_calls + self.duplicate_empty_task_logs

    @property
    def ok(self) -> bool:
        """True when nothing was rejected and the file could be read."""
        return self.error is None and self.rejected_count == 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_LISTED:
            self.rejected.append(RejectedLine(line, reason))

    def add(self, tally: Tally) -> None:
        self.parents_guessed += tally.parents_guessed
        self.calls_pending += tally.calls_pending

    def note(self, line: int, message: str) -> None:
        if len(self.notes) < MAX_LISTED:
            self.notes.append(Note(line, message))
