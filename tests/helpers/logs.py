"""Deterministic task logs for the reliability tests and the load benchmark.

`make_log(i)` always returns the same log for the same `i`, so several processes can build
overlapping sets independently and the tests know exactly which distinct logs exist.
Even-numbered logs carry a client `log_key`; odd ones are keyed by the store's content hash,
so both ways of deduplicating are exercised.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tooltrack.models import TaskLogCreate

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOOLS = ("Bash", "Read", "Edit", "Grep", "Write", "Glob", "mcp__github__get_issue")
TEMPLATES = ("adw_plan_build", "adw_sdlc", "adw_patch")
PHASES = ("Plan", "Build", "Test", "Review")


def make_payload(i: int, *, calls: int = 5, namespace: str = "rel") -> dict[str, Any]:
    """The JSON body of log number `i` (what a client would POST)."""
    started = T0 + timedelta(minutes=7 * i)
    tool_calls: list[dict[str, Any]] = []
    for j in range(calls):
        tool = TOOLS[(i + j) % len(TOOLS)]
        failed = (i * 31 + j) % 11 == 0
        call: dict[str, Any] = {
            "tool_name": tool,
            "duration_ms": 5 + (i * 17 + j * 13) % 4000,
            "success": not failed,
            "timestamp": (started + timedelta(seconds=3 * j)).isoformat(),
            "call_id": f"{namespace}-{i}-{j}",
        }
        if failed:
            call["error_message"] = f"Exit code {1 + j % 3}"
        if tool == "Bash":
            call["command"] = ("pytest -q", "git status", "npm run build", "ls -la")[j % 4]
        elif tool in ("Read", "Edit", "Write"):
            call["file_path"] = f"src/module_{(i + j) % 17}.py"
        tool_calls.append(call)
    payload: dict[str, Any] = {
        "adw_id": f"{namespace}-{i // 4}",
        "issue_number": i % 97,
        "workflow_template": TEMPLATES[i % len(TEMPLATES)],
        "phase_name": PHASES[i % len(PHASES)],
        "phase_number": i % len(PHASES) + 1,
        "phase_status": "completed" if i % 9 else "failed",
        "log_message": f"phase of log {i}",
        "started_at": started.isoformat(),
        "completed_at": (started + timedelta(seconds=3 * calls + 1)).isoformat(),
        "tool_calls": tool_calls,
        "source": "api",
    }
    if i % 2 == 0:
        payload["log_key"] = f"{namespace}/log/{i}"
    return payload


def make_log(i: int, *, calls: int = 5, namespace: str = "rel") -> TaskLogCreate:
    """Log number `i` as the model the store takes."""
    return TaskLogCreate.model_validate(make_payload(i, calls=calls, namespace=namespace))
