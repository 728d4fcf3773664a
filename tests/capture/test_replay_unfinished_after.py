"""`tooltrack replay --unfinished-after`: how long a quiet session's unfinished call waits for its PostToolUse."""

from __future__ import annotations

import subprocess
import time

import click
import pytest
from sqlalchemy import Engine

from tests.helpers.hook import run_hook
from tests.helpers.live_api import LiveAPI
from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack.capture.hook_sessions import UNFINISHED_GRACE_SECONDS
from tooltrack.capture.spool import Spool
from tooltrack.cli.capture import Duration
from tooltrack.store import TaskLogRepository


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400.0), ("90m", 5400.0), ("3600s", 3600.0), ("0s", 0.0), ("1.5h", 5400.0), ("7d", 604800.0)],
)
def test_durations_with_their_unit(text: str, seconds: float) -> None:
    assert Duration().convert(text, None, None) == seconds


@pytest.mark.parametrize("text", ["24", "", "h", "-1h", "1w", "1h30m", "1e3s", "ten minutes", "nan", "inf"])
def test_anything_else_is_refused_with_the_value_and_the_expected_form(text: str) -> None:
    with pytest.raises(click.BadParameter) as refused:
        Duration().convert(text, None, None)
    assert repr(text) in str(refused.value) and "3600s, 90m, 24h" in str(refused.value)


def _replay(spool: Spool, api: LiveAPI, *options: str) -> subprocess.CompletedProcess[str]:
    command = [PYTHON, "-m", "tooltrack.cli", "replay", str(spool.path), "--api-url", api.url, "--quiet-after", "0"]
    return subprocess.run([*command, *options], capture_output=True, text=True, env=subprocess_env(), timeout=120)


def test_the_option_decides_when_an_unfinished_call_is_sent_as_interrupted(
    spool: Spool, engine: Engine, live_api: LiveAPI
) -> None:
    base = {"session_id": "waiting", "tool_name": "Bash", "tool_input": {"command": "sleep 600"}, "tool_use_id": "t1"}
    run_hook({**base, "hook_event_name": "PreToolUse"}, TOOLTRACK_ADW_ID="adw-waiting")
    time.sleep(1.2)  # the PreToolUse is now more than a second old

    refused = _replay(spool, live_api, "--unfinished-after", "24")
    assert refused.returncode == 2
    assert "'24' is not a duration" in refused.stderr and "--unfinished-after" in refused.stderr

    for younger in ("90m", "3600s", "1h"):  # the call is younger than that: it keeps waiting
        result = _replay(spool, live_api, "--unfinished-after", younger)
        assert result.returncode == 0, result.stderr
        assert "sent 0 task logs" in result.stdout
    assert TaskLogRepository(engine).list_by_adw_id("adw-waiting") == []

    result = _replay(spool, live_api, "--unfinished-after", "1s")
    assert result.returncode == 0, result.stderr
    assert "sent 1 task logs (1 new, 0 stored before)" in result.stdout
    (log,) = TaskLogRepository(engine).list_by_adw_id("adw-waiting")
    (call,) = log.tool_calls
    assert (call.call_id, call.success, call.outcome, call.command) == ("t1", False, "interrupted", "sleep 600")


def test_the_default_is_the_grace_replay_spool_uses(spool: Spool, engine: Engine, live_api: LiveAPI) -> None:
    base = {"session_id": "fresh", "tool_name": "Bash", "tool_input": {"command": "make"}, "tool_use_id": "t2"}
    run_hook({**base, "hook_event_name": "PreToolUse"}, TOOLTRACK_ADW_ID="adw-fresh")
    result = _replay(spool, live_api)
    assert result.returncode == 0 and "sent 0 task logs" in result.stdout  # 24 h have not passed
    assert UNFINISHED_GRACE_SECONDS == 24 * 3600
    help_text = subprocess.run(
        [PYTHON, "-m", "tooltrack.cli", "replay", "--help"], capture_output=True, text=True, env=subprocess_env()
    ).stdout
    assert "--unfinished-after" in help_text and "24h" in help_text
