"""A hook event carrying lone UTF-16 surrogates (`\\udc80` escapes in its JSON): the session is stored.

Claude Code writes hook events as JSON, where `"\\udc80"` is valid syntax but not valid Unicode.
The model refuses a lone surrogate (orjson and PostgreSQL cannot take it), so one copied from an
event into the task log would cost the whole session's log at replay (a 422, then the dead-letter
file). The hook keeps such text as its visible `\\udc80` escape (`tooltrack.core.storable.storable_text`),
like the tracker does. The events run through the real entry point (`python -m
tooltrack.capture.hook`) and are replayed into the real API and database, as in test_hook_nul.py.
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
from tooltrack.core.storable import storable_text
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

LONE = "\udc80"  # json.dumps writes it as the escape \udc80, as a producer of odd JSON would
SHOWN = "\\udc80"  # what is stored: the escape as plain text


def test_lone_surrogates_in_event_text_and_environment_are_escaped_and_stored(
    fixtures_dir: Path, spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    failure = json.loads((fixtures_dir / "claude-hooks" / "docs_PostToolUseFailure.json").read_text())
    session = f"sess{LONE}ion"
    failure.update(session_id=session, tool_use_id=f"toolu_{LONE}fail", error=f"Exit code 1\nbad {LONE} here")
    failure["tool_input"]["command"] = f"echo {LONE}"
    pre = {k: v for k, v in copy.deepcopy(failure).items() if k not in ("error", "is_interrupt", "duration_ms")}
    pre["hook_event_name"] = "PreToolUse"
    # A non-UTF-8 byte in the environment reaches Python as a lone surrogate (surrogateescape).
    env = {"TOOLTRACK_ADW_ID": f"run{LONE}", "TOOLTRACK_PHASE": "build\udcff"}
    run_hook(pre, **env)
    run_hook(failure, **env)
    odd = {"session_id": session, "tool_name": f"mcp__odd{LONE}tool", "tool_use_id": "toolu_odd"}
    odd_input = {f"key{LONE}": f"value{LONE}", "nested": [{"deep": LONE}]}
    run_hook({**odd, "hook_event_name": "PostToolUse", "tool_input": odd_input, "tool_response": "ok"}, **env)
    run_hook({"session_id": session, "hook_event_name": "Stop"}, **env)

    (payload,) = [json.loads(line) for line in spool.path.read_text().splitlines()]
    TaskLogCreate.model_validate(payload)  # before the fix: lone surrogates in ids, command, error, meta
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected) == (1, 0)
    assert not spool.dead_letter_path.exists() or spool.dead_letter_path.read_text() == ""

    (log,) = TaskLogRepository(engine).list_by_adw_id(f"run{SHOWN}")
    assert log.phase_name == "build\\udcff"
    assert f"sess{SHOWN}ion" in (log.log_message or "")
    failed, other = log.tool_calls
    assert (failed.call_id, failed.tool_name, failed.success, failed.exit_code) == (
        f"toolu_{SHOWN}fail",
        "Bash",
        False,
        1,
    )
    assert failed.error_message == f"Exit code 1\nbad {SHOWN} here"
    assert failed.command == f"echo {SHOWN}"
    assert (other.tool_name, other.call_id, other.success) == (f"mcp__odd{SHOWN}tool", "toolu_odd", True)
    assert other.parameters == {f"key{SHOWN}": f"value{SHOWN}", "nested": [{"deep": SHOWN}]}


def test_lone_surrogate_session_without_workflow_meta_names_the_log_by_its_escaped_session(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    session = f"s{LONE}"
    event = {"session_id": session, "tool_name": "Read", "tool_use_id": "toolu_r", "tool_input": {"file_path": "/a"}}
    run_hook({**event, "hook_event_name": "PostToolUse", "tool_response": {"file": {"numLines": 3}}})
    run_hook({"session_id": session, "hook_event_name": "Stop"})

    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected) == (1, 0)
    (log,) = TaskLogRepository(engine).list_by_adw_id(f"s{SHOWN}")
    assert [(c.tool_name, c.file_path, c.lines_read) for c in log.tool_calls] == [("Read", "/a", 3)]


def test_storable_text_escapes_surrogates_replaces_nul_and_keeps_within_the_limit() -> None:
    assert storable_text("plain ü text") == "plain ü text"
    assert storable_text(f"a\x00b{LONE}c") == f"a\ufffdb{SHOWN}c"
    assert storable_text("\ud83d\ude00") == "\\ud83d\\ude00"  # a split pair is two lone surrogates
    assert storable_text(LONE * 10, 8) == (SHOWN * 2)[:8]  # an escape is six characters: cut again
    assert storable_text("x" * 50, 20) == "x" * 20
    TaskLogCreate.model_validate(
        {"adw_id": storable_text(f"a{LONE}\x00"), "phase_name": "p", "phase_status": "completed"}
    )
