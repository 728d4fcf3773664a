"""Ingest uploaded files one after another and keep a plain report of each (no Streamlit here).

The Ingest page hands over Streamlit's uploaded files; tests hand over `io.BytesIO` objects with a
name. A file that fails as a whole (a database error, say) is reported and the next file is still
ingested: one bad upload never costs the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from sqlalchemy import Engine


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
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        if self.rejected_count:
            return f"stored, {self.rejected_count:,} {'line' if self.rejected_count == 1 else 'lines'} rejected"
        return "stored" if self.task_logs_stored or self.tool_calls_stored else "nothing new"


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
