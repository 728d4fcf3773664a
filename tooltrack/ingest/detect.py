"""Which of the known formats a file is in, from its first bytes (and its name as a hint)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import orjson


class Format(StrEnum):
    """The formats `tooltrack ingest` reads."""

    TOOLTRACK = "tooltrack-jsonl"
    STREAM_JSON = "claude-stream-json"
    TRANSCRIPT = "claude-transcript"
    OTEL = "claude-otel"
    HOOKS = "claude-hooks"


class FormatError(ValueError):
    """The file cannot be read as any known format; the message says why."""


_STREAM_JSON_TYPES = {"system", "assistant", "user", "result", "stream_event"}
_TRANSCRIPT_ONLY_TYPES = {"summary", "progress", "file-history-snapshot", "queue-operation"}
#: How many lines of the head are tried before giving up.
_LINES_TRIED = 200


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


def detect_format(head: bytes, name: str = "") -> Format | None:
    """The format of a file whose first bytes are `head`; None for an empty file.

    Raises `FormatError` with a clear message when the bytes are not a format we know.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormatError("the file is UTF-16 encoded; tooltrack reads UTF-8 JSON (convert it with iconv)")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return None
    if text.startswith(b"["):
        if b'"hook_event_name"' in text:
            return Format.HOOKS
        raise FormatError("a JSON array that is not a list of Claude Code hook payloads")
    undecodable = 0
    for number, raw in enumerate(text.split(b"\n")[:_LINES_TRIED]):
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            undecodable += 1
            if number == 0 and b'"resourceLogs"' in text[:4096]:
                return Format.OTEL  # one pretty-printed OTLP document
            if number == 0 and b'"hook_event_name"' in text:
                return Format.HOOKS  # one pretty-printed hook payload
            continue
        found = classify(value)
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
    raise FormatError(
        "unknown format: expected JSON lines of tooltrack task logs, Claude Code stream-json output, "
        "Claude Code session transcripts, an OTLP JSON logs export or Claude Code hook payloads"
    )
