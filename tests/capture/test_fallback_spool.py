"""A spool folder that cannot be written loses nothing: capture falls back to the temp folder, says so,
`tooltrack replay` sends it, and `tooltrack doctor` reports it.

Before: the hook exited 0 having written nothing anywhere, with no error log (the log sits beside
the spool), and `log_task_completion` returned `lost`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.hook import run_hook
from tests.helpers.live_api import LiveAPI
from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack import log_task_completion
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.hook_sessions import fold
from tooltrack.capture.replay import replay_spool
from tooltrack.capture.sender import TaskLogSender
from tooltrack.capture.spool import Spool
from tooltrack.store import TaskLogRepository


@pytest.fixture
def blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Spool:
    """A spool whose folder cannot be made: a file stands where it should be."""
    blocker = tmp_path / "in-the-way"
    blocker.write_text("a file, not a folder")
    path = blocker / "spool" / "task_logs.jsonl"
    monkeypatch.setenv("TOOLTRACK_SPOOL", str(path))
    return Spool(path)


def _fallback(tmp_path: Path) -> Path:
    return tmp_path / "tmp" / f"tooltrack-{os.getuid()}"  # conftest points TMPDIR at tmp_path / "tmp"


def _call(session: str, call_id: str) -> list[dict]:
    base = {"session_id": session, "tool_name": "Grep", "tool_use_id": call_id, "tool_input": {"pattern": call_id}}
    return [{**base, "hook_event_name": "PreToolUse"}, {**base, "hook_event_name": "PostToolUse"}]


def test_the_hook_falls_back_to_the_temp_folder_and_says_so_once_per_session(blocked: Spool, tmp_path: Path) -> None:
    runs = [run_hook(event) for event in [*_call("s1", "a"), *_call("s1", "b")]]
    said = [run.result.stderr.decode() for run in runs]
    assert "cannot write the spool folder" in said[0] and str(_fallback(tmp_path)) in said[0]
    assert said[1:] == ["", "", ""]
    other = run_hook(_call("s2", "c")[0])  # another session is told too
    assert "cannot write the spool folder" in other.result.stderr.decode()
    run_hook({"session_id": "s1", "hook_event_name": "Stop"})
    (payload,) = [json.loads(line) for line in (_fallback(tmp_path) / "task_logs.jsonl").read_text().splitlines()]
    assert sorted(call["call_id"] for call in payload["tool_calls"]) == ["a", "b"]
    assert not blocked.path.parent.exists()
    # Why, for `tooltrack doctor` and whoever looks: in the hook's error log there.
    log = (_fallback(tmp_path) / "hook-errors.log").read_text()
    assert "cannot write the spool folder" in log
    assert (_fallback(tmp_path).stat().st_mode & 0o777) == 0o700


def test_replay_sends_the_fallback_spool_too(blocked: Spool, tmp_path: Path, engine: Engine) -> None:
    for event in _call("s-replay", "a"):
        run_hook(event)
    run_hook({"session_id": "s-replay", "hook_event_name": "Stop"})
    for event in _call("s-replay", "b"):  # a session still open in the fallback folder, closed as stale
        run_hook(event)
    writable = Spool(tmp_path / "spool" / "task_logs.jsonl")  # the folder was fixed meanwhile
    with LiveAPI(engine) as api, TaskLogClient(api.url, retries=0) as client:
        report = replay_spool(writable, client, quiet_seconds=0)
    assert (report.created, report.kept, report.rejected) == (2, 0, 0)
    assert report.spools == [writable.path, _fallback(tmp_path) / "task_logs.jsonl"]
    stored = TaskLogRepository(engine).list_by_adw_id("s-replay")
    assert sorted(call.call_id for log in stored for call in log.tool_calls) == ["a", "b"]
    left = _fallback(tmp_path) / "task_logs.jsonl"
    assert not left.exists() or left.read_text() == ""
    for session in (_fallback(tmp_path) / "hook-sessions").glob("*.jsonl"):  # only closed ids are left
        assert not fold(session.read_bytes()).calls


def test_log_task_completion_falls_back_too(blocked: Spool, tmp_path: Path) -> None:
    sender = TaskLogSender(TaskLogClient("http://127.0.0.1:9", retries=0, timeout=0.5), blocked)
    outcome = log_task_completion("adw-fallback", 1, "Build", 3, True, "ok", sender=sender)
    assert outcome == "spooled"
    (line,) = (_fallback(tmp_path) / "task_logs.jsonl").read_text().splitlines()
    assert json.loads(line)["adw_id"] == "adw-fallback"


def test_a_fallback_folder_another_user_could_have_made_is_not_used(blocked: Spool, tmp_path: Path) -> None:
    planted = _fallback(tmp_path)
    planted.mkdir(mode=0o777)
    planted.chmod(0o777)  # open to everyone: someone else may have made it, or may read it
    run_hook(_call("s-planted", "a")[0])
    assert list(planted.iterdir()) == []


def _doctor(**env: str) -> subprocess.CompletedProcess[str]:
    command = [PYTHON, "-m", "tooltrack.cli", "doctor"]
    return subprocess.run(command, capture_output=True, text=True, env=subprocess_env(**env), timeout=120)


def _line(output: str, what: str) -> str:
    found = [line for line in output.splitlines() if line[6:].startswith(what)]
    assert found, f"no {what!r} line in:\n{output}"
    return found[0]


def test_doctor_reports_the_spool_the_fallback_the_api_the_token_the_database_and_the_hook_log(
    blocked: Spool, tmp_path: Path, engine: Engine, database_url: str
) -> None:
    for event in _call("s-doctor", "a"):
        run_hook(event)
    run_hook({"session_id": "s-doctor", "hook_event_name": "Stop"})
    with LiveAPI(engine) as api:
        result = _doctor(TOOLTRACK_API_URL=api.url, TOOLTRACK_DATABASE_URL=database_url)
    output = result.stdout
    assert result.returncode == 1, output + result.stderr
    assert _line(output, "spool").startswith("FAIL") and str(blocked.path) in _line(output, "spool")
    fallback = _line(output, "fallback")
    assert fallback.startswith("FAIL") and "1 task log(s) waiting" in fallback and "tooltrack replay" in fallback
    assert _line(output, "API").startswith("ok") and api.url in _line(output, "API")
    assert _line(output, "token").startswith("ok") and "open" in _line(output, "token")
    assert _line(output, "database").startswith("ok") and "the newest" in _line(output, "database")
    hook_log = _line(output, "hook errors")
    assert hook_log.startswith("warn") and str(_fallback(tmp_path) / "hook-errors.log") in hook_log


def test_doctor_is_quiet_when_all_is_well_and_names_a_refused_token(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", "server-side-token")  # the API reads it on each request
    with LiveAPI(engine) as api:
        refused = _doctor(TOOLTRACK_API_URL=api.url, TOOLTRACK_API_TOKEN="wrong-token")
        fine = _doctor(TOOLTRACK_API_URL=api.url, TOOLTRACK_API_TOKEN="server-side-token")
    assert refused.returncode == 1 and _line(refused.stdout, "token").startswith("FAIL")
    assert "401" in _line(refused.stdout, "token")
    assert _line(fine.stdout, "spool").startswith("ok") and _line(fine.stdout, "fallback").startswith("ok")
    assert _line(fine.stdout, "token").startswith("ok") and "accepted" in _line(fine.stdout, "token")
    assert "wrong-token" not in refused.stdout and "server-side-token" not in fine.stdout
