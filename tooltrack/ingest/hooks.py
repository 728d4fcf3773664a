"""Claude Code hook payload logs: PostToolUse / PostToolUseFailure payloads saved by a logging hook.

Live recording is `tooltrack hook`'s job; this reads what logging hooks have already saved: a JSON
array of payloads (like `logs/post_tool_use.json` of many ADW repositories), one payload per line,
or a single payload. An array is streamed element by element (`tooltrack.ingest.documents`), and
what is reported about an element names its number and the line it starts at. Each session
becomes a task log. `duration_ms` (CLI 2.1.119+, without permission prompts) is used when present
(`duration_source = "hook"`); PreToolUse payloads carry no result and are skipped with a note.

Call ids. A payload's `tool_use_id` (Claude Code 2.0.43 and later) is its call id. Before that
payloads have none, and two of them can be byte for byte the same (the same Read of the same file
twice, an MCP call repeated, a background Bash polled): each is still a call of its own. Such a
call is given a synthetic id from its session, its payload and its occurrence: the n-th payload of
the session equal to it (`synthetic_call_id`). The first occurrence keeps the id earlier versions
gave every such payload (`hook:` and the SHA-256 of the payload), so a log ingested by them is
still found stored; the n-th (n >= 2) is `hook:` and the SHA-256 of the session id, the payload's
digest and n. The same file read again gives the same ids (nothing is stored twice), and a log
that grew keeps the ids of its earlier payloads (its new payloads alone are stored, the store's
call identity does the rest). Occurrences are counted within one file: the same session's
payloads split over two files would count from 1 in each.
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
from tooltrack.ingest.run_identity import RunIdentity
from tooltrack.models import TaskLogCreate, ToolCallRecord, describe_validation_error

SOURCE: Final = "claude-hooks"
_RESULT_EVENTS = {"PostToolUse", "PostToolUseFailure"}


def payload_digest(payload: dict[str, Any]) -> str:
    """The SHA-256 of a payload's canonical JSON (keys sorted)."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def synthetic_call_id(session_id: str, digest: str, occurrence: int) -> str:
    """The call id of a payload without `tool_use_id`: the `occurrence`-th (from 1) payload of
    its session whose digest is `digest` (see the module)."""
    if occurrence == 1:
        return "hook:" + digest[:32]  # what every such payload was given before occurrences counted
    basis = f"{session_id}\n{digest}\n{occurrence}".encode("utf-8", "surrogatepass")
    return "hook:" + hashlib.sha256(basis).hexdigest()[:32]


def _call(payload: dict[str, Any], call_id: str) -> dict[str, Any]:
    failed = payload.get("hook_event_name") == "PostToolUseFailure"
    response = payload.get("tool_response")
    error = payload.get("error") if isinstance(payload.get("error"), str) else None
    text = error if failed else (response if isinstance(response, str) else None)
    interrupted = failed and payload.get("is_interrupt") is True
    result = ToolResult(text=text, is_error=failed, detail=response, interrupted=interrupted)
    duration = payload.get("duration_ms")
    has_duration = isinstance(duration, int) and not isinstance(duration, bool) and duration >= 0
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
        self.seen: dict[tuple[str, str], int] = {}
        """(session, payload digest) -> payloads so far without tool_use_id equal to it."""
        self.ids: set[tuple[str, str]] = set()
        """(session, tool_use_id) of the calls read so far."""
        self.identities: dict[str, RunIdentity] = {}
        """Per session, what its payloads say of it (`cwd`: its project)."""

    def feed(self, line: int, value: Any, element: int | None = None) -> Iterator[Item]:
        """A payload (the `element`-th of an array when it is one), or a JSON line holding an array of them."""
        if isinstance(value, list) and element is None:
            for number, payload in enumerate(value, start=1):
                yield from self.payload(line, payload, number)
            return
        yield from self.payload(line, value, element)

    def payload(self, line: int, payload: Any, element: int | None) -> Iterator[Item]:
        if not isinstance(payload, dict) or "hook_event_name" not in payload:
            yield RejectedLine(line, "not a Claude Code hook payload (no hook_event_name)", element)
            return
        event = payload["hook_event_name"]
        if event not in _RESULT_EVENTS:
            yield Note(line, f"{event} payload skipped: only PostToolUse / PostToolUseFailure carry a result", element)
            return
        session_id = str(payload.get("session_id") or "unknown-session")[:150]
        _, calls = self.sessions.setdefault(session_id, (line, []))
        identity = self.identities.get(session_id)
        if identity is None:
            identity = self.identities[session_id] = RunIdentity()
        if identity.cwd is None:
            identity.line(payload)
        call_id = payload.get("tool_use_id")
        if not isinstance(call_id, str) or not call_id:
            digest = payload_digest(payload)
            occurrence = self.seen[session_id, digest] = self.seen.get((session_id, digest), 0) + 1
            call_id = synthetic_call_id(session_id, digest, occurrence)
        elif (session_id, call_id) in self.ids:
            # Two hook entries matching one tool (matchers "" and "TodoWrite") log its call twice.
            yield Note(line, f"call {call_id[:80]} logged again: read once", element)
            return
        else:
            self.ids.add((session_id, call_id))
        record = _call(payload, call_id)
        try:
            calls.append(ToolCallRecord.model_validate(record))
        except ValidationError as exc:
            yield RejectedLine(line, f"hook payload {call_id}: {describe_validation_error(exc)}", element)

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
                    outcome="completed",
                    **self.identities[session_id].fields(),
                )
            except ValidationError as exc:
                yield RejectedLine(line, f"session {session_id}: {describe_validation_error(exc)}")
                continue
            yield LogPart(log, line)


def parse(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
    """A JSON array, a single (pretty-printed) payload, or one payload per line."""
    hooks = HookLog(options)
    yield from read_json_values(lines, hooks.feed, malformed="malformed JSON document", arrays_whole=True)
    yield from hooks.finish()
