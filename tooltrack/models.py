"""The data model every stage shares: one tool call, one task log.

`ToolCallRecord` is the specification's record with three deliberate changes:
`tool_name` takes any non-empty tool name (real agents use Glob, MultiEdit, TodoWrite,
`mcp__server__tool`, ...), `duration_ms` may be missing for imported calls whose source has
no timing (missing is not zero), and a few fields say where a record came from
(`call_id`, `turn_id`, `parent_call_id`, `outcome`, `duration_source`, `parameters`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

#: The tools the specification names; any other non-empty name is accepted too.
KNOWN_TOOLS: Final = ("Bash", "Read", "Write", "Edit", "Grep", "WebFetch", "Task")

#: Upper bounds that keep one hostile record from bloating a row.
MAX_TEXT: Final = 20_000
MAX_NAME: Final = 200

Outcome = Literal["ok", "error", "cancelled", "interrupted", "rejected"]
DurationSource = Literal["measured", "timestamps", "tool_reported", "hook"]


def _as_utc(value: datetime | None) -> datetime | None:
    """Naive timestamps are taken as UTC; aware ones are converted to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_as_utc)]
NonNegativeInt = Annotated[int, Field(ge=0)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class ToolCallRecord(BaseModel):
    """One tool call an agent made: timing, outcome and the tool's own details."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    # Core fields (all tools)
    tool_name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    duration_ms: NonNegativeInt | None = None
    success: bool
    timestamp: UTCDateTime | None = None
    error_message: Text | None = None

    # Context metrics (all tools)
    tokens_consumed: NonNegativeInt | None = None
    cache_hit: bool | None = None
    context_size_before: NonNegativeInt | None = None

    # Bash
    command: Text | None = None
    exit_code: int | None = None
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
    subagent_type: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    agent_result: Literal["success", "failure"] | None = None

    # Provenance (beyond the specification)
    call_id: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    """The source's own id for the call (Claude Code's tool_use_id), when it has one."""
    turn_id: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    """Calls sharing a turn id were issued together, in parallel, in one assistant message."""
    parent_call_id: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    """For a call made by a sub-agent: the id of the Task call that started it."""
    outcome: Outcome | None = None
    """Finer than `success`: cancelled (a parallel sibling failed), interrupted, rejected."""
    duration_source: DurationSource | None = None
    """How duration_ms was obtained; "timestamps" includes any permission wait."""
    parameters: dict[str, Any] | None = None
    """The input of a tool without dedicated fields (redacted), so unknown tools keep their shape."""

    @field_validator("tool_name")
    @classmethod
    def _tool_name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("tool_name must not be blank")
        return value

    @property
    def is_known_tool(self) -> bool:
        return self.tool_name in KNOWN_TOOLS


class TaskLogBase(BaseModel):
    """The fields of one phase of one workflow run, shared by the create and read shapes."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    adw_id: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    issue_number: int | None = None
    workflow_template: Annotated[str, Field(max_length=MAX_NAME)] | None = None

    phase_name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    phase_number: int | None = None
    phase_status: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]

    log_message: Text | None = None
    error_message: Text | None = None

    started_at: UTCDateTime | None = None
    completed_at: UTCDateTime | None = None
    duration_seconds: Annotated[float, Field(ge=0)] | None = None

    tokens_used: NonNegativeInt | None = None
    cost_usd: Annotated[float, Field(ge=0)] | None = None

    tool_calls: list[ToolCallRecord] = Field(default_factory=list)

    source: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    """Where the log came from: "api", "tracker", "stream-json", "transcript", "otel", "hook"."""


class TaskLogCreate(TaskLogBase):
    """A task log as a client sends it. `log_key` makes storing it idempotent.

    When `log_key` is missing, the store derives one from the content, so the same
    payload sent twice is stored once.
    """

    log_key: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | None = None


class TaskLogWithToolCalls(TaskLogBase):
    """A stored task log, as repositories and the API return it."""

    id: int
    log_key: str | None = None
    captured_at: UTCDateTime | None = None
    created_at: UTCDateTime | None = None


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
