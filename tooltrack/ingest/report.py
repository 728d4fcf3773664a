"""What one ingested file gave: counts, duplicates, and every rejected line with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from tooltrack.ingest.session_cost import SessionCost

#: A file of garbage must not fill memory with reasons: beyond this many, only the count grows.
MAX_LISTED: Final = 1000


def position(line: int, element: int | None = None) -> str:
    """Where a rejection or a note points, as the reports show it: `line 12`, `line 12, element 3`."""
    if element is not None:
        return f"line {line}, element {element}" if line else f"element {element}"
    return f"line {line}" if line else "whole file"


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A line that was not stored, and why (`line` counts from 1; 0 means the whole file).

    In a file that is one JSON document (a hook log's array, a `chat.json`, an OTLP export),
    `line` is where the value starts and `element` its number in the document (from 1: an
    array's elements, an OTLP export's log records); None for JSON lines."""

    line: int
    reason: str
    element: int | None = None

    @property
    def where(self) -> str:
        return position(self.line, self.element)


@dataclass(frozen=True, slots=True)
class Note:
    """A remark about a line that was read without losing anything (e.g. a result without its call).

    `line` and `element` as in `RejectedLine`."""

    line: int
    message: str
    element: int | None = None

    @property
    def where(self) -> str:
        return position(self.line, self.element)


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts a parser adds to its file's report: nothing was lost, but the user should know."""

    parents_guessed: int = 0
    """Sub-agent calls whose Task was guessed (see `FileReport.parents_guessed`)."""
    calls_pending: int = 0
    """Calls still running at the end of a file that may still grow (see `FileReport.calls_pending`)."""
    costs: tuple[SessionCost, ...] = ()
    """What sessions of the file cost (see `FileReport.costs`)."""


@dataclass(slots=True)
class FileReport:
    """The outcome of ingesting one file or stream.

    What was already stored is counted in two units, shown apart wherever the report is shown:
    `duplicate_tool_calls` (calls stored before, by this file or any other way in) and
    `duplicate_task_logs` (task logs not stored again: their key was stored, or every call of
    theirs was; `duplicate_empty_task_logs` of them held no call, e.g. a run's summary read
    again). `duplicates` (calls plus the empty logs) is kept for callers that want one number.
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
    costs: list[SessionCost] = field(default_factory=list)
    """Per Claude Code session (or stream-json run) with usage: its computed cost, how it splits
    into the calls' parts and the remainder, and the run's own figure beside it where a `result`
    line gives one (`SessionCost.difference`); models without a price are named."""
    lines: int = 0
    bytes_read: int = 0
    skipped: bool = False
    """The file was unchanged since its checkpoint: not opened, nothing read (`tooltrack.ingest.checkpoints`)."""
    read_from: int = 0
    """Where this read of the file started (bytes): 0, or a checkpoint's offset for a file that grew."""
    resume_offset: int = 0
    """Where a later read of the file, once grown, starts (bytes from the start of what was read):
    the end of its last complete line, or the line of the first call still running."""
    resume_line: int = 0
    """Lines before `resume_offset` (counted from the start of the file)."""
    held_bytes: int = 0
    """Bytes after the last line break left for a later read (a line still being written, `tooltrack watch`)."""
    error: str | None = None
    """A problem with the whole file, in one line: it could not be read (unknown format,
    unreadable: nothing of it was stored), or its ingest stopped (the database is full: what was
    stored before stays stored)."""

    @property
    def duplicates(self) -> int:
        return self.duplicate_tool_calls + self.duplicate_empty_task_logs

    @property
    def ok(self) -> bool:
        """True when nothing was rejected and the file could be read."""
        return self.error is None and self.rejected_count == 0

    def reject(self, line: int, reason: str, element: int | None = None) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_LISTED:
            self.rejected.append(RejectedLine(line, reason, element))

    def add(self, tally: Tally) -> None:
        self.parents_guessed += tally.parents_guessed
        self.calls_pending += tally.calls_pending
        if len(self.costs) < MAX_LISTED:
            self.costs.extend(tally.costs[: MAX_LISTED - len(self.costs)])

    def note(self, line: int, message: str, element: int | None = None) -> None:
        if len(self.notes) < MAX_LISTED:
            self.notes.append(Note(line, message, element))
