"""The one mapping of a Claude Code tool call (its input and its result) to `ToolCallRecord` fields.

Every way tooltrack sees Claude Code's calls uses it: the live hook (`tooltrack.capture.hook_mapping`
adapts it to the hook's events), and ingest of stream-json, transcripts, saved hook payloads and
OpenTelemetry events (`tooltrack.ingest.claude`, `hooks`, `otel`). A source gives the tool's name
and input, and what it knows of the result: the result text (a transcript's `tool_result`
content, a hook's `error`), the structured detail (a transcript's `toolUseResult`, which is what
a hook's `tool_response` holds), `is_error`. `tests/capture/test_one_mapping.py` runs the hook and
ingest over the same fixtures and compares the records field by field.

What is stored, per tool (the specification's data model: outputs are never stored, only sizes):

- Bash: `command`; `exit_code` (0 for a foreground command that succeeded, else the `Exit code N`
  at the start of the error text; none for a background command); `stdout_lines`, `stderr_lines`
  (lines of output: "a\\nb\\n" and "a\\nb" are 2 lines, "" is 0). A command the result says was
  `interrupted` is not a success.
- Read: `file_path`, `offset`, `limit`, `lines_read`, `file_size_bytes` (UTF-8 bytes of the text read).
- Write: `file_path`, `bytes_written`, `created_new_file`.
- Edit / MultiEdit: `file_path`, `old_string_length`, `new_string_length` (characters), `replace_all`,
  `lines_changed` (per hunk of the structured patch the larger of lines added and removed, so a
  replaced line counts once; without a patch, the larger line count of each edit's old and new
  string; only for an edit that succeeded: a failed one changed nothing).
- Grep / Glob: `pattern`, `file_path` (the search path), `files_matched` (not in Grep's content
  mode, where Claude Code reports 0 files), `total_matches` (count mode's matches; in content mode
  the matching lines, when no context lines or applied limit make the output longer or shorter).
- WebFetch: `url`, `http_status`, `response_size_bytes`.
- Task / Agent: `subagent_type`, `agent_result` ("success" for a completed sub-agent, "failure" for
  a failed call; none for one launched in the background), `tokens_consumed`.
- NotebookEdit: `file_path` (the notebook), so that an edit of a notebook ends a repeated read of it
  (`tooltrack.core.redundancy`) however the call was captured.
- Every other input (TodoWrite, WebSearch, Skill, `mcp__server__tool`, unknown tools, and the
  inputs of the tools above without a field of their own, e.g. Bash's `description`) stays in
  `parameters`, bounded (`bounded_parameters`), with content replaced by its size: see
  `CONTENT_KEYS`, the one rule for that.

Light enough for the hook, which imports this on every tool call: standard library only, no regular
expression, no dataclasses (importing them costs a few ms), nothing from `tooltrack.core.redaction`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from tooltrack.core.bounds import ERROR_MESSAGE_LIMIT, INT64_MAX, MAX_DURATION_MS, MAX_NAME, MAX_TEXT, bound_error
from tooltrack.core.storable import storable_text

# The tools that start a sub-agent (Task, Agent): their calls map alike, and a sidechain's calls are
# linked to them (`tooltrack.ingest.claude`).
from tooltrack.core.subagents import SUBAGENT_TOOLS

if TYPE_CHECKING:
    from datetime import datetime

#: Inputs that are content, not parameters, in any tool's input and at any depth: file contents
#: (Write's and MCP file tools' `content`, `file_text`), notebook sources (NotebookEdit's
#: `new_source`), edit strings (`old_string`/`new_string`, `old_str`/`new_str`, MultiEdit's and MCP
#: edit tools' `edits`, `patch`, `diff`), todo texts (TodoWrite's `todos`), prompts (Task's and
#: WebFetch's `prompt`), message and request bodies (`body`, `text`). Such a value is never kept
#: as text: it is replaced by its size (`content_size`), e.g. `{"content": {"bytes": 123}}`,
#: `{"todos": {"items": 4}}`. A tool's own size field takes the place of its content where the model
#: has one (Write's `bytes_written`, Edit's `old_string_length`), and the content is then left out.
CONTENT_KEYS: Final = frozenset(
    {
        "content",
        "file_text",
        "new_source",
        "old_string",
        "new_string",
        "old_str",
        "new_str",
        "edits",
        "patch",
        "diff",
        "todos",
        "prompt",
        "body",
        "text",
    }
)
#: Longest string kept in `parameters`, and the most their JSON may take (then only a short prefix
#: of each value is kept): their shape matters, not their bulk.
PARAMETER_TEXT_LIMIT: Final = 2_000
MAX_PARAMETERS_JSON: Final = 8_000
_PARAMETER_ITEMS: Final = 50
_PARAMETER_DEPTH: Final = 4
_SHORT_VALUE: Final = 120

_TOOL_ERROR_TAGS: Final = ("<tool_use_error>", "</tool_use_error>")
_SIBLING: Final = "Sibling tool call errored"
_REJECTED: Final = ("The user doesn't want to proceed with this tool use", "User rejected tool use")
_INTERRUPTED: Final = ("Interrupted by user", "[Request interrupted by user")
#: Grep options that add context lines to its content output (then its lines are not all matches).
_GREP_CONTEXT: Final = ("-A", "-B", "-C", "context")


class ToolResult:
    """What a source knows about a call's result.

    `text`: the result text (a `tool_result`'s content, a hook's `error`); `is_error`; `detail`:
    Claude Code's structured result (`toolUseResult`, `tool_use_result`, a hook's `tool_response`),
    a dict, a list or a string; `size_bytes`: the result text's size, where the source says;
    `interrupted`: the source says the user interrupted the call (a hook's `is_interrupt`).
    """

    # A plain class, not a dataclass: importing dataclasses would cost the hook a few ms a call.
    __slots__ = ("detail", "interrupted", "is_error", "size_bytes", "text")

    def __init__(
        self,
        text: str | None = None,
        is_error: bool | None = None,
        detail: Any = None,
        size_bytes: int | None = None,
        interrupted: bool = False,
    ) -> None:
        self.text = text
        self.is_error = is_error
        self.detail = detail
        self.size_bytes = size_bytes
        self.interrupted = interrupted

    def _key(self) -> tuple[Any, ...]:
        return (self.text, self.is_error, self.detail, self.size_bytes, self.interrupted)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ToolResult):
            return NotImplemented
        return self._key() == other._key()

    def __repr__(self) -> str:
        return f"ToolResult(text={self.text!r}, is_error={self.is_error!r}, detail={self.detail!r})"


# -- small readers ------------------------------------------------------------------------------


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


def count(value: Any) -> int | None:
    """A non-negative count within 64 bits (an int, a float, a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        # NaN fails both comparisons; infinity fails the bound.
        value = int(value) if 0 <= value <= INT64_MAX else None
    elif isinstance(value, str):
        value = int(value) if value.isascii() and value.isdigit() else None
    return value if isinstance(value, int) and 0 <= value <= INT64_MAX else None


def line_count(text: Any) -> int | None:
    """Lines of output in `text`: "a\\nb\\n" and "a\\nb" are 2, "" is 0 (as `str.splitlines`, on "\\n")."""
    if not isinstance(text, str):
        return None
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def byte_size(text: Any) -> int | None:
    """UTF-8 bytes of `text` (a lone surrogate counts as the 3 bytes it takes), None for a non-string."""
    if not isinstance(text, str):
        return None
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def exit_code_of(text: Any) -> int | None:
    """The exit code at the start of a failed Bash call's text ("Exit code 1\\n...", "Error: Exit code 1")."""
    if not isinstance(text, str):
        return None
    rest = text.lstrip()
    rest = rest.removeprefix("Error: ")
    if not rest.startswith("Exit code "):
        return None
    rest = rest[len("Exit code ") :]
    sign = -1 if rest.startswith("-") else 1
    digits = rest[1:] if sign < 0 else rest
    end = 0
    while end < len(digits) and end < 20 and "0" <= digits[end] <= "9":
        end += 1
    if end == 0:
        return None
    code = sign * int(digits[:end])
    return code if -INT64_MAX - 1 <= code <= INT64_MAX else None


def error_text(text: Any) -> str | None:
    """A failed call's error text as stored: without Claude Code's `<tool_use_error>` tags, bounded."""
    if not isinstance(text, str):
        return None
    for tag in _TOOL_ERROR_TAGS:
        text = text.replace(tag, "")
    text = text.strip()
    return storable_text(bound_error(text, ERROR_MESSAGE_LIMIT)) if text else None


def _storable(text: str, limit: int) -> str:
    """`storable_text`, with the common case (short ASCII without NUL) answered inline: ingest maps
    every call, and the call chain costs more than the check."""
    if len(text) <= limit and text.isascii() and "\x00" not in text:
        return text
    return storable_text(text, limit)


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    return _storable(value, limit) if isinstance(value, str) else None


# -- parameters -----------------------------------------------------------------------------------


def _json_size(value: Any) -> int:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8", "surrogatepass"))


def content_size(value: Any) -> Any:
    """What `parameters` keep of a content value (`CONTENT_KEYS`): its size, never its text.

    A string: its UTF-8 bytes, `{"bytes": n}`; a list: its items, `{"items": n}`; an object: the
    UTF-8 bytes of its compact JSON, `{"bytes": n}`; a number, a boolean or null as it is.
    """
    if isinstance(value, str):
        return {"bytes": byte_size(value)}
    if isinstance(value, list | tuple):
        return {"items": len(value)}
    if value is None or isinstance(value, bool | int | float):
        return shape(value)
    return {"bytes": _json_size(value)}


#: Upper bounds of the compact JSON of a shaped value, in UTF-8 bytes: a character takes at most 6
#: (an escape such as \u0001), a number at most 26, a size (`content_size`) at most 40.
_CHAR_BOUND: Final = 6
_SCALAR_BOUND: Final = 26
_SIZE_BOUND: Final = 40


def _shape(value: Any, depth: int, bound: list[int]) -> Any:
    """`shape`, adding to `bound[0]` an upper bound of the result's JSON size as it goes."""
    if isinstance(value, str):
        # `_storable` inline: this runs for every string of every call's input.
        if len(value) > PARAMETER_TEXT_LIMIT or not value.isascii() or "\x00" in value:
            value = storable_text(value, PARAMETER_TEXT_LIMIT)
        bound[0] += _CHAR_BOUND * len(value) + 2
        return value
    if value is None or isinstance(value, bool):
        bound[0] += _SCALAR_BOUND
        return value
    if isinstance(value, int):
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            # Beyond what the models and orjson store: a float, as orjson reads such a number
            # (so ingest and the hook, which reads its event with `json`, keep the same value).
            try:
                return _shape(float(value), depth, bound)
            except OverflowError:
                return _shape(str(value), depth, bound)
        bound[0] += _SCALAR_BOUND
        return value
    if isinstance(value, float):
        if value == value and abs(value) != float("inf"):  # JSON has no NaN or Infinity
            bound[0] += _SCALAR_BOUND
            return value
        return _shape(str(value), depth, bound)
    if depth >= _PARAMETER_DEPTH:
        bound[0] += _SIZE_BOUND
        return content_size(value)  # too deep to keep: its size, as for content
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        bound[0] += 2
        items = value.items() if len(value) <= _PARAMETER_ITEMS else list(value.items())[:_PARAMETER_ITEMS]
        for key, item in items:
            if type(key) is str and len(key) <= MAX_NAME and key.isascii() and "\x00" not in key:
                name = key
            else:
                name = storable_text(str(key), MAX_NAME)
            bound[0] += _CHAR_BOUND * len(name) + 4
            if name in CONTENT_KEYS:
                bound[0] += _SIZE_BOUND
                kept[name] = content_size(item)
            else:
                kept[name] = _shape(item, depth + 1, bound)
        return kept
    if isinstance(value, list | tuple):
        bound[0] += 2 + len(value[:_PARAMETER_ITEMS])
        return [_shape(item, depth + 1, bound) for item in value[:_PARAMETER_ITEMS]]
    return _shape(str(value), depth, bound)


def shape(value: Any, depth: int = 0) -> Any:
    """A bounded, storable copy of an input value: strings cut, a few items, a few levels, content sized,
    numbers as the models take them (an integer beyond 64 bits as a float, NaN as text)."""
    return _shape(value, depth, [0])


def bounded_parameters(tool_input: Any) -> dict[str, Any] | None:
    """A tool's input as `parameters`: content sized (`CONTENT_KEYS`), strings at most 2 000 characters,
    the whole at most `MAX_PARAMETERS_JSON` as JSON (beyond, a short prefix of each value's JSON)."""
    if not isinstance(tool_input, dict) or not tool_input:
        return None
    bound = [0]
    params: dict[str, Any] = _shape(tool_input, 0, bound)
    # Serialising to measure costs more than the mapping itself: only when the bound says it may be over.
    if bound[0] > MAX_PARAMETERS_JSON and _json_size(params) > MAX_PARAMETERS_JSON:
        params = {k: storable_text(json.dumps(v, default=str), _SHORT_VALUE) for k, v in params.items()}
    return params


# -- outcome --------------------------------------------------------------------------------------


def result_outcome(result: ToolResult | None) -> str:
    """ok / error / cancelled (a parallel sibling failed) / rejected (by the user) / interrupted.

    No result at all is an interrupted call, and so is one the source says the user interrupted.
    A result that is not marked as an error still failed when its detail says `success: false`,
    and was interrupted when it says `interrupted: true` (a Bash command stopped by the user or
    its timeout).
    """
    if result is None or result.interrupted:
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
    if isinstance(result.detail, dict):
        if result.detail.get("interrupted") is True:
            return "interrupted"
        if result.detail.get("success") is False:
            return "error"
    return "ok"


def tool_reported_duration_ms(detail: Any) -> int | None:
    """The duration a tool reports about itself (Glob, WebFetch: durationMs; Task; WebSearch)."""
    if not isinstance(detail, dict):
        return None
    # A figure beyond the models' bound is not a duration: left out rather than losing the call.
    for key in ("durationMs", "totalDurationMs"):
        value = count(detail.get(key))
        if value is not None and value <= MAX_DURATION_MS:
            return value
    seconds = detail.get("durationSeconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 <= seconds <= MAX_DURATION_MS / 1000:
        return round(seconds * 1000)
    return None


# -- the mapping ----------------------------------------------------------------------------------


def _edits_of(name: str, args: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The (old, new) edits of an Edit (itself) or MultiEdit (its `edits`), None when there are none."""
    if name == "Edit":
        return [args]
    edits = args.get("edits")
    return [e for e in edits if isinstance(e, dict)] if isinstance(edits, list) else None


#: Text inputs that are record fields, per tool: (field, input key, longest text kept).
_TEXT_INPUTS: Final[dict[str, tuple[tuple[str, str, int], ...]]] = {
    "Bash": (("command", "command", MAX_TEXT),),
    "Read": (("file_path", "file_path", MAX_TEXT),),
    "Write": (("file_path", "file_path", MAX_TEXT),),
    "Edit": (("file_path", "file_path", MAX_TEXT),),
    "MultiEdit": (("file_path", "file_path", MAX_TEXT),),
    "Grep": (("pattern", "pattern", MAX_TEXT), ("file_path", "path", MAX_TEXT)),
    "Glob": (("pattern", "pattern", MAX_TEXT), ("file_path", "path", MAX_TEXT)),
    "WebFetch": (("url", "url", MAX_TEXT),),
    "NotebookEdit": (("file_path", "notebook_path", MAX_TEXT),),
    **{tool: (("subagent_type", "subagent_type", MAX_NAME),) for tool in SUBAGENT_TOOLS},
}
#: Count and flag inputs that are record fields of the same name, per tool.
_COUNT_INPUTS: Final = {"Read": ("offset", "limit")}
_FLAG_INPUTS: Final = {"Edit": ("replace_all",), "MultiEdit": ("replace_all",)}


def tool_input_fields(name: str, tool_input: Any) -> dict[str, Any]:
    """The record fields that come from a call's input alone (what PreToolUse knows).

    An input of the wrong type for its field gets no field and stays in `parameters`, with every
    input that has no field of its own.
    """
    args: dict[str, Any] = tool_input if isinstance(tool_input, dict) else {}
    fields: dict[str, Any] = {}
    used: set[str] = set()
    for field, key, limit in _TEXT_INPUTS.get(name, ()):
        value = args.get(key)
        if isinstance(value, str):
            fields[field] = _storable(value, limit)
            used.add(key)
    for key in _COUNT_INPUTS.get(name, ()):
        number = count(args.get(key))
        if number is not None:
            fields[key] = number
            used.add(key)
    for key in _FLAG_INPUTS.get(name, ()):
        if isinstance(args.get(key), bool):
            fields[key] = args[key]
            used.add(key)
    if name == "Write" and isinstance(args.get("content"), str):
        fields["bytes_written"] = byte_size(args["content"])
        used.add("content")
    elif name in ("Edit", "MultiEdit") and (edits := _edits_of(name, args)) is not None:
        for field, key in (("old_string_length", "old_string"), ("new_string_length", "new_string")):
            lengths = [len(e[key]) for e in edits if isinstance(e.get(key), str)]
            if lengths:
                fields[field] = sum(lengths)
        if name == "Edit":  # MultiEdit's `edits` stay in parameters, as their count
            used.update(key for key in ("old_string", "new_string") if isinstance(args.get(key), str))
    rest = bounded_parameters({k: v for k, v in args.items() if k not in used} if used else args)
    if rest:
        fields["parameters"] = rest
    return fields


def _patch_lines_changed(patch: Any) -> int | None:
    """Lines changed by a structured patch: per hunk, the larger of lines added and removed."""
    if not isinstance(patch, list):
        return None
    changed = 0
    for hunk in patch:
        lines = hunk.get("lines") if isinstance(hunk, dict) else None
        if isinstance(lines, list):
            added = sum(1 for line in lines if isinstance(line, str) and line.startswith("+"))
            removed = sum(1 for line in lines if isinstance(line, str) and line.startswith("-"))
            changed += max(added, removed)
    return changed


def _edit_lines_changed(edits: list[dict[str, Any]]) -> int:
    """Lines changed by edits, from their strings alone: per edit the larger of old and new lines."""
    total = 0
    for edit in edits:
        old, new = line_count(edit.get("old_string")), line_count(edit.get("new_string"))
        total += max(old or 0, new or 0)
    return total


def tool_result_fields(
    name: str, tool_input: Any, result: ToolResult | None, outcome: str | None = None
) -> dict[str, Any]:
    """The record fields that come from a call's result (what PostToolUse knows); {} without one.

    `outcome` is `result_outcome(result)`, when the caller has it already.
    """
    if result is None:
        return {}
    args: dict[str, Any] = tool_input if isinstance(tool_input, dict) else {}
    detail = result.detail
    info: dict[str, Any] = detail if isinstance(detail, dict) else {}
    text = result.text if result.text is not None else (detail if isinstance(detail, str) else None)
    outcome = outcome or result_outcome(result)
    fields: dict[str, Any] = {}

    def put(field: str, value: Any) -> None:
        if value is not None:
            fields[field] = value

    if name == "Bash":
        if isinstance(info.get("stdout"), str) or isinstance(info.get("stderr"), str):
            put("stdout_lines", line_count(info.get("stdout")))
            put("stderr_lines", line_count(info.get("stderr")))
        elif outcome == "ok" and not info and text is not None:
            put("stdout_lines", line_count(text))  # an older result: only the output's text
        background = args.get("run_in_background") is True or bool(info.get("backgroundTaskId"))
        if outcome == "ok":
            if not background:
                fields["exit_code"] = 0
        elif outcome != "interrupted":
            put("exit_code", exit_code_of(text))
    elif name == "Read":
        file: dict[str, Any] = info["file"] if isinstance(info.get("file"), dict) else {}
        put("lines_read", count(file.get("numLines")))
        put("file_size_bytes", byte_size(file.get("content")))
    elif name == "Write":
        if info.get("type") in ("create", "update"):
            fields["created_new_file"] = info["type"] == "create"
        elif outcome == "ok" and text:
            if "created successfully" in text:
                fields["created_new_file"] = True
            elif "updated" in text:
                fields["created_new_file"] = False
    elif name in ("Edit", "MultiEdit"):
        if outcome == "ok":
            changed = _patch_lines_changed(info.get("structuredPatch"))
            if changed is None and (edits := _edits_of(name, args)) is not None:
                changed = _edit_lines_changed(edits)
            put("lines_changed", changed)
    elif name in ("Grep", "Glob"):
        content_mode = info.get("mode") == "content"
        if not content_mode:  # content mode reports numFiles 0 whatever it found
            put("files_matched", count(info.get("numFiles")))
        matches = count(info.get("numMatches"))
        # Content mode's lines are its matching lines (as `grep -c` counts), unless context lines
        # were asked for or a limit cut the output.
        exact_lines = not any(args.get(option) for option in _GREP_CONTEXT) and info.get("appliedLimit") is None
        if matches is None and content_mode and exact_lines:
            matches = count(info.get("numLines"))
        put("total_matches", matches)
    elif name == "WebFetch":
        status = count(info.get("code"))
        if status is not None and 100 <= status <= 599:
            fields["http_status"] = status
        put("response_size_bytes", count(info.get("bytes")))
    elif name in SUBAGENT_TOOLS:
        status = info.get("status")
        if outcome == "error":
            fields["agent_result"] = "failure"
        elif outcome == "ok" and status in (None, "completed"):
            # Any other status (async_launched: the sub-agent runs on in the background) says
            # nothing yet of how it went.
            fields["agent_result"] = "success"
        put("tokens_consumed", count(info.get("totalTokens")))
    return fields


def tool_fields(name: str, tool_input: Any, result: ToolResult | None, outcome: str | None = None) -> dict[str, Any]:
    """The tool-specific `ToolCallRecord` fields of one call (without outcome, timing and provenance)."""
    fields = tool_input_fields(name, tool_input)
    fields.update(tool_result_fields(name, tool_input, result, outcome))
    return fields


def error_message_of(result: ToolResult | None, outcome: str) -> str | None:
    """The error text of a call that failed with an error result, without Claude Code's tags, bounded.

    A result that is not an error (one whose detail says `success: false` or `interrupted`) has
    no error text: its text is the tool's output, which is never stored.
    """
    if result is None or outcome == "ok" or not result.is_error:
        return None
    return error_text(result.text or (result.detail if isinstance(result.detail, str) else ""))


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
    record.update(tool_fields(name, tool_input, result, outcome))
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
