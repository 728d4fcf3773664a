"""The hook's view of the one Claude Code mapping (`tooltrack.core.claude_tools`): fields per hook event.

`tooltrack.capture.hook` calls `input_fields` at PreToolUse and PostToolUse, `response_fields` with
the PostToolUse `tool_response` (which holds what a transcript's `toolUseResult` does for the same
call), and `exit_code_from_error` with a PostToolUseFailure's `error`. All three only adapt the
hook's arguments to the shared mapping, so a call captured live gets the fields an ingested
transcript or hook log of the same call gets (`tests/capture/test_one_mapping.py` compares them).

Standard library only, and `tooltrack.models` is not imported: loading pydantic would cost the
hook ~100 ms on every tool call.
"""

from __future__ import annotations

from typing import Any

from tooltrack.core import (
    MAX_NAME,
    MAX_PARAMETERS_JSON,
    MAX_TEXT,
    PARAMETER_TEXT_LIMIT,
    SUBAGENT_TOOLS,
    ToolResult,
    bounded_parameters,
    exit_code_of,
    result_outcome,
    tool_input_fields,
    tool_result_fields,
)

#: One string inside `parameters`; all of `parameters` as JSON (the shared mapping's bounds).
MAX_PARAMETER_TEXT = PARAMETER_TEXT_LIMIT

__all__ = [
    "MAX_NAME",
    "MAX_PARAMETERS_JSON",
    "MAX_PARAMETER_TEXT",
    "MAX_TEXT",
    "SUBAGENT_TOOLS",
    "bounded_parameters",
    "exit_code_from_error",
    "input_fields",
    "response_fields",
]


def input_fields(tool_name: str, tool_input: Any) -> dict[str, Any]:
    """The record fields that come from the call's input alone (known at PreToolUse)."""
    return tool_input_fields(tool_name, tool_input)


def response_fields(tool_name: str, tool_input: Any, tool_response: Any) -> dict[str, Any]:
    """The record fields that come from a PostToolUse's `tool_response`, with `success` and `outcome`
    when the response itself says the call did not succeed (`interrupted`, `success: false`).

    No response is a PostToolUseFailure (only it has none): the fields of a failed call (a Task's
    `agent_result: failure`); the hook takes the failure itself from the event, the exit code from
    its `error` (`exit_code_from_error`).
    """
    if tool_response is None:
        return tool_result_fields(tool_name, tool_input, ToolResult(is_error=True))
    # A string response is the result's text, as older transcripts' toolUseResult is.
    text = tool_response if isinstance(tool_response, str) else None
    result = ToolResult(text=text, detail=tool_response)
    fields = tool_result_fields(tool_name, tool_input, result)
    outcome = result_outcome(result)
    if outcome != "ok":
        fields["success"] = False
        fields["outcome"] = outcome
    return fields


def exit_code_from_error(error: Any) -> int | None:
    """The exit code in a failed Bash call's error text ("Exit code 1\\n...")."""
    return exit_code_of(error)
