"""A transcript saved as one JSON array (`logs/chat.json`) is read as the transcript it holds.

The widely copied logging hook (claude-code-hooks-mastery `stop.py --chat`) reads the session's
transcript at Stop and writes every line, parsed, into `logs/chat.json` as one array (indent 2).
The real files are in tests/fixtures/real/case5-chat-json and case2-inline-sidechains (see
real/SOURCES.md). Read as a transcript, each element is what was a line: the calls are the same
as those of the same elements written as JSON lines, and what is reported about element N is
reported at the line where element N starts.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls
from tooltrack.ingest import documents, ingest_file, ingest_stream, lines
from tooltrack.store.schema import metadata

CHAT_FILES = [
    "real/case5-chat-json/10-box-os-v1.0.69-chat.json",
    "real/case5-chat-json/big3-v2.0.49-chat-parallel-tasks-agentId-mcp.json",
    "real/case5-chat-json/food-order-app-v2.0.26-chat.json",
    "real/case5-chat-json/rhema-v2.0.42-chat.json",
    "real/case5-chat-json/skogai-claude-backup-v1.0.119-chat.json",
    "real/case2-inline-sidechains/city-of-perla-chat-2.0.26-five-parallel-tasks.json",
]


def tool_use_ids(elements: list[Any]) -> set[str]:
    """The ids of the tool_use blocks in a transcript's lines, read straight from the JSON."""
    ids = set()
    for value in elements:
        message = value.get("message") if isinstance(value, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            ids.update(b["id"] for b in message["content"] if isinstance(b, dict) and b.get("type") == "tool_use")
    return ids


def element_starts(data: bytes) -> list[int]:
    """The line each element of an indent-2 array of objects starts at (its `  {` line)."""
    return [number for number, raw in enumerate(data.split(b"\n"), start=1) if raw == b"  {"]


def empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def calls_as_stored(engine: Engine) -> list[dict[str, Any]]:
    return [call.model_dump() for call in stored_calls(engine)]


@pytest.mark.parametrize("name", CHAT_FILES)
def test_a_real_chat_json_is_read_as_the_transcript_it_holds(
    engine: Engine, fixtures_dir: Path, tmp_path: Path, name: str
) -> None:
    path = fixtures_dir / name
    data = path.read_bytes()
    elements = json.loads(data)
    report = ingest_file(engine, path)
    assert (report.format, report.error, report.rejected) == ("claude-transcript-array", None, [])
    from_array = calls_as_stored(engine)
    assert {call["call_id"] for call in from_array} == tool_use_ids(elements)
    assert report.tool_calls_stored == len(from_array) > 0

    again = ingest_file(engine, path)
    assert (again.tool_calls_stored, again.duplicate_tool_calls) == (0, len(from_array))

    # The same elements as JSON lines: the same calls, the same notes at the same elements.
    jsonl = tmp_path / (path.stem + ".jsonl")
    jsonl.write_bytes(b"\n".join(orjson.dumps(value) for value in elements) + b"\n")
    empty(engine)
    as_lines = ingest_file(engine, jsonl)
    assert as_lines.format == "claude-transcript"
    assert calls_as_stored(engine) == from_array
    starts = element_starts(data)
    assert len(starts) == len(elements)
    assert [(note.element, note.line, note.message) for note in report.notes] == [
        (note.line, starts[note.line - 1], note.message) for note in as_lines.notes
    ]


def test_a_chat_json_told_to_be_a_transcript_is_read_as_one(engine: Engine, fixtures_dir: Path) -> None:
    path = fixtures_dir / CHAT_FILES[1]
    report = ingest_file(engine, path, format="claude-transcript")
    assert (report.format, report.rejected_count) == ("claude-transcript-array", 0)
    assert report.tool_calls_stored == len(tool_use_ids(json.loads(path.read_bytes())))


def transcript_line(number: int, session: str = "chat-session") -> list[dict[str, Any]]:
    """A Bash call and its result, as two transcript lines."""
    stamp = f"2025-11-21T10:{number // 60:02d}:{number % 60:02d}.000Z"
    call = {
        "parentUuid": None,
        "sessionId": session,
        "version": "2.0.49",
        "type": "assistant",
        "uuid": f"a{number}",
        "timestamp": stamp,
        "message": {
            "id": f"msg_{number}",
            "role": "assistant",
            "content": [{"type": "tool_use", "id": f"toolu_{number:05d}", "name": "Bash", "input": {"command": "ls"}}],
        },
    }
    result = {
        "parentUuid": f"a{number}",
        "sessionId": session,
        "type": "user",
        "uuid": f"u{number}",
        "timestamp": stamp,
        "message": {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": f"toolu_{number:05d}", "content": "a\nb"}],
        },
    }
    return [call, result]


def test_bad_elements_are_rejected_at_their_line_with_their_number(engine: Engine) -> None:
    elements = [*transcript_line(1), {"sessionId": "chat-session", "message": {}}, *transcript_line(2)]
    text = json.dumps(elements, indent=2)
    starts = element_starts(text.encode())
    cut = text[: text.rindex('"toolu_00002"')]  # the file ends inside the 5th element, call 2's result
    report = ingest_stream(engine, "logs/chat.json", io.BytesIO(cut.encode()))
    assert report.format == "claude-transcript-array"
    assert [(r.line, r.element) for r in report.rejected] == [(starts[2], 3), (starts[4], 5)]
    assert report.rejected[0].reason == "a JSON object without a type: not a Claude Code message"
    assert report.rejected[1].reason == "malformed JSON array: the file ends inside it"
    assert [call.call_id for call in stored_calls(engine)] == ["toolu_00001", "toolu_00002"]


def test_a_large_chat_json_is_read_element_by_element(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # One element is held at a time: with the limit of one value at 4 KB, a 1.2 MB array is read
    # whole but for the one element over the limit.
    monkeypatch.setattr(documents, "MAX_VALUE_BYTES", 4096)
    elements = [line for number in range(1, 1501) for line in transcript_line(number)]
    elements[1001]["message"]["content"][0]["content"] = "x" * 5000  # the result of call 501
    data = json.dumps(elements, indent=2).encode()
    assert len(data) > 250 * 4096
    report = ingest_stream(engine, "logs/chat.json", io.BytesIO(data))
    assert [(r.element, r.reason) for r in report.rejected] == [
        (1002, "a value longer than 0 MB: skipped without being read")
    ]
    assert report.tool_calls_stored == 1500
    assert report.notes == []
    calls = {call.call_id: call for call in stored_calls(engine)}
    assert calls["toolu_00501"].outcome == "interrupted"  # its result was not read


@pytest.mark.parametrize("block", [97, 4096])
def test_the_block_size_does_not_change_what_is_read(
    engine: Engine, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    path = fixtures_dir / CHAT_FILES[-1]
    whole = ingest_file(engine, path)
    calls = calls_as_stored(engine)
    empty(engine)
    monkeypatch.setattr(lines, "BLOCK_BYTES", block)  # values span many blocks
    small = ingest_file(engine, path)
    assert calls_as_stored(engine) == calls
    assert (small.notes, small.rejected, small.lines) == (whole.notes, whole.rejected, whole.lines)
