"""JSON lines or JSON documents: how the hook payload, OTLP and `chat.json` formats read their files.

Such a file holds either one JSON value per line (each value, or the reason it is not one, goes
with its own line number) or one value spread over many lines: a pretty-printed payload, an
OTLP/HTTP body, a JSON array. The first non-blank line decides: when it is not a whole JSON value
(or, with `arrays_whole`, when it opens an array) the file is a document.

A document is streamed, never held whole (`DocumentReader`): the reader walks the document's
outer structure and hands over, one at a time, the values at a given path (the elements of a
top-level array, the log records of an OTLP export), each with the line it starts at and its
number in the document. So memory is bounded by the largest such value, not by the document. A
value is held up to `MAX_VALUE_BYTES`; a larger one is rejected, skipped without being held. A
top-level value that does not hold that path (a single pretty-printed payload) is one value.
Documents one after the other (what `jq .` makes of JSON lines) are read one after the other. A
document that breaks off (cut short, malformed) is rejected at the line where it breaks, with
the element being read; what was read before stays read.

JSON strings cannot span lines (a raw line break is not allowed in one), so every string,
bracket and separator is found within one line, and a block of whole lines is read like one line:
after its first line a document is read in blocks of about 1 MB (`in_blocks`), not line by line.
The outer structure is read token by token, a value inside it with one regular-expression match
from bracket to bracket, and each value kept is parsed by `loads_agent_json` (orjson; a NUL
becomes U+FFFD).
"""

from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Final

import orjson

from tooltrack.ingest.items import IngestOptions, Item, LogPart, Parser
from tooltrack.ingest.lines import MAX_LINE_BYTES, Line, json_problem, loads_agent_json
from tooltrack.ingest.report import Note, RejectedLine

#: One value of a document (an array's element, a log record, a single payload) is held whole up
#: to this size, the bound of one line of JSON lines; a larger one is rejected.
MAX_VALUE_BYTES: Final = MAX_LINE_BYTES

#: The path of the values a document is streamed by: object keys, and "*" for an array's items.
StreamPath = tuple[str, ...]
#: The elements of a top-level array.
ARRAY_ITEMS: Final[StreamPath] = ("*",)

#: What a format does with one parsed value: (the line it starts at, the value, its element
#: number in the document or None) -> its items.
Feed = Callable[[int, Any, int | None], Iterable[Item]]

_WHITESPACE: Final = re.compile(rb"[ \t\r\n]*+")
#: A string: on one line (a raw line break cannot be in one), so also within a block of lines.
_STRING: Final = re.compile(rb'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"')
#: A number, true, false or null (orjson checks it when the value is parsed).
_SCALAR: Final = re.compile(rb'[^ \t\r\n\[\]{},:"]++')
#: Everything up to the next bracket outside a string (it stops at a string that does not end).
_NO_BRACKET: Final = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+")*+')
_OPENING: Final = frozenset(b"[{")
_QUOTE: Final = ord('"')


@dataclass(frozen=True, slots=True)
class Value:
    """One value of a document: at the streamed path, or a whole top-level value."""

    line: int
    """The line it starts at."""
    element: int | None
    """Its number among the document's values at the streamed path (from 1); None for a top-level value."""
    data: bytes | None
    """Its JSON text; None when it is longer than `MAX_VALUE_BYTES` (skipped, not held)."""


@dataclass(frozen=True, slots=True)
class Broken:
    """The document cannot be read past here; `line` and `element` say where (as in `RejectedLine`)."""

    line: int
    element: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class BadText:
    """A line outside every value read (in a part of the document not used) that is not UTF-8:
    said, as a whole JSON parse would have, though it costs no value (a value read that holds
    it is rejected as malformed instead)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class DocumentEnd:
    """A walked top-level value ended (it started at `line`); `found` says whether any container
    below it on the streamed path, or any value at the path, was in it."""

    line: int
    found: bool


Piece = Value | Broken | BadText | DocumentEnd


@dataclass(slots=True)
class _Frame:
    """A container on the way to the streamed path, walked token by token."""

    array: bool
    path: StreamPath
    state: str
    """An object's: "key" (or its end), "colon", "value", "next" (a comma or its end); an
    array's: "value" (or its end), "next"."""
    key: str = ""
    empty: bool = True


@dataclass(slots=True)
class _Held:
    """A value being read bracket by bracket: held (`keep`) or skipped."""

    line: int
    element: int | None
    keep: bool
    depth: int = 0
    pieces: list[bytes] = field(default_factory=list)
    size: int = 0
    too_large: bool = False

    def add(self, piece: bytes) -> None:
        if not self.keep:
            return
        self.size += len(piece) + 1
        if self.size > MAX_VALUE_BYTES:  # read on to its end, holding nothing
            self.keep, self.too_large, self.pieces = False, True, []
            return
        self.pieces.append(piece)


class DocumentReader:
    """Reads the JSON documents in a stream of lines; yields the values at `path` as `Piece`s.

    `feed` each line (it returns the pieces that end in it) and call `end` after the last. A
    `Line` may hold many lines (a block, `LineIterator.blocks`): positions in it are counted in
    lines from its number. After a `Broken` piece nothing more is read.
    """

    def __init__(self, path: StreamPath, *, malformed: str) -> None:
        self.path = path
        self.malformed = malformed
        self.broken = False
        self._frames: list[_Frame] = []
        self._held: _Held | None = None
        self._elements = 0
        self._found = False
        self._top_line = 0
        self._cut = False
        # The line being read (or block of lines), and how far its line breaks are counted.
        self._data = b""
        self._counted = 0
        self._line_at_counted = 0

    def feed(self, line: Line) -> list[Piece]:
        """The pieces that end in `line`."""
        out: list[Piece] = []
        held = self._held
        data = line.data
        if (
            held is not None
            and held.keep
            and line.complete
            and not line.too_long
            and _NO_BRACKET.match(data).end() == len(data)  # type: ignore[union-attr]
        ):
            # Most lines of a pretty-printed document lie inside a value held, with no bracket:
            # the line goes on into the value (what `_scan` and `_Held.add` would do, at less cost).
            held.size += len(data) + 1
            if held.size <= MAX_VALUE_BYTES:
                held.pieces.append(data)
                return out
            held.keep, held.too_large, held.pieces = False, True, []
            return out
        if self.broken:
            return out
        if line.too_long:
            element = held.element if held is not None else None
            self._break(out, line.number, element, f"{json_problem(line)}: the document cannot be read past it")
            return out
        if b"\n" in data and not data.isascii() and not _is_utf8(data):
            # A block with a byte that is not UTF-8: read its lines one by one, to say which.
            for offset, raw in enumerate(data.split(b"\n")):
                out.extend(self.feed(Line(line.number + offset, raw, complete=True)))
            return out
        self._data, self._counted, self._line_at_counted = data, 0, line.number
        self._cut = not line.complete  # a last line without a line break: the file was cut off
        kept = held is not None and held.keep
        pos = self._scan(data, 0, out) if held is not None else 0
        size = len(data)
        while pos < size and not self.broken:
            pos = _WHITESPACE.match(data, pos).end()  # type: ignore[union-attr]
            if pos < size:
                pos = self._token(data, pos, out)
        if not data.isascii() and not (kept or (self._held is not None and self._held.keep)):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                if not any(isinstance(piece, Value) for piece in out):
                    out.append(BadText(line.number, f"not valid UTF-8 (byte {exc.start + 1} of the line)"))
        return out

    def end(self) -> list[Piece]:
        """What is due at the end of the input: a document cut short is `Broken`."""
        out: list[Piece] = []
        if self.broken:
            return out
        if self._held is not None:
            self._break(out, self._held.line, self._held.element, "the file ends inside it")
        elif self._frames:
            self._break(out, self._top_line, None, "the file ends before the document does")
        return out

    def pending(self) -> bytes:
        """What was read so far of a held value that has not ended (format detection reads its keys)."""
        return b"\n".join(self._held.pieces) if self._held is not None else b""

    def _line(self, pos: int) -> int:
        """The number of the line `pos` of the data being read is on (positions only grow)."""
        if pos > self._counted:
            self._line_at_counted += self._data.count(b"\n", self._counted, pos)
            self._counted = pos
        return self._line_at_counted

    # -- the outer structure, token by token ---------------------------------------------------

    def _token(self, data: bytes, pos: int, out: list[Piece]) -> int:
        char = data[pos]
        if not self._frames:
            self._top_line, self._elements, self._found = self._line(pos), 0, False
            return self._value(data, pos, (), out)
        frame = self._frames[-1]
        if frame.state == "key":
            if char == ord("}") and frame.empty:
                return self._close(pos, out)
            match = _STRING.match(data, pos)
            try:
                key = orjson.loads(match.group()) if match is not None else None
            except orjson.JSONDecodeError:  # a bad escape or byte in the key
                key = None
            if match is None or key is None:
                return self._unexpected(data, pos, "a key", out)
            frame.key, frame.state = key, "colon"
            return match.end()
        if frame.state == "colon":
            if char != ord(":"):
                return self._unexpected(data, pos, "':'", out)
            frame.state = "value"
            return pos + 1
        if frame.state == "value":
            if char == ord("]") and frame.array and frame.empty:
                return self._close(pos, out)
            frame.state, frame.empty = "next", False
            return self._value(data, pos, (*frame.path, "*" if frame.array else frame.key), out)
        if char == ord(","):
            frame.state = "value" if frame.array else "key"
            return pos + 1
        if char == (ord("]") if frame.array else ord("}")):
            return self._close(pos, out)
        return self._unexpected(data, pos, "',' or the end of the " + ("array" if frame.array else "object"), out)

    def _value(self, data: bytes, pos: int, path: StreamPath, out: list[Piece]) -> int:
        """A value starts at `pos`, at `path`: walk into it, hold it, or skip it."""
        target = path == self.path
        top = not self._frames
        element = None
        if target:
            self._elements += 1
            element = self._elements
            self._found = True
        char = data[pos]
        if char in _OPENING:
            array = char == ord("[")
            depth = len(path)
            if (
                not target
                and depth < len(self.path)
                and path == self.path[:depth]
                and (self.path[depth] == "*") == array
            ):
                self._found = self._found or not top
                self._frames.append(_Frame(array, path, "value" if array else "key"))
                return pos + 1
            self._held = _Held(self._line(pos), element, keep=target or top)
            return self._scan(data, pos, out)
        match = (_STRING if char == _QUOTE else _SCALAR).match(data, pos)
        if match is None:
            return self._unexpected(data, pos, "a value", out)
        if target or top:
            out.append(Value(self._line(pos), element, match.group()))
        return match.end()

    def _close(self, pos: int, out: list[Piece]) -> int:
        self._frames.pop()
        if not self._frames:
            out.append(DocumentEnd(self._top_line, self._found))
        return pos + 1

    def _unexpected(self, data: bytes, pos: int, wanted: str, out: list[Piece]) -> int:
        if self._cut and data[pos] == _QUOTE:  # a string cut off with the file
            self._break(out, self._top_line, None, "the file ends before the document does")
            return len(data)
        number = self._line(pos)
        column = pos - data.rfind(b"\n", 0, pos)
        found = data[pos : pos + 12].split(b"\n")[0].decode("utf-8", "replace")
        self._break(out, number, None, f"expected {wanted} at line {number}, column {column}, found {found!r}")
        return len(data)

    def _break(self, out: list[Piece], line: int, element: int | None, reason: str) -> None:
        self.broken = True
        self._held = None
        self._frames.clear()
        out.append(Broken(line, element, f"{self.malformed}: {reason}"))

    # -- a value held or skipped, bracket by bracket ------------------------------------------------

    def _scan(self, data: bytes, start: int, out: list[Piece]) -> int:
        """Count the held value's brackets from `start`; hand it over where it ends."""
        held = self._held
        assert held is not None
        size, pos = len(data), start
        while True:
            pos = _NO_BRACKET.match(data, pos).end()  # type: ignore[union-attr]
            if pos >= size:
                held.add(data[start:])  # it goes on on the next line
                return size
            char = data[pos]
            if char == _QUOTE:
                if self._cut:
                    why = "the file ends inside it"
                else:
                    why = f"a string at line {self._line(pos)} does not end on its line"
                self._break(out, held.line, held.element, why)
                return size
            held.depth += 1 if char in _OPENING else -1
            pos += 1
            if held.depth == 0:
                held.add(data[start:pos])
                self._held = None
                if held.too_large:
                    out.append(Value(held.line, held.element, None))
                elif held.keep:
                    out.append(Value(held.line, held.element, b"\n".join(held.pieces)))
                return pos


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _too_large(mb: int) -> str:
    return f"a value longer than {mb} MB: skipped without being read"


def read_document(
    lines: Iterable[Line],
    feed: Feed,
    *,
    stream: StreamPath,
    malformed: str,
    feed_element: Feed | None = None,
    not_found: str | None = None,
    on_break: Callable[[RejectedLine], None] | None = None,
) -> Iterator[Item]:
    """The values of the documents in `lines`: those at `stream` to `feed_element`, a top-level
    value without that path to `feed`; `not_found` is the reason given for a document walked
    to its end that had nothing on the path (None: say nothing); `on_break` is handed the
    rejection of a document that breaks off, besides it being yielded."""
    reader = DocumentReader(stream, malformed=malformed)
    handle = functools.partial(
        _handle, feed=feed, feed_element=feed_element or feed, malformed=malformed, not_found=not_found
    )
    lines = iter(lines)
    for line in lines:
        for piece in reader.feed(line):
            yield from handle(piece, on_break=on_break)
        if reader.broken:
            for _ in lines:  # read to the end all the same: the report counts the file's lines and bytes
                pass
            return
    for piece in reader.end():
        yield from handle(piece, on_break=on_break)


def _handle(
    piece: Piece,
    *,
    feed: Feed,
    feed_element: Feed,
    malformed: str,
    not_found: str | None,
    on_break: Callable[[RejectedLine], None] | None,
) -> Iterator[Item]:
    if isinstance(piece, Broken):
        rejection = RejectedLine(piece.line, piece.reason, piece.element)
        if on_break is not None:
            on_break(rejection)
        yield rejection
    elif isinstance(piece, BadText):
        yield RejectedLine(piece.line, piece.reason)
    elif isinstance(piece, DocumentEnd):
        if not piece.found and not_found is not None:
            yield RejectedLine(piece.line, not_found)
    elif piece.data is None:
        yield RejectedLine(piece.line, _too_large(MAX_VALUE_BYTES // 2**20), piece.element)
    else:
        try:
            value = loads_agent_json(piece.data)
        except orjson.JSONDecodeError as exc:
            yield RejectedLine(piece.line, f"{malformed}: {exc}", piece.element)
            return
        yield from (feed if piece.element is None else feed_element)(piece.line, value, piece.element)


def read_json_values(
    lines: Iterable[Line],
    feed: Feed,
    *,
    malformed: str,
    stream: StreamPath = ARRAY_ITEMS,
    feed_element: Feed | None = None,
    not_found: str | None = None,
    arrays_whole: bool = False,
    on_break: Callable[[RejectedLine], None] | None = None,
) -> Iterator[Item]:
    """Each JSON value of `lines` handed to a feed, and a `RejectedLine` for what is not JSON.

    JSON lines: each line's value to `feed` (element None). A document (see the module): its
    values at `stream` to `feed_element` (default `feed`) with their element numbers, a top-level
    value that does not hold that path to `feed`. `malformed` starts the reason for a value or a
    document that does not parse; `not_found` is the reason for a document with nothing at
    `stream`. With `arrays_whole`, a first line that opens a JSON array makes the file a document
    even when that line is a whole value. `on_break` is handed the rejection of a document that
    breaks off (see `read_document`).
    """
    lines = iter(lines)
    for line in lines:
        if line.too_long:
            yield RejectedLine(line.number, json_problem(line))
            continue
        if not line.data.strip():
            continue
        document = arrays_whole and line.data.lstrip().startswith(b"[")
        if not document:
            try:
                value = loads_agent_json(line.data)
            except orjson.JSONDecodeError:
                document = True  # the first line of a document spread over many
            else:
                yield from feed(line.number, value, None)
                yield from _json_lines(lines, feed)
                return
        yield from read_document(
            chain([line], in_blocks(lines)),
            feed,
            stream=stream,
            malformed=malformed,
            feed_element=feed_element,
            not_found=not_found,
            on_break=on_break,
        )
        return


def in_blocks(lines: Iterator[Line]) -> Iterator[Line]:
    """The rest of `lines` in blocks of many lines where the source can (`LineIterator.blocks`):
    a document is read the same either way, at less cost per line."""
    blocks = getattr(lines, "blocks", None)
    return blocks() if callable(blocks) else lines


def _json_lines(lines: Iterator[Line], feed: Feed) -> Iterator[Item]:
    for line in lines:
        if line.too_long:
            yield RejectedLine(line.number, json_problem(line))
            continue
        if not line.data.strip():
            continue
        try:
            value = loads_agent_json(line.data)
        except orjson.JSONDecodeError as exc:
            yield RejectedLine(line.number, json_problem(line, exc))
            continue
        yield from feed(line.number, value, None)


def elements_as_lines(parse: Parser) -> Parser:
    """A parser of JSON lines made to read a file that is one JSON array of what would be its lines.

    The array is streamed (`DocumentReader`); its elements go to `parse` as `Line`s numbered by
    element, and what `parse` reports at element N is reported at the line where element N
    starts, with `element=N`. An element too large or a break in the array is rejected here.
    """

    def parse_array(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
        starts = array("q")  # element number - 1 -> the line it starts at
        rejected: list[Item] = []

        def element_lines() -> Iterator[Line]:
            reader = DocumentReader(ARRAY_ITEMS, malformed="malformed JSON array")
            for line in in_blocks(lines):
                if not reader.broken:  # else read to the end all the same (the report counts lines and bytes)
                    yield from _lines_of(reader.feed(line))
            yield from _lines_of(reader.end())

        def _lines_of(pieces: list[Piece]) -> Iterator[Line]:
            for piece in pieces:
                if isinstance(piece, Broken):
                    rejected.append(RejectedLine(piece.line, piece.reason, piece.element))
                elif isinstance(piece, BadText):
                    rejected.append(RejectedLine(piece.line, piece.reason))
                elif isinstance(piece, Value):
                    starts.append(piece.line)
                    number = len(starts)
                    if piece.data is None:
                        rejected.append(RejectedLine(piece.line, _too_large(MAX_VALUE_BYTES // 2**20), number))
                        continue
                    yield Line(number, piece.data, complete=True)

        def placed(item: Item) -> Item:
            if isinstance(item, RejectedLine | Note | LogPart) and 0 < item.line <= len(starts):
                start = starts[item.line - 1]
                if isinstance(item, RejectedLine):
                    return RejectedLine(start, item.reason, item.line)
                if isinstance(item, Note):
                    return Note(start, item.message, item.line)
                return LogPart(item.log, start)
            return item

        for item in parse(element_lines(), options):
            yield from rejected
            rejected.clear()
            yield placed(item)
        yield from rejected

    return parse_array
