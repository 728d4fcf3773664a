"""Reading a byte stream line by line, in bounded memory, with line numbers and progress.

Memory never depends on the file's size: lines are read one at a time through a 1 MB buffer,
and a line longer than `MAX_LINE_BYTES` is rejected (its number and why) without being held whole.
"""

from __future__ import annotations

import io
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Final

import orjson

from tooltrack.core import replace_nul_parsed

#: Longest line kept: a tool call record is a few hundred bytes, a task log a few megabytes.
MAX_LINE_BYTES: Final = 64 * 1024 * 1024
#: How much of the stream format detection looks at.
HEAD_BYTES: Final = 256 * 1024
#: Progress is reported after about this many bytes.
PROGRESS_EVERY: Final = 4 * 1024 * 1024
#: The size of the blocks of lines a document is read in (`LineIterator.blocks`).
BLOCK_BYTES: Final = 1024 * 1024

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the input, without its line break. `number` counts from 1."""

    number: int
    data: bytes
    complete: bool
    """False for a last line that has no line break (a file cut off while being written)."""
    too_long: bool = False


class _Prefixed(io.RawIOBase):
    """A raw stream that returns `head` first and then the rest of `stream`."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            if not self._head:
                self._head = memoryview(b"")  # let go of the head (it may be a long first line)
            return n
        data = self._stream.read(len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        return len(data)


def read_head(stream: BinaryIO, *, to_line_end: bool = False) -> tuple[bytes, BinaryIO]:
    """The first bytes of `stream` (for format detection) and a stream that still starts at 0.

    `HEAD_BYTES` of them; with `to_line_end`, on to the end of the line those end in, up to
    `MAX_LINE_BYTES` (for a first line whose deciding keys come late).
    """
    head = stream.read(HEAD_BYTES) or b""
    if to_line_end and len(head) == HEAD_BYTES and b"\n" not in head:
        parts = [head]
        size = len(head)
        while size <= MAX_LINE_BYTES:
            more = stream.read(1024 * 1024) or b""
            parts.append(more)
            size += len(more)
            if not more or b"\n" in more:
                break
        head = b"".join(parts)
        del parts
    rest = io.BufferedReader(_Prefixed(head, stream), buffer_size=1024 * 1024)
    return head, rest  # type: ignore[return-value]


class LineReader:
    """Iterates over the lines of a stream, counting bytes and reporting progress now and then."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        total: int | None = None,
        progress: Progress | None = None,
        first_line: int = 0,
        record_starts: bool = False,
    ) -> None:
        """`first_line`: lines before the stream's start (a file read on from a checkpoint numbers
        its lines on). `record_starts`: keep where each line starts (`start_of`), 8 bytes a line."""
        self._stream = stream
        self.total = total
        self.progress = progress
        self.bytes_read = 0
        self.first_line = first_line
        self.lines = first_line
        self.complete_bytes = 0
        """Bytes up to the end of the last line that ended with a line break (where a read of the
        grown file may start)."""
        self.complete_lines = first_line
        """Lines up to `complete_bytes`."""
        self._starts: array[int] | None = array("q") if record_starts else None
        self._next_report = PROGRESS_EVERY

    def start_of(self, number: int) -> int | None:
        """Where line `number` starts (bytes from the stream's start), if starts were recorded."""
        index = number - self.first_line - 1
        if self._starts is None or not 0 <= index < len(self._starts):
            return None
        return self._starts[index]

    def __iter__(self) -> LineIterator:
        return LineIterator(self)

    def _report(self) -> None:
        if self.progress is not None and self.bytes_read >= self._next_report:
            self.progress(self.bytes_read, self.total)
            self._next_report = self.bytes_read + PROGRESS_EVERY

    def _done(self) -> None:
        if self.progress is not None:
            self.progress(self.bytes_read, self.total)

    def _lines(self) -> Iterator[Line]:
        readline = self._stream.readline
        starts = self._starts
        while True:
            start = self.bytes_read
            raw = readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            if starts is not None:
                starts.append(start)
            self.bytes_read += len(raw)
            too_long = False
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                too_long = True
                raw = b""
                # Skip the rest of the line without keeping it.
                while True:
                    chunk = readline(MAX_LINE_BYTES)
                    self.bytes_read += len(chunk)
                    if not chunk or chunk.endswith(b"\n"):
                        break
            complete = raw.endswith(b"\n") or too_long
            data = raw.rstrip(b"\r\n")
            self.lines += 1
            if complete:
                self.complete_bytes, self.complete_lines = self.bytes_read, self.lines
            self._report()
            yield Line(self.lines, data, complete, too_long)
        self._done()

    def _blocks(self) -> Iterator[Line]:
        """The rest of the stream in blocks of whole lines (see `LineIterator.blocks`)."""
        read = self._stream.read
        # A line that lies inside one chunk is shorter than the chunk, so within the limit; only
        # the line a chunk starts in (begun in the chunks before) is measured.
        size = min(BLOCK_BYTES, MAX_LINE_BYTES)
        rest: list[bytes] = []  # the start of a line not ended yet
        rest_size = 0
        skipping = False  # inside a line over the limit: read to its end, not held
        while chunk := read(size):
            self.bytes_read += len(chunk)
            if skipping:
                newline = chunk.find(b"\n")
                if newline < 0:
                    continue
                chunk, skipping = chunk[newline + 1 :], False
            newline = chunk.find(b"\n")
            if rest_size + (newline if newline >= 0 else len(chunk)) > MAX_LINE_BYTES:
                self.lines += 1
                yield Line(self.lines, b"", complete=True, too_long=True)
                rest, rest_size = [], 0
                if newline < 0:
                    skipping = True
                    continue
                chunk = chunk[newline + 1 :]
            last = chunk.rfind(b"\n")
            if last < 0:
                rest.append(chunk)
                rest_size += len(chunk)
                continue
            block = b"".join([*rest, chunk[:last]]) if rest else chunk[:last]
            rest, rest_size = [chunk[last + 1 :]], len(chunk) - last - 1
            first = self.lines + 1
            self.lines += block.count(b"\n") + 1
            self.complete_bytes, self.complete_lines = self.bytes_read - rest_size, self.lines
            self._report()
            yield Line(first, block, complete=True)
        if rest_size:  # a last line without a line break
            self.lines += 1
            yield Line(self.lines, b"".join(rest).rstrip(b"\r"), complete=False)
        self._done()


class LineIterator:
    """The lines of a `LineReader`, one at a time; `blocks()` hands over the rest in blocks.

    A block is a `Line` holding many lines (joined by their line breaks, without the last one),
    numbered by its first line: for a reader that walks JSON across lines anyway (a document,
    where no string spans a line), it saves the cost of one step per line. A line longer than
    `MAX_LINE_BYTES` still comes alone, `too_long`, not held.
    """

    def __init__(self, reader: LineReader) -> None:
        self._reader = reader
        self._each = reader._lines()

    def __iter__(self) -> LineIterator:
        return self

    def __next__(self) -> Line:
        return next(self._each)

    def blocks(self) -> Iterator[Line]:
        """The lines not read yet, in blocks of about `BLOCK_BYTES` (do not read lines one at a time after)."""
        return self._reader._blocks()


def json_problem(line: Line, exc: Exception | None = None) -> str:
    """A clear reason for a line that is not valid JSON: wrong encoding, cut off, or malformed."""
    if line.too_long:
        return f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB: not read"
    try:
        line.data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not valid UTF-8 (byte {error.start + 1} of the line): the file must be UTF-8 encoded"
    detail = str(exc) if exc is not None else "not JSON"
    if not line.complete:
        return f"truncated last line (no line break at the end of the file): {detail}"
    return f"malformed JSON: {detail}"


def loads_agent_json(raw: bytes | str) -> Any:
    """JSON text from an agent's own logs, parsed, with any NUL in it replaced (`tooltrack.core.storable`).

    Not for tooltrack JSONL, where a NUL is refused with its line and field like any bad value.
    """
    return replace_nul_parsed(raw, orjson.loads(raw))


def parse_json_line(line: Line) -> object:
    """The JSON value of `line`; raises ValueError with a clear reason when it is not JSON."""
    if line.too_long:
        raise ValueError(json_problem(line))
    try:
        return orjson.loads(line.data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(json_problem(line, exc)) from None
