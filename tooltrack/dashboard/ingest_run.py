"""Ingest uploaded files one after another and keep a plain report of each (no Streamlit here).

The Ingest page hands over Streamlit's uploaded files; tests hand over `io.BytesIO` objects with a
name. A file that fails as a whole (a database error, say) is reported and the next file is still
ingested: one bad upload never costs the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import BinaryIO, Final, Literal, Protocol

from sqlalchemy import Engine, func, select

from tooltrack.store import task_logs

#: How bad a verdict is, mildest first: its colour on the page (green, blue, yellow, red).
Severity = Literal["success", "info", "warning", "error"]
SEVERITIES: Final[tuple[Severity, ...]] = ("success", "info", "warning", "error")


class Upload(Protocol):
    """What an uploaded file offers: a name, a size, and bytes to read."""

    name: str
    size: int

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What one uploaded file gave, as the page shows it.

    `rejected` and `notes` are (line, element, text): `element` is the value's number in a file
    that is one JSON document (a hook log's array, a chat.json, an OTLP export), else None.
    What was stored before is counted in its two units, `duplicate_tool_calls` and
    `duplicate_task_logs` (`duplicates`, their old sum with the empty logs, is not shown).
    """

    name: str
    format: str | None
    task_logs_stored: int
    tool_calls_stored: int
    duplicates: int
    rejected_count: int
    rejected: list[tuple[int, int | None, str]] = field(default_factory=list)
    notes: list[tuple[int, int | None, str]] = field(default_factory=list)
    error: str | None = None
    duplicate_tool_calls: int = 0
    duplicate_task_logs: int = 0

    @property
    def stored_anything(self) -> bool:
        return bool(self.task_logs_stored or self.tool_calls_stored)

    @property
    def status(self) -> str:
        """The verdict in a few words (the table's column); `severity` is its colour."""
        if self.error is not None:
            return "failed"
        lines = f"{self.rejected_count:,} {'line' if self.rejected_count == 1 else 'lines'} rejected"
        if self.rejected_count:
            return f"stored, {lines}" if self.stored_anything else f"nothing stored, {lines}"
        if self.stored_anything:
            return "stored"
        return "already stored" if self.duplicate_tool_calls or self.duplicate_task_logs else "nothing found"

    @property
    def severity(self) -> Severity:
        """error: the file failed, or every line of it was rejected; warning: some lines were
        rejected, or the file held nothing to store; info: all of it was stored before; success."""
        if self.error is not None or (self.rejected_count and not self.stored_anything):
            return "error"
        if self.rejected_count or self.status == "nothing found":
            return "warning"
        return "success" if self.stored_anything else "info"

    @property
    def verdict(self) -> str:
        """One sentence for the file, the same words as `status` with the figures behind them."""
        calls = _plural(self.tool_calls_stored, "tool call")
        if self.error is not None:
            return f"{self.name}: failed: {self.error}"
        if self.stored_anything:
            text = f"{self.name}: stored {_plural(self.task_logs_stored, 'task log')} with {calls}"
        elif self.status == "already stored":
            text = f"{self.name}: already stored ({_plural(self.duplicate_tool_calls, 'tool call')}), nothing new"
        elif self.rejected_count:
            text = f"{self.name}: nothing stored"
        else:
            text = f"{self.name}: nothing found to store (no task log or tool call in it)"
        if self.rejected_count:
            text += f"; {self.rejected_count:,} {'line' if self.rejected_count == 1 else 'lines'} rejected"
        return text + "."


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def overall_verdict(outcomes: Sequence[IngestOutcome]) -> tuple[Severity, str]:
    """The upload's verdict: the worst file's severity, and what happened to how many files."""
    severity: Severity = max((o.severity for o in outcomes), key=SEVERITIES.index, default="info")
    logs = sum(o.task_logs_stored for o in outcomes)
    calls = sum(o.tool_calls_stored for o in outcomes)
    counts = {level: sum(o.severity == level for o in outcomes) for level in SEVERITIES}
    files = len(outcomes)
    parts = []
    if logs or calls:
        parts.append(f"Stored {_plural(logs, 'task log')} with {_plural(calls, 'tool call')}")
    else:
        parts.append("Nothing new was stored")
    of = f" of {files:,}" if files > 1 else ""
    noun = "file" if files == 1 else "files"
    if counts["error"]:
        parts.append(f"{counts['error']:,}{of} {noun} failed or had every line rejected")
    if counts["warning"]:
        parts.append(
            f"{counts['warning']:,}{of} {'file' if files == 1 else 'files'} with rejected lines or nothing to store"
        )
    if counts["info"]:
        parts.append(f"{counts['info']:,}{of} {noun} already stored")
    return severity, "; ".join(parts) + "."


@dataclass(frozen=True, slots=True)
class StoredRun:
    """A run that task logs stored by an upload belong to, with the time those logs span (UTC)."""

    adw_id: str
    task_logs: int
    first: datetime
    last: datetime

    def outside(self, start: date, end: date) -> bool:
        """True when the run's span has no day inside `start`..`end` (both included)."""
        return self.last.astimezone(UTC).date() < start or self.first.astimezone(UTC).date() > end


def last_task_log_id(engine: Engine) -> int:
    """The newest task log's id (0 for none): the logs an upload stores come after it."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(task_logs.c.id), 0))).scalar_one())


def runs_stored_after(engine: Engine, last_id: int, *, limit: int = 200) -> list[StoredRun]:
    """The runs of the task logs stored after `last_id`, newest first, with their logs' time span."""
    t = task_logs
    begin = func.min(func.coalesce(t.c.started_at, t.c.created_at))
    end = func.max(func.coalesce(t.c.completed_at, t.c.started_at, t.c.created_at))
    query = (
        select(t.c.adw_id, func.count().label("logs"), begin.label("first"), end.label("last"))
        .where(t.c.id > last_id)
        .group_by(t.c.adw_id)
        .order_by(end.desc(), t.c.adw_id)
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [StoredRun(row.adw_id, int(row.logs), _utc(row.first), _utc(row.last)) for row in rows]


def _utc(value: object) -> datetime:
    # SQLite aggregates come back as text, without the column's type.
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def ingest_uploads(
    engine: Engine,
    uploads: Sequence[Upload],
    *,
    adw_id: str | None = None,
    phase: str | None = None,
    workflow_template: str | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> list[IngestOutcome]:
    """Ingest each upload with `tooltrack.ingest.ingest_stream`; `progress(name, share)` as it goes."""
    from tooltrack.ingest import ingest_stream  # the ingest stage is optional for the other pages

    outcomes = []
    for upload in uploads:
        size = getattr(upload, "size", None)

        def on_progress(done: int, total: int | None, name: str = upload.name, size: int | None = size) -> None:
            whole = total or size
            if progress is not None and whole:
                progress(name, done / whole)

        try:
            stream: BinaryIO = upload  # type: ignore[assignment]
            report = ingest_stream(
                engine,
                upload.name,
                stream,
                adw_id=adw_id,
                phase=phase,
                workflow_template=workflow_template,
                total_bytes=size,
                progress=on_progress,
            )
        except Exception as exc:  # report it and go on with the next file (never a traceback)
            outcomes.append(
                IngestOutcome(
                    name=upload.name,
                    format=None,
                    task_logs_stored=0,
                    tool_calls_stored=0,
                    duplicates=0,
                    rejected_count=0,
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
            continue
        if progress is not None:
            progress(upload.name, 1.0)
        outcomes.append(
            IngestOutcome(
                name=report.name,
                format=str(report.format) if report.format else None,
                task_logs_stored=report.task_logs_stored,
                tool_calls_stored=report.tool_calls_stored,
                duplicates=report.duplicates,
                rejected_count=report.rejected_count,
                rejected=[(r.line, r.element, r.reason) for r in report.rejected],
                notes=[(n.line, n.element, n.message) for n in report.notes],
                error=report.error,
                duplicate_tool_calls=report.duplicate_tool_calls,
                duplicate_task_logs=report.duplicate_task_logs,
            )
        )
    return outcomes
