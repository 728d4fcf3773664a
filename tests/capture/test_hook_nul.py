"""A hook event carrying a NUL (U+0000) in its ids, tool name or error: the session is still stored.

The model refuses NUL (PostgreSQL's text cannot hold it), so one NUL copied from an event into the
task log would cost the whole session's log at replay (a 422, then the dead-letter file). The hook
replaces it by U+FFFD where it maps event text to records (`tooltrack/core/storable.py`). The events run
through the real entry point (`python -m tooltrack.capture.hook`), as in test_hook.py; the base
event is the documented PostToolUseFailure payload from tests/fixtures.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqlalchemy import Engine

from tests.helpers.hook import run_hook
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.replay import replay_spool
from tooltrack.capture.spool import Spool
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

R = "\ufffd"


def test_nul_in_session_id_call_id_tool_name_and_error_is_replaced_and_stored(
    fixtures_dir: Path, spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    failure = json.loads((fixtures_dir / "claude-hooks" / "docs_PostToolUseFailure.json").read_text())
    session = "sess\x00ion"
    failure.update(session_id=session, tool_use_id="toolu_\x00fail", error="Exit code 1\nbad byte \x00 here")
    pre = {k: v for k, v in copy.deepcopy(failure).items() if k not in ("error", "is_interrupt", "duration_ms")}
    pre["hook_event_name"] = "PreToolUse"
    run_hook(pre)
    run_hook(failure)
    odd_tool = {"session_id": session, "tool_name": "mcp__odd\x00tool", "tool_use_id": "toolu_odd"}
    run_hook({**odd_tool, "hook_event_name": "PostToolUse", "tool_input": {}, "tool_response": "ok"})
    run_hook({"session_id": session, "hook_event_name": "Stop"})

    (payload,) = [json.loads(line) for line in spool.path.read_text().splitlines()]
    TaskLogCreate.model_validate(payload)  # before the fix: string_nul in adw_id, call_id, error_message
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected) == (1, 0)

    (log,) = TaskLogRepository(engine).list_by_adw_id(f"sess{R}ion")
    assert f"sess{R}ion" in (log.log_message or "")
    failed, odd = log.tool_calls
    assert (failed.call_id, failed.tool_name, failed.success, failed.exit_code) == (f"toolu_{R}fail", "Bash", False, 1)
    assert failed.error_message == f"Exit code 1\nbad byte {R} here"
    assert failed.command == "npm test" and failed.duration_ms == 4187
    assert (odd.tool_name, odd.call_id, odd.success) == (f"mcp__odd{R}tool", "toolu_odd", True)
