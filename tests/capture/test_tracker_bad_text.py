"""NUL and lone surrogates in what a workflow records: never an exception, always stored.

PostgreSQL's text and jsonb cannot hold U+0000 and orjson refuses lone surrogates, so the model
refuses both (a 422 for an API client). The tracker promises never to raise into the workflow:
a field holding such text moves to `parameters["invalid_fields"]`, made storable (NUL -> U+FFFD,
a lone surrogate -> its `\\udxxx` escape), and the call is stored on both databases.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine

from tests.helpers.live_api import LiveAPI
from tooltrack import ToolCallRecord, ToolCallTracker, log_task_completion
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.sender import TaskLogSender
from tooltrack.capture.spool import Spool
from tooltrack.capture.tracker import clean_tool_call
from tooltrack.store import TaskLogRepository

NUL = "\x00"
LONE = "\udc80"  # what os.fsdecode makes of an undecodable byte in a file name


def _record_hostile_calls(tracker: ToolCallTracker) -> None:
    tracker.record_tool_call("Bash", 10, False, command=f"grep -P 'a{NUL}b' x", error_message=f"bad{NUL}byte")
    tracker.record_tool_call("Read", 5, True, file_path=f"/tmp/caf{LONE}.txt")
    tracker.record_tool_call("Bash", 7, False, command="make", error_message=f"make: {LONE} failed")
    tracker.record_tool_call("mcp__x__y", 3, True, parameters={"q": f"a{NUL}b", f"k{LONE}": [f"v{LONE}", 1]})
    tracker.record_tool_call("Grep", 2, True, pattern="x", glob_hint=f"needle{NUL}")  # unknown: into parameters
    tracker.record_tool_call(f"Ba{NUL}sh", 1, True)


def test_clean_tool_call_never_raises_on_nul_or_lone_surrogates() -> None:
    tracker = ToolCallTracker()
    _record_hostile_calls(tracker)
    calls = tracker.get_tool_calls()  # before the fix: ValidationError from the "essentials" step
    assert len(calls) == 6
    for call in calls:
        ToolCallRecord.model_validate(call)
    grep_nul, read_lone, make_lone, params, unknown_field, nameless = calls
    assert grep_nul["tool_name"] == "Bash" and grep_nul["success"] is False
    assert grep_nul["parameters"]["invalid_fields"] == {
        "command": "grep -P 'a\ufffdb' x",
        "error_message": "bad\ufffdbyte",
    }
    assert read_lone["parameters"]["invalid_fields"] == {"file_path": "/tmp/caf\\udc80.txt"}
    assert make_lone["command"] == "make"  # the good fields beside the bad one stay where they were
    assert make_lone["parameters"]["invalid_fields"] == {"error_message": "make: \\udc80 failed"}
    assert params["parameters"] == {"q": "a\ufffdb", "k\\udc80": ["v\\udc80", 1]}
    assert unknown_field["pattern"] == "x" and unknown_field["parameters"] == {"glob_hint": "needle\ufffd"}
    assert nameless["tool_name"] == "unknown"
    assert nameless["parameters"]["invalid_fields"] == {"tool_name": "Ba\ufffdsh"}


def test_values_json_cannot_take_as_keys_or_that_contain_themselves_never_raise(caplog) -> None:
    looped: dict = {"a": 1}
    looped["self"] = looped
    with caplog.at_level(logging.WARNING):
        tuple_keys = clean_tool_call({"tool_name": "X", "success": True, "parameters": {(1, 2): 3}})
        loop = clean_tool_call({"tool_name": "X", "success": True, "parameters": looped})
    assert tuple_keys["parameters"]["invalid_fields"]["parameters"] == "{(1, 2): 3}"
    assert loop["tool_name"] == "X" and "invalid_fields" in loop["parameters"]
    assert "tool call 'X'" in caplog.text


def test_hostile_calls_are_stored_through_the_api(live_api: LiveAPI, engine: Engine, spool: Spool) -> None:
    tracker = ToolCallTracker()
    _record_hostile_calls(tracker)
    expected = tracker.get_tool_calls()
    sender = TaskLogSender(TaskLogClient(live_api.url, retries=0), spool)
    try:
        outcome = log_task_completion("adw-hostile", 1, "Build", 2, True, "ok", tool_calls=tracker, sender=sender)
    finally:
        sender.close()
    assert outcome == "created"
    assert not spool.path.exists() or not spool.path.read_text().strip()
    (log,) = TaskLogRepository(engine).list_by_adw_id("adw-hostile")
    stored = [call.model_dump(mode="json", exclude_none=True) for call in log.tool_calls]
    assert [c["tool_name"] for c in stored] == [c["tool_name"] for c in expected]
    assert [c.get("parameters") for c in stored] == [c.get("parameters") for c in expected]
    assert stored[2]["command"] == "make"


@pytest.mark.parametrize("text", [NUL, LONE, f"a{NUL}{LONE}b"])
def test_tracked_block_whose_exception_message_is_hostile(text: str) -> None:
    tracker = ToolCallTracker()
    with pytest.raises(RuntimeError), tracker.track("Bash", command="x"):
        raise RuntimeError(text)
    (call,) = tracker.get_tool_calls()
    assert call["success"] is False and call["command"] == "x"
    kept = call["parameters"]["invalid_fields"]["error_message"]
    assert NUL not in kept and kept.startswith("RuntimeError: ")
    kept.encode("utf-8")  # no lone surrogate left
