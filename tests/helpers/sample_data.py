"""Hand-written task logs for tests: one call of every tool type with every field set."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from tooltrack.models import TaskLogCreate, ToolCallRecord

T0 = datetime(2026, 11, 20, 10, 0, 0, 123000, tzinfo=UTC)

COMMON = {
    "success": True,
    "timestamp": T0,
    "tokens_consumed": 450,
    "cache_hit": True,
    "context_size_before": 45000,
    "call_id": "toolu_01",
    "turn_id": "msg_01",
    "outcome": "ok",
    "duration_source": "measured",
}


def one_of_each_tool() -> list[ToolCallRecord]:
    """A call of each of the seven named tools plus an unknown one, every field of its kind set."""
    return [
        ToolCallRecord(
            tool_name="Bash",
            duration_ms=1250,
            command="pytest tests/",
            exit_code=0,
            stdout_lines=120,
            stderr_lines=3,
            **COMMON,
        ),
        ToolCallRecord(
            tool_name="Read",
            duration_ms=80,
            file_path="app/server/routes.py",
            lines_read=250,
            file_size_bytes=12500,
            offset=10,
            limit=200,
            **COMMON,
        ),
        ToolCallRecord(
            tool_name="Write",
            duration_ms=100,
            file_path="app/new.py",
            bytes_written=2048,
            created_new_file=True,
            **COMMON,
        ),
        ToolCallRecord(
            tool_name="Edit",
            duration_ms=120,
            file_path="app/server/routes.py",
            lines_changed=15,
            old_string_length=150,
            new_string_length=200,
            replace_all=False,
            **COMMON,
        ),
        ToolCallRecord(
            tool_name="Grep",
            duration_ms=95,
            pattern="def export",
            file_path="app/",
            files_matched=4,
            total_matches=9,
            **COMMON,
        ),
        ToolCallRecord(
            tool_name="WebFetch",
            duration_ms=1800,
            url="https://example.com/docs",
            http_status=200,
            response_size_bytes=40960,
            **COMMON,
        ),
        ToolCallRecord(
            tool_name="Task",
            duration_ms=45000,
            subagent_type="Explore",
            agent_result="success",
            parent_call_id="toolu_00",
            **COMMON,
        ),
        ToolCallRecord(
            tool_name="Bash",
            duration_ms=30,
            command="false",
            exit_code=1,
            success=False,
            error_message="Exit code 1",
            timestamp=T0,
            outcome="error",
        ),
        ToolCallRecord(
            tool_name="mcp__github__create_issue",
            duration_ms=640,
            parameters={"title": "str", "labels": ["str"]},
            **COMMON,
        ),
    ]


def task_log(**overrides: object) -> TaskLogCreate:
    values: dict[str, object] = {
        "adw_id": "abc123",
        "issue_number": 42,
        "workflow_template": "adw_sdlc",
        "phase_name": "Build",
        "phase_number": 3,
        "phase_status": "completed",
        "log_message": "Build phase completed",
        "error_message": None,
        "started_at": T0,
        "completed_at": datetime(2026, 11, 20, 10, 5, tzinfo=UTC),
        "duration_seconds": 300.0,
        "tokens_used": 12000,
        "cost_usd": 0.42,
        "tool_calls": one_of_each_tool(),
        "source": "api",
    }
    values.update(overrides)
    if overrides and "tool_calls" not in overrides:
        values["tool_calls"] = _with_own_call_ids(values)
    return TaskLogCreate.model_validate(values)


def _with_own_call_ids(values: dict[str, object]) -> list[ToolCallRecord]:
    """The sample calls with ids of this log's own: call ids are unique across a database (the
    store keeps each once), so a sample log made with overrides must not share the default one's
    ids (`toolu_01`); the same sample log made twice gets the same ids (it is the same log)."""
    seed = hashlib.sha256(repr(sorted((k, repr(v)) for k, v in values.items() if k != "tool_calls")).encode())
    calls: list[ToolCallRecord] = values["tool_calls"]  # type: ignore[assignment]
    return [
        call.model_copy(update={"call_id": f"toolu_{seed.hexdigest()[:12]}_{index:02d}"}) if call.call_id else call
        for index, call in enumerate(calls)
    ]
