"""Hook payloads without `tool_use_id` (Claude Code before 2.0.43): identical payloads are still calls.

The real logs in `tests/fixtures/real/case4-hook-logs-pre-2.0.43/` (see real/SOURCES.md) were
written by the widely copied logging hook, a JSON array rewritten on every call. Some repeat a
payload byte for byte: the same Read of the same file twice (10-box-os, gistconsole), and
every one of them is a call. Each is given a synthetic call id from its session, its payload and
its occurrence (`tooltrack.ingest.hooks.synthetic_call_id`), so the store's call identity keeps
what is new and nothing twice, also when the log grows.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls
from tooltrack.ingest import ingest_file, ingest_stream

CASE4 = "real/case4-hook-logs-pre-2.0.43"
#: The PostToolUse logs of case 4 and 5: (file, payloads, payloads equal to an earlier one).
POST_LOGS = {
    f"{CASE4}/10-box-os-v1.0.69/post_tool_use.json": (12, 1),
    f"{CASE4}/gistconsole-v2.0.36/post_tool_use.json": (40, 3),
    f"{CASE4}/rhema-v2.0.42/post_tool_use.json": (5, 0),
    f"{CASE4}/skogai-claude-backup-v1.0.119/post_tool_use.json": (86, 0),
    f"{CASE4}/teamwork-adws-bun-v2.0.37/post_tool_use.json": (63, 0),
    "real/case5-chat-json/food-order-app-v2.0.26-post_tool_use.json": (2, 0),
}


def result_payloads(path: Path) -> list[dict[str, Any]]:
    """The PostToolUse / PostToolUseFailure payloads of a hook log, read straight from the JSON."""
    return [
        p for p in json.loads(path.read_bytes()) if p.get("hook_event_name") in ("PostToolUse", "PostToolUseFailure")
    ]


def repeats(payloads: list[dict[str, Any]]) -> int:
    """How many payloads are byte for byte (keys sorted) equal to an earlier one."""
    counts = Counter(orjson.dumps(p, option=orjson.OPT_SORT_KEYS) for p in payloads)
    return sum(n - 1 for n in counts.values())


@pytest.mark.parametrize("name", sorted(POST_LOGS))
def test_every_payload_of_a_real_log_without_tool_use_id_is_a_call(
    engine: Engine, fixtures_dir: Path, name: str
) -> None:
    path = fixtures_dir / name
    payloads = result_payloads(path)
    assert (len(payloads), repeats(payloads)) == POST_LOGS[name]  # the file as it is
    assert not any("tool_use_id" in p for p in payloads)

    report = ingest_file(engine, path)
    calls = stored_calls(engine)
    assert (report.rejected, report.tool_calls_stored, len(calls)) == ([], len(payloads), len(payloads))
    assert len({call.call_id for call in calls}) == len(payloads)  # each a call of its own
    assert Counter(call.tool_name for call in calls) == Counter(p["tool_name"] for p in payloads)

    again = ingest_file(engine, path)
    assert (again.tool_calls_stored, again.duplicate_tool_calls) == (0, len(payloads))
    assert len(stored_calls(engine)) == len(payloads)


def test_a_real_log_that_grew_adds_only_its_new_payloads(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    # gistconsole's first 40 payloads: element 33 repeats element 1, and 25 repeats 12 (0-based).
    source = json.loads((fixtures_dir / f"{CASE4}/gistconsole-v2.0.36/post_tool_use.json").read_bytes())
    assert source[33] == source[1] and source[25] == source[12]
    log = tmp_path / "logs" / "post_tool_use.json"
    log.parent.mkdir()
    # The logging hook rewrites the whole array on every call (json.dumps(..., indent=2)).
    log.write_text(json.dumps(source[:30], indent=2))
    first = ingest_file(engine, log)
    log.write_text(json.dumps(source, indent=2))
    grown = ingest_file(engine, log)
    assert (first.tool_calls_stored, grown.tool_calls_stored, grown.duplicate_tool_calls) == (30, 10, 30)
    assert len({call.call_id for call in stored_calls(engine)}) == 40


def read_of(path: str, session: str = "s-old", response: str = "line 1\nline 2\n") -> dict[str, Any]:
    return {
        "session_id": session,
        "transcript_path": f"/home/u/.claude/projects/p/{session}.jsonl",
        "hook_event_name": "PostToolUse",
        "tool_name": "Read",
        "tool_input": {"file_path": path},
        "tool_response": {"type": "text", "file": {"filePath": path, "content": response, "numLines": 2}},
    }


def mcp_call(session: str = "s-old") -> dict[str, Any]:
    return {
        "session_id": session,
        "hook_event_name": "PostToolUse",
        "tool_name": "mcp__happy__change_title",
        "tool_input": {"title": "Fix the login page"},
        "tool_response": [{"type": "text", "text": "Title changed"}],
    }


def ingest_array(engine: Engine, payloads: list[dict[str, Any]]) -> tuple[int, int]:
    """Ingest the log as the hook writes it; (calls stored, calls already stored)."""
    data = json.dumps(payloads, indent=2).encode()
    report = ingest_stream(engine, "logs/post_tool_use.json", io.BytesIO(data))
    assert (report.error, report.rejected) == (None, [])
    return report.tool_calls_stored, report.duplicate_tool_calls


def test_identical_payloads_are_calls_and_a_growing_log_stores_only_what_is_new(engine: Engine) -> None:
    read, mcp = read_of("/repo/docs/PRD.md"), mcp_call()
    log = [read]
    assert ingest_array(engine, log) == (1, 0)
    log += [mcp, read]  # the same Read again, byte for byte
    assert ingest_array(engine, log) == (2, 1)
    log += [mcp, read_of("/repo/docs/PRD.md", session="s-other")]  # the same MCP call again; another session
    assert ingest_array(engine, log) == (2, 3)
    assert ingest_array(engine, log) == (0, 5)  # read again: nothing new
    calls = stored_calls(engine)
    assert len(calls) == len({call.call_id for call in calls}) == 5
    assert Counter(call.tool_name for call in calls) == {"Read": 3, "mcp__happy__change_title": 2}


def test_the_first_of_identical_payloads_keeps_the_id_it_had(engine: Engine) -> None:
    """A log ingested before occurrences counted is found stored: its first calls keep their ids."""
    read = read_of("/repo/a.py")
    before = "hook:" + hashlib.sha256(orjson.dumps(read, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
    ingest_array(engine, [read, read, read])
    ids = [call.call_id for call in stored_calls(engine)]
    assert ids[0] == before and len(set(ids)) == 3
    assert all(call_id is not None and call_id.startswith("hook:") for call_id in ids)


def test_a_call_with_tool_use_id_logged_twice_is_one_call(engine: Engine) -> None:
    # Two hook entries that both match a tool (matchers "" and "TodoWrite") log each call twice.
    read = read_of("/repo/a.py") | {"tool_use_id": "toolu_01A"}
    report = ingest_stream(engine, "post_tool_use.json", io.BytesIO(json.dumps([read, read], indent=2).encode()))
    assert report.tool_calls_stored == 1
    assert [(note.element, note.message) for note in report.notes] == [(2, "call toolu_01A logged again: read once")]
    assert [call.call_id for call in stored_calls(engine)] == ["toolu_01A"]
