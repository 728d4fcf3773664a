"""The streaming ingest pipeline: read, detect, parse, dedupe, store, report.

A reader (the caller's thread) parses lines into task logs while writer threads store the
previous batches, so parsing in Python and storing in the database overlap. At most one batch
per writer waits between them, so memory does not grow with the file. Each batch is its own
transaction: what was stored stays stored if a later line or batch fails.

A large tooltrack JSONL file on PostgreSQL is parsed in a child process instead
(`tooltrack.ingest.chunks`): the reader only cuts it into chunks of lines and hands each
prepared chunk to the writers.
"""

from __future__ import annotations

import errno
import functools
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, StatementError

from tooltrack.ingest import hooks, otel, stream_json, tooltrack_jsonl, transcript
from tooltrack.ingest.chunks import (
    ChunkPreparer,
    PreparedChunk,
    child_processes,
    line_chunks,
    remake_rows,
    writer_for,
    writers_beside,
)
from tooltrack.ingest.dating import Dating
from tooltrack.ingest.detect import Format, FormatError, detect_format, first_line_cut
from tooltrack.ingest.documents import elements_as_lines
from tooltrack.ingest.items import IngestOptions, Item, LogPart, Parser, ResumeAt, RowPart
from tooltrack.ingest.lines import HEAD_BYTES, Line, LineReader, Progress, json_problem, read_head
from tooltrack.ingest.report import FileReport, Note, RejectedLine, Tally
from tooltrack.ingest.transcript import is_agent_meta
from tooltrack.store import (
    CopyBatch,
    PreparedBatch,
    StoreResult,
    dialect_of,
    json_row,
    keyed_row,
    supports_copy,
    write_copy_batch,
    write_prepared,
)

#: Task logs per batch, and a cap on the tool calls they hold. With two writers each transaction
#: takes about half a batch (split by key), so a batch is large enough that every transaction
#: still folds many calls into each rollup counter row.
BATCH_LOGS: Final = 1000
BATCH_CALLS: Final = 50_000
#: File names a folder search picks up.
LOG_SUFFIXES: Final = (".jsonl", ".json", ".ndjson")
#: Formats a grown file can be read on in from a checkpoint: tooltrack JSONL (every line stands
#: alone) and the Claude Code agent formats (`ResumeAt` says where the calls still running start).
#: The others pair or count across the whole file (hook logs number repeated payloads, documents
#: are one JSON value): a grown file of theirs is read whole again (call identity stores nothing twice).
RESUMABLE: Final = frozenset({Format.TOOLTRACK, Format.TRANSCRIPT, Format.STREAM_JSON})
#: The formats whose parser yields `ResumeAt`: their line starts are recorded.
_AGENT_LINES: Final = frozenset({Format.TRANSCRIPT, Format.STREAM_JSON})


def _too_long_rejected(parse: Parser) -> Parser:
    """`parse` given only the lines it can read: a line over the line limit is rejected here, with
    its number (the Claude Code parsers would pass over it as a blank line)."""

    def parse_lines(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
        long_lines: list[Line] = []

        def readable() -> Iterator[Line]:
            for line in lines:
                if line.too_long:
                    long_lines.append(line)
                else:
                    yield line

        for item in parse(readable(), options):
            while long_lines:
                yield RejectedLine(long_lines[0].number, json_problem(long_lines.pop(0)))
            yield item
        for line in long_lines:
            yield RejectedLine(line.number, json_problem(line))

    return parse_lines


PARSERS: Final[dict[Format, Parser]] = {
    Format.TOOLTRACK: tooltrack_jsonl.parse,
    Format.STREAM_JSON: _too_long_rejected(stream_json.parse),
    Format.TRANSCRIPT: _too_long_rejected(transcript.parse),
    Format.OTEL: otel.parse,
    Format.HOOKS: hooks.parse,
    Format.TRANSCRIPT_ARRAY: elements_as_lines(transcript.parse),
}


#: What a full disk looks like when no error code says so (SQLite's, PostgreSQL's, the system's).
_FULL_TEXTS: Final = ("database or disk is full", "no space left on device", "could not extend file")
_DISK_FULL_SQLSTATE: Final = "53100"


class StorageFull(Exception):
    """The database has no room left: the ingest of the file stops (see `_storage_full`) at
    `line`, the first line of the batch refused; every line before it is stored (or rejected)."""

    def __init__(self, detail: str, line: int) -> None:
        self.line = line
        super().__init__(
            f"the database is full ({detail}): stopped at line {line}; what was stored before stays "
            "stored: make room and ingest the file again (nothing is stored twice)"
        )


def _storage_full(exc: BaseException) -> str | None:
    """The driver's own words when `exc` (or what it wraps) says the disk or database is full:
    PostgreSQL's SQLSTATE 53100 (disk_full: "could not extend file"), SQLite's SQLITE_FULL
    ("database or disk is full"), ENOSPC. Else None. Retrying the rest line by line then
    would only list every line as rejected."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        error = todo.pop(0)
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        inner = getattr(error, "orig", None)
        words = str(inner if isinstance(inner, BaseException) else error).strip()
        first = words.splitlines()[0][:300] if words else type(error).__name__
        if (
            getattr(error, "sqlstate", None) == _DISK_FULL_SQLSTATE
            or getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or (isinstance(error, OSError) and error.errno == errno.ENOSPC)
            or any(text in first.lower() for text in _FULL_TEXTS)
        ):
            return first
        todo.extend([inner if isinstance(inner, BaseException) else None, error.__cause__, error.__context__])
    return None


def _db_reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return "the database refused it: " + (str(orig).strip().splitlines() or ["?"])[0][:300]


class _Writer:
    """Stores batches of task logs on its own thread(s) and counts what happened in the report.

    With `threads=2` two batches are in flight on two connections: while one transaction spends
    Python time on its rollups, the other keeps the database busy with its COPY. Each log goes to
    the writer its key hashes to, so copies of one key are always written by the same writer in
    file order: the first copy in the file is the one stored, as with one writer.
    """

    def __init__(self, engine: Engine, report: FileReport, *, threads: int = 1) -> None:
        self.engine = engine
        self.report = report
        self.rejections: list[RejectedLine] = []
        self.error: BaseException | None = None
        self._counting = threading.Lock()
        self._queues: list[queue.Queue[_Job | None]] = [queue.Queue(maxsize=1) for _ in range(threads)]
        self._threads = [
            threading.Thread(target=self._run, args=(jobs,), name=f"tooltrack-ingest-writer-{n}", daemon=True)
            for n, jobs in enumerate(self._queues)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, batch: list[LogPart | RowPart]) -> None:
        """Queue a batch; each log is keyed and redacted here, on the reading thread."""
        if self.error is not None:
            raise self.error
        # Each log to the writer its key hashes to (one writer but for tooltrack JSONL, see
        # ingest_stream): copies of one key meet in one writer, in file order.
        shares: list[tuple[list[int], list[dict[str, Any]]]] = [([], []) for _ in self._queues]
        for part in batch:
            row = keyed_row(part.row) if isinstance(part, RowPart) else json_row(part.log)
            share = shares[writer_for(row["log_key"], len(shares))]
            share[0].append(part.line)
            share[1].append(row)
        for jobs, (share_lines, share_rows) in zip(self._queues, shares, strict=True):
            if share_rows:
                jobs.put(_Job(share_lines, PreparedBatch(share_rows)))

    def put_chunk(self, source: list[Line], chunk: PreparedChunk, options: IngestOptions) -> None:
        """Queue a chunk prepared by `tooltrack.ingest.chunks` from the lines `source` (one batch per
        writer, already split); the lines are kept to remake the rows if a slow path needs them."""
        if self.error is not None:
            raise self.error
        by_number = {line.number: line for line in source}
        for jobs, (numbers, batch) in zip(self._queues, chunk.batches, strict=True):
            if batch.keys:
                own = [by_number[number] for number in numbers]
                jobs.put(_Job(numbers, batch, remake=functools.partial(remake_rows, own, options)))

    def close(self) -> None:
        for jobs in self._queues:
            jobs.put(None)
        for thread in self._threads:
            thread.join()
        if self.error is not None:
            raise self.error

    def _run(self, jobs: queue.Queue[_Job | None]) -> None:
        while (job := jobs.get()) is not None:
            error = self.error
            # After an error, drain the queue so the reader never blocks; but when the database
            # is full, still store what comes before the line it stopped at (another writer's
            # share of an earlier batch), so that everything before that line is stored.
            if error is not None and not (isinstance(error, StorageFull) and job.lines[0] < error.line):
                continue
            try:
                self._write_plain(job)
            except BaseException as exc:  # handed to the reader thread, which raises it
                with self._counting:
                    if self.error is None or (
                        isinstance(exc, StorageFull)
                        and isinstance(self.error, StorageFull)
                        and exc.line < self.error.line
                    ):
                        self.error = exc

    def _count(self, line: int, result: StoreResult) -> None:
        report = self.report
        with self._counting:  # two writers may count at once
            report.tool_calls_stored += result.calls_stored
            report.duplicate_tool_calls += result.calls_repeated
            if result.created:
                report.task_logs_stored += 1
                return
            report.duplicate_task_logs += 1
            if not result.calls_repeated:
                report.duplicate_empty_task_logs += 1
            if result.owner_key is not None:
                report.note(
                    line,
                    f"all {result.calls_repeated} tool call(s) of this log were stored before "
                    f"(first by task log {result.owner_key}): nothing new stored",
                )

    def _write_plain(self, job: _Job) -> None:
        batch = job.batch
        try:
            with self.engine.begin() as connection:
                if isinstance(batch, CopyBatch):
                    results = write_copy_batch(connection, batch, job.rows)
                else:
                    results = write_prepared(connection, batch)
        except Exception as exc:
            if (full := _storage_full(exc)) is not None:
                raise StorageFull(full, job.lines[0]) from exc
            # One bad log must not lose the others: store them one by one, reject the bad one.
            # Any error, not only the database's: a value the store or a derived maintainer
            # cannot take must cost its own line, never the rest of the file.
            for line, row in zip(job.lines, job.rows(), strict=True):
                self._write_one(row, line)
            return
        for line, result in zip(job.lines, results, strict=True):
            self._count(line, result)

    def _write_one(self, row: dict[str, Any], line: int) -> None:
        try:
            with self.engine.begin() as connection:
                result = write_prepared(connection, PreparedBatch([row]))[0]
        except Exception as exc:
            if (full := _storage_full(exc)) is not None:
                raise StorageFull(full, line) from exc
            if isinstance(exc, DBAPIError | StatementError):
                self.rejections.append(RejectedLine(line, _db_reason(exc)))
                return
            # reported on its line (see _write_plain), the file goes on
            self.rejections.append(RejectedLine(line, f"could not be stored: {type(exc).__name__}: {exc}"[:300]))
            return
        self._count(line, result)


@dataclass(slots=True)
class _Job:
    """What one writer stores in one transaction: logs (their lines, and the logs prepared)."""

    lines: list[int]
    batch: PreparedBatch | CopyBatch
    remake: Callable[[], list[dict[str, Any]]] | None = None
    """For a CopyBatch, which does not carry its rows: makes them again from its lines."""

    def rows(self) -> list[dict[str, Any]]:
        if isinstance(self.batch, CopyBatch):
            assert self.remake is not None
            return self.remake()
        return self.batch.rows


def _calls_in(row: dict[str, Any]) -> int:
    return len(row.get("tool_calls") or ())


def _stream_parts(items: Iterable[Item], report: FileReport, writer: _Writer) -> None:
    batch: list[LogPart | RowPart] = []
    calls = 0
    for item in items:
        if isinstance(item, RowPart | LogPart):
            batch.append(item)
            calls += _calls_in(item.row) if isinstance(item, RowPart) else len(item.log.tool_calls)
            if len(batch) >= BATCH_LOGS or calls >= BATCH_CALLS:
                writer.put(batch)
                batch, calls = [], 0
        else:
            _record(report, item)
    if batch:
        writer.put(batch)


def _record(report: FileReport, item: RejectedLine | Note | Tally | ResumeAt) -> None:
    if isinstance(item, ResumeAt):
        report.resume_line = min(item.line, report.resume_line or item.line)  # a line number until placed
    elif isinstance(item, RejectedLine):
        report.reject(item.line, item.reason, item.element)
    elif isinstance(item, Tally):
        report.add(item)
    else:
        report.note(item.line, item.message, item.element)


def _stream_chunks(
    chunks: Iterable[tuple[list[Line], PreparedChunk]], options: IngestOptions, report: FileReport, writer: _Writer
) -> None:
    for source, chunk in chunks:
        for item in chunk.rejected:
            _record(report, item)
        writer.put_chunk(source, chunk, options)


def _detect(head: bytes, rest: BinaryIO, name: str) -> tuple[Format | None, bytes, BinaryIO]:
    """The format from the head (and the head and stream to read on with): when the head ends
    inside the first line and its first keys do not decide, the whole first line is read."""
    try:
        return detect_format(head, name), head, rest
    except FormatError:
        if not first_line_cut(head, HEAD_BYTES):
            raise
    head, rest = read_head(rest, to_line_end=True)
    return detect_format(head, name, complete=False), head, rest


def ingest_stream(
    engine: Engine,
    name: str,
    stream: BinaryIO,
    *,
    adw_id: str | None = None,
    phase: str | None = None,
    workflow_template: str | None = None,
    format: Format | str | None = None,
    total_bytes: int | None = None,
    progress: Progress | None = None,
    processes: int | None = None,
    first_line: int = 0,
) -> FileReport:
    """Ingest one stream of log lines named `name` (a path, an upload's file name, or "-").

    `processes`: child processes that prepare a tooltrack JSONL file for PostgreSQL's COPY
    (`tooltrack.ingest.chunks`); by default one or more for a large file, none for a small one.
    `first_line`: lines of the file before the stream (a grown file read on from a checkpoint,
    `tooltrack.ingest.checkpoints`, with its `format` given). The report's `resume_offset` and
    `resume_line` say where a later read of the grown stream starts.
    """
    report = FileReport(name=name)
    try:
        options = IngestOptions(
            name=name, adw_id=adw_id, phase=phase, workflow_template=workflow_template, resumed_at_line=first_line
        )
    except ValueError as exc:
        report.error = str(exc)
        return report
    head, rest = read_head(stream)
    found: Format | None
    try:
        if format and format != "auto":
            found = Format(format)
        else:
            found, head, rest = _detect(head, rest, name)
    except (FormatError, ValueError) as exc:
        report.error = str(exc)
        return report
    array = head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"[")
    del head  # it may be a whole long first line: the reader reads it again from `rest`
    if found is Format.TRANSCRIPT and array:
        found = Format.TRANSCRIPT_ARRAY  # told it is a transcript: one saved as a JSON array
    if found is None:
        report.format = "empty"
        report.note(0, "an empty JSON array: nothing to ingest" if array else "empty file: nothing to ingest")
        return report
    report.format = found.value
    parser = PARSERS[found]
    reader = LineReader(
        rest, total=total_bytes, progress=progress, first_line=first_line, record_starts=found in _AGENT_LINES
    )
    # Only tooltrack JSONL is written in parallel: in the agent formats the first session that
    # stores a call owns it, so their logs are stored in file order.
    plain_only = found is Format.TOOLTRACK
    writers = dialect_of(engine).concurrent_writers if plain_only else 1
    if processes is None:
        processes = child_processes(total_bytes)
    in_children = plain_only and processes > 0 and supports_copy(engine)
    with ChunkPreparer(options, processes if in_children else 0) as preparer:
        if preparer.children:
            writers = writers_beside(preparer.children, writers)
        writer = _Writer(engine, report, threads=writers)
        try:
            try:
                if in_children:
                    _stream_chunks(preparer.prepare(line_chunks(reader), writers), options, report, writer)
                else:
                    # Logs without timestamps are dated here, by evidence the store may hold.
                    _stream_parts(Dating(engine, name).items(parser(iter(reader), options)), report, writer)
            finally:
                writer.close()
        except StorageFull as exc:  # one clear message; the batches stored before stay stored
            report.error = str(exc)
    if preparer.failure:
        report.note(
            0,
            f"the child process preparing this file failed ({preparer.failure}): "
            "it was prepared in this process instead, only slower; nothing was lost",
        )
    for rejection in writer.rejections:
        report.reject(rejection.line, rejection.reason, rejection.element)
    report.rejected.sort(key=lambda r: r.line)
    report.lines = reader.lines
    report.bytes_read = reader.bytes_read
    _place_resume(report, reader)
    return report


def _place_resume(report: FileReport, reader: LineReader) -> None:
    """Where a later read of the grown stream starts: the line of the first call still running
    (its start, when the parser named one), else the end of the last complete line."""
    pending_line = report.resume_line
    start = reader.start_of(pending_line) if pending_line else None
    if start is not None and start <= reader.complete_bytes:
        report.resume_offset, report.resume_line = start, pending_line - 1
    else:
        report.resume_offset, report.resume_line = reader.complete_bytes, reader.complete_lines


def ingest_file(
    engine: Engine,
    path: str | Path,
    *,
    adw_id: str | None = None,
    phase: str | None = None,
    workflow_template: str | None = None,
    format: Format | str | None = None,
    progress: Progress | None = None,
    processes: int | None = None,
) -> FileReport:
    """Ingest one file; a file that cannot be opened gives a report with `error` set."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        return FileReport(name=str(path), error=f"cannot open: {exc.strerror or exc}")
    with handle:
        return ingest_stream(
            engine,
            str(path),
            handle,  # type: ignore[arg-type]
            adw_id=adw_id,
            phase=phase,
            workflow_template=workflow_template,
            format=format,
            total_bytes=path.stat().st_size,
            progress=progress,
            processes=processes,
        )


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and the log files (.jsonl, .json, .ndjson) in folders named, recursively.

    A Claude Code 2.1 sub-agent's `agent-<id>.meta.json` is not a log: it is read with the
    sub-agent's transcript beside it (`tooltrack.ingest.transcript`), so a folder search skips it.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix in LOG_SUFFIXES and not is_agent_meta(p.name)
            )
        else:
            yield path
