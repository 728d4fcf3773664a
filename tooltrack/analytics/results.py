"""The answers the analytics service gives: plain pydantic models, shared by the API and the dashboard.

Durations are milliseconds. Latency figures (mean, percentiles, max) leave out calls whose duration
is unknown; counts include them. A cancelled call (a parallel sibling failed) is neither a success
nor a failure: it is counted in `cancelled` and left out of success rates.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Window(BaseModel):
    """The UTC days an answer covers, both included."""

    start: date
    end: date


class CallStats(BaseModel):
    """Counts and latency of a group of calls (a tool, a template, a phase, everything)."""

    count: int
    failures: int
    cancelled: int = 0
    success_rate: float | None
    """successes / (count - cancelled); None when every call was cancelled."""
    timed_count: int
    """Calls whose duration is known: the base of every latency figure."""
    total_duration_ms: int
    avg_duration_ms: float | None
    p50_duration_ms: float | None = None
    p95_duration_ms: float | None = None
    max_duration_ms: int | None = None


class ToolStats(CallStats):
    tool_name: str


class GroupStats(CallStats):
    """Stats of one workflow template or one phase ("" is the template of logs without one)."""

    name: str


class CommandStats(BaseModel):
    """A Bash command normalised to program + subcommand (`pytest`, `git commit`, `npm run build`)."""

    command: str
    count: int
    failures: int
    success_rate: float | None
    timed_count: int
    total_duration_ms: int
    avg_duration_ms: float | None
    max_duration_ms: int | None


class Summary(BaseModel):
    """Tool usage over a window: per tool, top commands, per template and per phase."""

    window: Window
    total_tool_calls: int
    total_failures: int
    total_cancelled: int
    overall: CallStats
    by_tool: dict[str, ToolStats]
    """Keyed by tool name (the specification's shape), ordered by count, most used first."""
    top_commands: list[CommandStats]
    by_workflow_template: list[GroupStats]
    by_phase: list[GroupStats]
    workflows: int = 0
    """Distinct adw_ids with a task log in the window (template and phase filters apply, tool does not)."""
    task_logs: int = 0
    """Task logs in the window, under the same filters as `workflows`."""


class FailureRow(BaseModel):
    """One failing call."""

    task_log_id: int
    call_index: int
    adw_id: str
    workflow_template: str | None
    phase_name: str
    tool_name: str
    error_message: str | None
    error_kind: str
    duration_ms: int | None
    occurred_at: datetime
    """The call's own timestamp, else its task log's activity time."""


class ErrorKind(BaseModel):
    """Failures grouped by tool and the normalised shape of their message."""

    tool_name: str
    error_kind: str
    count: int
    example: str | None
    last_seen: datetime | None


class FailureReport(BaseModel):
    window: Window
    total: int
    """All failures matching the filters (the rows are one page of them)."""
    rows: list[FailureRow]
    kinds: list[ErrorKind]
    limit: int
    offset: int


class DailyToolPoint(BaseModel):
    """One tool on one UTC day."""

    day: date
    tool_name: str
    calls: int
    failures: int
    cancelled: int
    failure_rate: float | None
    """failures / (calls - cancelled)."""
    timed_calls: int
    total_duration_ms: int
    avg_duration_ms: float | None
    interval_days: int = 1
    """1: `day` is one UTC day; 7: `day` is the Monday of an ISO week, the point sums that week."""


RedundancyKind = Literal["repeated_read", "repeated_command", "consecutive_edits"]


class RedundancyFinding(BaseModel):
    """A pattern of wasted calls in one workflow run, with what to do about it."""

    kind: RedundancyKind
    pattern: str
    """Human-readable, as in the specification: "Multiple reads of same file"."""
    target: str
    """The file (with offset/limit when given) or the command."""
    file_path: str | None = None
    command: str | None = None
    count: int
    """How many calls were redundant (the first, necessary call is not counted)."""
    occurrences: int
    """How many calls of the pattern there were in all, the necessary ones included."""
    wasted_duration_ms: int
    total_duration_ms: int
    """The specification's name for the wasted time (same value as wasted_duration_ms)."""
    phases: list[str]
    suggestion: str


class RedundancyReport(BaseModel):
    adw_id: str
    task_logs: int
    tool_calls: int
    redundant_calls: int
    wasted_duration_ms: int
    redundancies: list[RedundancyFinding]


class RedundancyAlert(BaseModel):
    """A workflow run that wasted the most time on repeated work in the window."""

    adw_id: str
    workflow_template: str | None
    redundant_calls: int
    wasted_duration_ms: int
    task_logs: int
    last_day: date


class SequenceStats(BaseModel):
    """An n-gram of tool names in call order within a task log."""

    sequence: str
    """Tool names joined by "→", e.g. "Read→Edit→Write"."""
    tools: list[str]
    count: int
    avg_duration_ms: float | None
    """Mean of the summed durations of the n calls (occurrences with any unknown duration left out)."""
    success_rate: float | None
    """Share of occurrences in which no call failed."""


class Transition(BaseModel):
    """From one tool to the next: an edge of a Sankey diagram."""

    source: str
    target: str
    count: int


class SequenceReport(BaseModel):
    window: Window
    n: int
    min_count: int
    sequences: list[SequenceStats]
    transitions: list[Transition]


class DrillDownCall(BaseModel):
    """One call of a task log, in call order."""

    index: int
    tool_name: str
    target: str | None
    """What the call worked on: file, command, pattern, URL or sub-agent."""
    duration_ms: int | None
    success: bool
    outcome: str | None
    failed: bool
    cancelled: bool
    timestamp: datetime | None
    turn_id: str | None
    error_message: str | None
    details: dict[str, Any]
    """The stored record as it is."""


class DrillDownLog(BaseModel):
    id: int
    phase_name: str
    phase_number: int | None
    phase_status: str
    workflow_template: str | None
    started_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float | None
    cost_usd: float | None
    tokens_used: int | None
    error_message: str | None
    log_message: str | None
    tool_call_count: int
    calls: list[DrillDownCall]
    time_source: str | None = None
    """None: its times are its own; else they are approximate, from this (`TaskLogBase.time_source`)."""


class DrillDown(BaseModel):
    """Every task log and call of one workflow run, in the order they ran."""

    adw_id: str
    task_logs: list[DrillDownLog]
    tool_calls: int
    failures: int
    truncated: bool
    """True when the run has more calls than the bound and the rest were left out."""


class SlowCall(BaseModel):
    task_log_id: int
    call_index: int
    adw_id: str
    workflow_template: str | None
    phase_name: str
    tool_name: str
    target: str | None
    duration_ms: int
    success: bool
    occurred_at: datetime


class FilterOptions(BaseModel):
    """What the filters can be set to: values present in the data."""

    workflow_templates: list[str]
    phases: list[str]
    tools: list[str]
    first_day: date | None
    last_day: date | None
    projects: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)


class HistogramBucket(BaseModel):
    lower_ms: float
    upper_ms: float
    count: int


class LatencyHistogram(BaseModel):
    """The latency distribution of one tool (or all tools) from the rollups' log-scale buckets."""

    window: Window
    tool: str | None
    count: int
    p50_duration_ms: float | None
    p95_duration_ms: float | None
    p99_duration_ms: float | None
    buckets: list[HistogramBucket] = Field(default_factory=list)


class DailyLatencyPoint(BaseModel):
    """The latency of one tool on one UTC day: percentile estimates from the rollups' buckets.

    p50 and p95 are within ALPHA (2.5 %) of the exact nearest-rank values and never above the
    day's slowest call. Days on which the tool had no timed call have no point.
    """

    day: date
    tool_name: str
    timed_calls: int
    p50_duration_ms: float
    p95_duration_ms: float
    max_duration_ms: int | None


# -- runs ----------------------------------------------------------------------------------------


class RunRow(BaseModel):
    """One workflow run (every task log of one adw_id), as the Runs page lists it."""

    adw_id: str
    title: str | None
    workflow_template: str | None
    project: str | None
    agent: str | None
    model: str | None
    outcome: Literal["completed", "failed", "interrupted"]
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    task_logs: int
    calls: int
    failed_calls: int
    redundant_calls: int
    cost_usd: float | None
    """The run's own cost (its logs' `cost_usd`), None when no log of it had one."""
    tokens: int | None
    source: str | None


class RunsPage(BaseModel):
    """One page of runs, and how many match in all."""

    window: Window
    total: int
    limit: int
    offset: int
    sort: str
    descending: bool
    runs: list[RunRow]


# -- cost ----------------------------------------------------------------------------------------


class CostGroup(BaseModel):
    """What the calls of one group (a tool, an MCP server, a sub-agent type, a project, ...) cost."""

    name: str
    calls: int
    """Calls in the group."""
    costed_calls: int
    """Calls whose cost is known (attributed from their session's usage)."""
    tokens: int
    cost_usd: float


class DailyCost(BaseModel):
    day: date
    name: str
    cost_usd: float
    tokens: int


class CostlyCall(BaseModel):
    task_log_id: int
    call_index: int
    adw_id: str
    workflow_template: str | None
    phase_name: str
    project: str | None
    model: str | None
    tool_name: str
    target: str | None
    cost_usd: float
    tokens: int
    occurred_at: datetime


class CostlyTarget(BaseModel):
    """A file read again (or a command run again) and what the repeats cost, over the window."""

    kind: str
    pattern: str
    target: str
    task_logs: int
    """Task logs (sessions, phases) in which the target was repeated. Not runs: a distinct count of
    runs cannot be summed from counters, and over the targets every run repeats it took seconds."""
    redundant_calls: int
    wasted_duration_ms: int
    wasted_tokens: int
    wasted_cost_usd: float


class CostReport(BaseModel):
    """Where tokens and money went in the window: attributed to calls, by every dimension."""

    window: Window
    total_cost_usd: float
    """Attributed to the calls (docs/analytics.md, "Cost: what each tool call cost")."""
    total_tokens: int
    calls: int
    costed_calls: int
    runs_cost_usd: float
    """The runs' own cost (their logs' `cost_usd`, e.g. each result line's), for comparison."""
    by_tool: list[CostGroup]
    by_mcp_server: list[CostGroup]
    by_subagent: list[CostGroup]
    by_project: list[CostGroup]
    by_model: list[CostGroup]
    by_workflow_template: list[CostGroup]
    by_phase: list[CostGroup]
    by_day_and_tool: list[DailyCost]
    by_day_and_server: list[DailyCost]
    costliest_calls: list[CostlyCall]
    costliest_repeats: list[CostlyTarget]
    unpriced_models: list[CostGroup] = Field(default_factory=list)
    """The models of the window that the price table does not know: their tokens are counted, their
    cost is not known (it counts as 0 in every dollar figure above)."""
    unpriced_tokens: int = 0
    """The tokens of those models' calls."""


# -- MCP servers ---------------------------------------------------------------------------------


class McpServerStats(BaseModel):
    """One MCP server: its tools' calls, failures, latency and cost, and the sessions that had it."""

    server: str
    tools: list[str]
    calls: int
    failures: int
    success_rate: float | None
    p50_duration_ms: float | None
    p95_duration_ms: float | None
    cost_usd: float
    sessions_loaded: int
    """Task logs in the window whose session listed the server as loaded (stream-json init)."""
    sessions_used: int
    """Of those, the ones that called one of its tools."""


class McpReport(BaseModel):
    window: Window
    servers: list[McpServerStats]
    unused: list[str]
    """Servers loaded by some session of the window but never called by any."""


# -- repeated work -------------------------------------------------------------------------------


class RepeatedGroup(BaseModel):
    name: str
    runs: int
    redundant_calls: int
    wasted_duration_ms: int
    wasted_tokens: int
    wasted_cost_usd: float


class RepeatedWork(BaseModel):
    """Repeated work in the window, totalled over every matching task log (not a top list)."""

    window: Window
    runs: int
    """Runs with repeated work."""
    task_logs: int
    redundant_calls: int
    wasted_duration_ms: int
    wasted_tokens: int
    wasted_cost_usd: float
    by_pattern: list[RepeatedGroup]
    by_workflow_template: list[RepeatedGroup]
    by_week: list[RepeatedGroup]
    top_targets: list[CostlyTarget]


class RecoveryGroup(BaseModel):
    """What agents did after the failures of one error kind of one tool (or of all: both None).

    See tooltrack.analytics.recovery for the outcomes and what counts as recovered.
    """

    tool_name: str | None
    error_kind: str | None
    failures: int
    outcomes: dict[str, int]
    """Failures per outcome: retried, changed_input, switched_tool, gave_up."""
    recovered_by_outcome: dict[str, int]
    """Of each outcome's failures, those the agent recovered from."""
    recovered: int
    recovery_rate: float | None
    median_calls_to_recovery: float | None
    mean_calls_to_recovery: float | None
    timed_recoveries: int
    """Recoveries whose failure and recovering call both have a timestamp: the base of the seconds."""
    median_seconds_to_recovery: float | None
    mean_seconds_to_recovery: float | None


class RecoveryReport(BaseModel):
    """Recovery after every matching failure: overall, and per error kind and tool (most failures first)."""

    window: Window
    overall: RecoveryGroup
    groups: list[RecoveryGroup]
    total_groups: int
    """Groups in all (the list holds at most 500)."""


class LiveCall(BaseModel):
    """One stored tool call as the live stream and the Live page show it."""

    cursor: str
    """`<task log id>:<call index>`: the stream's event id, in the order calls were stored."""
    task_log_id: int
    call_index: int
    adw_id: str
    workflow_template: str | None
    phase_name: str
    project: str | None
    agent: str | None
    model: str | None
    tool_name: str
    target: str | None
    success: bool
    failed: bool
    cancelled: bool
    duration_ms: int | None
    occurred_at: datetime
    """The call's own timestamp, else its task log's activity time."""
    stored_at: datetime | None
    error_message: str | None
    error_kind: str | None
    call_id: str | None
    parent_call_id: str | None


class LiveSession(BaseModel):
    """A session (one phase of a run) with a call in the last minutes: what it is doing now."""

    adw_id: str
    phase_name: str
    workflow_template: str | None
    project: str | None
    agent: str | None
    current_tool: str
    """The tool of its latest call."""
    current_target: str | None
    last_call_at: datetime
    started_at: datetime
    """Its first call (of the run, when the run started earlier than the calls in view)."""
    elapsed_seconds: float
    calls: int
    """Calls in the view's minutes."""
    failures: int


class LiveView(BaseModel):
    """The last minutes of calls: newest first, the sessions running now, the failures."""

    since: datetime
    until: datetime
    calls: list[LiveCall]
    total_calls: int
    """Calls in the minutes (the list holds at most `limit`)."""
    failures: list[LiveCall]
    total_failures: int
    sessions: list[LiveSession]


class RunRepeatedTarget(BaseModel):
    """One repeated target of one run, under the window and filters, with what its repeats cost."""

    kind: RedundancyKind
    pattern: str
    target: str
    file_path: str | None = None
    redundant_calls: int
    occurrences: int
    wasted_duration_ms: int
    wasted_tokens: int
    wasted_cost_usd: float
    phases: list[str]
    suggestion: str


class RunRepeatedWork(BaseModel):
    """One run's repeated work under the same window and filters as `RepeatedWork` (so a run's
    figures here are its row of the list, and add up to its share of the totals)."""

    adw_id: str
    task_logs: int
    """Task logs (phases) of the run with repeated work under the filters."""
    redundant_calls: int
    wasted_duration_ms: int
    wasted_tokens: int
    wasted_cost_usd: float
    targets: list[RunRepeatedTarget]
