"""The ground floor: the rules every stage shares, in the standard library alone.

- `bounds`: the limits a record is held to (the models validate them, the hook cuts to them);
- `storable`: text as the database takes it (NUL, lone surrogates);
- `redaction`: the one set of rules that keeps secrets out of the database;
- `calls`, `error_kinds`, `commands`, `histogram`, `redundancy`: what a call's outcome, error kind,
  command name, latency bucket and repeated work are; the store's rollups and the analytics' direct
  reads count by these same definitions, so they can never disagree;
- `claude_tools`, `subagents`: how Claude Code's tool inputs and results map to record fields;
- `config`: settings read from the environment; `version`: tooltrack's version.

No module here imports pydantic, SQLAlchemy or httpx (a test holds it), and names load on first
use (PEP 562): the Claude Code hook imports this package on every tool call and pays only for the
modules it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tooltrack.core.bounds import (
        ERROR_MESSAGE_LIMIT,
        INT32_MAX,
        INT64_MAX,
        INT64_MIN,
        MAX_DURATION_MS,
        MAX_NAME,
        MAX_PARAMETERS_DEPTH,
        MAX_TEXT,
        TRUNCATION_MARK,
        bound_error,
    )
    from tooltrack.core.calls import (
        EDITORS,
        FILE_MODIFIERS,
        MAX_TARGET,
        activity_day,
        activity_time,
        call_target,
        call_time,
        duration_of,
        is_cancelled,
        is_failed,
        outcome_of,
    )
    from tooltrack.core.claude_tools import (
        CONTENT_KEYS,
        MAX_PARAMETERS_JSON,
        PARAMETER_TEXT_LIMIT,
        ToolResult,
        bounded_parameters,
        build_call,
        content_size,
        error_message_of,
        error_text,
        exit_code_of,
        result_outcome,
        result_text,
        shape,
        tool_fields,
        tool_input_fields,
        tool_reported_duration_ms,
        tool_result_fields,
    )
    from tooltrack.core.commands import MAX_COMMAND_NAME, normalise_command
    from tooltrack.core.config import DATABASE_URL_ENV, database_url, default_data_dir, default_database_url
    from tooltrack.core.error_kinds import MAX_KIND, NO_MESSAGE, error_kind
    from tooltrack.core.histogram import (
        PERCENTILE_ERROR,
        bucket_bounds,
        bucket_of,
        bucket_value,
        exact_percentile,
        percentiles,
    )
    from tooltrack.core.redaction import (
        CALL_TEXT_FIELDS,
        LOG_TEXT_FIELDS,
        MARKER,
        REDACTION_PATTERNS,
        redact_call,
        redact_row,
        redact_text,
        redact_value,
        secret_name,
    )
    from tooltrack.core.redundancy import REDUNDANCY_PATTERNS, Tally, find_in_log, read_target
    from tooltrack.core.storable import NUL, REPLACEMENT, replace_nul, replace_nul_parsed, storable_text
    from tooltrack.core.subagents import SUBAGENT_TOOLS
    from tooltrack.core.version import VERSION

_EXPORTS = {
    "CALL_TEXT_FIELDS": "tooltrack.core.redaction",
    "CONTENT_KEYS": "tooltrack.core.claude_tools",
    "DATABASE_URL_ENV": "tooltrack.core.config",
    "EDITORS": "tooltrack.core.calls",
    "ERROR_MESSAGE_LIMIT": "tooltrack.core.bounds",
    "FILE_MODIFIERS": "tooltrack.core.calls",
    "INT32_MAX": "tooltrack.core.bounds",
    "INT64_MAX": "tooltrack.core.bounds",
    "INT64_MIN": "tooltrack.core.bounds",
    "LOG_TEXT_FIELDS": "tooltrack.core.redaction",
    "MARKER": "tooltrack.core.redaction",
    "MAX_COMMAND_NAME": "tooltrack.core.commands",
    "MAX_DURATION_MS": "tooltrack.core.bounds",
    "MAX_KIND": "tooltrack.core.error_kinds",
    "MAX_NAME": "tooltrack.core.bounds",
    "MAX_PARAMETERS_DEPTH": "tooltrack.core.bounds",
    "MAX_PARAMETERS_JSON": "tooltrack.core.claude_tools",
    "MAX_TARGET": "tooltrack.core.calls",
    "MAX_TEXT": "tooltrack.core.bounds",
    "NO_MESSAGE": "tooltrack.core.error_kinds",
    "NUL": "tooltrack.core.storable",
    "PARAMETER_TEXT_LIMIT": "tooltrack.core.claude_tools",
    "PERCENTILE_ERROR": "tooltrack.core.histogram",
    "REDACTION_PATTERNS": "tooltrack.core.redaction",
    "REDUNDANCY_PATTERNS": "tooltrack.core.redundancy",
    "REPLACEMENT": "tooltrack.core.storable",
    "SUBAGENT_TOOLS": "tooltrack.core.subagents",
    "VERSION": "tooltrack.core.version",
    "TRUNCATION_MARK": "tooltrack.core.bounds",
    "Tally": "tooltrack.core.redundancy",
    "ToolResult": "tooltrack.core.claude_tools",
    "activity_day": "tooltrack.core.calls",
    "activity_time": "tooltrack.core.calls",
    "bound_error": "tooltrack.core.bounds",
    "bounded_parameters": "tooltrack.core.claude_tools",
    "bucket_bounds": "tooltrack.core.histogram",
    "bucket_of": "tooltrack.core.histogram",
    "bucket_value": "tooltrack.core.histogram",
    "build_call": "tooltrack.core.claude_tools",
    "call_target": "tooltrack.core.calls",
    "call_time": "tooltrack.core.calls",
    "content_size": "tooltrack.core.claude_tools",
    "database_url": "tooltrack.core.config",
    "default_data_dir": "tooltrack.core.config",
    "default_database_url": "tooltrack.core.config",
    "duration_of": "tooltrack.core.calls",
    "error_kind": "tooltrack.core.error_kinds",
    "error_message_of": "tooltrack.core.claude_tools",
    "error_text": "tooltrack.core.claude_tools",
    "exact_percentile": "tooltrack.core.histogram",
    "exit_code_of": "tooltrack.core.claude_tools",
    "find_in_log": "tooltrack.core.redundancy",
    "is_cancelled": "tooltrack.core.calls",
    "is_failed": "tooltrack.core.calls",
    "normalise_command": "tooltrack.core.commands",
    "outcome_of": "tooltrack.core.calls",
    "percentiles": "tooltrack.core.histogram",
    "read_target": "tooltrack.core.redundancy",
    "redact_call": "tooltrack.core.redaction",
    "redact_row": "tooltrack.core.redaction",
    "redact_text": "tooltrack.core.redaction",
    "redact_value": "tooltrack.core.redaction",
    "replace_nul": "tooltrack.core.storable",
    "replace_nul_parsed": "tooltrack.core.storable",
    "result_outcome": "tooltrack.core.claude_tools",
    "result_text": "tooltrack.core.claude_tools",
    "secret_name": "tooltrack.core.redaction",
    "shape": "tooltrack.core.claude_tools",
    "storable_text": "tooltrack.core.storable",
    "tool_fields": "tooltrack.core.claude_tools",
    "tool_input_fields": "tooltrack.core.claude_tools",
    "tool_reported_duration_ms": "tooltrack.core.claude_tools",
    "tool_result_fields": "tooltrack.core.claude_tools",
}

__all__ = [
    "CALL_TEXT_FIELDS",
    "CONTENT_KEYS",
    "DATABASE_URL_ENV",
    "EDITORS",
    "ERROR_MESSAGE_LIMIT",
    "FILE_MODIFIERS",
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "LOG_TEXT_FIELDS",
    "MARKER",
    "MAX_COMMAND_NAME",
    "MAX_DURATION_MS",
    "MAX_KIND",
    "MAX_NAME",
    "MAX_PARAMETERS_DEPTH",
    "MAX_PARAMETERS_JSON",
    "MAX_TARGET",
    "MAX_TEXT",
    "NO_MESSAGE",
    "NUL",
    "PARAMETER_TEXT_LIMIT",
    "PERCENTILE_ERROR",
    "REDACTION_PATTERNS",
    "REDUNDANCY_PATTERNS",
    "REPLACEMENT",
    "SUBAGENT_TOOLS",
    "TRUNCATION_MARK",
    "VERSION",
    "Tally",
    "ToolResult",
    "activity_day",
    "activity_time",
    "bound_error",
    "bounded_parameters",
    "bucket_bounds",
    "bucket_of",
    "bucket_value",
    "build_call",
    "call_target",
    "call_time",
    "content_size",
    "database_url",
    "default_data_dir",
    "default_database_url",
    "duration_of",
    "error_kind",
    "error_message_of",
    "error_text",
    "exact_percentile",
    "exit_code_of",
    "find_in_log",
    "is_cancelled",
    "is_failed",
    "normalise_command",
    "outcome_of",
    "percentiles",
    "read_target",
    "redact_call",
    "redact_row",
    "redact_text",
    "redact_value",
    "replace_nul",
    "replace_nul_parsed",
    "result_outcome",
    "result_text",
    "secret_name",
    "shape",
    "storable_text",
    "tool_fields",
    "tool_input_fields",
    "tool_reported_duration_ms",
    "tool_result_fields",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tooltrack.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
