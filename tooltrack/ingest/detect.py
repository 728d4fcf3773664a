"""Which of the known formats a file is in, from its first bytes (and its name as a hint).

The head of a file (`tooltrack.ingest.lines.HEAD_BYTES`) may end inside its first line: a
tooltrack JSONL line of a log with a thousand calls, a transcript line holding a pasted image, an
array whose first element is large. The keys that decide the format come first in every format
(`adw_id` and `phase_name` before `tool_calls`, `sessionId` and `type` before `message`,
`hook_event_name` near the top of a payload), so such a line is classified from the top-level
keys of the part that is there (`prefix_keys`). When even they are not there (the first line's
deciding keys come after 256 KB), `first_line_cut` tells the caller to read the whole first line
(up to the line limit) and try again.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Final

import orjson

from tooltrack.ingest.documents import ARRAY_ITEMS, DocumentEnd, DocumentReader, Value
from tooltrack.ingest.lines import HEAD_BYTES, Line


class Format(StrEnum):
    """The formats `tooltrack ingest` reads."""

    TOOLTRACK = "tooltrack-jsonl"
    STREAM_JSON = "claude-stream-json"
    TRANSCRIPT = "claude-transcript"
    OTEL = "claude-otel"
    HOOKS = "claude-hooks"
    TRANSCRIPT_ARRAY = "claude-transcript-array"
    """A transcript saved as one JSON array of its lines (`logs/chat.json` of a logging hook)."""


class FormatError(ValueError):
    """The file cannot be read as any known format; the message says why."""


_STREAM_JSON_TYPES = {"system", "assistant", "user", "result", "stream_event"}
_TRANSCRIPT_ONLY_TYPES = {"summary", "progress", "file-history-snapshot", "queue-operation"}
#: How many lines (or array elements) of the head are tried before giving up.
_LINES_TRIED = 200
_UNKNOWN = (
    "unknown format: expected JSON lines of tooltrack task logs, Claude Code stream-json output, "
    "Claude Code session transcripts, an OTLP JSON logs export, Claude Code hook payloads or a "
    "transcript saved as one JSON array"
)
_NOT_AN_ARRAY_WE_KNOW = (
    "a JSON array whose elements are neither Claude Code hook payloads nor transcript lines (logs/chat.json)"
)

_WHITESPACE: Final = re.compile(rb"[ \t\r\n]*+")
_STRING: Final = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"')
_SCALAR: Final = re.compile(rb'[^ \t\r\n\[\]{},:"]++')
_NO_BRACKET: Final = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+')


def classify(value: Any) -> Format | None:
    """The format one parsed JSON value belongs to, or None when it says nothing."""
    if not isinstance(value, dict):
        return None
    if "resourceLogs" in value:
        return Format.OTEL
    if "hook_event_name" in value:
        return Format.HOOKS
    if "adw_id" in value and "phase_name" in value:
        return Format.TOOLTRACK
    kind = value.get("type")
    if "sessionId" in value or "leafUuid" in value or kind in _TRANSCRIPT_ONLY_TYPES:
        return Format.TRANSCRIPT
    if kind in _STREAM_JSON_TYPES and ("session_id" in value or "message" in value):
        return Format.STREAM_JSON
    return None


def prefix_keys(data: bytes) -> dict[str, Any]:
    """The top-level keys of the JSON object that `data` starts (or the start of one), with their
    values where they are strings, numbers or literals ({} or [] stand for containers, read or
    not, and `...` for a value cut off where `data` ends).

    Reads up to where `data` ends or stops making sense: enough for `classify` on a line or an
    element too long to be read whole.
    """
    keys: dict[str, Any] = {}
    pos = _WHITESPACE.match(data).end()  # type: ignore[union-attr]
    if not data.startswith(b"{", pos):
        return keys
    pos += 1
    size = len(data)
    while True:
        pos = _WHITESPACE.match(data, pos).end()  # type: ignore[union-attr]
        key = _STRING.match(data, pos)
        if key is None:
            return keys
        pos = _WHITESPACE.match(data, key.end()).end()  # type: ignore[union-attr]
        if not data.startswith(b":", pos):
            return keys
        pos = _WHITESPACE.match(data, pos + 1).end()  # type: ignore[union-attr]
        name = orjson.loads(key.group())
        if pos >= size:
            return keys
        opening = data[pos]
        if opening in b"[{":
            keys[name] = [] if opening == ord("[") else {}
            pos = _skip_container(data, pos)
            if pos < 0:
                return keys  # the head ends inside this value
        else:
            scalar = (_STRING if opening == ord('"') else _SCALAR).match(data, pos)
            if scalar is None or scalar.end() >= size:
                keys[name] = ...  # there, its value cut off (a number or a string may go on past the head)
                return keys
            try:
                keys[name] = orjson.loads(scalar.group())
            except orjson.JSONDecodeError:
                return keys
            pos = scalar.end()
        pos = _WHITESPACE.match(data, pos).end()  # type: ignore[union-attr]
        if not data.startswith(b",", pos):
            return keys
        pos += 1


def _skip_container(data: bytes, pos: int) -> int:
    """The position after the container that opens at `pos`, or -1 when `data` ends inside it."""
    depth = 0
    size = len(data)
    while True:
        pos = _NO_BRACKET.match(data, pos).end()  # type: ignore[union-attr]
        if pos >= size or data[pos] == ord('"'):
            return -1
        depth += 1 if data[pos] in b"[{" else -1
        pos += 1
        if depth == 0:
            return pos


def _classify_line(raw: bytes) -> tuple[Format | None, bool]:
    """(the format of one line of the head, whether the line parsed as JSON)."""
    try:
        return classify(orjson.loads(raw)), True
    except orjson.JSONDecodeError:
        return classify(prefix_keys(raw)), False


def first_line_cut(head: bytes, limit: int) -> bool:
    """Whether `head`, `limit` bytes read, ends inside the file's first non-blank line."""
    return len(head) >= limit and b"\n" not in head.lstrip()


def detect_format(head: bytes, name: str = "", *, complete: bool | None = None) -> Format | None:
    """The format of a file whose first bytes are `head`; None for an empty file (or empty array).

    `complete`: whether `head` is the whole file (by default: when it is shorter than
    `HEAD_BYTES`); if not, its last line may be cut and is read for its first keys only. Raises
    `FormatError` with a clear message when the bytes are not a format we know.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormatError("the file is UTF-16 encoded; tooltrack reads UTF-8 JSON (convert it with iconv)")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return None
    if complete is None:
        complete = len(head) < HEAD_BYTES
    if text.startswith(b"["):
        return _detect_array(text, complete)
    undecodable = 0
    for number, raw in enumerate(text.split(b"\n")[:_LINES_TRIED]):
        if not raw.strip():
            continue
        found, parsed = _classify_line(raw)
        if not parsed:
            undecodable += 1
            if found is None and number == 0 and b'"resourceLogs"' in text[:4096]:
                return Format.OTEL  # one pretty-printed OTLP document
            if found is None and number == 0 and b'"hook_event_name"' in text:
                return Format.HOOKS  # one pretty-printed hook payload
        if found is not None:
            if found is Format.TRANSCRIPT and name.endswith("raw_output.jsonl"):
                return Format.STREAM_JSON
            return found
    if b'"resourceLogs"' in text:
        return Format.OTEL
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        if undecodable:
            raise FormatError(f"not UTF-8 text (invalid byte at offset {exc.start}): not a log file we know") from None
    raise FormatError(_UNKNOWN)


def _detect_array(text: bytes, complete: bool) -> Format | None:
    """A file that opens with `[`: hook payloads, or a transcript's lines, by its first elements."""
    reader = DocumentReader(ARRAY_ITEMS, malformed="malformed JSON array")
    lines = text.split(b"\n")
    rest = b"" if complete else lines.pop()  # a line the head may end inside
    tried = 0
    for number, raw in enumerate(lines, start=1):
        for piece in reader.feed(Line(number, raw, complete=True)):
            if isinstance(piece, DocumentEnd):
                if tried:
                    raise FormatError(_NOT_AN_ARRAY_WE_KNOW)
                return None  # an empty array: nothing to ingest
            if isinstance(piece, Value) and piece.data is not None:
                tried += 1
                found = _element_format(piece.data)
                if found is not None:
                    return found
        if reader.broken or tried >= _LINES_TRIED:
            raise FormatError(_NOT_AN_ARRAY_WE_KNOW)
    # The head ends inside the array: the element it ends in, from its first bytes.
    region = reader.pending()
    if region:
        region += b"\n" + rest
    else:
        region = rest.lstrip()
        if not any(line.strip() for line in lines):
            region = region.removeprefix(b"[").lstrip()  # the array opens on this line
        region = region.removeprefix(b",")
    found = classify(prefix_keys(region))
    if found is not None and (found is Format.HOOKS or _as_array(found) is not None):
        return Format.HOOKS if found is Format.HOOKS else _as_array(found)
    raise FormatError(_NOT_AN_ARRAY_WE_KNOW)


def _element_format(data: bytes) -> Format | None:
    found, _ = _classify_line(data)
    return None if found is None else (Format.HOOKS if found is Format.HOOKS else _as_array(found))


def _as_array(found: Format) -> Format | None:
    """An array of a transcript's (or stream-json's) lines is read as a transcript."""
    return Format.TRANSCRIPT_ARRAY if found in (Format.TRANSCRIPT, Format.STREAM_JSON) else None
