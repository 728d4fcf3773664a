"""Reading files from their checkpoints: an unchanged file is not opened, a grown one is read on.

For each file `tooltrack ingest` (and `tooltrack watch`) reads, `tooltrack.store.checkpoints`
keeps its device and inode, size and modification time, where the next read starts and digests of
its first bytes and of the bytes before that point. The next read of the file is, by its `stat`
and that checkpoint (`plan_read`):

- **unchanged** (same device, inode, size and modification time, and no call still running at
  its end): skipped, the file is not opened. A last line without a line break was read then
  (stored or rejected); when the file grows it is read again from its start;
- **unchanged but unsettled** (calls were still running at its end): read on from the line of the
  first of them, so that they are stored as interrupted once they are old enough;
- **grown** (same file, the bytes before the checkpoint the same): read on from the checkpoint's
  offset, its lines numbered on. For tooltrack JSONL every line stands alone. For a Claude Code
  transcript or stream-json the offset is the end of the last line read, or, when calls were
  still running at the end of the file (held back, `tooltrack.ingest.claude`), the line of the
  first of them: their uses are read again with the results that follow (and the Task of a
  sub-agent still running, with it). Calls read again that were stored are not stored twice (call
  identity). The other formats (hook logs count repeated payloads over the whole file; documents
  are one JSON value) are read whole again, and the report says so;
- **truncated** (shorter than the checkpoint's offset), **rotated** (another inode or device at
  the path) or **rewritten** (the digests differ): read whole, with a note.

A checkpoint is saved only after a read that ended without an error (its batches are committed by
then); a file that stopped (a full disk) or could not be read keeps its older checkpoint.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Literal

from sqlalchemy import Engine

from tooltrack.ingest.detect import Format
from tooltrack.ingest.lines import Progress
from tooltrack.ingest.pipeline import RESUMABLE, ingest_stream
from tooltrack.ingest.report import FileReport
from tooltrack.store import Checkpoint, load_checkpoints, save_checkpoint

#: How many bytes each digest covers: the file's first ones, and those before the checkpoint.
CHECK_BYTES: Final = 4096

Action = Literal["skip", "resume", "whole"]


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """How to read one file: skip it, read on from `start` (its `format` known), or read it whole."""

    action: Action
    start: int = 0
    start_line: int = 0
    format: Format | None = None
    reason: str | None = None
    """Why a file that had a checkpoint is read whole (or read on), for the report's note."""


def open_file(path: Path) -> BinaryIO:
    """Every file this module reads is opened here (a seam: tests count what is read)."""
    return path.open("rb")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _read_at(handle: BinaryIO, start: int, end: int) -> bytes:
    handle.seek(start)
    return handle.read(max(0, end - start))


def check_hashes(handle: BinaryIO, offset: int) -> tuple[str, str]:
    """The digests of the first `CHECK_BYTES` before `offset` and of the `CHECK_BYTES` before it."""
    head = _read_at(handle, 0, min(CHECK_BYTES, offset))
    tail = _read_at(handle, max(0, offset - CHECK_BYTES), offset)
    return digest(head), digest(tail)


def plan_read(stat: os.stat_result, known: Checkpoint | None, open_: Callable[[], BinaryIO]) -> ReadPlan:
    """What to read of a file whose `stat` is this and whose checkpoint is `known` (see the module).

    `open_` is called only when the stat alone cannot decide (the file changed)."""
    if known is None:
        return ReadPlan("whole")
    if (stat.st_dev, stat.st_ino) != (known.device, known.inode):
        return ReadPlan("whole", reason="another file at this path since it was last read (rotated)")
    if stat.st_size < known.resume_offset:
        return ReadPlan(
            "whole", reason=f"shorter than where it was last read to (byte {known.resume_offset}): truncated"
        )
    unchanged = stat.st_size == known.size and stat.st_mtime_ns == known.mtime_ns
    if unchanged and not known.pending_calls:
        return ReadPlan("skip")
    with open_() as handle:
        hashes = check_hashes(handle, known.resume_offset)
    if hashes != (known.head_hash, known.tail_hash):
        return ReadPlan("whole", reason="its bytes before where it was last read to changed: rewritten")
    try:
        found = Format(known.format)
    except ValueError:
        return ReadPlan("whole", reason=f"its checkpoint names a format this version does not know ({known.format})")
    if found not in RESUMABLE:
        return ReadPlan(
            "whole",
            reason=f"it grew; a {found.value} file is read whole again (calls stored before are not stored twice)",
        )
    reason = (
        f"unchanged, but {known.pending_calls} call(s) were still running at its end: read again "
        f"from line {known.resume_line + 1}"
        if unchanged
        else None
    )
    return ReadPlan("resume", known.resume_offset, known.resume_line, found, reason)


class _Bounded:
    """The bytes of a file from where it is positioned up to `end` (the rest is not read)."""

    def __init__(self, handle: BinaryIO, end: int) -> None:
        self._handle = handle
        self._left = max(0, end - handle.tell())

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        data = self._handle.read(self._left if size is None or size < 0 else min(size, self._left))
        self._left -= len(data)
        return data


def _last_line_end(handle: BinaryIO, start: int, size: int) -> int:
    """Where the last line break at or after `start` ends (`start` when there is none): the
    end of the last complete line, found reading back from the end in blocks."""
    position = size
    while position > start:
        block_start = max(start, position - 65536)
        block = _read_at(handle, block_start, position)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return block_start + newline + 1
        position = block_start
    return start


def ingest_checked(
    engine: Engine,
    path: str | Path,
    known: Checkpoint | None,
    *,
    complete_lines: bool = False,
    adw_id: str | None = None,
    phase: str | None = None,
    workflow_template: str | None = None,
    format: Format | str | None = None,
    progress: Progress | None = None,
    processes: int | None = None,
) -> FileReport:
    """Ingest one file from its checkpoint `known` (None: read whole) and save its new checkpoint
    (kept under `checkpoint_name(path)`; the report names the file as given).

    `complete_lines`: read only up to the last line break, leaving a last line still being written
    for a later read (`tooltrack watch`; the report's `held_bytes` counts what was left)."""
    path = Path(path)
    name = str(path)
    try:
        stat = path.stat()
    except OSError as exc:
        return FileReport(name=name, error=f"cannot open: {exc.strerror or exc}")
    try:
        plan = plan_read(stat, known, lambda: open_file(path))
    except OSError as exc:
        return FileReport(name=name, error=f"cannot open: {exc.strerror or exc}")
    if plan.action == "skip":
        assert known is not None
        return FileReport(
            name=name,
            format=known.format,
            skipped=True,
            lines=known.resume_line,
            read_from=known.size,
            resume_offset=known.resume_offset,
            resume_line=known.resume_line,
        )
    try:
        handle = open_file(path)
    except OSError as exc:
        return FileReport(name=name, error=f"cannot open: {exc.strerror or exc}")
    with handle:
        end = _last_line_end(handle, plan.start, stat.st_size) if complete_lines else stat.st_size
        handle.seek(plan.start)
        report = ingest_stream(
            engine,
            name,
            _Bounded(handle, end) if complete_lines else handle,  # type: ignore[arg-type]
            adw_id=adw_id,
            phase=phase,
            workflow_template=workflow_template,
            format=plan.format or format,
            total_bytes=end - plan.start,
            progress=progress,
            processes=processes,
            first_line=plan.start_line,
        )
        report.read_from = plan.start
        report.resume_offset += plan.start
        report.held_bytes = stat.st_size - end
        if plan.reason:
            report.note(0, f"read whole: {plan.reason}" if plan.action == "whole" else plan.reason)
        elif plan.action == "resume" and plan.start == stat.st_size:
            pass  # touched, nothing added
        elif plan.action == "resume":
            report.note(0, f"grown since it was last read: read on from line {plan.start_line + 1} (byte {plan.start})")
        if report.error is None and report.format not in (None, "empty"):
            head, tail = check_hashes(handle, report.resume_offset)
            # The file as it was when this read began (what was read is at least that much): a
            # line written during the read makes the next stat differ, so it is read then. A
            # stat taken after the read could claim those lines and have the next read skip them.
            save_checkpoint(
                engine,
                Checkpoint(
                    path=checkpoint_name(path),
                    device=stat.st_dev,
                    inode=stat.st_ino,
                    # A tail held back is as if the file ended before it: its next read reads it.
                    size=end,
                    mtime_ns=stat.st_mtime_ns,
                    resume_offset=report.resume_offset,
                    resume_line=report.resume_line,
                    pending_calls=report.calls_pending,
                    head_hash=head,
                    tail_hash=tail,
                    format=report.format,
                ),
            )
    return report


def checkpoint_name(path: str | Path) -> str:
    """The name a file's checkpoint is kept under: its absolute path (symbolic links kept)."""
    return os.path.abspath(path)


def ingest_files(
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    reread: bool = False,
    adw_id: str | None = None,
    phase: str | None = None,
    workflow_template: str | None = None,
    format: Format | str | None = None,
) -> Iterator[FileReport]:
    """Ingest each file of `paths` from its checkpoint (all loaded in one query first); with
    `reread`, every file is read whole as if it had none (its checkpoint is then renewed)."""
    files = [Path(path) for path in paths]
    known = {} if reread else load_checkpoints(engine, [checkpoint_name(path) for path in files])
    for path in files:
        yield ingest_checked(
            engine,
            path,
            known.get(checkpoint_name(path)),
            adw_id=adw_id,
            phase=phase,
            workflow_template=workflow_template,
            format=format,
        )
