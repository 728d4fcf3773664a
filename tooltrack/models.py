"""The data model every stage shares: one tool call, one task log.

`ToolCallRecord` is the specification's record with three deliberate changes:
`tool_name` takes any non-empty tool name (real agents use Glob, MultiEdit, TodoWrite,
`mcp__server__tool`, ...), `duration_ms` may be missing for imported calls whose source has
no timing (missing is not zero), and a few fields say where a record came from
(`call_id`, `turn_id`, `parent_call_id`, `outcome`, `duration_source`, `parameters`).

Whatever validates here can be stored (a 422 at the door, never a 500 at the INSERT):
no NUL (U+0000) in any text (PostgreSQL's text and jsonb cannot hold it); issue_number,
phase_number and tokens_used within 0..2**31-1 (INTEGER columns); every other integer of a tool
call within 64 bits (orjson's range); `parameters` JSON that orjson and jsonb take: no NUL or
lone surrogate in a key or string, integers within 64 bits, no NaN or Infinity (rejected, as
`allow_inf_nan=False` does for the typed fields), at most `MAX_PARAMETERS_DEPTH` levels deep.

Every rule is `Annotated` metadata on a field's type (Field constraints, AfterValidator), never a
validator method, so a validator derived from `model_fields` (annotation + metadata) has them all.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from tooltrack.core import (
    INT32_MAX,
    INT64_MAX,
    INT64_MIN,
    MAX_DURATION_MS,
    MAX_NAME,
    MAX_PARAMETERS_DEPTH,
    MAX_TEXT,
)

#: The tools the specification names; any other non-empty name is accepted too.
KNOWN_TOOLS: Final = ("Bash", "Read", "Write", "Edit", "Grep", "WebFetch", "Task")

Outcome = Literal["ok", "error", "cancelled", "interrupted", "rejected"]
#: Where a call's duration came from. Execution only (`tooltrack.core.EXECUTION_SOURCES`): "measured" by the
#: tracker around the call, "tool_reported" by the tool itself, "hook" (the hook's own
#: `duration_ms`, which leaves out permission prompts). Wall time, which includes any wait for the
#: user: "timestamps" (the call's and its result's transcript lines), "hook_timing" (between the
#: PreToolUse and PostToolUse events).
DurationSource = Literal["measured", "timestamps", "tool_reported", "hook", "hook_timing"]
#: How a run (or one of its task logs) ended.
RunOutcome = Literal["completed", "failed", "interrupted"]
TimeSource = Literal["run", "adw_state", "file_mtime", "unknown"]

#: What each `TaskLogBase.time_source` means, as the ingest report and the drill-down say it.
TIME_SOURCE_LABELS: Final[dict[str, str]] = {
    "run": "another task log of the same run",
    "adw_state": "the run's adw_state.json",
    "file_mtime": "the file's modification time",
    "unknown": "nothing: no evidence, placed at the time it was stored",
}


def _as_utc(value: datetime | None) -> datetime | None:
    """Naive timestamps are taken as UTC; aware ones are converted to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise PydanticCustomError("datetime_out_of_range", "time out of range once converted to UTC") from None


def _no_nul(value: str) -> str:
    """PostgreSQL's text and jsonb cannot hold U+0000: refuse it here (422), not in the INSERT (500)."""
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "text must not contain a NUL character (U+0000)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("tool_name must not be blank")
    return value


class _Unstorable(Exception):
    """A value inside `parameters` that cannot be stored; `path` is filled in while unwinding."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str | int] = []


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (U+0000), which PostgreSQL cannot store"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone UTF-16 surrogate, which is not valid Unicode"
    return None


def _check_container(value: dict[Any, Any] | list[Any] | tuple[Any, ...], depth: int) -> None:
    """Raise `_Unstorable` for what orjson or the database refuse inside `value` (a container at `depth`).

    Runs on every tool call with parameters during bulk ingest, so scalars are checked inline,
    by exact type first, and the path to a problem is only built while the exception unwinds.
    """
    if depth > MAX_PARAMETERS_DEPTH:
        raise _Unstorable(f"nests deeper than {MAX_PARAMETERS_DEPTH} levels")
    is_dict = type(value) is dict
    key: Any = None
    try:
        for key, item in value.items() if is_dict else enumerate(value):  # type: ignore[union-attr]
            if is_dict and type(key) is str and ("\x00" in key or not key.isascii()):
                problem = _text_problem(key)
                if problem:
                    raise _Unstorable("its key " + problem)
            kind = type(item)
            if kind is str:
                if "\x00" in item or not item.isascii():
                    problem = _text_problem(item)
                    if problem:
                        raise _Unstorable(problem)
            elif kind is int:
                if not INT64_MIN <= item <= INT64_MAX:
                    raise _Unstorable("is an integer beyond 64 bits")
            elif kind is bool or item is None:
                continue
            elif kind is float:
                if not math.isfinite(item):
                    raise _Unstorable("is NaN or Infinity, which JSON cannot hold")
            elif kind is dict or kind is list or kind is tuple:
                _check_container(item, depth + 1)
            elif (plain := _plain(item)) is not None:
                try:
                    _check_container([plain], depth)
                except _Unstorable as problem:
                    problem.path.pop()  # the index in the one-item wrapper list
                    raise
    except _Unstorable as problem:
        problem.path.append(key)
        raise


def _plain(value: Any) -> Any:
    """An enum, a subclass value (OrderedDict, a str subclass) or a set as its JSON base type, else None."""
    if isinstance(value, Enum):
        return value.value  # what the JSON serializer writes
    if isinstance(value, str):
        return str.__str__(value)
    bases: tuple[type[Any], ...] = (int, float, dict, list)
    for base in bases:
        if isinstance(value, base):
            return base(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return None  # anything else (datetime, UUID, Path) is written as its text by the JSON serializer


def _shown(part: str | int) -> str | int:
    """A key as a message shows it: escaped (NUL, surrogates) and short."""
    if isinstance(part, int):
        return part
    text = repr(str(part)[:40])[1:-1]
    return text + "…" if len(str(part)) > 40 else text


def _storable_json(value: dict[str, Any]) -> dict[str, Any]:
    """`parameters` as orjson and PostgreSQL's jsonb take it, else a 422 naming the place inside."""
    try:
        _check_container(value, 1)
    except _Unstorable as problem:
        where = error_location(tuple(_shown(part) for part in reversed(problem.path)))
        raise PydanticCustomError(
            "json_not_storable", "cannot be stored: at {where}: {reason}", {"reason": problem.reason, "where": where}
        ) from None
    return value


UTCDateTime = Annotated[datetime, AfterValidator(_as_utc)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
NonNegativeInt = Annotated[int, Field(ge=0, le=INT64_MAX)]
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_no_nul)]
Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_no_nul)]
RequiredName = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_no_nul)]
ToolName = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_no_nul), AfterValidator(_not_blank)]
Parameters = Annotated[dict[str, Any], AfterValidator(_storable_json)]


class ToolCallRecord(BaseModel):
    """One tool call an agent made: timing, outcome and the tool's own details."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    # Core fields (all tools)
    tool_name: ToolName
    duration_ms: Annotated[int, Field(ge=0, le=MAX_DURATION_MS)] | None = None
    success: bool
    timestamp: UTCDateTime | None = None
    error_message: Text | None = None

    # Context metrics (all tools)
    tokens_consumed: NonNegativeInt | None = None
    cache_hit: bool | None = None
    context_size_before: NonNegativeInt | None = None

    # Bash
    command: Text | None = None
    exit_code: Int64 | None = None
    stdout_lines: NonNegativeInt | None = None
    stderr_lines: NonNegativeInt | None = None

    # Read (file_path is shared by Read, Write, Edit and Grep's path filter)
    file_path: Text | None = None
    lines_read: NonNegativeInt | None = None
    file_size_bytes: NonNegativeInt | None = None
    offset: NonNegativeInt | None = None
    limit: NonNegativeInt | None = None

    # Write
    bytes_written: NonNegativeInt | None = None
    created_new_file: bool | None = None

    # Edit / MultiEdit
    lines_changed: NonNegativeInt | None = None
    old_string_length: NonNegativeInt | None = None
    new_string_length: NonNegativeInt | None = None
    replace_all: bool | None = None

    # Grep / Glob
    pattern: Text | None = None
    files_matched: NonNegativeInt | None = None
    total_matches: NonNegativeInt | None = None

    # WebFetch
    url: Text | None = None
    http_status: Annotated[int, Field(ge=100, le=599)] | None = None
    response_size_bytes: NonNegativeInt | None = None

    # Task (sub-agent)
    subagent_type: Name | None = None
    agent_result: Literal["success", "failure"] | None = None

    # Provenance (beyond the specification)
    call_id: Name | None = None
    """The source's own id for the call (Claude Code's tool_use_id), when it has one."""
    turn_id: Name | None = None
    """Calls sharing a turn id were issued together, in parallel, in one assistant message."""
    parent_call_id: Name | None = None
    """For a call made by a sub-agent: the id of the Task call that started it."""
    outcome: Outcome | None = None
    """Finer than `success`: cancelled (a parallel sibling failed), interrupted, rejected."""
    duration_source: DurationSource | None = None
    """How duration_ms was obtained; "timestamps" includes any permission wait."""
    parameters: Parameters | None = None
    model: Name | None = None
    """The model whose turn issued the call (Claude Code's `message.model`)."""

    # Cost (docs/analytics.md, "Cost: what each tool call cost"): what the call cost, attributed
    # from the session's usage; the parts add up to `cost_usd`.
    cost_usd: NonNegativeFloat | None = None
    cost_issuing_usd: NonNegativeFloat | None = None
    """The output tokens of the turn that issued the call, its share by size."""
    cost_result_usd: NonNegativeFloat | None = None
    """The tokens the call's result added to the next request."""
    cost_rent_usd: NonNegativeFloat | None = None
    """The cache reads the result cost on every later turn until the context was compacted."""
    cost_subagent_usd: NonNegativeFloat | None = None
    """For a Task call: what its sub-agent's turns cost beyond the calls they made."""
    cost_tokens: NonNegativeInt | None = None
    """The tokens of all those parts."""
    """The input of a tool without dedicated fields (redacted), so unknown tools keep their shape."""

    @property
    def is_known_tool(self) -> bool:
        return self.tool_name in KNOWN_TOOLS


class TaskLogBase(BaseModel):
    """The fields of one phase of one workflow run, shared by the create and read shapes."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    adw_id: RequiredName
    issue_number: NonNegativeInt32 | None = None
    workflow_template: Name | None = None

    phase_name: RequiredName
    phase_number: NonNegativeInt32 | None = None
    phase_status: RequiredName

    log_message: Text | None = None
    error_message: Text | None = None

    started_at: UTCDateTime | None = None
    completed_at: UTCDateTime | None = None
    duration_seconds: Annotated[float, Field(ge=0)] | None = None

    tokens_used: NonNegativeInt32 | None = None
    cost_usd: Annotated[float, Field(ge=0)] | None = None

    tool_calls: list[ToolCallRecord] = Field(default_factory=list)

    source: Name | None = None
    """Where the log came from: "api", "tracker", "stream-json", "transcript", "otel", "hook"."""
    # Identity of the run (Claude Code sessions, where the source says; settable by any client).
    project: Name | None = None
    """The project: the name of the repository root the session ran in (from its `cwd`)."""
    project_path: Text | None = None
    """The session's full working directory."""
    git_branch: Name | None = None
    agent: Name | None = None
    """The agent that made the calls, e.g. "claude-code"."""
    agent_version: Name | None = None
    models: Annotated[list[Name], Field(max_length=50)] | None = None
    """The models the session used, the most used first."""
    title: Text | None = None
    """The session's title: Claude Code's own summary line, else its first user prompt (one line)."""
    outcome: RunOutcome | None = None
    """completed / failed / interrupted, from the phase status or the `result` line."""
    mcp_servers: Annotated[list[Name], Field(max_length=200)] | None = None
    """The MCP servers the session had loaded (stream-json `system`/`init`)."""
    tools_available: Annotated[list[Name], Field(max_length=1000)] | None = None
    """The tools the session had available (stream-json `system`/`init`)."""

    time_source: TimeSource | None = None
    """None when `started_at` / `completed_at` are the log's own timestamps. Otherwise they are
    approximate, and this says where they came from (the source had none, e.g. stream-json of
    older Claude Code): "run" (another task log of the same adw_id that has its own times),
    "adw_state" (a time in the run's `agents/<adw_id>/adw_state.json`), "file_mtime" (the file's
    modification time), "unknown" (no evidence at all: both are empty). See `TIME_SOURCE_LABELS`."""


class TaskLogCreate(TaskLogBase):
    """A task log as a client sends it. `log_key` makes storing it idempotent.

    When `log_key` is missing, the store derives one from the content, so the same
    payload sent twice is stored once.
    """

    log_key: RequiredName | None = None


class TaskLogWithToolCalls(TaskLogBase):
    """A stored task log, as repositories and the API return it."""

    id: int
    log_key: str | None = None
    captured_at: UTCDateTime | None = None
    created_at: UTCDateTime | None = None


def field_type(model: type[BaseModel], name: str, base: Any = None) -> Any:
    """A field's type with every rule on it (its `Annotated` constraints and validators), so other
    validators (the bulk ingest's dicts, the ingest options) apply exactly the model's rules.
    `base` replaces the type the rules apply to (e.g. a list of dicts for a list of models)."""
    field = model.model_fields[name]
    annotation = field.annotation if base is None else base
    if not field.metadata:
        return annotation
    return Annotated[(annotation, *field.metadata)]  # type: ignore[valid-type]


def error_location(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as a path: ('tool_calls', 3, 'duration_ms') -> tool_calls[3].duration_ms."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(payload)"


def describe_validation_error(exc: ValidationError, *, limit: int = 10) -> str:
    """One readable line per problem, naming the field path and the offending value's type."""
    parts = []
    for err in exc.errors()[:limit]:
        parts.append(f"{error_location(tuple(err['loc']))}: {err['msg']}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)
