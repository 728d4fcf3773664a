"""`tooltrack hook` run as a real subprocess on real hook payloads, then replayed into the database."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.hook import run_hook
from tests.helpers.live_api import LiveAPI, free_port
from tests.helpers.processes import PYTHON
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.hook_sessions import close_session, fold, session_file
from tooltrack.capture.replay import replay_spool
from tooltrack.capture.spool import Spool, hook_log_path, sessions_dir
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository


def _load(fixtures_dir: Path, name: str):
    return json.loads((fixtures_dir / "claude-hooks" / name).read_text())


def _as_pre(post: dict) -> dict:
    """The PreToolUse event of a PostToolUse payload: same call, no response, no duration."""
    pre = {
        k: v
        for k, v in copy.deepcopy(post).items()
        if k not in ("tool_response", "duration_ms", "error", "is_interrupt")
    }
    pre["hook_event_name"] = "PreToolUse"
    return pre


def _in_session(event: dict, session: str) -> dict:
    return {**copy.deepcopy(event), "session_id": session}


def _pending(spool: Spool, session: str) -> set[str]:
    """Ids of the calls the session's state file still holds open (closed ids are not open)."""
    path = session_file(spool, session)
    return set(fold(path.read_bytes()).calls) if path.exists() else set()


def _stored_calls(engine: Engine, adw_id: str) -> list[dict]:
    logs = TaskLogRepository(engine).list_by_adw_id(adw_id)
    return [call.model_dump(exclude_none=True) | {"_log": log.id} for log in logs for call in log.tool_calls]


def test_hook_events_become_one_task_log_with_paired_calls_and_durations(
    fixtures_dir: Path, spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    session = "0b7d4c1e-5a1f-4c38-9a43-2f6c1f6a9e01"
    bash_post, read_post = (_in_session(e, session) for e in _load(fixtures_dir, "post_tool_use_log.json"))
    write_post = _in_session(_load(fixtures_dir, "docs_PostToolUse.json"), session)
    write_post["tool_use_id"] = "toolu_write_1"
    failure = _in_session(_load(fixtures_dir, "docs_PostToolUseFailure.json"), session)
    failure["tool_use_id"] = "toolu_npm_test"
    todo_post = {
        "session_id": session, "hook_event_name": "PostToolUse", "tool_name": "TodoWrite",
        "tool_input": {"todos": [{"content": "write tests", "status": "in_progress"}]},
        "tool_response": {"oldTodos": [], "newTodos": []}, "tool_use_id": "toolu_todo_1",
    }  # fmt: skip

    # A call whose PostToolUse carries duration_ms (CLI 2.1.119+): that figure wins.
    run_hook(_as_pre(write_post))
    run_hook(write_post)
    # Two calls in parallel (their events interleave), without duration_ms: timed between Pre and Post.
    pre_read = run_hook(_as_pre(read_post))
    pre_bash = run_hook(_as_pre(bash_post))
    time.sleep(0.2)
    post_bash = run_hook(bash_post)
    time.sleep(0.1)
    post_read = run_hook(read_post)
    # A failing call, and a tool outside the spec's seven with no Pre event at all.
    run_hook(_as_pre(failure))
    run_hook(failure)
    run_hook(todo_post)
    # The `tooltrack hook` command itself (the slower entry point) on the Stop event.
    stop = {"session_id": session, "hook_event_name": "Stop", "stop_hook_active": False}
    run_hook(stop, [PYTHON, "-m", "tooltrack.cli", "hook"], TOOLTRACK_PHASE="build", TOOLTRACK_PHASE_NUMBER="3")

    assert _pending(spool, session) == set()  # everything closed
    (payload,) = [json.loads(line) for line in spool.path.read_text().splitlines()]
    TaskLogCreate.model_validate(payload)

    report = replay_spool(spool, api_client)
    assert (report.created, report.kept, report.rejected) == (1, 0, 0)
    (log,) = TaskLogRepository(engine).list_by_adw_id(session)
    assert (log.phase_name, log.phase_number, log.source, log.phase_status) == ("build", 3, "hook", "completed")
    calls = {call.call_id: call for call in log.tool_calls}
    assert set(calls) == {
        "toolu_write_1",
        read_post["tool_use_id"],
        bash_post["tool_use_id"],
        "toolu_npm_test",
        "toolu_todo_1",
    }

    write = calls["toolu_write_1"]
    assert (write.tool_name, write.duration_ms, write.duration_source, write.success) == ("Write", 12, "hook", True)
    assert (write.file_path, write.bytes_written) == ("/path/to/file.txt", len(b"file content"))

    # Timed from the hook's own clock: between the end of the Pre run and the start of the Post run at
    # least, and within the span from the start of the Pre run to the end of the Post run.
    for call_id, pre, post in (
        (bash_post["tool_use_id"], pre_bash, post_bash),
        (read_post["tool_use_id"], pre_read, post_read),
    ):
        call = calls[call_id]
        assert call.duration_source == "timestamps"
        low, high = (post.started - pre.ended) * 1000, (post.ended - pre.started) * 1000
        assert low - 1 <= call.duration_ms <= high + 1, (call.tool_name, low, call.duration_ms, high)
    bash, read = calls[bash_post["tool_use_id"]], calls[read_post["tool_use_id"]]
    assert bash.duration_ms >= 200 and read.duration_ms >= 300
    assert bash.command == bash_post["tool_input"]["command"] and bash.exit_code == 0
    assert (read.file_path, read.offset, read.limit, read.lines_read) == (
        read_post["tool_input"]["file_path"],
        1,
        80,
        80,
    )
    assert bash.turn_id is not None and bash.turn_id == read.turn_id  # they overlapped: one parallel turn
    assert write.turn_id is None

    failed = calls["toolu_npm_test"]
    assert (failed.success, failed.outcome, failed.exit_code, failed.duration_ms) == (False, "error", 1, 4187)
    assert failed.error_message == failure["error"]
    todo = calls["toolu_todo_1"]
    assert todo.success is True and todo.duration_ms is None  # no Pre, no duration_ms: unknown, not 0
    assert todo.parameters == {"todos": {"items": 1}}  # todo texts are content: their count, never the text

    # In order of their start.
    starts = [call.timestamp for call in log.tool_calls]
    assert starts == sorted(starts)
    assert all(t is not None and t.tzinfo is not None for t in starts)


def test_a_session_that_never_stops_is_sent_by_replay_and_a_later_stop_adds_only_new_calls(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    session = "never-stops"

    def call(n: int, event: str) -> dict:
        return {
            "session_id": session, "hook_event_name": event, "tool_name": "Bash", "tool_use_id": f"toolu_{n}",
            "tool_input": {"command": f"echo {n}"}, "tool_response": {"stdout": f"{n}\n", "stderr": ""},
        }  # fmt: skip

    for n in (1, 2):
        run_hook(call(n, "PreToolUse"), TOOLTRACK_ADW_ID="adw-hook")
        run_hook(call(n, "PostToolUse"), TOOLTRACK_ADW_ID="adw-hook")
    run_hook(call(3, "PreToolUse"), TOOLTRACK_ADW_ID="adw-hook")  # still running

    # Not quiet long enough: replay leaves the session alone.
    assert replay_spool(spool, api_client, quiet_seconds=3600).sent == 0
    assert _stored_calls(engine, "adw-hook") == []
    # Quiet long enough: its finished calls are sent; the unfinished one waits for its PostToolUse ...
    report = replay_spool(spool, api_client, quiet_seconds=0)
    assert (report.sessions_closed, report.created) == (1, 1)
    assert [c["call_id"] for c in _stored_calls(engine, "adw-hook")] == ["toolu_1", "toolu_2"]
    assert _pending(spool, session) == {"toolu_3"}
    # ... until its PreToolUse is older than the grace: then it is sent as interrupted.
    report = replay_spool(spool, api_client, quiet_seconds=0, unfinished_after=0)
    assert (report.sessions_closed, report.created) == (1, 1)
    stored = _stored_calls(engine, "adw-hook")
    assert [(c["call_id"], c["success"], c.get("outcome")) for c in stored] == [
        ("toolu_1", True, "ok"), ("toolu_2", True, "ok"), ("toolu_3", False, "interrupted"),
    ]  # fmt: skip

    # The session goes on and stops later: only the new calls make the next task log.
    run_hook(call(4, "PreToolUse"))
    run_hook(call(4, "PostToolUse"))
    run_hook({"session_id": session, "hook_event_name": "Stop"}, TOOLTRACK_ADW_ID="adw-hook")
    assert replay_spool(spool, api_client).created == 1
    stored = _stored_calls(engine, "adw-hook")
    assert sorted(c["call_id"] for c in stored) == ["toolu_1", "toolu_2", "toolu_3", "toolu_4"]
    assert len({c["_log"] for c in stored}) == 3


def test_a_close_interrupted_after_its_marker_is_redelivered_under_the_same_key(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    session = "crashy"
    for n, event in ((1, "PreToolUse"), (1, "PostToolUse"), (2, "PreToolUse"), (2, "PostToolUse")):
        run_hook({"session_id": session, "hook_event_name": event, "tool_name": "Read", "tool_use_id": f"t{n}",
                  "tool_input": {"file_path": f"f{n}.py"}})  # fmt: skip
    path = session_file(spool, session)

    sent: list[dict] = []

    def deliver_then_crash(payload: dict) -> None:
        spool.append(payload)  # delivered ...
        sent.append(payload)
        raise OSError("killed before the session file was rewritten")  # ... but the state is not compacted

    with pytest.raises(OSError):
        close_session(spool, path, reason="Stop", session_id=session, deliver=deliver_then_crash)
    assert path.exists()
    # A new call, then the next Stop: the marked batch again (same key), then the new call on its own.
    run_hook({"session_id": session, "hook_event_name": "PostToolUse", "tool_name": "Read", "tool_use_id": "t3",
              "tool_input": {"file_path": "f3.py"}})  # fmt: skip
    run_hook({"session_id": session, "hook_event_name": "Stop"})
    payloads = [json.loads(line) for line in spool.path.read_text().splitlines()]
    assert [sorted(c["call_id"] for c in p["tool_calls"]) for p in payloads] == [["t1", "t2"], ["t1", "t2"], ["t3"]]
    assert payloads[0]["log_key"] == payloads[1]["log_key"] == sent[0]["log_key"]

    report = replay_spool(spool, api_client)
    assert (report.created, report.duplicates) == (2, 1)
    assert sorted(c["call_id"] for c in _stored_calls(engine, session)) == ["t1", "t2", "t3"]


def test_calls_without_tool_use_id_pair_in_order(spool: Spool) -> None:
    # Claude Code before ~2.0.43 sent no tool_use_id: Pre and Post pair first-in first-out per tool.
    base = {"session_id": "old-cli", "tool_name": "Grep", "tool_input": {"pattern": "x"}}
    run_hook({**base, "hook_event_name": "PreToolUse", "tool_input": {"pattern": "first"}})
    run_hook({**base, "hook_event_name": "PreToolUse", "tool_input": {"pattern": "second"}})
    run_hook(
        {**base, "hook_event_name": "PostToolUse", "tool_input": {"pattern": "first"}, "tool_response": {"numFiles": 1}}
    )
    run_hook({**base, "hook_event_name": "Stop"})
    (payload,) = [json.loads(line) for line in spool.path.read_text().splitlines()]
    (call,) = payload["tool_calls"]
    assert (call["pattern"], call["files_matched"], call["duration_source"]) == ("first", 1, "timestamps")
    assert "call_id" not in call
    # The second Grep is still waiting for its Post.
    assert session_file(spool, "old-cli").exists()


@pytest.mark.parametrize(
    "stdin",
    [b"", b"not json", b"[1, 2]", b'{"hook_event_name": "PostToolUse", "tool_input": 5, "tool_response": "x"}'],
)
def test_bad_input_exits_zero_prints_nothing_and_logs_quietly(spool: Spool, stdin: bytes) -> None:
    run_hook(stdin)  # asserts exit 0 and an empty stdout
    if stdin.startswith(b"{"):
        # Odd field types are taken as far as they go, not refused.
        (line,) = session_file(spool, "unknown").read_text().splitlines()
        assert json.loads(line)["tool"] == "unknown"
    else:
        (entry,) = [json.loads(line) for line in hook_log_path(spool.path).read_text().splitlines()]
        assert "Traceback" in entry["error"]


def test_an_unwritable_spool_still_exits_zero(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    run_hook(
        {"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash"},
        TOOLTRACK_SPOOL=str(blocker / "spool.jsonl"),
    )
    assert not sessions_dir(blocker / "spool.jsonl").exists()


def test_with_hook_post_the_stop_event_posts_and_spools_only_when_the_api_is_away(
    spool: Spool, engine: Engine, live_api: LiveAPI
) -> None:
    def session_with_one_call(session: str) -> None:
        for event in ("PreToolUse", "PostToolUse"):
            base = {"session_id": session, "hook_event_name": event, "tool_name": "Glob", "tool_use_id": f"{session}-1"}
            run_hook({**base, "tool_input": {"pattern": "**/*.py"}, "tool_response": {"numFiles": 12}})

    session_with_one_call("posted")
    run_hook(
        {"session_id": "posted", "hook_event_name": "Stop"}, TOOLTRACK_HOOK_POST="1", TOOLTRACK_API_URL=live_api.url
    )
    (log,) = TaskLogRepository(engine).list_by_adw_id("posted")
    assert [(c.tool_name, c.files_matched) for c in log.tool_calls] == [("Glob", 12)]
    assert not spool.path.exists()

    session_with_one_call("unsent")
    away = f"http://127.0.0.1:{free_port()}"
    run_hook({"session_id": "unsent", "hook_event_name": "Stop"}, TOOLTRACK_HOOK_POST="1", TOOLTRACK_API_URL=away)
    (payload,) = [json.loads(line) for line in spool.path.read_text().splitlines()]
    assert payload["adw_id"] == "unsent"


def test_session_end_closes_unfinished_calls_as_interrupted(spool: Spool) -> None:
    base = {"session_id": "ending", "tool_name": "Bash", "tool_input": {"command": "sleep 600"}}
    run_hook({**base, "hook_event_name": "PreToolUse", "tool_use_id": "long"})
    run_hook({"session_id": "ending", "hook_event_name": "Stop"})
    assert not spool.path.exists()  # Stop leaves a running call alone: nothing finished yet
    run_hook({"session_id": "ending", "hook_event_name": "SessionEnd", "reason": "exit"})
    (payload,) = [json.loads(line) for line in spool.path.read_text().splitlines()]
    (call,) = payload["tool_calls"]
    assert (call["call_id"], call["success"], call["outcome"], call["command"]) == (
        "long",
        False,
        "interrupted",
        "sleep 600",
    )
    assert "duration_ms" not in call
    assert _pending(spool, "ending") == set()
