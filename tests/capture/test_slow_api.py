"""A slow API never holds the agent: each post ends by its deadline, and no lock is held while posting.

The server here trickles its answer, one byte every 0.8 s: httpx's timeouts apply to each read, so
before the deadline a post to it took minutes (the Stop hook 90 s, `log_task_completion` 197 s),
and a PreToolUse waited behind a SubagentStop that held the session file's lock while posting.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.hook import HOOK, run_hook
from tests.helpers.processes import subprocess_env
from tests.helpers.trickling_server import TricklingServer
from tooltrack import log_task_completion
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.files import append_line
from tooltrack.capture.hook_sessions import close_session, fold
from tooltrack.capture.sender import TaskLogSender
from tooltrack.capture.session_format import post_line, pre_line, session_file
from tooltrack.capture.spool import Spool


@pytest.fixture
def trickling() -> Iterator[TricklingServer]:
    server = TricklingServer()
    yield server
    server.close()


def _timed(action: Callable[[], Any], limit: float) -> tuple[Any, float]:
    """Run `action` in a thread; fail (rather than hang the suite) when it takes longer than `limit` s."""
    box: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        box["value"] = action()
        box["took"] = time.monotonic() - started

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        pytest.fail(f"still waiting after {limit} s on a server that trickles its answer")
    return box["value"], box["took"]


def test_a_post_ends_by_its_deadline_whatever_the_server_trickles(trickling: TricklingServer) -> None:
    with TaskLogClient(trickling.url, timeout=2.0, retries=2) as client:
        result, took = _timed(lambda: client.post({"adw_id": "a"}), limit=15)
    assert result.status == "failed" and "deadline" in result.reason
    assert took < 2.0 + 0.5  # the deadline covers every try: none is left for a retry


def test_log_task_completion_waits_at_most_its_deadline_then_spools(
    trickling: TricklingServer, spool: Spool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLTRACK_API_URL", trickling.url)
    sender = TaskLogSender(spool=spool)  # built from the environment, as the default sender is
    try:
        outcome, took = _timed(
            lambda: log_task_completion("adw-slow", 1, "Build", 3, True, "ok", background=False, sender=sender),
            limit=20,
        )
    finally:
        sender.close()
    assert outcome == "spooled"
    assert took < 2.0 + 0.5  # docs/capture.md: a 2 s deadline
    (line,) = spool.path.read_text().splitlines()
    assert json.loads(line)["adw_id"] == "adw-slow"


def _session_with_calls(session: str, count: int) -> None:
    for n in range(count):
        for event in ("PreToolUse", "PostToolUse"):
            run_hook({"session_id": session, "hook_event_name": event, "tool_name": "Glob",
                      "tool_use_id": f"{session}-{n}", "tool_input": {"pattern": "*.py"}})  # fmt: skip


def _hook(event: dict, limit: float, **env: str) -> float:
    """Run the hook on `event`; its wall time, failing when it is still running after `limit` s."""
    started = time.monotonic()
    try:
        subprocess.run(HOOK, input=json.dumps(event).encode(), env=subprocess_env(**env), timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the hook was still running after {limit} s")
    return time.monotonic() - started


def test_the_stop_hook_waits_at_most_its_deadline_then_spools(trickling: TricklingServer, spool: Spool) -> None:
    _session_with_calls("slow-stop", 2)
    took = _hook(
        {"session_id": "slow-stop", "hook_event_name": "Stop"},
        limit=30,
        TOOLTRACK_HOOK_POST="1",
        TOOLTRACK_API_URL=trickling.url,
    )
    assert took < 1.0 + 2.5  # the 1 s deadline, plus starting Python and importing httpx on a busy machine
    (line,) = spool.path.read_text().splitlines()
    assert len(json.loads(line)["tool_calls"]) == 2


def test_a_tool_call_does_not_wait_for_a_close_that_is_posting(trickling: TricklingServer, spool: Spool) -> None:
    _session_with_calls("busy", 2)
    closing = subprocess.Popen(
        HOOK,
        stdin=subprocess.PIPE,
        env=subprocess_env(TOOLTRACK_HOOK_POST="1", TOOLTRACK_API_URL=trickling.url),
    )
    try:
        assert closing.stdin is not None
        closing.stdin.write(json.dumps({"session_id": "busy", "hook_event_name": "SubagentStop"}).encode())
        closing.stdin.close()
        trickling.wait_for_connection()  # the SubagentStop is posting now
        took = _hook(
            {"session_id": "busy", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_use_id": "next",
             "tool_input": {"command": "ls"}},
            limit=30,
        )  # fmt: skip
    finally:
        closing.wait(60)
    assert took < 0.8  # a PreToolUse alone takes ~30 ms; before, it waited for the whole post
    assert "next" in fold(session_file(spool, "busy").read_bytes()).calls


def _write_session(spool: Spool, session: str, ids: list[str]) -> Path:
    path = session_file(spool, session)
    for n, call_id in enumerate(ids):
        at = 1000.0 + n
        fields = {"pattern": call_id}
        append_line(path, pre_line(session_id=session, call_id=call_id, tool="Grep", at=at, fields=fields, meta={}))
        append_line(path, post_line(session_id=session, call_id=call_id, tool="Grep", at=at + 0.5, ok=True,
                                    error=None, outcome=None, duration_ms=5, fields=fields, meta={}))  # fmt: skip
    return path


def test_delivery_runs_without_the_session_lock_and_keeps_what_came_meanwhile(spool: Spool) -> None:
    path = _write_session(spool, "slow", ["a", "b"])
    delivering, release = threading.Event(), threading.Event()
    delivered: list[dict] = []

    def slow_deliver(payload: dict) -> None:
        delivering.set()
        release.wait(20)
        delivered.append(payload)

    closer = threading.Thread(target=lambda: close_session(spool, path, reason="Stop", session_id="slow",
                                                           deliver=slow_deliver), daemon=True)  # fmt: skip
    closer.start()
    assert delivering.wait(10)
    # While the close is delivering, another hook process appends the events of a new call.
    appender = threading.Thread(target=lambda: _write_session(spool, "slow", ["c"]), daemon=True)
    appender.start()
    appender.join(5)
    appended_while_delivering = not appender.is_alive()
    release.set()
    closer.join(20)
    appender.join(20)
    assert appended_while_delivering, "an append waited for the close's delivery (the lock was held)"
    assert [sorted(c["call_id"] for c in p["tool_calls"]) for p in delivered] == [["a", "b"]]
    # The call that came meanwhile stays open, and the next close sends it alone.
    state = fold(path.read_bytes())
    assert set(state.calls) == {"c"} and set(state.done) == {"a", "b"} and not state.markers
    again = close_session(spool, path, reason="Stop", session_id="slow")
    assert [sorted(c["call_id"] for c in p["tool_calls"]) for p in again] == [["c"]]


def test_two_closes_at_once_each_deliver_a_marked_batch_under_one_key(spool: Spool) -> None:
    path = _write_session(spool, "twice", ["a", "b"])
    first_delivering, release = threading.Event(), threading.Event()
    keys: list[list[str]] = [[], []]

    def first(payload: dict) -> None:
        keys[0].append(payload["log_key"])
        first_delivering.set()
        release.wait(20)

    closer = threading.Thread(target=lambda: close_session(spool, path, reason="Stop", session_id="twice",
                                                           deliver=first), daemon=True)  # fmt: skip
    closer.start()
    assert first_delivering.wait(10)
    _write_session(spool, "twice", ["c"])
    second = keys[1]
    close_session(spool, path, reason="SubagentStop", session_id="twice", deliver=lambda p: second.append(p["log_key"]))
    release.set()
    closer.join(20)
    # The second close re-sent the first's batch (same key: stored once) and sent the new call.
    assert keys[1][0] == keys[0][0] and len(keys[1]) == 2
    state = fold(path.read_bytes()) if path.exists() else None
    assert state is None or (not state.calls and not state.markers)


def test_threads_logging_after_the_background_worker_closed_post_side_by_side(spool: Spool) -> None:
    entered: list[float] = []

    def slow_api(request: httpx.Request) -> httpx.Response:
        entered.append(time.monotonic())
        time.sleep(1.5)
        return httpx.Response(201, json={"id": 1, "status": "created"})

    sender = TaskLogSender(TaskLogClient("http://api.test", transport=httpx.MockTransport(slow_api)), spool)
    worker = sender.background()
    worker.close()  # closed (say at interpreter exit): later logs are posted by the thread that logs them
    payload = {"adw_id": "a", "phase_name": "p", "phase_status": "completed", "tool_calls": []}
    threads = [threading.Thread(target=worker.submit, args=(dict(payload, log_key=f"k{n}"),)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(entered) == 2
    assert abs(entered[1] - entered[0]) < 1.0  # the second did not wait for the first's post
