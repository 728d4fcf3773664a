"""`POST /api/v1/hooks/claude-code`: real Claude Code hook events in, each call stored once.

On both databases: an event posted once is stored once, posted twice still once; the answer comes
while the database is locked (no database work before it); a database that is down gets the task
log spooled, stored after it is back; a PreToolUse without its PostToolUse waits (pending) and
is stored completed when the PostToolUse comes; a full queue is written to disk and stored after.
"""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from sqlalchemy import Engine, text

from tests.helpers.api_client import AppClient
from tests.helpers.live_api import free_port
from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack.api import create_app
from tooltrack.api.hook_writer import HookWriter
from tooltrack.capture import Spool, close_hook_session, handle_hook_event, hook_session_file, http_hook
from tooltrack.capture.hook_sessions import fold
from tooltrack.store import TaskLogRepository, dialect_of, make_engine

URL = "/api/v1/hooks/claude-code"
SESSION = "5b0d1c2e-7f3a-4e1b-9c4d-0a1b2c3d4e5f"


def _load(fixtures_dir: Path, name: str) -> Any:
    return json.loads((fixtures_dir / "claude-hooks" / name).read_text())


def _events(fixtures_dir: Path) -> dict[str, dict[str, Any]]:
    """Real hook payloads of one call (a Bash run), put in one session: Pre, Post, a failure, Stop."""
    pre = _load(fixtures_dir, "docs_PreToolUse.json")
    bash_post = _load(fixtures_dir, "post_tool_use_log.json")[0]
    failure = _load(fixtures_dir, "docs_PostToolUseFailure.json")
    pre = {**pre, "session_id": SESSION, "tool_use_id": bash_post["tool_use_id"], "tool_input": bash_post["tool_input"]}
    post = {**copy.deepcopy(bash_post), "session_id": SESSION}
    failure = {**failure, "session_id": SESSION, "tool_use_id": "toolu_01FailedBashCall0000000"}
    stop = {
        "session_id": SESSION,
        "transcript_path": pre["transcript_path"],
        "cwd": pre["cwd"],
        "permission_mode": "default",
        "hook_event_name": "Stop",
        "stop_hook_active": False,
    }
    return {"pre": pre, "post": post, "failure": failure, "stop": stop}


class HookApp:
    """The real app (`create_app(engine)`) with a client on it and its writer spooling under tmp_path."""

    def __init__(self, engine: Engine, spool: Spool, portal: Any, **writer_options: Any) -> None:
        self.app = create_app(engine)
        self.writer = HookWriter(lambda: self.app.state.engine, spool=spool, flush_after=0.0, **writer_options)
        self.app.state.hook_writer = self.writer
        self.client = AppClient(self.app, portal)
        self.spool = spool

    def post(self, event: dict[str, Any], **headers: str) -> Any:
        response = self.client.post(URL, json=event, headers=headers)
        assert response.status_code == 200, response.text
        assert response.content == b""  # an empty 2xx body: Claude Code reads no decision in it
        return response

    def flush(self) -> None:
        assert self.writer.flush(timeout=60), "the writer did not finish in time"


@pytest.fixture
def hook_spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "hook-server" / "task_logs.jsonl", fallback=False)


@pytest.fixture
def portal() -> Iterator[Any]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield portal


@pytest.fixture
def hooks(engine: Engine, hook_spool: Spool, portal: Any) -> Iterator[HookApp]:
    app = HookApp(engine, hook_spool, portal)
    yield app
    app.writer.stop()
    app.client.close()


def _calls(engine: Engine) -> list[dict[str, Any]]:
    logs = TaskLogRepository(engine).list_by_adw_id(SESSION)
    return [call.model_dump(exclude_none=True) | {"_log": log.id} for log in logs for call in log.tool_calls]


def _spooled(spool: Spool) -> list[dict[str, Any]]:
    if not spool.path.exists():
        return []
    return [json.loads(line) for line in spool.path.read_bytes().splitlines() if line.strip()]


def _command_hook_records(events: list[dict[str, Any]], spool: Spool) -> list[dict[str, Any]]:
    """What the command hook (`tooltrack-hook`) makes of the same events: its closed task log's calls."""
    for number, event in enumerate(events):
        handle_hook_event(event, received=1_700_000_000.0 + number, spool=spool, env={})
    payloads = close_hook_session(spool, hook_session_file(spool, SESSION), reason="Stop", session_id=SESSION)
    return [call for payload in payloads for call in payload["tool_calls"]]


def test_an_event_posted_once_is_stored_once_with_the_hooks_mapping(
    fixtures_dir: Path, hooks: HookApp, engine: Engine, tmp_path: Path
) -> None:
    events = _events(fixtures_dir)
    hooks.post(events["pre"])
    hooks.post(events["post"])
    hooks.flush()
    calls = _calls(engine)
    assert len(calls) == 1
    call = calls[0]
    assert call["call_id"] == events["post"]["tool_use_id"]
    assert call["tool_name"] == "Bash"
    assert call["success"] is True
    assert call["command"] == events["post"]["tool_input"]["command"]
    # The one mapping: the command hook gives the same call the same fields (times aside).
    expected = _command_hook_records([events["pre"], events["post"]], Spool(tmp_path / "cmd" / "spool.jsonl"))
    timeless = {"timestamp", "duration_ms", "duration_source"}
    for key, value in expected[0].items():
        if key not in timeless:
            assert call.get(key) == value, key
    logs = TaskLogRepository(engine).list_by_adw_id(SESSION)
    assert [log.phase_status for log in logs] == ["completed"]
    assert logs[0].source == "hook"


def test_an_event_posted_twice_is_stored_once(fixtures_dir: Path, hooks: HookApp, engine: Engine) -> None:
    events = _events(fixtures_dir)
    for name in ("pre", "pre", "post", "post", "failure", "failure"):
        hooks.post(events[name])
    hooks.flush()
    # Again after they were stored: a retry, the same session's hooks configured twice.
    for name in ("pre", "post", "failure", "stop", "stop"):
        hooks.post(events[name])
    hooks.flush()
    calls = _calls(engine)
    failed_id = events["failure"]["tool_use_id"]
    assert sorted(c["call_id"] for c in calls) == sorted([events["post"]["tool_use_id"], failed_id])
    failed = next(c for c in calls if c["call_id"] == failed_id)
    assert failed["success"] is False
    assert failed["exit_code"] == 1
    assert failed["duration_ms"] == events["failure"]["duration_ms"]


def _lock_everything(engine: Engine) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """Hold a write lock on the task logs in another connection until `release` is set."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.connect() as connection:
            if dialect_of(connection).name == "sqlite":
                connection.exec_driver_sql("BEGIN EXCLUSIVE")
            else:
                connection.execute(text("BEGIN"))
                connection.execute(text("LOCK TABLE task_logs IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(60)
            connection.rollback()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(30)
    return locked, release, thread


def test_the_answer_comes_while_the_database_is_locked(fixtures_dir: Path, hooks: HookApp, engine: Engine) -> None:
    events = _events(fixtures_dir)
    _, release, holder = _lock_everything(engine)
    try:
        # The writer is stuck on the lock (or gives up and spools); the requests are answered regardless.
        for name in ("pre", "post", "stop"):
            hooks.post(events[name])
    finally:
        release.set()
        holder.join(30)
    hooks.flush()
    hooks.flush()  # a second replay for the SQLite case, whose first store may have timed out and spooled
    assert len(_calls(engine)) == 1
    assert _spooled(hooks.spool) == []


def _down_engine(engine: Engine, tmp_path: Path) -> Engine:
    """An engine on a database that cannot be reached: SQLite on a folder, PostgreSQL on a closed port."""
    if dialect_of(engine).name == "sqlite":
        folder = tmp_path / "not-a-database"
        folder.mkdir()
        return make_engine(f"sqlite:///{folder}")
    return make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/tooltrack?connect_timeout=2")


def test_a_database_that_is_down_gets_the_log_spooled_then_stored_once_it_is_back(
    fixtures_dir: Path, hooks: HookApp, engine: Engine, tmp_path: Path
) -> None:
    events = _events(fixtures_dir)
    down = _down_engine(engine, tmp_path)
    hooks.app.state.engine = down
    try:
        for name in ("pre", "post", "stop"):
            hooks.post(events[name])
        hooks.flush()
        spooled = _spooled(hooks.spool)
        assert [c["call_id"] for log in spooled for c in log["tool_calls"]] == [events["post"]["tool_use_id"]]
        assert _calls(engine) == []
        assert hooks.writer.counts.spooled == 1
    finally:
        down.dispose()
    hooks.app.state.engine = engine  # the database is back
    hooks.flush()
    assert [c["call_id"] for c in _calls(engine)] == [events["post"]["tool_use_id"]]
    assert _spooled(hooks.spool) == []
    # The same events again (Claude Code knows nothing of the outage): still stored once.
    for name in ("pre", "post", "stop"):
        hooks.post(events[name])
    hooks.flush()
    assert len(_calls(engine)) == 1


def test_a_pre_without_its_post_is_pending_then_stored_completed(
    fixtures_dir: Path, hooks: HookApp, engine: Engine
) -> None:
    events = _events(fixtures_dir)
    call_id = events["pre"]["tool_use_id"]
    hooks.post(events["pre"])
    hooks.post(events["stop"])  # the turn ends while the call waits (a long permission prompt, say)
    hooks.flush()
    assert _calls(engine) == []
    state = fold(hook_session_file(hooks.spool, SESSION).read_bytes())
    assert list(state.calls) == [call_id]
    assert state.calls[call_id].pre is not None and state.calls[call_id].post is None  # pending
    hooks.post(events["post"])
    hooks.flush()
    calls = _calls(engine)
    assert [c["call_id"] for c in calls] == [call_id]
    assert calls[0]["success"] is True
    assert calls[0]["outcome"] == "ok"
    assert (
        not hook_session_file(hooks.spool, SESSION).exists()
        or call_id not in fold(hook_session_file(hooks.spool, SESSION).read_bytes()).calls
    )


def test_a_full_queue_is_written_to_disk_and_stored_after(
    fixtures_dir: Path, engine: Engine, hook_spool: Spool, portal: Any
) -> None:
    events = _events(fixtures_dir)
    app = HookApp(engine, hook_spool, portal, max_queue=1, autostart=False)
    try:
        for name in ("pre", "post", "failure", "stop"):
            app.post(events[name])
        assert app.writer.counts.spilled == 3  # one event fitted in the queue, the rest went to disk
        assert _calls(engine) == []
        app.flush()  # starts the writer
        assert len(_calls(engine)) == 2
    finally:
        app.writer.stop()
        app.client.close()


def test_the_workflow_meta_comes_from_headers(fixtures_dir: Path, hooks: HookApp, engine: Engine) -> None:
    events = _events(fixtures_dir)
    meta = {"X-Tooltrack-Adw-Id": "adw-http-1", "X-Tooltrack-Phase": "build", "X-Tooltrack-Issue-Number": "17"}
    hooks.post(events["pre"], **meta)
    hooks.post(events["post"], **meta)
    hooks.flush()
    logs = TaskLogRepository(engine).list_by_adw_id("adw-http-1")
    assert [(log.phase_name, log.issue_number, len(log.tool_calls)) for log in logs] == [("build", 17, 1)]


def test_writes_need_the_token_and_a_json_object(
    fixtures_dir: Path, hooks: HookApp, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _events(fixtures_dir)
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", "s3cret-token")
    refused = hooks.client.post(URL, json=events["post"])
    assert refused.status_code == 401
    wrong = hooks.client.post(URL, json=events["post"], headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert hooks.writer.counts.received == 0
    not_json = hooks.client.post(URL, content=b"[1, 2]", headers={"Authorization": "Bearer s3cret-token"})
    assert not_json.status_code == 400
    hooks.post(events["post"], Authorization="Bearer s3cret-token")
    hooks.flush()
    assert len(_calls(engine)) == 1


def test_tooltrack_serve_stores_what_it_queued_when_it_is_stopped(
    fixtures_dir: Path, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """The real server: events answered, then SIGTERM long before the writer would store them: stored, not lost."""
    events = _events(fixtures_dir)
    port = free_port()
    env = subprocess_env(
        TOOLTRACK_DATABASE_URL=database_url,
        TOOLTRACK_HOOK_SPOOL=str(tmp_path / "hook-server" / "task_logs.jsonl"),
        TOOLTRACK_HOME=str(tmp_path / "home"),
        TOOLTRACK_HOOK_FLUSH_SECONDS="3600",  # only the shutdown stores them
    )
    env.pop("TOOLTRACK_API_TOKEN", None)
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [PYTHON, "-m", "tooltrack.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10) as client:
            for name in ("pre", "post"):
                answer = client.post(URL, json=events[name])
                assert (answer.status_code, answer.content) == (200, b"")
                assert answer.headers["server-timing"].startswith("app;dur=")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    assert [c["call_id"] for c in _calls(engine)] == [events["post"]["tool_use_id"]]


def _as_claude_code_fills(headers: dict[str, str], allowed: list[str], env: dict[str, str]) -> dict[str, str]:
    """The headers as Claude Code sends them: `$VAR` / `${VAR}` of `allowedEnvVars` filled, unset ones empty."""
    filled = {}
    for name, value in headers.items():
        for variable in sorted(allowed, key=len, reverse=True):
            given = env.get(variable, "")
            value = value.replace("${" + variable + "}", given).replace("$" + variable, given)
        filled[name] = value
    return filled


def test_the_hook_that_install_writes_is_taken_by_the_endpoint(
    fixtures_dir: Path, hooks: HookApp, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", "installed-token")
    hook = http_hook("http://127.0.0.1:8000")
    assert hook["url"] == f"http://127.0.0.1:8000{URL}"
    agent_env = {"TOOLTRACK_API_TOKEN": "installed-token", "TOOLTRACK_ADW_ID": "adw-installed"}  # no phase set
    headers = _as_claude_code_fills(hook["headers"], hook["allowedEnvVars"], agent_env)
    events = _events(fixtures_dir)
    for name in ("pre", "post", "stop"):
        hooks.post(events[name], **headers)
    hooks.flush()
    logs = TaskLogRepository(engine).list_by_adw_id("adw-installed")
    assert [(log.phase_name, [c.call_id for c in log.tool_calls]) for log in logs] == [
        ("session", [events["post"]["tool_use_id"]])
    ]
