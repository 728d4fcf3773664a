"""Hook events that arrive after `tooltrack replay` closed their session: every call is stored once.

A session goes quiet (say a permission prompt left open over lunch) and replay closes it; the
call's PostToolUse arrives afterwards. The real hook command records every event, the real API
stores the spool, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections import Counter

from sqlalchemy import Engine

from tests.helpers.hook import run_hook
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.hook_sessions import fold, session_file
from tooltrack.capture.replay import replay_spool
from tooltrack.capture.spool import Spool
from tooltrack.store import TaskLogRepository

SESSION = "quiet-then-late"


def _event(call_id: str, event: str, **extra: object) -> dict:
    return {
        "session_id": SESSION, "hook_event_name": event, "tool_name": "Bash", "tool_use_id": call_id,
        "tool_input": {"command": f"make {call_id}"}, **extra,
    }  # fmt: skip


def _post(call_id: str, **extra: object) -> dict:
    return _event(call_id, "PostToolUse", tool_response={"stdout": "done\n", "stderr": ""}, **extra)


def _stored(engine: Engine) -> list[dict]:
    logs = TaskLogRepository(engine).list_by_adw_id(SESSION)
    return [call.model_dump(exclude_none=True) for log in logs for call in log.tool_calls]


def _pending_ids(spool: Spool) -> set[str]:
    path = session_file(spool, SESSION)
    return set(fold(path.read_bytes()).calls) if path.exists() else set()


def _session_quiet_with_one_call_running(spool: Spool) -> float:
    """t1 done, t2's PreToolUse seen (no Post yet); returns when t2's Pre was sent."""
    run_hook(_event("t1", "PreToolUse"))
    run_hook(_post("t1"))
    pre = run_hook(_event("t2", "PreToolUse"))
    return pre.started


def test_a_late_post_after_replay_closed_the_quiet_session_stores_the_call_once_with_its_duration(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    pre_sent = _session_quiet_with_one_call_running(spool)
    # The session has been quiet long enough: replay closes it (the finished call goes now).
    first = replay_spool(spool, api_client, quiet_seconds=0)
    assert first.created == 1
    assert [c["call_id"] for c in _stored(engine)] == ["t1"]

    # The call's PostToolUse arrives after that, then the session stops.
    time.sleep(0.2)
    post = run_hook(_post("t2"))
    run_hook({"session_id": SESSION, "hook_event_name": "Stop"})
    replay_spool(spool, api_client)

    stored = _stored(engine)
    assert Counter(c["call_id"] for c in stored) == {"t1": 1, "t2": 1}
    late = next(c for c in stored if c["call_id"] == "t2")
    assert (late["success"], late["outcome"], late["duration_source"]) == (True, "ok", "timestamps")
    # Timed from its PreToolUse (kept across the close) to the late PostToolUse.
    assert 200 <= late["duration_ms"] <= (post.ended - pre_sent) * 1000 + 1
    assert _pending_ids(spool) == set()


def test_a_late_post_carrying_duration_ms_uses_it(spool: Spool, engine: Engine, api_client: TaskLogClient) -> None:
    _session_quiet_with_one_call_running(spool)
    replay_spool(spool, api_client, quiet_seconds=0)
    run_hook(_post("t2", duration_ms=5321))
    run_hook({"session_id": SESSION, "hook_event_name": "Stop"})
    replay_spool(spool, api_client)
    (late,) = [c for c in _stored(engine) if c["call_id"] == "t2"]
    assert (late["duration_ms"], late["duration_source"], late["success"]) == (5321, "hook", True)


def test_a_post_after_its_call_was_closed_as_interrupted_is_not_stored_again(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    _session_quiet_with_one_call_running(spool)
    # Quiet past the grace for unfinished calls too: t2 is closed as interrupted.
    replay_spool(spool, api_client, quiet_seconds=0, unfinished_after=0)
    assert [(c["call_id"], c["outcome"]) for c in _stored(engine)] == [("t1", "ok"), ("t2", "interrupted")]

    # Its PostToolUse (and a repeated Post of t1) arrive after that; a new call t3 too.
    run_hook(_post("t2", duration_ms=90_000))
    run_hook(_post("t1"))
    run_hook(_event("t3", "PreToolUse"))
    run_hook(_post("t3"))
    run_hook({"session_id": SESSION, "hook_event_name": "Stop"})
    (payload,) = [json.loads(line) for line in spool.path.read_text().splitlines()]
    assert [c["call_id"] for c in payload["tool_calls"]] == ["t3"]
    replay_spool(spool, api_client)

    stored = _stored(engine)
    assert Counter(c["call_id"] for c in stored) == {"t1": 1, "t2": 1, "t3": 1}
    assert _pending_ids(spool) == set()


def test_session_end_then_a_late_post_stores_the_call_once(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    run_hook(_event("t1", "PreToolUse"))
    run_hook({"session_id": SESSION, "hook_event_name": "SessionEnd", "reason": "exit"})
    run_hook(_post("t1"))
    run_hook({"session_id": SESSION, "hook_event_name": "Stop"})
    report = replay_spool(spool, api_client)
    assert report.created == 1
    assert [(c["call_id"], c["outcome"]) for c in _stored(engine)] == [("t1", "interrupted")]


def test_the_ids_of_closed_calls_are_forgotten_after_a_week(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    run_hook(_event("t1", "PreToolUse"))
    run_hook(_post("t1"))
    run_hook({"session_id": SESSION, "hook_event_name": "Stop"})
    path = session_file(spool, SESSION)
    assert path.exists() and _pending_ids(spool) == set()  # only the closed ids are left

    replay_spool(spool, api_client, quiet_seconds=0)
    assert path.exists()  # a late event could still come
    replay_spool(spool, api_client, quiet_seconds=0, now=lambda: time.time() + 8 * 86400)
    assert not path.exists()
    assert [c["call_id"] for c in _stored(engine)] == ["t1"]
