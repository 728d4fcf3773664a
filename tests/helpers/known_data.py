"""A known, seeded data set for the analytics tests, and a plain-Python reference over it.

The reference computes every answer straight from the task logs as they were sent, with none of
the service's SQL or rollups, so a test comparing the two can fail.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tooltrack.models import TaskLogCreate, ToolCallRecord

TODAY = datetime.now(UTC).date()
TEMPLATES = ["adw_sdlc", "adw_patch", None]
PHASES = ["Plan", "Build", "Test"]
TOOLS = ["Read", "Edit", "Bash", "Grep", "Write", "Task", "mcp__x__y"]
COMMANDS = ["uv run pytest tests/", "git commit -m 'x'", "npm run build", "git status", "ls -la"]
ERRORS = ["Exit code 1\nFAILED t", "Exit code 127\nnot found", "Command timed out after 120000ms", "File not found"]
PROJECTS = ["alpha", "beta"]
MODELS = ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"]


def _call(rng: random.Random, tool: str, turn: str) -> ToolCallRecord:
    roll = rng.random()
    outcome = "cancelled" if roll < 0.04 else ("error" if roll < 0.14 else "ok")
    duration: int | None = int(rng.lognormvariate(math.log(200 if tool != "Task" else 40_000), 1.1))
    if rng.random() < 0.07:
        duration = None  # unknown timing
    elif rng.random() < 0.02:
        duration = 0
    fields: dict[str, Any] = {}
    if tool in ("Read", "Edit", "Write"):
        fields["file_path"] = rng.choice(["a.py", "b.py", "c.md"])
    if tool == "Bash":
        fields["command"] = rng.choice(COMMANDS)
    if duration is not None:
        # Timed by the tracker (execution only) or from transcript timestamps (waits included).
        fields["duration_source"] = rng.choice(["measured", "timestamps"])
    if rng.random() < 0.8:
        cost = round(rng.uniform(0, 0.03), 6)
        fields |= {"cost_usd": cost, "cost_tokens": int(cost * 100_000)}
    return ToolCallRecord(
        tool_name=tool,
        duration_ms=duration,
        success=outcome == "ok",
        outcome=outcome,
        error_message=rng.choice(ERRORS) if outcome == "error" else None,
        turn_id=turn,
        model=rng.choice(MODELS),
        **fields,
    )


def known_logs(seed: int = 11, runs: int = 40) -> list[TaskLogCreate]:
    """Runs over the last 40 days: three templates (one of them None), three phases, seven tools."""
    rng = random.Random(seed)
    logs = []
    for run in range(runs):
        template = TEMPLATES[run % len(TEMPLATES)]
        day = TODAY - timedelta(days=rng.randint(0, 39))
        for number, phase in enumerate(PHASES, start=1):
            calls = []
            for turn in range(rng.randint(3, 25)):
                for _ in range(1 if rng.random() < 0.8 else 2):
                    calls.append(_call(rng, rng.choice(TOOLS), f"turn-{run}-{number}-{turn}"))
            started = datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), tzinfo=UTC)
            logs.append(
                TaskLogCreate(
                    adw_id=f"run-{run:03d}",
                    workflow_template=template,
                    phase_name=phase,
                    phase_number=number,
                    phase_status="completed",
                    # Every 7th log has no start: its day is the day it was stored (today).
                    started_at=None if (run * 3 + number) % 7 == 0 else started,
                    tool_calls=calls,
                    project=PROJECTS[run % 2],
                    agent="claude-code" if run % 4 else None,
                )
            )
    return logs


def log_day(log: TaskLogCreate) -> date:
    return (log.started_at or datetime.now(UTC)).astimezone(UTC).date()


def failed(call: ToolCallRecord) -> bool:
    return not call.success and call.outcome != "cancelled"


def nearest_rank(values: list[int], q: float) -> float | None:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1] if ordered else None


def select(
    logs: list[TaskLogCreate], first: date, last: date, template: str | None = None, phase: str | None = None
) -> list[TaskLogCreate]:
    chosen = []
    for log in logs:
        if not first <= log_day(log) <= last:
            continue
        if template is not None and (log.workflow_template or "") != template:
            continue
        if phase is not None and log.phase_name != phase:
            continue
        chosen.append(log)
    return chosen


def per_tool(logs: list[TaskLogCreate]) -> dict[str, dict[str, Any]]:
    """The reference per-tool figures: counts and exact latency."""
    calls: dict[str, list[ToolCallRecord]] = defaultdict(list)
    for log in logs:
        for call in log.tool_calls:
            calls[call.tool_name].append(call)
    answer = {}
    for tool, group in calls.items():
        durations = [c.duration_ms for c in group if c.duration_ms is not None]
        cancelled = sum(c.outcome == "cancelled" for c in group)
        failures = sum(failed(c) for c in group)
        decided = len(group) - cancelled
        answer[tool] = {
            "count": len(group),
            "failures": failures,
            "cancelled": cancelled,
            "success_rate": (decided - failures) / decided if decided else None,
            "timed_count": len(durations),
            "total_duration_ms": sum(durations),
            "avg_duration_ms": sum(durations) / len(durations) if durations else None,
            "max_duration_ms": max(durations) if durations else None,
            "p50": nearest_rank(durations, 0.5),
            "p95": nearest_rank(durations, 0.95),
        }
    return answer


def ngrams(logs: list[TaskLogCreate], n: int) -> dict[tuple[str, ...], dict[str, float]]:
    """count, successes, timed and total duration of every n-gram of tool names within each log."""
    answer: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: Counter())  # type: ignore[arg-type]
    for log in logs:
        calls = log.tool_calls
        for start in range(len(calls) - n + 1):
            window = calls[start : start + n]
            entry = answer[tuple(c.tool_name for c in window)]
            entry["count"] += 1
            entry["successes"] += not any(failed(c) for c in window)
            if all(c.duration_ms is not None for c in window):
                entry["timed"] += 1
                entry["total"] += sum(c.duration_ms for c in window)  # type: ignore[misc]
    return answer
