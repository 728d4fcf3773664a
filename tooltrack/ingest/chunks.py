"""Preparing a large tooltrack JSONL file in a child process, so the per-call Python work runs
beside the storing instead of under the same GIL.

Storing on PostgreSQL is COPY plus the rollups, and in one process the Python half of that
(validate, key, redact, COPY text, rollup counts: about 13 µs a call) capped the ingest whatever
the database did. Here the reading thread cuts the file into chunks of lines; a child process
(`tooltrack.ingest.chunk_worker`) turns each chunk into one `CopyBatch` per writer
(`prepare_chunk`: everything but the database); the parent's writers only look up keys, draw
ids, COPY and add the prepared rollups, under 3 µs a call (2.8 measured for 1 M calls).

- Chunks come back in file order, with `AHEAD` chunks per child queued or being prepared while
  the oldest is stored, so memory stays bounded.
- Each log goes to the writer its key hashes to (`writer_for`), as in the pipeline's own path,
  so copies of one key meet in one writer in file order and the first copy is the one stored.
- If a child dies or cannot start, every child is stopped and the chunk (and the rest) is
  prepared in this process: the same function, the same result, only slower, and the report
  says so in a note. Nothing is lost or stored twice. An error while storing kills the children.
- Only worth it for big files: a child takes about a second to start (`PROCESS_MIN_BYTES`).
- Children and database writers share the cores (`child_processes`, `writers_beside`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from tooltrack.ingest import tooltrack_jsonl
from tooltrack.ingest.frames import read_frame, write_frame
from tooltrack.ingest.items import IngestOptions, RowPart
from tooltrack.ingest.lines import Line
from tooltrack.ingest.report import Note, RejectedLine
from tooltrack.store import CopyBatch, copy_batch, keyed_row

#: Lines per chunk (one task log a line), and a cap on their bytes (about 30 K calls). Memory
#: follows the chunk size, speed hardly: for 1 M calls, 8 MB chunks peaked at 123 MB RSS in the
#: child and 198 MB in the parent, 16 MB chunks at 184 and 299 MB (66 and 69 K calls/s, within
#: the spread of runs on this machine).
CHUNK_LINES: Final = 1000
CHUNK_BYTES: Final = 8 * 1024 * 1024
#: Chunks per child queued or being prepared while the oldest is stored.
AHEAD: Final = 2
#: Files smaller than this are prepared in the reading thread (a child costs about a second).
PROCESS_MIN_BYTES: Final = 64 * 1024 * 1024
#: More children than this would only wait on the database's writers, and each holds ~120 MB.
MAX_CHILDREN: Final = 4
#: How long a child may take to finish once it has nothing more to do.
STOP_SECONDS: Final = 10


def writer_for(log_key: str, writers: int) -> int:
    """The writer (0..writers-1) that stores every copy of a log key."""
    return zlib.crc32(log_key.encode()) % writers


def _usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def child_processes(total_bytes: int | None) -> int:
    """How many child processes to prepare a file of `total_bytes` with (0: none)."""
    if total_bytes is None or total_bytes < PROCESS_MIN_BYTES:
        return 0
    # The database's writers need the other cores: on 2 cores one child, on 8 four.
    return max(1, min(MAX_CHILDREN, _usable_cores() // 2))


def writers_beside(children: int, writers: int) -> int:
    """How many database writers to run beside `children` child processes: at most `writers`, and
    no more than the cores the children leave. On 2 cores one child with one writer stored 1 M
    calls at 63-65 K calls/s, one child with two writers at 53-56 K (they fought the child for CPU).
    """
    return max(1, min(writers, _usable_cores() - children))


@dataclass(slots=True)
class PreparedChunk:
    """A chunk of lines, prepared: what was rejected, and one batch (with its lines) per writer."""

    rejected: list[RejectedLine | Note] = field(default_factory=list)
    """In line order; this format has only rejections, but a note would pass through too."""
    batches: list[tuple[list[int], CopyBatch]] = field(default_factory=list)


def _keyed(lines: list[Line], options: IngestOptions) -> Iterator[RowPart | RejectedLine | Note]:
    """The format's parser over `lines`, each good row keyed and redacted (`keyed_row`)."""
    for item in tooltrack_jsonl.parse(iter(lines), options):
        if isinstance(item, RowPart):
            yield RowPart(keyed_row(item.row), item.line)
        elif isinstance(item, RejectedLine | Note):
            yield item


def remake_rows(lines: list[Line], options: IngestOptions) -> list[dict[str, Any]]:
    """The rows `prepare_chunk` made of `lines`, made again (the batch does not carry them)."""
    return [item.row for item in _keyed(lines, options) if isinstance(item, RowPart)]


def prepare_chunk(lines: list[Line], options: IngestOptions, writers: int) -> PreparedChunk:
    """Validate, key and redact each line, and render each writer's share as a `CopyBatch`."""
    chunk = PreparedChunk()
    shares: list[tuple[list[int], list[dict[str, Any]]]] = [([], []) for _ in range(writers)]
    for item in _keyed(lines, options):
        if isinstance(item, RowPart):
            share_lines, share_rows = shares[writer_for(item.row["log_key"], writers)]
            share_lines.append(item.line)
            share_rows.append(item.row)
        else:
            chunk.rejected.append(item)
    chunk.batches = [(share_lines, copy_batch(share_rows)) for share_lines, share_rows in shares]
    return chunk


def line_chunks(lines: Iterable[Line]) -> Iterator[list[Line]]:
    """`lines` in chunks of at most CHUNK_LINES lines or about CHUNK_BYTES bytes."""
    chunk: list[Line] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line.data)
        if len(chunk) >= CHUNK_LINES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


class ChildFailed(Exception):
    """A child process ended or broke its pipe before answering."""


class _Child:
    """One worker process (`tooltrack.ingest.chunk_worker`): chunks in, prepared chunks out, in order.

    A thread writes the requests, so a child busy writing a large answer never waits on a parent
    busy writing the next request.
    """

    def __init__(self) -> None:
        # The child imports tooltrack from where this process did: the same path, given as
        # PYTHONPATH, and -P so that `-m` does not put the folder it starts in before it.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", "tooltrack.ingest.chunk_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._requests: queue.Queue[bytes | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_requests, name="tooltrack-chunk-requests", daemon=True)
        self._writer.start()

    def send(self, lines: list[Line], options: IngestOptions, writers: int) -> None:
        self._requests.put(pickle.dumps((lines, options, writers), protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self) -> PreparedChunk:
        assert self.process.stdout is not None
        payload = read_frame(self.process.stdout)  # type: ignore[arg-type]
        if payload is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=1)
            status = self.process.returncode
            raise ChildFailed("it stopped" + (f" (exit status {status})" if status is not None else ""))
        chunk: PreparedChunk = pickle.loads(payload)
        return chunk

    def _write_requests(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while (payload := self._requests.get()) is not None:
                write_frame(stdin, payload)  # type: ignore[arg-type]
        except OSError:
            pass  # the child is gone: receive() says so
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def stop(self, *, kill: bool) -> None:
        """End the child: once it has answered everything (kill=False), or at once (kill=True)."""
        if kill:
            with contextlib.suppress(OSError):
                self.process.kill()
        self._requests.put(None)
        if self.process.stdout is not None:
            self.process.stdout.close()  # a child still writing an answer nobody reads stops
        self._writer.join(timeout=STOP_SECONDS)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ChunkPreparer:
    """Prepares chunks in up to `processes` child processes, in order; in this process if they fail.

    A context manager: the children start on entry and stop on exit, killed at once when the
    block ends with an error (their work is not wanted any more).
    """

    def __init__(self, options: IngestOptions, processes: int) -> None:
        self.options = options
        self.processes = processes
        self.failure: str | None = None
        """Why chunks were prepared here rather than in a child, if a child failed or never started."""
        self._children: list[_Child] = []

    def __enter__(self) -> ChunkPreparer:
        try:
            for _ in range(self.processes):
                self._children.append(_Child())
        except Exception as exc:  # no interpreter to start (an embedded Python), no more processes
            self._fail(f"could not start: {exc}")
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._stop_children(kill=kind is not None)

    @property
    def children(self) -> int:
        """How many children are running (0 once one failed: the rest is prepared here)."""
        return len(self._children)

    def prepare(self, chunks: Iterable[list[Line]], writers: int) -> Iterator[tuple[list[Line], PreparedChunk]]:
        """Each chunk with what it became (split for `writers` writers), in file order."""
        pending: deque[tuple[list[Line], _Child | None]] = deque()
        for number, chunk in enumerate(chunks):
            child = None
            if self._children:
                child = self._children[number % len(self._children)]
                child.send(chunk, self.options, writers)
            pending.append((chunk, child))
            if len(pending) > AHEAD * max(1, len(self._children)):
                yield self._result(*pending.popleft(), writers)
        while pending:
            yield self._result(*pending.popleft(), writers)

    def _stop_children(self, *, kill: bool) -> None:
        children, self._children = self._children, []
        for child in children:
            with contextlib.suppress(Exception):  # each child is stopped whatever the others do
                child.stop(kill=kill)

    def _fail(self, reason: str) -> None:
        self.failure = self.failure or reason
        self._stop_children(kill=True)

    def _result(self, chunk: list[Line], child: _Child | None, writers: int) -> tuple[list[Line], PreparedChunk]:
        if child is not None and self._children:
            try:
                return chunk, child.receive()
            except (ChildFailed, OSError, pickle.UnpicklingError, EOFError) as exc:
                # The child died (killed for memory, say) or broke the pipe: the same work here
                # gives the same result, and no chunk is skipped or prepared twice into the store.
                self._fail(str(exc) or type(exc).__name__)
        return chunk, prepare_chunk(chunk, self.options, writers)
