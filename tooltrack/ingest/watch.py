"""Following log folders as agents write them (`tooltrack watch`): poll, read what was added, store it.

Every `interval` seconds the folders are walked (the standard library only: `os.scandir`; a few
thousand files take milliseconds) and each log file's `stat` is compared with the one seen
before. A file that changed (or is new) is read from its checkpoint (`tooltrack.ingest.checkpoints`):
only what was added, a truncated or rotated file whole. So a call is stored within one poll and
one read of its result line, and a restart (even after `kill -9`) goes on from the checkpoints;
what was stored between the last checkpoint and the kill is read again and not stored twice (call
identity).

A last line still being written (no line break yet) is left for the next read; when a file stays
quiet for `settle` seconds with such a line, the line is read as it is (some files end without a
line break). A file whose calls are still running (held back by the parser) is read again every
`recheck` seconds even if it does not change, so that a call that never gets its result is stored
as interrupted once it is old enough.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import Final

from sqlalchemy import Engine

from tooltrack.ingest.checkpoints import checkpoint_name, ingest_checked
from tooltrack.ingest.pipeline import LOG_SUFFIXES
from tooltrack.ingest.report import FileReport
from tooltrack.ingest.transcript import is_agent_meta
from tooltrack.store import load_checkpoints

#: Where Claude Code keeps its session transcripts.
CLAUDE_PROJECTS: Final = Path("~/.claude/projects")
INTERVAL_SECONDS: Final = 0.5
SETTLE_SECONDS: Final = 5.0
RECHECK_SECONDS: Final = 60.0

_Stat = tuple[int, int, int, int]  # device, inode, size, modification time (ns)


def log_files(roots: Iterable[Path]) -> Iterator[tuple[Path, os.stat_result]]:
    """Each log file under `roots` (or a root that is a file), with its stat; unreadable folders skipped."""
    for root in roots:
        try:
            if root.is_file():
                yield root, root.stat()
                continue
        except OSError:
            continue
        stack = [str(root)]
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue  # gone or unreadable: looked at again next poll
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.name.endswith(LOG_SUFFIXES) and not is_agent_meta(entry.name):
                        yield Path(entry.path), entry.stat()
                except OSError:
                    continue


@dataclass(slots=True)
class _Seen:
    stat: _Stat
    held_since: float | None = None
    """When a last line without a line break was first left for later (monotonic), else None."""
    pending_since: float | None = None
    """When calls still running were last read (monotonic), else None."""


@dataclass(slots=True)
class Watcher:
    """Polls `roots` and ingests what changed; `poll()` once, or `run()` until stopped."""

    engine: Engine
    roots: list[Path]
    interval: float = INTERVAL_SECONDS
    settle: float = SETTLE_SECONDS
    recheck: float = RECHECK_SECONDS
    on_report: Callable[[FileReport], None] | None = None
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, _Seen] = field(default_factory=dict)

    def poll(self) -> list[FileReport]:
        """One pass: read every file that is new or changed (or due a second look); their reports."""
        now = self.clock()
        due: list[tuple[Path, _Stat, bool]] = []  # path, its stat, whether a held last line is read as it is
        present: set[str] = set()
        for path, stat in log_files(self.roots):
            key = checkpoint_name(path)
            present.add(key)
            current = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
            seen = self._seen.get(key)
            if seen is None or seen.stat != current:
                due.append((path, current, False))
            elif seen.held_since is not None and now - seen.held_since >= self.settle:
                due.append((path, current, True))
            elif seen.pending_since is not None and now - seen.pending_since >= self.recheck:
                due.append((path, current, False))
        for gone in set(self._seen) - present:
            del self._seen[gone]
        if not due:
            return []
        known = load_checkpoints(self.engine, [checkpoint_name(path) for path, _, _ in due])
        reports = []
        for path, scanned, settled in due:
            key = checkpoint_name(path)
            report = ingest_checked(self.engine, path, known.get(key), complete_lines=not settled)
            # The stat from before the read: lines written during or after it change the stat the
            # next poll sees, so they are read then (a stat taken after the read could hide them).
            self._seen[key] = _Seen(
                stat=scanned,
                held_since=now if report.held_bytes else None,
                pending_since=now if report.calls_pending else None,
            )
            if report.error is not None:
                # Looked at again when it changes; a file that cannot be read now may be readable then.
                self._seen[key].pending_since = now
            reports.append(report)
            if self.on_report is not None:
                self.on_report(report)
        return reports

    def run(self, stop: Event | None = None) -> None:
        """Poll every `interval` seconds until `stop` is set (or forever)."""
        stop = stop or Event()
        while not stop.is_set():
            started = self.clock()
            self.poll()
            stop.wait(max(0.0, self.interval - (self.clock() - started)))
