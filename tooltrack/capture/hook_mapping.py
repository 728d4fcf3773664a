"""Turning one Claude Code hook call (tool_input, tool_response) into `ToolCallRecord` fields.

Only sizes and short identifying fields are kept (a command, a path, a pattern, a URL), never a
tool's output, as the specification's data model says. Tools without dedicated fields keep their
input in `parameters`, bounded in size.

Standard library only, and `tooltrack.models` is not imported: loading pydantic would cost the
hook ~100 ms on every tool call. Text is cut to the bounds the models hold it to
(`tooltrack.core.bounds`), and a test validates what this module produces with `ToolCallRecord`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tooltrack.core import MAX_NAME, MAX_TEXT, SUBAGENT_TOOLS, storable_text

MAX_PARAMETER_TEXT = 2_000  # one string inside `parameters`
MAX_PARAMETERS_JSON = 8_000  # all of `parameters`, as JSON

_EXIT_CODE = r"^\s*Exit code (-?\d+)"  # compiled on first use: only failed Bash calls need it


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    # A NUL or a lone surrogate would make the whole session's task log invalid.
    return storable_text(text, limit)


def _count(value: Any) -> int | None:
    """A non-negative int, or None for anything else (bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 else None


def _line_count(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _byte_size(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    return len(text.encode("utf-8", "surrogatepass"))


def _bounded(value: Any, depth: int = 0) -> Any:
    """`value` with long strings cut and deep or wide structures trimmed, JSON-able."""
    if isinstance(value, str):
        return storable_text(value, MAX_PARAMETER_TEXT)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= 4:
        return _text(value, MAX_PARAMETER_TEXT)
    if isinstance(value, Mapping):
        return {storable_text(str(k), MAX_NAME): _bounded(v, depth + 1) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple):
        return [_bounded(v, depth + 1) for v in value[:50]]
    return _text(value, MAX_PARAMETER_TEXT)


def bounded_parameters(tool_input: Any) -> dict[str, Any] | None:
    """A tool's input for `parameters`: a dict, each string at most 2 000 characters, at most 8 KB."""
    if not isinstance(tool_input, Mapping) or not tool_input:
        return None
    params = _bounded(tool_input)
    if len(json.dumps(params, default=str)) > MAX_PARAMETERS_JSON:
        # Still too big (many long values): keep the keys and a short prefix of each value.
        params = {k: _text(json.dumps(v, default=str), 120) for k, v in list(params.items())[:50]}
    return params


def _patch_lines_changed(patch: Any) -> int | None:
    """Lines changed in a structured patch: per hunk, the larger of lines added and removed."""
    if not isinstance(patch, list):
        return None
    changed = 0
    for hunk in patch:
        lines = hunk.get("lines") if isinstance(hunk, Mapping) else None
        if not isinstance(lines, list):
            return None
        added = sum(1 for line in lines if isinstance(line, str) and line.startswith("+"))
        removed = sum(1 for line in lines if isinstance(line, str) and line.startswith("-"))
        changed += max(added, removed)
    return changed


def exit_code_from_error(error: Any) -> int | None:
    """The exit code in a failed Bash call's error text ("Exit code 1\\n...")."""
    if not isinstance(error, str):
        return None
    match = re.search(_EXIT_CODE, error, re.MULTILINE)
    return int(match.group(1)) if match else None


def input_fields(tool_name: str, tool_input: Any) -> dict[str, Any]:
    """The record fields that come from the call's input alone (known at PreToolUse)."""
    given = tool_input if isinstance(tool_input, Mapping) else {}
    fields: dict[str, Any] = {}
    if tool_name == "Bash":
        fields["command"] = _text(given.get("command"))
    elif tool_name == "Read":
        fields["file_path"] = _text(given.get("file_path"))
        fields["offset"] = _count(given.get("offset"))
        fields["limit"] = _count(given.get("limit"))
    elif tool_name == "Write":
        fields["file_path"] = _text(given.get("file_path"))
        fields["bytes_written"] = _byte_size(given.get("content"))
    elif tool_name == "Edit":
        fields["file_path"] = _text(given.get("file_path"))
        fields["old_string_length"] = _count(len(s)) if isinstance(s := given.get("old_string"), str) else None
        fields["new_string_length"] = _count(len(s)) if isinstance(s := given.get("new_string"), str) else None
        replace_all = given.get("replace_all")
        fields["replace_all"] = replace_all if isinstance(replace_all, bool) else None
    elif tool_name == "MultiEdit":
        fields["file_path"] = _text(given.get("file_path"))
        edits = [e for e in given.get("edits") or [] if isinstance(e, Mapping)]
        fields["old_string_length"] = sum(len(e.get("old_string") or "") for e in edits)
        fields["new_string_length"] = sum(len(e.get("new_string") or "") for e in edits)
        fields["parameters"] = {"edits": len(edits)}
    elif tool_name in ("Grep", "Glob"):
        fields["pattern"] = _text(given.get("pattern"))
        fields["file_path"] = _text(given.get("path"))
    elif tool_name == "WebFetch":
        fields["url"] = _text(given.get("url"))
    elif tool_name in SUBAGENT_TOOLS:
        fields["subagent_type"] = _text(given.get("subagent_type"), MAX_NAME)
        fields["parameters"] = bounded_parameters({"description": given.get("description")})
    else:
        fields["parameters"] = bounded_parameters(given)
    return {k: v for k, v in fields.items() if v is not None}


def response_fields(tool_name: str, tool_input: Any, tool_response: Any) -> dict[str, Any]:
    """The record fields that come from a successful call's response (known at PostToolUse)."""
    given = tool_input if isinstance(tool_input, Mapping) else {}
    response = tool_response if isinstance(tool_response, Mapping) else {}
    fields: dict[str, Any] = {}
    if tool_name == "Bash":
        fields["stdout_lines"] = _line_count(response.get("stdout"))
        fields["stderr_lines"] = _line_count(response.get("stderr"))
        if response.get("interrupted") is True:
            fields["success"] = False
            fields["outcome"] = "interrupted"
        elif "stdout" in response and not response.get("backgroundTaskId"):
            # PostToolUse (not PostToolUseFailure) for a foreground command: it exited with 0.
            fields["exit_code"] = 0
    elif tool_name == "Read":
        file = response.get("file")
        if not isinstance(file, Mapping):
            file = {}
        fields["lines_read"] = _count(file.get("numLines"))
        fields["file_size_bytes"] = _byte_size(file.get("content"))
    elif tool_name == "Write":
        kind = response.get("type")
        if kind in ("create", "update"):
            fields["created_new_file"] = kind == "create"
    elif tool_name in ("Edit", "MultiEdit"):
        fields["lines_changed"] = _patch_lines_changed(response.get("structuredPatch"))
    elif tool_name in ("Grep", "Glob"):
        fields["files_matched"] = _count(response.get("numFiles"))
        fields["total_matches"] = _count(response.get("numMatches"))
    elif tool_name == "WebFetch":
        status = response.get("code")
        fields["http_status"] = status if isinstance(status, int) and 100 <= status <= 599 else None
        fields["response_size_bytes"] = _count(response.get("bytes"))
    elif tool_name in SUBAGENT_TOOLS:
        status = response.get("status")
        if isinstance(status, str):
            fields["agent_result"] = "success" if status == "completed" else "failure"
        fields["tokens_consumed"] = _count(response.get("totalTokens"))
    if given.get("run_in_background") is True:
        fields["parameters"] = {"run_in_background": True}
    return {k: v for k, v in fields.items() if v is not None}
