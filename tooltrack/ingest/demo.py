"""Realistic demo data: workflow runs of several templates, phase by phase, call by call.

The numbers are shaped on real Claude Code runs: Read and Grep are quick and frequent, Bash is
slow with a long tail (test suites, builds), Task sub-agents are the slowest, agents re-read files
they have not changed, and a few per cent of calls fail in ways a reader believes: each command
fails as that command does (`BASH_FAILURES`: pytest with failing tests, git with `fatal:`, a
timeout only on long commands and lasting the whole timeout), and a failed Test phase ends with
the failing test run its error reports. bench/dataset.py builds its data set from these tables.

Each run also has what a real session has (`_identity`): a project, the agent and its version, a
model, a title (the issue it works on) and an outcome (a failed Test phase fails the run; a few
runs are interrupted mid-phase). Every call has tokens and a cost (`_priced`), attributed as
docs/analytics.md defines it (issuing output, result written to the cache, cache reads of the
result on every later call of its phase) at the offline price table's rates; a run on a model the
table does not know keeps its tokens, its calls cost 0 (as tooltrack.core.cost has it) and its
phases have no cost of their own. A Task call's sub-agent makes calls of its own,
stored after it with `parent_call_id`. These draws come from a generator of their own (seeded by
the run's id), so the calls the main generator draws are the same as before they were added.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from tooltrack.core import Rates, builtin_prices
from tooltrack.models import RunOutcome, TaskLogCreate, ToolCallRecord
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

#: The share of calls that fail, per tool (Bash: overall, for bench/dataset.py; the demo's own Bash
#: failures are per command, in BASH_FAILURES).
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

#: Bash's default timeout (ms): a command still running then is killed, with no exit code.
BASH_TIMEOUT_MS = 120_000
TIMEOUT_MESSAGE = f"Command timed out after {BASH_TIMEOUT_MS}ms"


@dataclass(frozen=True)
class BashFailure:
    """One way a command fails, as Claude Code reports it: `Exit code N` and the output's tail.

    `exit_code` None is the Bash tool's timeout: the call then lasts the whole timeout.
    """

    exit_code: int | None
    message: str

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None


def _exit(code: int, *lines: str) -> BashFailure:
    return BashFailure(code, "\n".join((f"Exit code {code}", *lines)))


TIMEOUT = BashFailure(None, TIMEOUT_MESSAGE)

#: The pytest summary a failed Test phase reports, and the run it comes from.
PYTEST_FAILED = _exit(
    1,
    "FAILED tests/test_routes.py::test_export - AssertionError: assert 404 == 200",
    "FAILED tests/test_models.py::test_export_columns - KeyError: 'created_at'",
    "========================= 2 failed, 41 passed in 6.18s =========================",
)

#: How each demo command fails, and how often (the share of its runs that fail). Only failures a
#: reader believes of that command: a pytest run fails with failing tests, git with `fatal:`, a
#: missing program is the command's own, a timeout only hits the long-running commands.
BASH_FAILURES: dict[str, tuple[float, tuple[BashFailure, ...]]] = {
    "uv run pytest tests/": (0.3, (PYTEST_FAILED, PYTEST_FAILED, TIMEOUT)),
    "uv run pytest tests/test_routes.py -x": (
        0.35,
        (
            _exit(
                1,
                "FAILED tests/test_routes.py::test_export - AssertionError: assert 404 == 200",
                "!!!!!!!!!!!!!!!!!!!!!!!!!! stopping after 1 failures !!!!!!!!!!!!!!!!!!!!!!!!!!!",
                "========================= 1 failed, 6 passed in 2.41s ==========================",
            ),
        ),
    ),
    "git status": (0.0, ()),
    "git diff --stat": (0.0, ()),
    "git add -A": (
        0.02,
        (
            _exit(
                128,
                "fatal: Unable to create '/home/dev/app/.git/index.lock': File exists.",
                "",
                "Another git process seems to be running in this repository.",
            ),
        ),
    ),
    "git commit -m 'feat: add export'": (
        0.08,
        (
            _exit(1, "On branch feat/export", "nothing to commit, working tree clean"),
            _exit(
                1,
                "ruff.....................................................................Failed",
                "- hook id: ruff",
                "- exit code: 1",
                "app/server/routes.py:12:8: F401 [*] `os` imported but unused",
            ),
        ),
    ),
    "npm run build": (
        0.12,
        (
            _exit(
                2,
                "> client@0.1.0 build",
                "> tsc -b && vite build",
                "src/api.ts(42,7): error TS2322: Type 'string | undefined' is not assignable to type 'string'.",
            ),
            _exit(127, "/bin/bash: line 1: npm: command not found"),
            TIMEOUT,
        ),
    ),
    "npm run lint": (
        0.15,
        (
            _exit(
                1,
                "/home/dev/app/client/src/components/Table.tsx",
                "  17:10  error  'useMemo' is defined but never used  @typescript-eslint/no-unused-vars",
                "✖ 1 problem (1 error, 0 warnings)",
            ),
        ),
    ),
    "npm test": (
        0.2,
        (
            _exit(
                1,
                " FAIL  src/components/Table.test.tsx > Table > renders the export button",
                "TestingLibraryElementError: Unable to find an element with the text: Export",
                " Tests  1 failed | 23 passed (24)",
            ),
            TIMEOUT,
        ),
    ),
    "ruff check .": (
        0.2,
        (
            _exit(
                1,
                "app/server/routes.py:12:8: F401 [*] `os` imported but unused",
                "Found 1 error.",
                "[*] 1 fixable with the `--fix` option.",
            ),
        ),
    ),
    "ls -la app/server": (0.05, (_exit(2, "ls: cannot access 'app/server': No such file or directory"),)),
    "gh pr create --fill": (
        0.1,
        (
            _exit(
                1,
                'a pull request for branch "feat/export" into branch "main" already exists:',
                "https://github.com/acme/app/pull/57",
            ),
            _exit(127, "/bin/bash: line 1: gh: command not found"),
        ),
    ),
    "uv sync": (
        0.04,
        (
            _exit(
                1,
                "  × No solution found when resolving dependencies:",
                "  ╰─▶ Because your project depends on numpy<2 and pandas==3.0.0 depends on numpy>=2.3, "
                "we can conclude that your project's requirements are unsatisfiable.",
            ),
        ),
    ),
    "python -m mypy app": (
        0.25,
        (
            _exit(
                1,
                'app/server/models.py:31: error: Incompatible return value type (got "str | None", expected "str")'
                "  [return-value]",
                "Found 1 error in 1 file (checked 14 source files)",
            ),
        ),
    ),
}

#: A failure message per tool (bench/dataset.py draws from these; the demo's own Bash failures
#: come from BASH_FAILURES, matched to their command).
ERRORS = {
    "Bash": list(dict.fromkeys(f.message for _, modes in BASH_FAILURES.values() for f in modes)),
    "Edit": [
        "String to replace not found in file.",
        "File has been modified since read, either by the user or by a linter. "
        "Read it again before attempting to write it.",
    ],
    "WebFetch": ["Request failed with status code 404", "Request failed with status code 503"],
    "Read": ["File does not exist."],
    "Task": ["Agent exceeded the maximum number of turns"],
    "Write": ["File has not been read yet. Read it first before writing to it."],
}

#: Files an agent guesses at that are not there (what a failed Read asked for).
MISSING_FILES = ["app/server/export.py", "app/client/src/hooks/useExport.ts", "tests/conftest.py", "docs/API.md"]

URLS = [
    "https://docs.python.org/3/library/sqlite3.html",
    "https://fastapi.tiangolo.com/tutorial/",
    "https://www.postgresql.org/docs/15/datatype-json.html",
]


#: The repositories demo runs work in (the project is the repository root's name), with weights.
PROJECTS: Final = {"acme-app": 6, "billing-service": 3, "docs-site": 1}
#: The models runs use, with weights; the last is one the price table does not know (no cost).
MODELS: Final = {
    "claude-sonnet-4-5-20250929": 10,
    "claude-opus-4-5-20251101": 3,
    "claude-haiku-4-5-20251001": 2,
    "acme-local-coder-v2": 1,
}
#: The model a sub-agent's calls run on.
SUBAGENT_MODEL: Final = "claude-haiku-4-5-20251001"
AGENT: Final = ("claude-code", "2.1.44")
#: What the runs work on: the issue's title (the run's title is `#<issue> <title>`).
FEATURES: Final = (
    "Add CSV export to the reports page",
    "Fix pagination off by one in /api/items",
    "Migrate settings to pydantic v2",
    "Dark mode for the dashboard",
    "Retry failed webhooks with backoff",
    "Speed up the invoice PDF renderer",
    "Document the public REST API",
    "Upgrade React to 19",
    "Rate-limit the login endpoint",
    "Remove the deprecated v1 endpoints",
)
#: Pico-dollars in a dollar (the price table's rates are pico-dollars per token).
PICO_PER_USD: Final = 10**12
#: The rates of a model without a price: its tokens count, at no known cost.
FREE: Final = Rates(0, 0, 0, 0, 0)
#: The share of Test phases that fail (their last test run failed): a failed run every few.
TEST_FAILURE_RATE: Final = 0.25
#: The share of runs interrupted (the user stopped the agent) in one of their phases.
INTERRUPTED_RATE: Final = 0.08
#: A phase's calls pay rent for a result on at most this many later calls (a compaction, roughly).
RENT_CALLS: Final = 40
#: What a Task's sub-agent calls, and how many calls it makes.
SUBAGENT_TOOLS: Final = {"Read": 5, "Grep": 3, "Glob": 2}
SUBAGENT_CALLS: Final = (2, 7)


@dataclass(frozen=True)
class DemoSummary:
    task_logs: int
    tool_calls: int


def _duration(rng: random.Random, tool: str) -> int:
    median, spread = LATENCY.get(tool, (200, 0.8))
    return max(1, int(rng.lognormvariate(0, spread) * median))


def _bash(rng: random.Random, command: str | None = None) -> tuple[dict[str, Any], int, BashFailure | None]:
    """A Bash call's fields, duration and failure (None: it succeeded); `command` picks the command."""
    if command is None:
        command, typical = rng.choice(COMMANDS)
    else:
        typical = dict(COMMANDS)[command]
    rate, modes = BASH_FAILURES.get(command, (0.0, ()))
    failure = rng.choice(modes) if modes and rng.random() < rate else None
    # A timed-out command ran the whole timeout; a run that finished stays under it.
    duration = (
        BASH_TIMEOUT_MS + rng.randint(5, 400)
        if failure is not None and failure.timed_out
        else min(BASH_TIMEOUT_MS - 1, max(5, int(rng.lognormvariate(0, 0.5) * typical)))
    )
    fields: dict[str, Any] = {
        "command": command,
        "exit_code": 0 if failure is None else failure.exit_code,
        "stdout_lines": rng.randint(0, 400),
        "stderr_lines": 0 if failure is None else failure.message.count("\n") + 1,
    }
    return fields, duration, failure


def _call(rng: random.Random, tool: str, when: datetime, context: int, recent_reads: list[str]) -> ToolCallRecord:
    fields: dict[str, Any] = {}
    duration = _duration(rng, tool)
    error: str | None = None
    if tool == "Bash":
        fields, duration, failure = _bash(rng)
        error = None if failure is None else failure.message
        return _record(rng, tool, when, context, duration, error, fields)
    success = rng.random() >= FAILURE_RATE.get(tool, 0.0)
    if not success:
        error = rng.choice(ERRORS.get(tool, ["Tool failed"]))
    if tool == "Read":
        if success:
            # Agents often read a file they already read: pick a recent one a third of the time.
            path = rng.choice(recent_reads) if recent_reads and rng.random() < 0.33 else rng.choice(FILES)
            recent_reads.append(path)
            lines = rng.randint(20, 900)
            fields = {"file_path": path, "lines_read": lines, "file_size_bytes": lines * rng.randint(25, 45)}
        else:
            fields = {"file_path": rng.choice(MISSING_FILES)}
    elif tool in ("Edit", "MultiEdit"):
        old = rng.randint(10, 600)
        fields = {
            "file_path": rng.choice(FILES),
            "old_string_length": old,
            "new_string_length": max(0, old + rng.randint(-100, 300)),
            "replace_all": rng.random() < 0.05,
        }
        if success:  # a failed edit changed nothing
            fields["lines_changed"] = rng.randint(1, 40)
    elif tool == "Write":
        # Writing over a file not read first is what fails; a new file is never refused.
        fields = {"file_path": rng.choice(FILES), "created_new_file": success and rng.random() < 0.4}
        if success:
            fields["bytes_written"] = rng.randint(200, 20000)
    elif tool in ("Grep", "Glob"):
        fields = {
            "pattern": rng.choice(["def export", "TODO", "**/*.py", "class .*Model", "import pandas"]),
            "file_path": rng.choice(["app/", "tests/", "."]),
            "files_matched": rng.randint(0, 30),
        }
        if tool == "Grep":
            fields["total_matches"] = fields["files_matched"] + rng.randint(0, 60)
    elif tool == "WebFetch":
        status = 200 if success else rng.choice([404, 503])
        fields = {"url": rng.choice(URLS), "http_status": status}
        if success:
            fields["response_size_bytes"] = rng.randint(2000, 250000)
        else:
            error = f"Request failed with status code {status}"
    elif tool == "Task":
        fields = {
            "subagent_type": rng.choice(["Explore", "general-purpose", "Plan"]),
            "agent_result": "success" if success else "failure",
        }
    else:
        fields = {
            "parameters": {"todos": rng.randint(1, 8)} if tool == "TodoWrite" else {"url": "http://localhost:5173"}
        }
    return _record(rng, tool, when, context, duration, error, fields)


def _record(
    rng: random.Random,
    tool: str,
    when: datetime,
    context: int,
    duration: int,
    error: str | None,
    fields: dict[str, Any],
) -> ToolCallRecord:
    return ToolCallRecord(
        tool_name=tool,
        duration_ms=duration,
        success=error is None,
        timestamp=when,
        error_message=error,
        tokens_consumed=rng.randint(50, 4000),
        cache_hit=rng.random() < 0.7,
        context_size_before=context,
        outcome="ok" if error is None else "error",
        duration_source="measured",
        **fields,
    )


def _failing_test_run(rng: random.Random, when: datetime, context: int) -> ToolCallRecord:
    """The test run that fails a Test phase: the full suite, with the failures the phase reports."""
    command = "uv run pytest tests/"
    fields = {
        "command": command,
        "exit_code": PYTEST_FAILED.exit_code,
        "stdout_lines": rng.randint(40, 400),
        "stderr_lines": PYTEST_FAILED.message.count("\n") + 1,
    }
    duration = max(5, int(rng.lognormvariate(0, 0.5) * dict(COMMANDS)[command]))
    return _record(rng, "Bash", when, context, duration, PYTEST_FAILED.message, fields)


@dataclass(frozen=True)
class _Identity:
    """What a demo run is besides its calls: where, by what, on what, and whether it was stopped."""

    project: str
    model: str
    title: str
    interrupted_phase: int | None
    """The phase number the user interrupted the run in, None when it ran to its end."""


def _identity(extra: random.Random, issue: int, phases: int) -> _Identity:
    project = extra.choices(list(PROJECTS), list(PROJECTS.values()))[0]
    model = extra.choices(list(MODELS), list(MODELS.values()))[0]
    interrupted = extra.randint(1, phases) if extra.random() < INTERRUPTED_RATE else None
    return _Identity(project, model, f"#{issue} {extra.choice(FEATURES)}", interrupted)


def _rates(model: str, when: datetime) -> Rates | None:
    """The model's rates on that day (the shipped table, not a user file: the demo is the same
    everywhere); None for a model the table does not know."""
    price = builtin_prices().lookup(model, when).price
    return None if price is None else price.rates


def _priced(extra: random.Random, calls: list[ToolCallRecord], rates: dict[str, Rates | None]) -> list[ToolCallRecord]:
    """The calls with their tokens and cost: issuing (output tokens of the turn), result (written to
    the cache), rent (read from the cache on each later call of the phase, at most RENT_CALLS)."""
    # A result stays in its own agent's context: rent is paid on that agent's later calls only.
    later_of: list[int] = []
    seen: dict[str | None, int] = {}
    for call in reversed(calls):
        later_of.append(seen.get(call.parent_call_id, 0))
        seen[call.parent_call_id] = seen.get(call.parent_call_id, 0) + 1
    later_of.reverse()
    priced = []
    for index, call in enumerate(calls):
        output = extra.randint(30, 700)
        result = max(20, call.tokens_consumed or 0)
        later = min(RENT_CALLS, later_of[index])
        rent = result * later
        model = call.model or ""
        rate = rates.get(model)
        # No price (a model the table does not know): its tokens are attributed all the same and
        # cost 0, as tooltrack.core.cost does; the Cost page names such models "no price".
        rate = rate or FREE
        issuing, written, read = output * rate.output, result * rate.cache_write_5m, rent * rate.cache_read
        priced.append(
            call.model_copy(
                update={
                    "cost_issuing_usd": issuing / PICO_PER_USD,
                    "cost_result_usd": written / PICO_PER_USD,
                    "cost_rent_usd": read / PICO_PER_USD,
                    "cost_usd": (issuing + written + read) / PICO_PER_USD,
                    "cost_tokens": output + result + rent,
                }
            )
        )
    return priced


def _subagent_calls(extra: random.Random, task: ToolCallRecord, call_id: str, context: int) -> list[ToolCallRecord]:
    """The calls a Task's sub-agent made while the Task ran, each naming the Task as its parent."""
    tools, weights = list(SUBAGENT_TOOLS), list(SUBAGENT_TOOLS.values())
    count = extra.randint(*SUBAGENT_CALLS)
    start = task.timestamp or datetime.now(UTC)
    span = max(1, task.duration_ms or 1)
    made = []
    for number in range(count):
        when = start + timedelta(milliseconds=span * (number + 1) // (count + 2))
        call = _call(extra, extra.choices(tools, weights)[0], when, context, [])
        made.append(
            call.model_copy(
                update={"parent_call_id": call_id, "call_id": f"{call_id}_{number}", "model": SUBAGENT_MODEL}
            )
        )
    return made


def generate_workflow(rng: random.Random, adw_id: str, template: str, start: datetime) -> list[TaskLogCreate]:
    """The task logs of one workflow run: one per phase, each with its tool calls."""
    logs = []
    clock = start
    issue = rng.randint(1, 400)
    # Its own generator: the main one draws the same calls as before identity and cost were added.
    extra = random.Random(f"{adw_id}:{start.isoformat()}")
    who = _identity(extra, issue, len(TEMPLATES[template]))
    rates = {model: _rates(model, start) for model in (who.model, SUBAGENT_MODEL)}
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
        failed = phase == "Test" and rng.random() < TEST_FAILURE_RATE
        error_message = None
        if failed:
            # The phase fails because its last test run failed: that run is its last call.
            run = _failing_test_run(rng, clock, context)
            calls.append(run)
            clock += timedelta(milliseconds=(run.duration_ms or 0) + rng.randint(800, 9000))
            error_message = "uv run pytest tests/: 2 failed, 41 passed (test_export, test_export_columns)"
        interrupted = not failed and who.interrupted_phase == number
        if interrupted:
            # The user stopped the agent part-way: the calls after that point never ran.
            calls = calls[: max(1, len(calls) // 2)]
            clock = (calls[-1].timestamp or clock) + timedelta(milliseconds=(calls[-1].duration_ms or 0) + 500)
        calls = _with_subagents(extra, adw_id, start, number, calls, context, who.model)
        calls = _priced(extra, calls, rates)
        costs = [c.cost_usd for c in calls if c.cost_usd is not None]
        prompt = rng.randint(5_000, 40_000)  # tokens no call caused: prompts, system, text
        rng.uniform(0.05, 2.5)  # the draw the phase's cost once was: the next runs stay as they were
        status: RunOutcome = "failed" if failed else "interrupted" if interrupted else "completed"
        logs.append(
            TaskLogCreate(
                adw_id=adw_id,
                issue_number=issue,
                workflow_template=template,
                phase_name=phase,
                phase_number=number,
                phase_status=status,
                log_message=f"{phase} phase {status}",
                error_message=error_message,
                started_at=phase_start,
                completed_at=clock,
                duration_seconds=(clock - phase_start).total_seconds(),
                tokens_used=min(2**31 - 1, sum(c.cost_tokens or 0 for c in calls) + prompt),
                # The phase's own cost: what its calls cost plus what no call caused (its prompts,
                # system, text); none when its model has no price.
                cost_usd=round(sum(costs) + prompt * 3e-6, 6) if rates[who.model] is not None else None,
                tool_calls=calls,
                source="demo",
                project=who.project,
                project_path=f"/home/dev/{who.project}",
                git_branch=f"feat/issue-{issue}",
                agent=AGENT[0],
                agent_version=AGENT[1],
                models=[who.model, SUBAGENT_MODEL] if any(c.parent_call_id for c in calls) else [who.model],
                title=who.title,
                outcome=status,
            )
        )
        if failed or interrupted:
            break
    return logs


def _with_subagents(
    extra: random.Random,
    adw_id: str,
    start: datetime,
    phase: int,
    calls: list[ToolCallRecord],
    context: int,
    model: str,
) -> list[ToolCallRecord]:
    """The phase's calls on `model`, each Task call followed by its sub-agent's calls."""
    made: list[ToolCallRecord] = []
    for index, call in enumerate(calls):
        call = call.model_copy(update={"model": model})
        if call.tool_name != "Task":
            made.append(call)
            continue
        # Globally unique (the store keeps each call id once): the run, its start, the phase, the call.
        call_id = f"toolu_demo_{adw_id}_{int(start.timestamp())}_{phase}_{index}"
        made.append(call.model_copy(update={"call_id": call_id}))
        made.extend(_subagent_calls(extra, call, call_id, context))
    return made


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
