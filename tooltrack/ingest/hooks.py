"""Claude Code hook payload logs: PostToolUse / PostToolUseFailure payloads saved by a logging hook.

Live recording is `tooltrack hook`'s job; this reads what logging hooks have already saved: a JSON
array of payloads (like `logs/post_tool_use.json` of many ADW repositories), one payload per line,
or a single payload. A whole document (array or pretty-printed object) is read at once, up to
`tooltrack.ingest.documents.MAX_DOCUMENT_BYTES`. Each session becomes a task log. `duration_ms`
(CLI 2.1.119+, without permission prompts) is used when present (`duration_source = "hook"`);
PreToolUse payloads carry no result and are skipped with a note.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, Final

import orjson
from pydantic import ValidationError

from tooltrack.core import ToolResult, build_call
from tooltrack.ingest.documents import read_json_values
from tooltrack.ingest.items import DEFAULT_PHASE, IngestOptions, Item, LogPart, part_key
from tooltrack.ingest.lines import Line
from tooltrack.ingest.report import Note, RejectedLine
from tooltrack.models import TaskLogCreate, ToolCallRecord, describe_validation_error

SOURCE: Final = "claude-hooks"
_RESULT_EVENTS = {"PostToolUse", "PostToolUseFailure"}


def _call(payload: dict[str, Any]) -> dict[str, Any]:
    failed = payload.get("hook_event_name") == "PostToolUseFailure"
    response = payload.get("tool_response")
    error = payload.get("error") if isinstance(payload.get("error"), str) else None
    text = error if failed else (response if isinstance(response, str) else None)
    interrupted = failed and payload.get("is_interrupt") is True
    result = ToolResult(text=text, is_error=failed, detail=response, interrupted=interrupted)
    duration = payload.get("duration_ms")
    has_duration = isinstance(duration, int) and not isinstance(duration, bool) and duration >= 0
    call_id = payload.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        call_id = "hook:" + hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
    record = build_call(
        name=str(payload.get("tool_name") or "unknown"),
        tool_input=payload.get("tool_input"),
        result=result,
        call_id=call_id,
        started=None,
        finished=None,
        duration_ms=duration if has_duration else None,
        duration_source="hook" if has_duration else None,
    )
    return record


class HookLog:
    """Collects calls per session from hook payloads."""

    def __init__(self, options: IngestOptions) -> None:
        self.options = options
        self.sessions: dict[str, tuple[int, list[ToolCallRecord]]] = {}

    def feed(self, line: int, value: Any) -> Iterator[Item]:
        payloads = value if isinstance(value, list) else [value]
        for payload in payloads:
            if not isinstance(payload, dict) or "hook_event_name" not in payload:
                yield RejectedLine(line, "not a Claude Code hook payload (no hook_event_name)")
                continue
            event = payload["hook_event_name"]
            if event not in _RESULT_EVENTS:
                yield Note(line, f"{event} payload skipped: only PostToolUse / PostToolUseFailure carry a result")
                continue
            session_id = str(payload.get("session_id") or "unknown-session")[:150]
            _, calls = self.sessions.setdefault(session_id, (line, []))
            record = _call(payload)
            try:
                calls.append(ToolCallRecord.model_validate(record))
            except ValidationError as exc:
                yield RejectedLine(line, f"hook payload {record.get('call_id')}: {describe_validation_error(exc)}")

    def finish(self) -> Iterator[Item]:
        for session_id, (line, calls) in self.sessions.items():
            try:
                log = TaskLogCreate(
                    adw_id=self.options.adw_id or session_id,
                    phase_name=self.options.phase or DEFAULT_PHASE,
                    phase_status="completed",
                    workflow_template=self.options.workflow_template,
                    tool_calls=calls,
                    source=SOURCE,
                    log_message=f"Claude Code session {session_id} (hook payloads)",
                    log_key=part_key(session_id, "hooks", calls),
                )
            except ValidationError as exc:
                yield RejectedLine(line, f"session {session_id}: {describe_validation_error(exc)}")
                continue
            yield LogPart(log, line)


def parse(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
    """A JSON array, a single (pretty-printed) payload, or one payload per line."""
    hooks = HookLog(options)
    yield from read_json_values(
        lines,
        hooks.feed,
        too_large="a hook log over {mb} MB as one document",
        malformed="malformed JSON document",
        arrays_whole=True,
    )
    yield from hooks.finish()
