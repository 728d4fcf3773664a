"""Ingest: agent logs as they are on disk, into the store, line by line, redacted, once.

Formats, detected per file (`tooltrack.ingest.detect`): tooltrack JSONL (one `TaskLogCreate`
per line), Claude Code stream-json output, Claude Code session transcripts (as JSON lines, or
saved as one JSON array: `logs/chat.json`), Claude Code hook payload logs, and Claude Code
OpenTelemetry `claude_code.tool_result` events as OTLP JSON.

Public API (the CLI `tooltrack ingest` and the dashboard's upload page use it)::

    ingest_file(engine, path, *, adw_id=None, phase=None, workflow_template=None,
                format=None, progress=None, processes=None) -> FileReport
    ingest_stream(engine, name, stream, *, adw_id=None, phase=None, workflow_template=None,
                  format=None, total_bytes=None, progress=None, processes=None) -> FileReport

- `stream` is a binary file object (an open file, `sys.stdin.buffer`, an upload); it is read
  line by line, so memory does not grow with its size.
- `progress(done_bytes, total_bytes_or_None)` is called now and then (every few MB, and at the end).
- `processes`: child processes preparing a large tooltrack JSONL file for PostgreSQL
  (`tooltrack.ingest.chunks`); None picks by size (none below 64 MB), 0 keeps it all in process.
- `FileReport` has `name`, `format` (detected), `task_logs_stored`, `tool_calls_stored`, what
  was already stored in its two units, `duplicate_tool_calls` and `duplicate_task_logs` (shown
  apart; `duplicates` is the old sum of the calls and the logs without calls), `rejected` (a
  list of `RejectedLine(line, reason, element)`, line numbers from 1, `element` the value's
  number in a file that is one JSON document, else None; `rejected_count` when there are more
  than listed), `notes` (remarks that lost nothing, placed the same way), `parents_guessed`
  (sub-agent calls whose Task was guessed), `calls_pending` (calls still running at the end of a
  file that may still grow: not stored yet), `error` (one line: the whole file could not be
  read, unknown format, unreadable; or its ingest stopped, the database full) and `ok` (no error
  and nothing rejected).
- From checkpoints (`tooltrack ingest`, `tooltrack watch`; `tooltrack.ingest.checkpoints`):
  `ingest_files(engine, paths, *, reread=False, ...)` yields a `FileReport` per file, skipping
  an unchanged file without opening it (`skipped`) and reading a grown one from where it was
  left (`read_from`); `ingest_checked(engine, path, checkpoint, ...)` does one file, and
  `checkpoint_name(path)` names its checkpoint (for `tooltrack.store.load_checkpoints`).
- Following folders (`tooltrack watch`, `tooltrack.ingest.watch`): `Watcher(engine, roots, ...)`
  with `poll()` (one pass: what changed, read from checkpoints) and `run(stop)`;
  `CLAUDE_PROJECTS`, `INTERVAL_SECONDS`, `SETTLE_SECONDS` its defaults.
- Logs of output without timestamps are dated by other evidence, and their `time_source` says
  which (`tooltrack.ingest.dating`).

Secrets are removed by the store's write path (`tooltrack.core.redaction`), whatever the way in.

`seed_demo_data(repository, workflows=..., seed=...)` fills a database with realistic demo runs
(`tooltrack demo`, the dashboard on an empty database).
"""

from tooltrack.ingest.checkpoints import checkpoint_name, ingest_checked, ingest_files
from tooltrack.ingest.demo import seed_demo_data
from tooltrack.ingest.detect import Format, FormatError, detect_format
from tooltrack.ingest.pipeline import expand_paths, ingest_file, ingest_stream
from tooltrack.ingest.report import FileReport, Note, RejectedLine
from tooltrack.ingest.watch import CLAUDE_PROJECTS, INTERVAL_SECONDS, SETTLE_SECONDS, Watcher

__all__ = [
    "CLAUDE_PROJECTS",
    "INTERVAL_SECONDS",
    "SETTLE_SECONDS",
    "FileReport",
    "Format",
    "FormatError",
    "Note",
    "RejectedLine",
    "Watcher",
    "checkpoint_name",
    "detect_format",
    "expand_paths",
    "ingest_checked",
    "ingest_file",
    "ingest_files",
    "ingest_stream",
    "seed_demo_data",
]
