"""Format detection does not depend on the size of the first line.

Detection reads the head of a file (256 KB). A first line longer than that used to make the whole
file "unknown format": a tooltrack JSONL line of a log with 1,300 calls, a transcript whose
first message holds a pasted image, a `chat.json` whose first element does. The deciding keys
come first in every format, so the part of the line in the head decides; when it does not (the
keys come late), the whole first line is read.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs
from tooltrack.ingest import Format, FormatError, detect_format, ingest_stream
from tooltrack.ingest.lines import HEAD_BYTES

#: A pasted screenshot, as base64 text larger than the head.
IMAGE = base64.b64encode(bytes(range(256)) * (HEAD_BYTES // 128)).decode()


def big_log(calls: int = 1300, ids: str = "toolu_") -> dict[str, Any]:
    return {
        "adw_id": "adw-big",
        "phase_name": "Build",
        "phase_status": "completed",
        "tool_calls": [
            {
                "tool_name": "Read",
                "success": True,
                "duration_ms": 3,
                "file_path": f"/repo/src/module_{n:04d}/implementation_with_a_long_name.py",
                "call_id": f"{ids}{n:06d}",
                "parameters": {"offset": n, "limit": 200, "note": "a realistic amount of text per call " * 3},
            }
            for n in range(calls)
        ],
    }


def image_message(session: str = "img-session") -> dict[str, Any]:
    """A transcript line as Claude Code writes it: the deciding keys before the message."""
    return {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": "/repo",
        "sessionId": session,
        "version": "2.0.49",
        "gitBranch": "main",
        "type": "user",
        "message": {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is wrong in this screenshot?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": IMAGE}},
            ],
        },
        "uuid": "u-1",
        "timestamp": "2025-11-21T10:00:00.000Z",
    }


def bash_call(session: str = "img-session") -> list[dict[str, Any]]:
    stamp = "2025-11-21T10:00:05.000Z"
    use = {"type": "tool_use", "id": "toolu_img1", "name": "Bash", "input": {"command": "ls"}}
    result = {"type": "tool_result", "tool_use_id": "toolu_img1", "content": "x"}
    return [
        {"sessionId": session, "type": "assistant", "uuid": "a-1", "timestamp": stamp, "message": {"content": [use]}},
        {"sessionId": session, "type": "user", "uuid": "u-2", "timestamp": stamp, "message": {"content": [result]}},
    ]


def ingest(engine: Engine, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return ingest_stream(engine, name, io.BytesIO(data))


def test_a_tooltrack_jsonl_whose_first_log_has_1300_calls(engine: Engine) -> None:
    first = orjson.dumps(big_log())
    assert len(first) > HEAD_BYTES
    small = orjson.dumps(big_log(2, ids="toolu_small") | {"adw_id": "adw-small"})
    report = ingest(engine, "spool.jsonl", first + b"\n" + small + b"\n")
    assert (report.error, report.format, report.rejected) == (None, "tooltrack-jsonl", [])
    assert (report.task_logs_stored, report.tool_calls_stored) == (2, 1302)


def test_a_transcript_whose_first_message_holds_a_pasted_image(engine: Engine) -> None:
    lines = [image_message(), *bash_call()]
    data = b"\n".join(orjson.dumps(line) for line in lines) + b"\n"
    assert data.index(b"\n") > HEAD_BYTES
    report = ingest(engine, "session.jsonl", data)
    assert (report.error, report.format, report.rejected) == (None, "claude-transcript", [])
    assert [call.call_id for call in stored_calls(engine)] == ["toolu_img1"]


def test_a_chat_json_whose_first_element_holds_a_pasted_image(engine: Engine) -> None:
    data = json.dumps([image_message(), *bash_call()], indent=2).encode()
    assert data.index(b"  },\n  {") > HEAD_BYTES
    report = ingest(engine, "logs/chat.json", data)
    assert (report.error, report.format, report.rejected) == (None, "claude-transcript-array", [])
    assert [call.call_id for call in stored_calls(engine)] == ["toolu_img1"]


def test_a_hook_payload_line_with_a_large_response(engine: Engine) -> None:
    payload = {
        "session_id": "s1",
        "transcript_path": "/home/u/.claude/projects/p/s1.jsonl",
        "cwd": "/repo",
        "hook_event_name": "PostToolUse",
        "tool_name": "Read",
        "tool_input": {"file_path": "/repo/big.log"},
        "tool_response": {"type": "text", "file": {"filePath": "/repo/big.log", "content": IMAGE}},
        "tool_use_id": "toolu_big_read",
    }
    report = ingest(engine, "post_tool_use.jsonl", orjson.dumps(payload) + b"\n")
    assert (report.error, report.format, report.tool_calls_stored) == (None, "claude-hooks", 1)


def test_a_first_line_whose_deciding_keys_come_late_is_read_whole(engine: Engine) -> None:
    log = big_log()
    late = {"tool_calls": log["tool_calls"], "phase_status": "completed", "adw_id": "adw-late", "phase_name": "Test"}
    first = orjson.dumps(late)
    assert first.index(b'"adw_id"') > HEAD_BYTES
    with pytest.raises(FormatError):
        detect_format(first[:HEAD_BYTES])  # the head alone does not tell
    report = ingest(engine, "spool.jsonl", first + b"\n")
    assert (report.error, report.format, report.tool_calls_stored) == (None, "tooltrack-jsonl", 1300)
    assert [log.adw_id for log in stored_logs(engine)] == ["adw-late"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"adw_id": "a", "tool_calls": [{"x": "]}"}], "phase_name": "B', "tooltrack-jsonl"),
        (b'{"parentUuid": null, "sessionId": "s", "type": "user", "message": {"content": "abc', "claude-transcript"),
        (b'{"type": "assistant", "message": {"content": [{"type": "text", "text": "ab', "claude-stream-json"),
        (b'{"session_id": "s", "hook_event_name": "PostToolUse", "tool_response": "ab', "claude-hooks"),
        (
            b'[\n  {\n    "parentUuid": null,\n    "sessionId": "s",\n    "message": {"content": "ab',
            "claude-transcript-array",
        ),
        (b'[{"session_id": "s", "hook_event_name": "PreToolUse", "tool_input": {"content": "ab', "claude-hooks"),
    ],
)
def test_the_head_of_a_long_first_line_decides(head: bytes, expected: str) -> None:
    assert len(head) < HEAD_BYTES
    assert detect_format(head, complete=False) == Format(expected)


def test_prefix_keys_reads_the_top_level_keys_there_are() -> None:
    from tooltrack.ingest.detect import prefix_keys

    assert prefix_keys(b'{"a": 1, "b": {"c": [1, "}"]}, "d": "x", "e": "cut') == {"a": 1, "b": {}, "d": "x", "e": ...}
    assert prefix_keys(b'{"a": [1, 2') == {"a": []}
    assert prefix_keys(b"[1, 2]") == {}


def test_an_empty_array_is_an_empty_file(engine: Engine, tmp_path: Path) -> None:
    report = ingest(engine, "logs/post_tool_use.json", b"[]\n")
    assert (report.format, report.error, report.ok) == ("empty", None, True)
    assert [note.message for note in report.notes] == ["an empty JSON array: nothing to ingest"]


def test_an_array_of_something_else_is_named(engine: Engine) -> None:
    report = ingest(engine, "data.json", b'[{"name": "x"}, {"name": "y"}]\n')
    assert report.error == (
        "a JSON array whose elements are neither Claude Code hook payloads nor transcript lines (logs/chat.json)"
    )
