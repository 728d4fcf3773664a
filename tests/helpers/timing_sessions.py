"""Real sessions whose calls have durations of both kinds (execution-only and line timestamps),
stored for the execution-timing tests of the analytics service and the API."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from tooltrack.core import EXECUTION_SOURCES
from tooltrack.ingest import ingest_file
from tooltrack.models import TaskLogWithToolCalls, ToolCallRecord
from tooltrack.store import TaskLogRepository, task_logs

#: Real sessions whose calls have durations of both kinds (tool-reported Glob/Grep/Bash, timestamps).
SESSIONS = (
    "claude-transcripts/spotter-tool_heavy-v2.1.38.jsonl",
    "claude-transcripts/spotter-errors-hooks-v2.1.39.jsonl",
    "claude-stream-json/review-node.jsonl",
    "claude-stream-json/adw-2048-sdlc_planner.jsonl",
)


def stored_logs(engine: Engine) -> list[TaskLogWithToolCalls]:
    repository = TaskLogRepository(engine)
    with engine.connect() as connection:
        ids = connection.execute(select(task_logs.c.id).order_by(task_logs.c.id)).scalars().all()
    return [log for log in map(repository.get, ids) if log is not None]


def stored_calls(engine: Engine) -> list[ToolCallRecord]:
    return [call for log in stored_logs(engine) for call in log.tool_calls]


def reference_timing(calls: list[ToolCallRecord], *, execution_only: bool) -> dict[str, tuple[int, int]]:
    """Per tool: (timed calls, total duration) over the calls of the kind asked for."""
    found: dict[str, tuple[int, int]] = {}
    for call in calls:
        if call.duration_ms is None or (execution_only and call.duration_source not in EXECUTION_SOURCES):
            continue
        timed, total = found.get(call.tool_name, (0, 0))
        found[call.tool_name] = (timed + 1, total + call.duration_ms)
    return found


def store_real_sessions(engine: Engine, fixtures_dir: Path) -> list[ToolCallRecord]:
    for name in SESSIONS:
        report = ingest_file(engine, fixtures_dir / name)
        assert report.ok and report.tool_calls_stored, (name, report)
    calls = stored_calls(engine)
    sources = {call.duration_source for call in calls if call.duration_ms is not None}
    assert "timestamps" in sources and sources & EXECUTION_SOURCES, sources  # the case holds both kinds
    return calls
