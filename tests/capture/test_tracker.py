"""ToolCallTracker: what it records, what it does with bad fields, and that it never breaks the workflow."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tooltrack import ToolCallRecord, ToolCallTracker
from tooltrack.capture.tracker import clean_tool_call


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def test_record_tool_call_keeps_the_spec_fields_and_a_start_timestamp() -> None:
    tracker = ToolCallTracker()
    before = datetime.now(UTC)
    tracker.record_tool_call("Bash", 1500, False, command="pytest tests/", exit_code=1, stdout_lines=3)
    after = datetime.now(UTC)
    (call,) = tracker.get_tool_calls()
    assert call["tool_name"] == "Bash"
    assert call["duration_ms"] == 1500
    assert call["success"] is False
    assert (call["command"], call["exit_code"], call["stdout_lines"]) == ("pytest tests/", 1, 3)
    # The timestamp marks the call's start: now minus its duration, timezone-aware.
    started = _aware(call["timestamp"])
    assert before - timedelta(milliseconds=1500) - timedelta(seconds=1) <= started <= after
    assert started <= after - timedelta(milliseconds=1400)
    ToolCallRecord.model_validate(call)


def test_unknown_fields_go_into_parameters_and_bad_values_are_kept_aside(caplog) -> None:
    tracker = ToolCallTracker()
    tracker.record_tool_call("mcp__github__create_issue", 40.6, True, repo="a/b", labels=["bug"])
    tracker.record_tool_call("Read", -5, True, file_path="x.py", lines_read="many")
    tracker.record_tool_call("", 3, "yes please")
    unknown, bad, nameless = tracker.get_tool_calls()

    assert unknown["duration_ms"] == 41  # a float duration is rounded, not rejected
    assert unknown["parameters"] == {"repo": "a/b", "labels": ["bug"]}

    assert bad["tool_name"] == "Read" and bad["file_path"] == "x.py" and bad["success"] is True
    assert "duration_ms" not in bad and "lines_read" not in bad
    assert bad["parameters"]["invalid_fields"] == {"duration_ms": "-5", "lines_read": "many"}
    assert "duration_ms" in caplog.text

    assert nameless["tool_name"] == "unknown"
    assert nameless["success"] is False  # not a clear yes: kept aside, not guessed
    assert nameless["parameters"]["invalid_fields"] == {"tool_name": "", "success": "yes please"}
    for call in (unknown, bad, nameless):
        ToolCallRecord.model_validate(call)


def test_clean_tool_call_moves_a_non_dict_parameters_aside() -> None:
    call = clean_tool_call({"tool_name": "X", "success": True, "parameters": "oops", "mood": "fine"})
    assert call["parameters"] == {"mood": "fine", "invalid_fields": {"parameters": "oops"}}


def test_track_times_a_block_and_re_raises_the_same_exception() -> None:
    tracker = ToolCallTracker()
    with tracker.track("Bash", command="make build") as call:
        time.sleep(0.03)
        call.fields["exit_code"] = 0
    problem = ValueError("disk full")
    with pytest.raises(ValueError) as raised, tracker.track("Write", file_path="out.txt"):
        raise problem
    assert raised.value is problem  # untouched: the very same object
    ok, failed = tracker.get_tool_calls()
    assert ok["success"] is True and ok["exit_code"] == 0 and ok["duration_source"] == "measured"
    assert 30 <= ok["duration_ms"] < 2000
    assert failed["success"] is False
    assert failed["error_message"] == "ValueError: disk full"
    assert failed["file_path"] == "out.txt"


def test_track_as_a_decorator_records_every_call_separately() -> None:
    tracker = ToolCallTracker()

    @tracker.track("Grep", pattern="TODO")
    def search(n: int) -> int:
        if n < 0:
            raise KeyError(n)
        return n * 2

    @tracker.track("WebFetch", url="https://example.com")
    async def fetch() -> str:
        await asyncio.sleep(0.01)
        return "ok"

    assert search(2) == 4
    with pytest.raises(KeyError):
        search(-1)
    # In a thread of its own: the browser tests' Playwright (sync API) keeps an event loop
    # running on the main thread for the whole session, and asyncio.run refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, fetch()).result() == "ok"
    calls = tracker.get_tool_calls()
    assert [(c["tool_name"], c["success"]) for c in calls] == [("Grep", True), ("Grep", False), ("WebFetch", True)]
    assert calls[1]["error_message"] == "KeyError: -1"
    assert calls[2]["duration_ms"] >= 10


def test_recording_from_many_threads_loses_nothing() -> None:
    tracker = ToolCallTracker()
    threads_count, per_thread = 8, 2_000

    def work(worker: int) -> None:
        for n in range(per_thread):
            tracker.record_tool_call("Read", n, True, file_path=f"{worker}/{n}")

    threads = [threading.Thread(target=work, args=(w,)) for w in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    paths = [call["file_path"] for call in tracker.raw_calls()]
    assert len(paths) == threads_count * per_thread
    assert set(paths) == {f"{w}/{n}" for w in range(threads_count) for n in range(per_thread)}


def test_run_subprocess_fills_the_bash_fields() -> None:
    tracker = ToolCallTracker()
    script = "import sys; print('a'); print('b'); print('c'); print('oops', file=sys.stderr); sys.exit(3)"
    result = tracker.run_subprocess([sys.executable, "-c", script])
    assert result.returncode == 3
    with pytest.raises(FileNotFoundError):
        tracker.run_subprocess(["/nonexistent/program-xyz"])
    failed, missing = tracker.get_tool_calls()
    assert failed["tool_name"] == "Bash"
    assert failed["command"].endswith("sys.exit(3)'")
    assert (failed["exit_code"], failed["stdout_lines"], failed["stderr_lines"]) == (3, 3, 1)
    assert failed["success"] is False
    assert failed["error_message"] == "Exit code 3\noops"
    assert missing["success"] is False and "FileNotFoundError" in missing["error_message"]
    assert missing["command"] == "/nonexistent/program-xyz"


def test_file_helpers_record_read_and_write(tmp_path: Path) -> None:
    tracker = ToolCallTracker()
    target = tmp_path / "notes.txt"
    content = "one\ntwo\nthree é\n"
    assert tracker.write_file(target, content) == len(content.encode())
    tracker.write_file(target, content)
    assert tracker.read_file(target) == content
    assert tracker.read_file(target, offset=1, limit=1) == "two\n"
    with pytest.raises(FileNotFoundError):
        tracker.read_file(tmp_path / "missing.txt")
    first_write, second_write, read_all, read_part, missing = tracker.get_tool_calls()
    assert first_write["created_new_file"] is True and first_write["bytes_written"] == len(content.encode())
    assert second_write["created_new_file"] is False
    assert (read_all["lines_read"], read_all["file_size_bytes"]) == (3, len(content.encode()))
    assert (read_part["offset"], read_part["limit"], read_part["lines_read"]) == (1, 1, 1)
    assert missing["success"] is False and missing["tool_name"] == "Read"


def test_recording_never_raises_even_with_unprintable_values() -> None:
    class Weird:
        def __str__(self) -> str:
            raise RuntimeError("no")

        __repr__ = __str__

    tracker = ToolCallTracker()
    tracker.record_tool_call("Bash", 1, True, command=Weird())  # must not raise here ...
    calls = tracker.get_tool_calls()  # ... nor here
    assert calls[0]["tool_name"] == "Bash"
    assert calls[0]["parameters"]["invalid_fields"] == {"command": "<unprintable Weird>"}
