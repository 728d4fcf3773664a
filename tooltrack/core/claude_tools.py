"""From a tool's input and result (as Claude Code reports them) to `ToolCallRecord` fields.

Shared by every Claude Code format (stream-json, transcripts, hooks, OpenTelemetry): each gives
the tool's name and input, and what it knows of the result (the result text, the structured
detail, `is_error`). Outputs themselves are never kept, only their sizes; unknown tools keep
their name and the shape of their input (`parameters`), so nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from tooltrack.core.bounds import ERROR_MESSAGE_LIMIT, bound_error

# The tools that start a sub-agent (Task, Agent): their calls map alike, and a sidechain's calls are
# linked to them (`tooltrack.ingest.claude`). Defined outside ingest so the hook imports it cheaply.
from tooltrack.core.subagents import SUBAGENT_TOOLS

#: Longest string kept in `parameters` (their shape matters, not their bulk).
PARAMETER_TEXT_LIMIT: Final = 200
_PARAMETER_ITEMS: Final = 20
_PARAMETER_DEPTH: Final = 3
#: Inputs that are content, not parameters: only their size is kept (in dedicated fields).
_BULKY: Final = frozenset({"content", "old_string", "new_string", "edits", "prompt", "todos", "new_source"})

_EXIT_CODE = re.compile(r"^(?:Error: )?Exit code (-?\d+)")
_TOOL_ERROR_TAGS = re.compile(r"</?tool_use_error>")
_SIBLING = "Sibling tool call errored"
_REJECTED = ("The user doesn't want to proceed with this tool use", "User rejected tool use")
_INTERRUPTED = ("Interrupted by user", "[Request interrupted by user")


@dataclass(slots=True)
class ToolResult:
    """What a source knows about a call's result."""

    text: str | None = None
    is_error: bool | None = None
    detail: Any = None
    """Claude Code's structured result (`toolUseResult` / `tool_use_result`): a dict or a string."""
    size_bytes: int | None = None


def result_text(content: Any) -> str:
    """A tool_result's content as text: a string as it is, a list of blocks joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                if isinstance(block.get("text"), str):
                    parts.append(block["text"])
                elif block.get("type") == "tool_reference" and isinstance(block.get("tool_name"), str):
                    parts.append(block["tool_name"])
            elif isinstance(block, str):
                parts.append(block)
        return "\n".join(parts)
    return "" if content is None else str(content)


def shape(value: Any, depth: int = 0) -> Any:
    """A bounded copy of a tool input: short strings, a few items, a few levels deep."""
    if isinstance(value, str):
        return value if len(value) <= PARAMETER_TEXT_LIMIT else value[:PARAMETER_TEXT_LIMIT] + "…"
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= _PARAMETER_DEPTH:
        return type(value).__name__
    if isinstance(value, dict):
        return {str(k): shape(v, depth + 1) for k, v in list(value.items())[:_PARAMETER_ITEMS]}
    if isinstance(value, list):
        return [shape(v, depth + 1) for v in value[:_PARAMETER_ITEMS]]
    return type(value).__name__


def result_outcome(result: ToolResult | None) -> str:
    """ok / error / cancelled (a parallel sibling failed) / rejected (by the user) / interrupted."""
    if result is None:
        return "interrupted"
    text = result.text or ""
    detail = result.detail if isinstance(result.detail, str) else ""
    if result.is_error:
        if _SIBLING in text or _SIBLING in detail:
            return "cancelled"
        if any(marker in text or marker in detail for marker in _REJECTED):
            return "rejected"
        if any(marker in text for marker in _INTERRUPTED):
            return "interrupted"
        return "error"
    return "ok"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _lines(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    return text.count("\n") + 1 if text else 0


def _text_lines(text: Any) -> int:
    return text.count("\n") + 1 if isinstance(text, str) and text else 0


def tool_reported_duration_ms(detail: Any) -> int | None:
    """The duration a tool reports about itself (Glob, WebFetch: durationMs; Task; WebSearch)."""
    if not isinstance(detail, dict):
        return None
    for key in ("durationMs", "totalDurationMs"):
        value = _int(detail.get(key))
        if value is not None:
            return value
    seconds = detail.get("durationSeconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0:
        return round(seconds * 1000)
    return None


def _leftover(tool_input: dict[str, Any], used: set[str]) -> dict[str, Any] | None:
    rest = {k: shape(v) for k, v in tool_input.items() if k not in used and k not in _BULKY}
    return rest or None


def _edit_counts(edits: list[Any]) -> tuple[int, int, int]:
    old = new = lines = 0
    for edit in edits:
        if not isinstance(edit, dict):
            continue
        old_s, new_s = edit.get("old_string") or "", edit.get("new_string") or ""
        if isinstance(old_s, str) and isinstance(new_s, str):
            old += len(old_s)
            new += len(new_s)
            lines += max(_text_lines(old_s), _text_lines(new_s))
    return old, new, lines


def _patch_lines(detail: Any) -> int | None:
    """Lines added or removed according to Claude Code's structuredPatch."""
    if not isinstance(detail, dict) or not isinstance(detail.get("structuredPatch"), list):
        return None
    changed = 0
    for hunk in detail["structuredPatch"]:
        if isinstance(hunk, dict) and isinstance(hunk.get("lines"), list):
            changed += sum(1 for line in hunk["lines"] if isinstance(line, str) and line[:1] in "+-")
    return changed


def tool_fields(name: str, tool_input: Any, result: ToolResult | None) -> dict[str, Any]:
    """The tool-specific `ToolCallRecord` fields for one call (without timing and provenance)."""
    args: dict[str, Any] = tool_input if isinstance(tool_input, dict) else {}
    detail = result.detail if result is not None else None
    info: dict[str, Any] = detail if isinstance(detail, dict) else {}
    text = result.text if result is not None else None
    outcome = result_outcome(result)
    fields: dict[str, Any] = {}
    used: set[str] = set()

    def take(field: str, key: str) -> None:
        """Copy a text input to a record field (a value of another type is left out)."""
        if isinstance(args.get(key), str):
            fields[field] = args[key]
        used.add(key)

    if name == "Bash":
        take("command", "command")
        if outcome == "ok" and not args.get("run_in_background"):
            fields["exit_code"] = 0
        elif text and (match := _EXIT_CODE.match(text)):
            fields["exit_code"] = int(match.group(1))
        if isinstance(info.get("stdout"), str):
            fields["stdout_lines"] = _text_lines(info["stdout"])
            fields["stderr_lines"] = _text_lines(info.get("stderr"))
        elif outcome == "ok" and text is not None:
            fields["stdout_lines"] = _text_lines(text)
    elif name == "Read":
        take("file_path", "file_path")
        for key in ("offset", "limit"):
            if _int(args.get(key)) is not None:
                fields[key] = _int(args[key])
            used.add(key)
        file = info.get("file") if isinstance(info.get("file"), dict) else {}
        if _int(file.get("numLines")) is not None:
            fields["lines_read"] = _int(file["numLines"])
        if isinstance(file.get("content"), str):
            fields["file_size_bytes"] = len(file["content"].encode())
    elif name == "Write":
        take("file_path", "file_path")
        if isinstance(args.get("content"), str):
            fields["bytes_written"] = len(args["content"].encode())
        if info.get("type") in ("create", "update"):
            fields["created_new_file"] = info["type"] == "create"
        elif text and outcome == "ok":
            if "created successfully" in text:
                fields["created_new_file"] = True
            elif "updated" in text:
                fields["created_new_file"] = False
    elif name in ("Edit", "MultiEdit"):
        take("file_path", "file_path")
        edits = args.get("edits") if name == "MultiEdit" else [args]
        old, new, lines = _edit_counts(edits if isinstance(edits, list) else [])
        fields["old_string_length"], fields["new_string_length"] = old, new
        patched = _patch_lines(detail)
        fields["lines_changed"] = patched if patched is not None else lines
        if isinstance(args.get("replace_all"), bool):
            fields["replace_all"] = args["replace_all"]
        used.add("replace_all")
        if name == "MultiEdit" and isinstance(edits, list):
            fields["parameters"] = {"edits": len(edits)}
    elif name in ("Grep", "Glob"):
        take("pattern", "pattern")
        take("file_path", "path")
        if _int(info.get("numFiles")) is not None:
            fields["files_matched"] = _int(info["numFiles"])
        for key in ("numMatches", "numLines"):
            if _int(info.get(key)) is not None:
                fields["total_matches"] = _int(info[key])
                break
    elif name == "WebFetch":
        take("url", "url")
        status = _int(info.get("code"))
        if status is not None and 100 <= status <= 599:
            fields["http_status"] = status
        if _int(info.get("bytes")) is not None:
            fields["response_size_bytes"] = _int(info["bytes"])
    elif name in SUBAGENT_TOOLS:
        take("subagent_type", "subagent_type")
        if outcome in ("ok", "error"):
            fields["agent_result"] = "success" if outcome == "ok" else "failure"
        if _int(info.get("totalTokens")) is not None:
            fields["tokens_consumed"] = _int(info["totalTokens"])
    elif name == "NotebookEdit":
        take("file_path", "notebook_path")
    elif name == "TodoWrite":
        todos = args.get("todos")
        fields["parameters"] = {"todos": len(todos) if isinstance(todos, list) else 0}
        return fields
    rest = _leftover(args, used)
    if rest:
        fields["parameters"] = {**(fields.get("parameters") or {}), **rest}
    if "command" in fields and len(fields["command"]) > 20_000:
        fields["command"] = fields["command"][:20_000]
    return fields


def error_message_of(result: ToolResult | None, outcome: str) -> str | None:
    """The error text of a failed call, without Claude Code's tags, bounded."""
    if result is None or outcome == "ok":
        return None
    text = result.text or (result.detail if isinstance(result.detail, str) else "")
    text = _TOOL_ERROR_TAGS.sub("", text).strip()
    return bound_error(text, ERROR_MESSAGE_LIMIT) if text else None


def build_call(
    *,
    name: str,
    tool_input: Any,
    result: ToolResult | None,
    call_id: str | None,
    started: datetime | None,
    finished: datetime | None,
    turn_id: str | None = None,
    parent_call_id: str | None = None,
    context_size_before: int | None = None,
    duration_ms: int | None = None,
    duration_source: str | None = None,
) -> dict[str, Any]:
    """A `ToolCallRecord` payload for one call, timing by the rules of DESIGN.md "Inputs".

    Timestamps on both the call and its result win (they include any permission wait: marked
    "timestamps"); else the tool's own timing ("tool_reported"); else the duration is unknown.
    """
    outcome = result_outcome(result)
    record: dict[str, Any] = {"tool_name": name or "unknown", "success": outcome == "ok", "outcome": outcome}
    record.update(tool_fields(name, tool_input, result))
    if duration_ms is None and started is not None and finished is not None and result is not None:
        duration_ms = max(0, round((finished - started).total_seconds() * 1000))
        duration_source = "timestamps"
    if duration_ms is None and result is not None:
        duration_ms = tool_reported_duration_ms(result.detail)
        duration_source = "tool_reported" if duration_ms is not None else None
    if duration_ms is not None:
        record["duration_ms"] = duration_ms
        record["duration_source"] = duration_source
    if started is not None:
        record["timestamp"] = started
    error = error_message_of(result, outcome)
    if error:
        record["error_message"] = error
    for key, value in (
        ("call_id", call_id),
        ("turn_id", turn_id),
        ("parent_call_id", parent_call_id),
        ("context_size_before", context_size_before),
    ):
        if value is not None:
            record[key] = value[:200] if isinstance(value, str) else value
    return record
