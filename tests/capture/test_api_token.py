"""A token no HTTP header can carry is said at start-up, everywhere, and costs no task log.

Before: a no-break space pasted with TOOLTRACK_API_TOKEN made `log_task_completion` return `lost`
without spooling, `tooltrack replay` crash with a traceback, and the server answer 401 for ever.
"""

from __future__ import annotations

import json
import logging
import subprocess
import time

import pytest

from tests.helpers.hook import run_hook
from tests.helpers.live_api import free_port
from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack import ToolCallTracker, log_task_completion
from tooltrack.capture import sender as sender_module
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.spool import Spool, hook_log_path

PASTED = "tt-4f9c2a7e1b\u00a0"  # the token, and the no-break space copied with it
SECRET_PART = "4f9c2a7e1b"


def test_the_reason_names_the_character_and_its_place_never_the_token() -> None:
    from tooltrack.capture.client import UnusableToken, token_problem

    problem = token_problem(PASTED)
    assert problem is not None
    assert "TOOLTRACK_API_TOKEN" in problem and "U+00A0 (NO-BREAK SPACE)" in problem and "position 14" in problem
    assert SECRET_PART not in problem
    for usable in (None, "", "abc-DEF_123.~+/=", "x" * 500):
        assert token_problem(usable) is None
    for unusable in ("a b", "tab\t", "caf\u00e9", "line\n", "\u200btoken"):
        assert token_problem(unusable) is not None
    with pytest.raises(UnusableToken, match="U\\+00A0"):
        TaskLogClient("http://127.0.0.1:9", token=PASTED)


def test_log_task_completion_spools_and_says_why(
    spool: Spool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", PASTED)
    monkeypatch.setattr(sender_module, "_default_sender", None)  # the sender the first call builds from the env
    caplog.set_level(logging.WARNING)
    try:
        outcome = log_task_completion("adw-token", 1, "Build", 3, True, "built")
    finally:
        if sender_module._default_sender is not None:
            sender_module._default_sender.close()
    assert outcome == "spooled"
    (line,) = spool.path.read_text().splitlines()
    assert json.loads(line)["adw_id"] == "adw-token"
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("U+00A0" in message and "spool" in message for message in said), said
    assert SECRET_PART not in caplog.text


def test_the_tracker_says_so_when_it_starts(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", "another-token\u00a0")
    caplog.set_level(logging.ERROR)
    ToolCallTracker()
    assert "TOOLTRACK_API_TOKEN" in caplog.text and "U+00A0" in caplog.text


def test_replay_refuses_to_start_and_leaves_the_spool_alone(spool: Spool) -> None:
    spool.append({"adw_id": "a", "phase_name": "p", "phase_status": "completed", "log_key": "k"})
    before = spool.path.read_bytes()
    result = subprocess.run(
        [PYTHON, "-m", "tooltrack.cli", "replay", "--api-url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        env=subprocess_env(TOOLTRACK_API_TOKEN=PASTED),
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "U+00A0" in result.stderr and "Traceback" not in result.stderr and SECRET_PART not in result.stderr
    assert spool.path.read_bytes() == before


@pytest.mark.parametrize("variable", ["TOOLTRACK_API_TOKEN", "TOOLTRACK_API_READ_TOKEN"])
def test_the_server_refuses_to_start(variable: str) -> None:
    from tooltrack.api import create_app

    started = time.monotonic()
    server = subprocess.Popen(
        [PYTHON, "-m", "tooltrack.cli", "serve", "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=subprocess_env(**{variable: PASTED}),
    )
    try:
        output, _ = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
        pytest.fail("the server started with a token no client can send")
    assert server.returncode == 1 and time.monotonic() - started < 60
    assert variable in output and "U+00A0" in output and "Traceback" not in output and SECRET_PART not in output
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(variable, PASTED)
        with pytest.raises(ValueError, match=variable):
            create_app()


def test_the_hook_spools_what_it_cannot_post(spool: Spool) -> None:
    for event in ("PreToolUse", "PostToolUse"):
        run_hook({"session_id": "s-token", "hook_event_name": event, "tool_name": "Read", "tool_use_id": "r1",
                  "tool_input": {"file_path": "a.py"}})  # fmt: skip
    run_hook(
        {"session_id": "s-token", "hook_event_name": "Stop"},
        TOOLTRACK_HOOK_POST="1",
        TOOLTRACK_API_URL="http://127.0.0.1:9",
        TOOLTRACK_API_TOKEN=PASTED,
    )
    (line,) = spool.path.read_text().splitlines()
    assert json.loads(line)["tool_calls"][0]["call_id"] == "r1"
    log = hook_log_path(spool.path).read_text()
    assert "U+00A0" in log and SECRET_PART not in log
