"""One mapping of Claude Code's tool calls: the live hook and ingest build the same record of a call.

The same call reaches tooltrack three ways: the live hook (`python -m tooltrack.capture.hook`, here
its `main` run in process on each event, then a SessionEnd), a saved hook log (`tooltrack.ingest.
hooks`), and a transcript or stream-json file (`tooltrack.ingest.claude`), where the line's
`toolUseResult` is what the hook's `tool_response` holds. Each test builds the record every way it
can and compares them field by field:

- a table per tool with the fields written out (literal expectations), every record validated by
  `ToolCallRecord`;
- every real hook payload and every tool call of the real transcripts and stream-json files in
  `tests/fixtures`, the hook's events made from the transcript's own lines;
- what the analytics need of it: a NotebookEdit captured by the hook ends a repeated read.

`SOURCE_ONLY` names the fields one source has and the other has not (timing, provenance); `GAPS`
the two differences that live in `tooltrack/capture/hook.py`, which takes them from the event
itself rather than from the shared mapping.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.paths import ROOT
from tests.helpers.processes import subprocess_env
from tooltrack.capture.hook import main as run_hook
from tooltrack.capture.spool import Spool, hook_log_path
from tooltrack.core.redundancy import find_in_log
from tooltrack.ingest import hooks, stream_json, transcript
from tooltrack.ingest.items import IngestOptions, LogPart
from tooltrack.ingest.lines import Line, LineReader
from tooltrack.ingest.report import RejectedLine
from tooltrack.models import TaskLogCreate, ToolCallRecord

SESSION = "one-mapping-session"

#: Fields that only one of the two sources can know, so they are not compared.
SOURCE_ONLY = {
    "timestamp": "the hook's own clock; a transcript line's time; hook payloads carry none",
    "duration_ms": "the payload's duration_ms or the hook's Pre..Post; a transcript's timestamps or the tool's timing",
    "duration_source": "goes with duration_ms",
    "turn_id": "a transcript's assistant message id; the hook's overlapping Pre..Post spans",
    "parent_call_id": "a transcript links a sidechain's calls to their Task; hook events do not say",
    "context_size_before": "a transcript's request usage; hook events have none",
    "call_id": "hook payloads without tool_use_id: the live hook stores none, ingest a content hash",
    # Cost comes from the model turns' usage, which a transcript has and hook events have not.
    "model": "a transcript's assistant message names its model; hook events do not",
    **dict.fromkeys(
        ("cost_usd", "cost_issuing_usd", "cost_result_usd", "cost_rent_usd", "cost_subagent_usd", "cost_tokens"),
        "attributed from a transcript's usage (docs/analytics.md); hook events carry no usage",
    ),
}
#: Known differences that `tooltrack/capture/hook.py` makes itself (it is outside the mapping).
GAPS = {
    "error_message": "hook.py stores PostToolUseFailure's `error` as it came (tags and all, 20 000 characters); "
    "the mapping's error_text removes <tool_use_error> tags and bounds it to 2 000",
    "outcome": "hook.py makes every PostToolUseFailure 'error' (or 'interrupted'): a cancelled sibling or a "
    "user's rejection, which result_outcome tells apart, is 'error' there",
}
#: The inputs that carry content (the mapping keeps their size, never their text).
CONTENT = {"content", "new_source", "old_string", "new_string", "edits", "todos", "prompt", "body", "text"}


# -- the hook, run as Claude Code runs it (in process) -----------------------------------------------


@dataclass
class Call:
    """One tool call as a hook sees it: its input, then a PostToolUse, a PostToolUseFailure or nothing."""

    call_id: str
    tool: str
    tool_input: Any
    response: Any = None
    error: str | None = None
    is_interrupt: bool = False
    answered: bool = True
    duration_ms: int | None = None


def hook_events(call: Call) -> list[dict[str, Any]]:
    base = {"session_id": SESSION, "tool_name": call.tool, "tool_input": call.tool_input, "tool_use_id": call.call_id}
    events = [{**base, "hook_event_name": "PreToolUse"}]
    if not call.answered:
        return events
    if call.error is not None:
        post = {**base, "hook_event_name": "PostToolUseFailure", "error": call.error, "is_interrupt": call.is_interrupt}
    else:
        post = {**base, "hook_event_name": "PostToolUse", "tool_response": call.response}
    if call.duration_ms is not None:
        post["duration_ms"] = call.duration_ms
    return [*events, post]


def live_hook(calls: list[Call]) -> dict[str, ToolCallRecord]:
    """The records the hook stores for `calls` (Pre and Post of each in turn, then SessionEnd)."""
    spool = Spool()  # TOOLTRACK_SPOOL: this test's own (tests/capture/conftest.py)
    events = [event for call in calls for event in hook_events(call)]
    for event in [*events, {"session_id": SESSION, "hook_event_name": "SessionEnd"}]:
        assert run_hook(io.BytesIO(json.dumps(event).encode()), env={}) == 0
    errors = hook_log_path(spool.path)
    assert not errors.exists() or not errors.read_text(), errors.read_text()  # the hook swallows its errors
    records = {}
    for line in spool.path.read_text().splitlines():
        for record in TaskLogCreate.model_validate(json.loads(line)).tool_calls:
            records[record.call_id or ""] = record
    return records


# -- ingest -------------------------------------------------------------------------------------------


def _lines(data: bytes) -> Iterator[Line]:
    return iter(LineReader(io.BytesIO(data)))


def ingested(parse: Any, data: bytes) -> dict[str, ToolCallRecord]:
    """The records an ingest parser makes of `data` (none of its lines may be refused)."""
    records = {}
    for item in parse(_lines(data), IngestOptions()):
        # A fixture's malformed lines are refused as they should be; a refused call or log is not.
        refused_record = isinstance(item, RejectedLine) and item.reason.startswith(
            ("tool call", "hook payload", "session")
        )
        assert not refused_record, item
        if isinstance(item, LogPart):
            for record in item.log.tool_calls:
                records[record.call_id or ""] = record
    return records


def stream_of(calls: list[Call]) -> bytes:
    """Stream-json lines for `calls`: a tool_use each, and its tool_result with `tool_use_result`."""
    lines = []
    for n, call in enumerate(calls):
        use = {"type": "tool_use", "id": call.call_id, "name": call.tool, "input": call.tool_input}
        message = {"id": f"msg_{n}", "role": "assistant", "content": [use]}
        lines.append({"type": "assistant", "message": message, "session_id": SESSION})
        if not call.answered:
            continue
        failed = call.error is not None
        text = call.error if failed else (call.response if isinstance(call.response, str) else "(output)")
        result = {"type": "tool_result", "tool_use_id": call.call_id, "content": text, "is_error": failed}
        detail = f"Error: {call.error}" if failed else call.response
        user = {"role": "user", "content": [result]}
        lines.append({"type": "user", "message": user, "tool_use_result": detail, "session_id": SESSION})
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def hook_log_of(calls: list[Call]) -> bytes:
    """A saved hook log of `calls`: their PostToolUse / PostToolUseFailure payloads, one a line."""
    posts = [hook_events(call)[-1] for call in calls if call.answered]
    return b"".join(json.dumps(post).encode() + b"\n" for post in posts)


# -- comparing ----------------------------------------------------------------------------------------


def clean_error(text: str | None) -> str | None:
    """The shared rule for an error message (what ingest stores), applied to what hook.py stored."""
    if text is None:
        return None
    for tag in ("<tool_use_error>", "</tool_use_error>"):
        text = text.replace(tag, "")
    return text.strip()[:2000] or None


def compare(hook: ToolCallRecord, ingest: ToolCallRecord, *, also_skip: tuple[str, ...] = ()) -> None:
    """Assert the two records equal, field by field, but for `SOURCE_ONLY`, `GAPS` (checked as
    documented) and `also_skip`."""
    left, right = hook.model_dump(exclude_none=True), ingest.model_dump(exclude_none=True)
    skip = {*SOURCE_ONLY, *GAPS, *also_skip}
    for name in sorted((set(left) | set(right)) - skip):
        assert left.get(name) == right.get(name), f"{hook.tool_name} {hook.call_id}: {name}"
    if "outcome" not in also_skip:
        cancelled_or_rejected = right.get("outcome") in ("cancelled", "rejected") and left.get("outcome") == "error"
        assert left.get("outcome") == right.get("outcome") or cancelled_or_rejected, (hook.call_id, GAPS["outcome"])
    if "error_message" not in also_skip:
        assert clean_error(hook.error_message) == ingest.error_message, (hook.call_id, GAPS["error_message"])


def content_kept_as_text(value: Any) -> list[str]:
    """The content keys in `value` (at any depth) that still hold text."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CONTENT and isinstance(item, str | list):
                found.append(key)
            found += content_kept_as_text(item)
    elif isinstance(value, list):
        for item in value:
            found += content_kept_as_text(item)
    return found


# -- the table: each tool, its fields written out -------------------------------------------------------


@dataclass
class Case:
    tool: str
    tool_input: dict[str, Any]
    response: Any = None
    error: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    outcome: str = "ok"
    error_message: str | None = None
    is_interrupt: bool = False


CASES = {
    "bash": Case(
        "Bash",
        {"command": "ls docs", "description": "List the docs", "timeout": 120000},
        {"stdout": "a.md\nb.md\n", "stderr": "", "interrupted": False, "isImage": False},
        fields={
            "command": "ls docs",
            "exit_code": 0,
            "stdout_lines": 2,  # "a\nb\n" is two lines of output
            "stderr_lines": 0,
            "parameters": {"description": "List the docs", "timeout": 120000},
        },
    ),
    "bash-unterminated-last-line": Case(
        "Bash",
        {"command": "make"},
        {"stdout": "a\nb", "stderr": "warning\n", "interrupted": False},
        fields={"command": "make", "exit_code": 0, "stdout_lines": 2, "stderr_lines": 1},
    ),
    "bash-background": Case(
        "Bash",
        {"command": "mix phx.server", "run_in_background": True},
        {"stdout": "", "stderr": "", "interrupted": False, "backgroundTaskId": "bae407b"},
        fields={
            "command": "mix phx.server",
            "stdout_lines": 0,
            "stderr_lines": 0,
            "parameters": {"run_in_background": True},
        },
    ),
    "bash-interrupted": Case(
        "Bash",
        {"command": "sleep 100"},
        {"stdout": "", "stderr": "", "interrupted": True},
        fields={"command": "sleep 100", "stdout_lines": 0, "stderr_lines": 0},
        outcome="interrupted",
    ),
    "bash-failed": Case(
        "Bash",
        {"command": "npm test"},
        error="Exit code 1\nError: Cannot find module 'express'",
        fields={"command": "npm test", "exit_code": 1},
        outcome="error",
        error_message="Exit code 1\nError: Cannot find module 'express'",
    ),
    "bash-exit-code-only-at-the-start": Case(
        "Bash",
        {"command": "./check"},
        error="check failed\nExit code 3 was printed by a child",
        fields={"command": "./check"},
        outcome="error",
        error_message="check failed\nExit code 3 was printed by a child",
    ),
    "bash-interrupted-by-the-user": Case(
        "Bash",
        {"command": "npm run dev"},
        error="[Request interrupted by user for tool use]",
        fields={"command": "npm run dev"},
        outcome="interrupted",
        error_message="[Request interrupted by user for tool use]",
        is_interrupt=True,
    ),
    "read": Case(
        "Read",
        {"file_path": "/src/a.py", "offset": 10, "limit": 2},
        {
            "type": "text",
            "file": {
                "filePath": "/src/a.py",
                "content": "é = 1\nb = 2\n",
                "numLines": 2,
                "startLine": 10,
                "totalLines": 40,
            },
        },
        fields={"file_path": "/src/a.py", "offset": 10, "limit": 2, "lines_read": 2, "file_size_bytes": 13},
    ),
    "write": Case(
        "Write",
        {"file_path": "/n.txt", "content": "héllo\n"},
        {"type": "create", "filePath": "/n.txt", "content": "héllo\n", "structuredPatch": []},
        fields={"file_path": "/n.txt", "bytes_written": 7, "created_new_file": True},
    ),
    "edit": Case(
        "Edit",
        {"file_path": "a.py", "old_string": "x = 1\n", "new_string": "x = 2\ny = 3\n", "replace_all": False},
        {
            "filePath": "a.py",
            "oldString": "x = 1\n",
            "newString": "x = 2\ny = 3\n",
            "structuredPatch": [
                {"oldStart": 1, "oldLines": 1, "newStart": 1, "newLines": 2, "lines": ["-x = 1", "+x = 2", "+y = 3"]}
            ],
            "userModified": False,
            "replaceAll": False,
        },
        # One line replaced and one added: 2 lines changed (per hunk, the larger of added and removed).
        fields={
            "file_path": "a.py",
            "old_string_length": 6,
            "new_string_length": 12,
            "replace_all": False,
            "lines_changed": 2,
        },
    ),
    "edit-failed": Case(
        "Edit",
        {"file_path": "a.py", "old_string": "x = 1\n", "new_string": "x = 2\n"},
        error="<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>",
        fields={"file_path": "a.py", "old_string_length": 6, "new_string_length": 6},  # it changed nothing
        outcome="error",
        error_message="File has not been read yet. Read it first before writing to it.",
    ),
    "multiedit": Case(
        "MultiEdit",
        {
            "file_path": "m.py",
            "edits": [
                {"old_string": "a", "new_string": "b"},
                {"old_string": "c\n", "new_string": "d\ne\n", "replace_all": True},
            ],
        },
        {"filePath": "m.py", "structuredPatch": [{"oldStart": 1, "lines": ["-a", "-c", "+b", "+d", "+e"]}]},
        fields={
            "file_path": "m.py",
            "old_string_length": 3,
            "new_string_length": 5,
            "lines_changed": 3,
            "parameters": {"edits": {"items": 2}},
        },
    ),
    "grep-count": Case(
        "Grep",
        {"pattern": "TODO", "path": "src", "output_mode": "count"},
        {"mode": "count", "numFiles": 4, "filenames": [], "content": "src/a.py:5", "numMatches": 9},
        fields={
            "pattern": "TODO",
            "file_path": "src",
            "files_matched": 4,
            "total_matches": 9,
            "parameters": {"output_mode": "count"},
        },
    ),
    "grep-content": Case(
        "Grep",
        {"pattern": "port|http:", "glob": "config/dev.exs", "output_mode": "content"},
        {"mode": "content", "numFiles": 0, "filenames": [], "content": "1:a\n13:b\n27:c", "numLines": 3},
        # Content mode reports numFiles 0 whatever it found: not a figure to store.
        fields={
            "pattern": "port|http:",
            "total_matches": 3,
            "parameters": {"glob": "config/dev.exs", "output_mode": "content"},
        },
    ),
    "grep-content-with-context": Case(
        "Grep",
        {"pattern": "def ", "output_mode": "content", "-C": 2},
        {"mode": "content", "numFiles": 0, "filenames": [], "content": "...", "numLines": 15},
        fields={"pattern": "def ", "parameters": {"output_mode": "content", "-C": 2}},  # lines are not matches
    ),
    "grep-files": Case(
        "Grep",
        {"pattern": "data-border-color", "output_mode": "files_with_matches"},
        {"mode": "files_with_matches", "numFiles": 2, "filenames": ["a.css", "b.css"]},
        fields={
            "pattern": "data-border-color",
            "files_matched": 2,
            "parameters": {"output_mode": "files_with_matches"},
        },
    ),
    "glob": Case(
        "Glob",
        {"pattern": "**/*.md", "path": "./.claude/commands"},
        {"filenames": [], "durationMs": 4, "numFiles": 0, "truncated": False},
        fields={"pattern": "**/*.md", "file_path": "./.claude/commands", "files_matched": 0},
    ),
    "webfetch": Case(
        "WebFetch",
        {"url": "https://example.com/a", "prompt": "Summarise"},
        {"bytes": 5120, "code": 200, "codeText": "OK", "result": "A summary.", "durationMs": 300},
        fields={
            "url": "https://example.com/a",
            "http_status": 200,
            "response_size_bytes": 5120,
            "parameters": {"prompt": {"bytes": 9}},
        },
    ),
    "websearch": Case(
        "WebSearch",
        {"query": "xterm.js scroll", "allowed_domains": ["github.com"]},
        {"query": "xterm.js scroll", "results": [{"title": "t", "url": "u"}], "durationSeconds": 2.5},
        fields={"parameters": {"query": "xterm.js scroll", "allowed_domains": ["github.com"]}},
    ),
    "task": Case(
        "Task",
        {"subagent_type": "Explore", "description": "Find the config", "prompt": "Look around é"},
        {
            "status": "completed",
            "agentId": "a1",
            "content": [{"type": "text", "text": "found it"}],
            "totalDurationMs": 5000,
            "totalTokens": 1234,
            "totalToolUseCount": 3,
        },
        fields={
            "subagent_type": "Explore",
            "agent_result": "success",
            "tokens_consumed": 1234,
            "parameters": {"description": "Find the config", "prompt": {"bytes": 14}},
        },
    ),
    "agent-in-the-background": Case(
        "Agent",
        {"subagent_type": "general-purpose", "description": "Watch CI", "prompt": "watch", "run_in_background": True},
        {"status": "async_launched", "agentId": "a2", "description": "Watch CI", "prompt": "watch"},
        # Launched, not finished: how it went is not known yet.
        fields={
            "subagent_type": "general-purpose",
            "parameters": {"description": "Watch CI", "prompt": {"bytes": 5}, "run_in_background": True},
        },
    ),
    "task-failed": Case(
        "Task",
        {"subagent_type": "general-purpose", "description": "Analyze"},
        error="<tool_use_error>InputValidationError: The required parameter `prompt` is missing</tool_use_error>",
        fields={
            "subagent_type": "general-purpose",
            "agent_result": "failure",
            "parameters": {"description": "Analyze"},
        },
        outcome="error",
        error_message="InputValidationError: The required parameter `prompt` is missing",
    ),
    "notebookedit": Case(
        "NotebookEdit",
        {
            "notebook_path": "/nb/a.ipynb",
            "cell_id": "c1",
            "new_source": "print(1)\n",
            "cell_type": "code",
            "edit_mode": "replace",
        },
        {
            "new_source": "print(1)\n",
            "cell_id": "c1",
            "cell_type": "code",
            "language": "python",
            "edit_mode": "replace",
        },
        fields={
            "file_path": "/nb/a.ipynb",
            "parameters": {"cell_id": "c1", "new_source": {"bytes": 9}, "cell_type": "code", "edit_mode": "replace"},
        },
    ),
    "todowrite": Case(
        "TodoWrite",
        {
            "todos": [
                {"content": "write tests", "status": "in_progress", "activeForm": "Writing tests"},
                {"content": "ship", "status": "pending", "activeForm": "Shipping"},
            ]
        },
        {"oldTodos": [], "newTodos": []},
        fields={"parameters": {"todos": {"items": 2}}},
    ),
    "mcp-body": Case(
        "mcp__github__create_issue",
        {"owner": "acme", "repo": "app", "title": "Crash on start", "body": "Steps:\n1. run"},
        [{"type": "text", "text": '{"number": 7}'}],
        fields={"parameters": {"owner": "acme", "repo": "app", "title": "Crash on start", "body": {"bytes": 13}}},
    ),
    "mcp-nested-content": Case(
        "mcp__github__push_files",
        {
            "repo": "app",
            "message": "Add files",
            "files": [{"path": "a.txt", "content": "hello"}, {"path": "b", "content": "hi"}],
        },
        "done",
        fields={
            "parameters": {
                "repo": "app",
                "message": "Add files",
                "files": [{"path": "a.txt", "content": {"bytes": 5}}, {"path": "b", "content": {"bytes": 2}}],
            }
        },
    ),
    "mcp-says-it-failed": Case(
        "mcp__db__query",
        {"sql": "select 1"},
        {"success": False, "error": "timeout"},
        fields={"parameters": {"sql": "select 1"}},
        outcome="error",
    ),
    "mcp-number-beyond-64-bits": Case(
        "mcp__calc__add",
        {"n": 2**70, "m": 1},
        "ok",
        # A float, as orjson (ingest) reads it; an int beyond 64 bits would make the record unstorable.
        fields={"parameters": {"n": 1.1805916207174113e21, "m": 1}},
    ),
    "unknown-tool": Case(
        "Skill",
        {"skill": "review", "args": "871 re-cinq/lore"},
        {"success": True, "commandName": "review"},
        fields={"parameters": {"skill": "review", "args": "871 re-cinq/lore"}},
    ),
}


def _case_call(name: str, case: Case) -> Call:
    return Call(f"toolu_{name}", case.tool, case.tool_input, case.response, case.error, case.is_interrupt)


def _tool_fields(record: ToolCallRecord) -> dict[str, Any]:
    dumped = record.model_dump(exclude_none=True)
    return {
        k: v for k, v in dumped.items() if k not in {*SOURCE_ONLY, "tool_name", "success", "outcome", "error_message"}
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_tool_maps_to_the_same_fields_every_way(name: str) -> None:
    case = CASES[name]
    call = _case_call(name, case)
    ways = {
        "live hook": live_hook([call])[call.call_id],
        "hook log": ingested(hooks.parse, hook_log_of([call]))[call.call_id],
        "stream-json": ingested(stream_json.parse, stream_of([call]))[call.call_id],
    }
    for way, record in ways.items():
        assert record.tool_name == case.tool, way
        assert _tool_fields(record) == case.fields, way
        assert (record.success, record.outcome) == (case.outcome == "ok", case.outcome), way
    for way in ("hook log", "stream-json"):
        assert ways[way].error_message == case.error_message, way
    # The hook stores PostToolUseFailure's error as it came (GAPS): the same text once cleaned.
    assert clean_error(ways["live hook"].error_message) == case.error_message
    assert content_kept_as_text(ways["live hook"].parameters) == []


def test_a_call_that_never_finished_keeps_its_input_fields() -> None:
    call = Call("toolu_unanswered", "MultiEdit", CASES["multiedit"].tool_input, answered=False)
    hook = live_hook([call])[call.call_id]
    ingest = ingested(stream_json.parse, stream_of([call]))[call.call_id]
    expected = {
        "file_path": "m.py",
        "old_string_length": 3,
        "new_string_length": 5,
        "parameters": {"edits": {"items": 2}},
    }
    # Nothing is known of the result: no lines_changed (it may have changed nothing).
    assert _tool_fields(hook) == _tool_fields(ingest) == expected
    assert (hook.success, hook.outcome) == (ingest.success, ingest.outcome) == (False, "interrupted")
    # The hook says why in error_message (a note of its own); a transcript has nothing to say.
    compare(hook, ingest, also_skip=("error_message",))


# -- the real fixtures ------------------------------------------------------------------------------------


def transcript_calls(data: bytes) -> list[Call]:
    """The tool calls in transcript / stream-json lines, paired as `tooltrack.ingest.claude` pairs them,
    each with what its hook events would carry (`toolUseResult` is the hook's `tool_response`)."""
    calls: dict[str, Call] = {}
    for raw in data.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        message = line.get("message") if isinstance(line, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        if line.get("type") == "assistant":
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_use" and block.get("id") not in calls:
                    calls[block["id"]] = Call(block["id"], block["name"], block.get("input"), answered=False)
            continue
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
        detail = line.get("toolUseResult", line.get("tool_use_result"))
        for block in results:
            call = calls.get(str(block.get("tool_use_id")))
            if call is None or call.answered:
                continue
            call.answered = True
            content_text = block.get("content")
            text = (
                content_text
                if isinstance(content_text, str)
                else "\n".join(
                    b.get("text") or b.get("tool_name") or "" for b in content_text or [] if isinstance(b, dict)
                )
            )
            if block.get("is_error"):
                call.error = text
                call.is_interrupt = "[Request interrupted by user" in text or "Interrupted by user" in text
            else:
                # The line's detail is the hook's tool_response; without one, the text is all there is.
                call.response = detail if len(results) == 1 and detail is not None else text
    return list(calls.values())


#: Every transcript and stream-json file of the shared fixtures (`fixtures_dir`, known at collection).
TRANSCRIPTS = [
    f"{folder}/{path.name}"
    for folder in ("claude-transcripts", "claude-stream-json")
    for path in sorted((ROOT / "tests" / "fixtures" / folder).glob("*.jsonl"))
]


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_real_transcripts_map_as_the_hook_maps_the_same_calls(fixtures_dir: Path, name: str) -> None:
    data = (fixtures_dir / name).read_bytes()
    parse = transcript.parse if name.startswith("claude-transcripts") else stream_json.parse
    ingest = ingested(parse, data)
    calls = transcript_calls(data)
    hook = live_hook(calls)
    assert set(hook) == set(ingest) == {c.call_id for c in calls} and calls
    for call in calls:
        compare(hook[call.call_id], ingest[call.call_id], also_skip=() if call.answered else ("error_message",))
        for record in (hook[call.call_id], ingest[call.call_id]):
            assert content_kept_as_text(record.parameters) == [], (name, call.tool)


def _hook_payloads(fixtures_dir: Path, name: str) -> list[dict[str, Any]]:
    value = json.loads((fixtures_dir / "claude-hooks" / name).read_text())
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("name", ["post_tool_use_log.json", "docs_PostToolUse.json", "docs_PostToolUseFailure.json"])
def test_real_hook_payloads_map_alike_live_and_ingested(fixtures_dir: Path, name: str) -> None:
    payloads = _hook_payloads(fixtures_dir, name)
    calls = [
        Call(
            p["tool_use_id"],
            p["tool_name"],
            p["tool_input"],
            p.get("tool_response"),
            p.get("error") if p["hook_event_name"] == "PostToolUseFailure" else None,
            bool(p.get("is_interrupt")),
            duration_ms=p.get("duration_ms"),
        )
        for p in payloads
    ]
    hook = live_hook(calls)
    ingest = ingested(hooks.parse, (fixtures_dir / "claude-hooks" / name).read_bytes())
    assert set(hook) == set(ingest) == {p["tool_use_id"] for p in payloads}
    for payload in payloads:
        live, saved = hook[payload["tool_use_id"]], ingest[payload["tool_use_id"]]
        compare(live, saved)
        assert live.call_id == saved.call_id
        if "duration_ms" in payload:  # then both take the payload's own figure
            assert (live.duration_ms, live.duration_source) == (saved.duration_ms, saved.duration_source)
            assert live.duration_source == "hook"


def test_a_pre_tool_use_payload_alone_is_an_unfinished_call_either_way(fixtures_dir: Path) -> None:
    (pre,) = _hook_payloads(fixtures_dir, "docs_PreToolUse.json")
    call = Call(pre["tool_use_id"], pre["tool_name"], pre["tool_input"], answered=False)
    hook = live_hook([call])[call.call_id]
    ingest = ingested(stream_json.parse, stream_of([call]))[call.call_id]
    compare(hook, ingest, also_skip=("error_message",))
    assert hook.command == "npm test" and hook.outcome == "interrupted"
    assert hook.parameters == {"description": "Run test suite", "timeout": 120000, "run_in_background": False}


# -- what the analytics need ------------------------------------------------------------------------------


def test_a_notebook_edit_captured_by_the_hook_ends_a_repeated_read() -> None:
    """The redundancy rules see a NotebookEdit's notebook as the file it changed, however it was captured."""
    nb = "/work/analysis.ipynb"
    read = {"file_path": nb}
    read_response = {"type": "notebook", "file": {"filePath": nb, "cells": []}}
    edit = {"notebook_path": nb, "cell_id": "c1", "new_source": "x = 2", "edit_mode": "replace"}
    calls = [
        Call("toolu_r1", "Read", read, read_response),
        Call("toolu_e1", "NotebookEdit", edit, {"new_source": "x = 2", "cell_id": "c1"}),
        Call("toolu_r2", "Read", read, read_response),
    ]
    for records in (live_hook(calls), ingested(stream_json.parse, stream_of(calls))):
        ordered = [records[c.call_id].model_dump(exclude_none=True) for c in calls]
        assert ordered[1]["file_path"] == nb
        assert [t for t in find_in_log(ordered) if t.count] == []  # the second read follows a change
        # The check can fail: without the edit in between, the second read is redundant.
        assert [(t.kind, t.count) for t in find_in_log([ordered[0], ordered[2]])] == [("repeated_read", 1)]


# -- light enough for the hook ------------------------------------------------------------------------------


def test_the_hook_loads_the_mapping_without_redaction_dataclasses_or_regular_expressions() -> None:
    """The hook runs on every tool call: the shared mapping must cost it next to nothing to import."""
    code = (
        "import json, re, sys\n"
        "import tooltrack.capture.hook\n"
        "from tooltrack.core import claude_tools\n"
        "print(json.dumps({'loaded': sorted(m for m in ('tooltrack.core.redaction', 'dataclasses', 'inspect') "
        "if m in sys.modules), 'patterns': [k for k, v in vars(claude_tools).items() if isinstance(v, re.Pattern)], "
        "'imports_re': 're' in vars(claude_tools)}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, env=subprocess_env(), timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == {"loaded": [], "patterns": [], "imports_re": False}
