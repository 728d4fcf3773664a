"""Realistic demo data: workflow runs of several templates, phase by phase, call by call.

The numbers are shaped on real Claude Code runs: Read and Grep are quick and frequent, Bash is
slow with a long tail (test suites, builds), Task sub-agents are the slowest, a few per cent of
calls fail with real-looking errors, and agents re-read files they have not changed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

TEMPLATES: dict[str, list[str]] = {
    "adw_plan_build": ["Plan", "Build"],
    "adw_plan_build_test": ["Plan", "Build", "Test"],
    "adw_sdlc": ["Plan", "Build", "Test", "Review", "Document"],
    "adw_patch": ["Build", "Test"],
    "adw_plan_build_review": ["Plan", "Build", "Review"],
}

#: Relative frequency of each tool per phase.
TOOL_MIX: dict[str, dict[str, int]] = {
    "Plan": {"Read": 40, "Grep": 20, "Glob": 12, "Bash": 10, "WebFetch": 5, "Task": 4, "TodoWrite": 6, "Write": 3},
    "Build": {"Read": 30, "Edit": 25, "Write": 8, "Bash": 18, "Grep": 10, "MultiEdit": 4, "TodoWrite": 3, "Glob": 2},
    "Test": {"Bash": 45, "Read": 25, "Edit": 12, "Grep": 10, "Glob": 4, "mcp__playwright__browser_navigate": 4},
    "Review": {"Read": 45, "Grep": 20, "Bash": 20, "Task": 5, "Glob": 10},
    "Document": {"Read": 35, "Write": 25, "Edit": 25, "Glob": 10, "Bash": 5},
}

#: (median ms, spread) of a log-normal duration per tool.
LATENCY: dict[str, tuple[float, float]] = {
    "Read": (45, 0.6),
    "Grep": (120, 0.7),
    "Glob": (60, 0.6),
    "Edit": (90, 0.5),
    "MultiEdit": (140, 0.5),
    "Write": (70, 0.5),
    "Bash": (900, 1.4),
    "WebFetch": (1800, 0.8),
    "Task": (45_000, 0.7),
    "TodoWrite": (15, 0.3),
    "mcp__playwright__browser_navigate": (2500, 0.6),
}

FAILURE_RATE = {"Bash": 0.12, "Edit": 0.05, "WebFetch": 0.08, "Read": 0.015, "Task": 0.04, "Write": 0.01}

FILES = [
    "app/server/routes.py",
    "app/server/models.py",
    "app/server/db.py",
    "app/server/main.py",
    "app/client/src/App.tsx",
    "app/client/src/api.ts",
    "app/client/src/components/Table.tsx",
    "tests/test_routes.py",
    "tests/test_models.py",
    "README.md",
    "pyproject.toml",
    "adws/adw_modules/agent.py",
    "adws/adw_modules/state.py",
    "specs/issue-42-plan.md",
]

COMMANDS = [
    ("uv run pytest tests/", 6000),
    ("uv run pytest tests/test_routes.py -x", 2500),
    ("git status", 40),
    ("git diff --stat", 60),
    ("git add -A", 50),
    ("git commit -m 'feat: add export'", 180),
    ("npm run build", 14000),
    ("npm run lint", 4000),
    ("npm test", 9000),
    ("ruff check .", 300),
    ("ls -la app/server", 20),
    ("gh pr create --fill", 2200),
    ("uv sync", 1500),
    ("python -m mypy app", 5000),
]

ERRORS = {
    "Bash": [
        "Exit code 1\nFAILED tests/test_routes.py::test_export - AssertionError",
        "Exit code 127\nnpm: command not found",
        "Command timed out after 120000ms",
        "Exit code 2\nerror: Found 3 type errors",
    ],
    "Edit": [
        "String to replace not found in file.",
        "File has been modified since read, either by the user or by a linter.",
    ],
    "WebFetch": ["Request failed with status code 404", "Request failed with status code 503"],
    "Read": ["File does not exist."],
    "Task": ["Agent exceeded the maximum number of turns"],
    "Write": ["File has not been read yet. Read it first before writing to it."],
}

URLS = [
    "https://docs.python.org/3/library/sqlite3.html",
    "https://fastapi.tiangolo.com/tutorial/",
    "https://www.postgresql.org/docs/15/datatype-json.html",
]


@dataclass(frozen=True)
class DemoSummary:
    task_logs: int
    tool_calls: int


def _duration(rng: random.Random, tool: str) -> int:
    median, spread = LATENCY.get(tool, (200, 0.8))
    return max(1, int(rng.lognormvariate(0, spread) * median))


def _call(rng: random.Random, tool: str, when: datetime, context: int, recent_reads: list[str]) -> ToolCallRecord:
    success = rng.random() >= FAILURE_RATE.get(tool, 0.0)
    fields: dict[str, Any] = {}
    duration = _duration(rng, tool)
    if tool == "Read":
        # Agents often read a file they already read: pick a recent one a third of the time.
        path = rng.choice(recent_reads) if recent_reads and rng.random() < 0.33 else rng.choice(FILES)
        recent_reads.append(path)
        lines = rng.randint(20, 900)
        fields = {"file_path": path, "lines_read": lines, "file_size_bytes": lines * rng.randint(25, 45)}
    elif tool in ("Edit", "MultiEdit"):
        old = rng.randint(10, 600)
        fields = {
            "file_path": rng.choice(FILES),
            "lines_changed": rng.randint(1, 40),
            "old_string_length": old,
            "new_string_length": max(0, old + rng.randint(-100, 300)),
            "replace_all": rng.random() < 0.05,
        }
    elif tool == "Write":
        fields = {
            "file_path": rng.choice(FILES),
            "bytes_written": rng.randint(200, 20000),
            "created_new_file": rng.random() < 0.4,
        }
    elif tool == "Bash":
        command, typical = rng.choice(COMMANDS)
        duration = max(5, int(rng.lognormvariate(0, 0.5) * typical))
        fields = {
            "command": command,
            "exit_code": 0 if success else rng.choice([1, 2, 127]),
            "stdout_lines": rng.randint(0, 400),
            "stderr_lines": 0 if success else rng.randint(1, 40),
        }
    elif tool in ("Grep", "Glob"):
        fields = {
            "pattern": rng.choice(["def export", "TODO", "**/*.py", "class .*Model", "import pandas"]),
            "file_path": rng.choice(["app/", "tests/", "."]),
            "files_matched": rng.randint(0, 30),
        }
        if tool == "Grep":
            fields["total_matches"] = fields["files_matched"] + rng.randint(0, 60)
    elif tool == "WebFetch":
        fields = {
            "url": rng.choice(URLS),
            "http_status": 200 if success else rng.choice([404, 503]),
            "response_size_bytes": rng.randint(2000, 250000),
        }
    elif tool == "Task":
        fields = {
            "subagent_type": rng.choice(["Explore", "general-purpose", "Plan"]),
            "agent_result": "success" if success else "failure",
        }
    else:
        fields = {
            "parameters": {"todos": rng.randint(1, 8)} if tool == "TodoWrite" else {"url": "http://localhost:5173"}
        }
    error = None if success else rng.choice(ERRORS.get(tool, ["Tool failed"]))
    return ToolCallRecord(
        tool_name=tool,
        duration_ms=duration,
        success=success,
        timestamp=when,
        error_message=error,
        tokens_consumed=rng.randint(50, 4000),
        cache_hit=rng.random() < 0.7,
        context_size_before=context,
        outcome="ok" if success else "error",
        duration_source="measured",
        **fields,
    )


def generate_workflow(rng: random.Random, adw_id: str, template: str, start: datetime) -> list[TaskLogCreate]:
    """The task logs of one workflow run: one per phase, each with its tool calls."""
    logs = []
    clock = start
    issue = rng.randint(1, 400)
    for number, phase in enumerate(TEMPLATES[template], start=1):
        tools = list(TOOL_MIX[phase])
        weights = list(TOOL_MIX[phase].values())
        context = rng.randint(8_000, 20_000)
        phase_start = clock
        calls: list[ToolCallRecord] = []
        recent_reads: list[str] = []
        for _ in range(rng.randint(8, 70)):
            tool = rng.choices(tools, weights)[0]
            call = _call(rng, tool, clock, context, recent_reads)
            calls.append(call)
            clock += timedelta(milliseconds=(call.duration_ms or 0) + rng.randint(800, 9000))
            context += rng.randint(200, 3000)
        failed = phase == "Test" and rng.random() < 0.15
        logs.append(
            TaskLogCreate(
                adw_id=adw_id,
                issue_number=issue,
                workflow_template=template,
                phase_name=phase,
                phase_number=number,
                phase_status="failed" if failed else "completed",
                log_message=f"{phase} phase {'failed' if failed else 'completed'}",
                error_message="2 tests failed" if failed else None,
                started_at=phase_start,
                completed_at=clock,
                duration_seconds=(clock - phase_start).total_seconds(),
                tokens_used=sum(c.tokens_consumed or 0 for c in calls) + rng.randint(5_000, 40_000),
                cost_usd=round(rng.uniform(0.05, 2.5), 4),
                tool_calls=calls,
                source="demo",
            )
        )
        if failed:
            break
    return logs


def seed_demo_data(
    repository: TaskLogRepository, *, workflows: int = 300, seed: int = 7, days: int = 45, now: datetime | None = None
) -> DemoSummary:
    """Store `workflows` demo runs spread over the last `days` days; returns what was stored."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    logs: list[TaskLogCreate] = []
    for index in range(workflows):
        template = rng.choices(list(TEMPLATES), [3, 4, 5, 2, 2])[0]
        start = now - timedelta(days=days) + timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
        logs.extend(generate_workflow(rng, f"demo{seed:02d}{index:05d}", template, start))
    results = repository.create_many(logs)
    created = {r.log_key for r in results if r.created}
    stored_calls = sum(len(log.tool_calls) for log, r in zip(logs, results, strict=True) if r.created)
    return DemoSummary(task_logs=len(created), tool_calls=stored_calls)
