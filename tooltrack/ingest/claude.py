"""Pairing Claude Code's tool_use blocks with their tool_result blocks, session by session.

Stream-json output (`claude -p --output-format stream-json --verbose`) and session transcripts
(`~/.claude/projects/<project>/<session>.jsonl`) are the same messages with a few differences
(`session_id` / `sessionId`, `tool_use_result` / `toolUseResult`, `parent_tool_use_id` /
`isSidechain` + `agentId`, a final `result` line only in stream-json). `ClaudeLog` reads either,
line by line, and turns each session into task logs:

- a `tool_use` (id, name, input) waits until its `tool_result` (tool_use_id, content, is_error)
  arrives; parallel calls of one assistant message share a `turn_id` (the message id);
- a call that never gets a result is kept, marked `interrupted`; a result whose call is not in
  the file is reported as a note;
- a sub-agent's calls get the id of the Task call (`Agent` since Claude Code 2.1: both are
  `SUBAGENT_TOOLS`) that started them as `parent_call_id` (stream-json says so; in transcripts:
  the Task result's `agentId`, else the one Task call running when the sidechain call was made);
- memory stays bounded: a session's finished calls are handed on every `PART_SIZE` calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError

from tooltrack.core import SUBAGENT_TOOLS, ToolResult, bound_error, build_call, replace_nul_parsed, result_text
from tooltrack.ingest.items import DEFAULT_PHASE, SESSION_KEY_PREFIX, IngestOptions, Item, LogPart, adw_layout, part_key
from tooltrack.ingest.lines import Line, parse_json_line
from tooltrack.ingest.report import Note, RejectedLine
from tooltrack.models import TaskLogCreate, ToolCallRecord, describe_validation_error

#: Finished calls of one session handed on together (bounds memory on huge sessions).
PART_SIZE: Final = 2000
#: How many call ids a session remembers to skip repeated lines before it forgets the handed-on ones.
_SEEN_LIMIT: Final = 50_000


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(slots=True)
class _Call:
    """A tool call seen in the file: its use, and its result once it arrives."""

    call_id: str
    name: str
    tool_input: Any
    line: int
    started: datetime | None
    turn_id: str | None
    parent_call_id: str | None
    sidechain: bool
    agent_id: str | None
    context_size: int | None
    result: ToolResult | None = None
    finished: datetime | None = None
    done: bool = False


@dataclass(slots=True)
class _Session:
    session_id: str
    first_line: int
    calls: dict[str, _Call] = field(default_factory=dict)
    """Calls not yet handed on, in the order they were made."""
    first_time: datetime | None = None
    last_time: datetime | None = None
    cwd: str | None = None
    git_branch: str | None = None
    version: str | None = None
    summary: dict[str, Any] | None = None
    summary_line: int = 0
    agent_tasks: dict[str, str] = field(default_factory=dict)
    """Sub-agent id -> id of the Task (or Agent) call that started it (transcripts)."""
    task_windows: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)
    seen_ids: set[str] = field(default_factory=set)

    def saw_time(self, when: datetime | None) -> None:
        if when is None:
            return
        if self.first_time is None or when < self.first_time:
            self.first_time = when
        if self.last_time is None or when > self.last_time:
            self.last_time = when


def _usage_context(message: dict[str, Any]) -> int | None:
    """Context size when the model asked for the call: every input token of that request."""
    usage = message.get("usage")
    if not isinstance(usage, dict):
        return None
    total = 0
    for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            total += value
    return total or None


def result_agent(line: dict[str, Any], detail: Any) -> str | None:
    """The sub-agent a Task result line names (`agentId` on the line, or in its result detail)."""
    agent = line.get("agentId") or (detail.get("agentId") if isinstance(detail, dict) else None)
    return agent if isinstance(agent, str) and agent else None


class ClaudeLog:
    """Reads stream-json or transcript lines and yields task logs, rejections and notes."""

    def __init__(self, options: IngestOptions, *, source: str) -> None:
        self.options = options
        self.source = source
        layout = adw_layout(options.name)
        self.adw_id = options.adw_id or (layout[0] if layout else None)
        self.phase = options.phase or (layout[1] if layout else DEFAULT_PHASE)
        self.sessions: dict[str, _Session] = {}
        self.default_session: str | None = None

    # -- reading -------------------------------------------------------------------------------

    def parse(self, lines: Iterator[Line]) -> Iterator[Item]:
        for line in lines:
            if not line.data.strip():
                continue
            try:
                value = parse_json_line(line)
            except ValueError as exc:
                yield RejectedLine(line.number, str(exc))
                continue
            value = replace_nul_parsed(line.data, value)  # a NUL in one command must not cost the session
            if not isinstance(value, dict):
                yield RejectedLine(line.number, f"expected a JSON object, got {type(value).__name__}")
                continue
            yield from self.feed(line.number, value)
        yield from self.finish()

    def _session(self, value: dict[str, Any], line: int) -> _Session:
        session_id = value.get("session_id") or value.get("sessionId") or self.default_session or "unknown-session"
        session_id = str(session_id)[:150]
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = _Session(session_id, line)
            self.default_session = self.default_session or session_id
        return session

    def feed(self, line: int, value: dict[str, Any]) -> Iterator[Item]:
        kind = value.get("type")
        session = self._session(value, line)
        when = parse_time(value.get("timestamp"))
        session.saw_time(when)
        for key, attr in (("cwd", "cwd"), ("gitBranch", "git_branch"), ("version", "version")):
            if isinstance(value.get(key), str) and getattr(session, attr) is None:
                setattr(session, attr, value[key])
        if kind == "system" and value.get("subtype") == "init" and session.version is None:
            version = value.get("claude_code_version")
            session.version = version if isinstance(version, str) else None
        if kind == "result":
            # The run ended here: its calls so far and the summary make one task log. Lines after
            # it (a resumed session appending to the file) start new parts.
            session.summary = value
            session.summary_line = line
            yield from self._flush(session, final=True)
            session.summary = None
            return
        message = value.get("message")
        if kind is None:
            yield RejectedLine(line, "a JSON object without a type: not a Claude Code message")
            return
        if kind not in ("assistant", "user"):
            return
        if not isinstance(message, dict):
            yield RejectedLine(line, f"a {kind} line without a message object")
            return
        content = message.get("content")
        if content is None:
            yield RejectedLine(line, f"a {kind} message without content")
            return
        if not isinstance(content, list):
            return  # a plain prompt or reply: no tool call in it
        if kind == "assistant":
            yield from self._uses(session, line, value, message, content, when)
        else:
            yield from self._results(session, line, value, content, when)
        if len(session.calls) >= PART_SIZE:
            yield from self._flush(session, final=False)

    def _uses(
        self,
        session: _Session,
        line: int,
        value: dict[str, Any],
        message: dict[str, Any],
        content: list[Any],
        when: datetime | None,
    ) -> Iterator[Item]:
        sidechain = bool(value.get("isSidechain"))
        parent = value.get("parent_tool_use_id")
        context = _usage_context(message)
        turn = message.get("id") if isinstance(message.get("id"), str) else None
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "tool_use":
                continue
            call_id, name = block.get("id"), block.get("name")
            if not isinstance(call_id, str) or not isinstance(name, str) or not name.strip():
                yield RejectedLine(line, "a tool_use block without an id or a name")
                continue
            if call_id in session.seen_ids:
                continue  # the same message repeated (resumed sessions repeat lines)
            session.seen_ids.add(call_id)
            session.calls[call_id] = _Call(
                call_id=call_id,
                name=name,
                tool_input=block.get("input"),
                line=line,
                started=when,
                turn_id=turn,
                parent_call_id=parent if isinstance(parent, str) else None,
                sidechain=sidechain,
                agent_id=value.get("agentId") if isinstance(value.get("agentId"), str) else None,
                context_size=context,
            )
            if name in SUBAGENT_TOOLS and not sidechain:
                session.task_windows[call_id] = (when, None)

    def _results(
        self, session: _Session, line: int, value: dict[str, Any], content: list[Any], when: datetime | None
    ) -> Iterator[Item]:
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
        detail = value.get("toolUseResult", value.get("tool_use_result"))
        for block in results:
            call_id = block.get("tool_use_id")
            call = session.calls.get(call_id) if isinstance(call_id, str) else None
            if call is None:
                if call_id not in session.seen_ids:
                    yield Note(line, f"tool_result for call {call_id} whose tool_use is not in this file: skipped")
                continue
            if call.done:
                continue
            text = result_text(block.get("content"))
            call.result = ToolResult(
                text=text,
                is_error=block.get("is_error") if isinstance(block.get("is_error"), bool) else None,
                detail=detail if len(results) == 1 else None,
                size_bytes=len(text.encode()),
            )
            call.finished = when
            call.done = True
            if call.name in SUBAGENT_TOOLS and call_id in session.task_windows:
                session.task_windows[call_id] = (call.started, when)
                agent = result_agent(value, detail)
                if agent and not value.get("isSidechain"):
                    session.agent_tasks[agent] = call_id

    def finish(self) -> Iterator[Item]:
        for session in self.sessions.values():
            yield from self._flush(session, final=True)

    # -- handing on ----------------------------------------------------------------------------

    def _parent_of(self, session: _Session, call: _Call) -> str | None:
        if call.parent_call_id or not call.sidechain:
            return call.parent_call_id
        if call.agent_id and call.agent_id in session.agent_tasks:
            return session.agent_tasks[call.agent_id]
        if call.started is None:
            return None
        # The Task call that was running when this sidechain call was made (the latest started).
        best: tuple[datetime, str] | None = None
        for task_id, (start, end) in session.task_windows.items():
            running = start is not None and start <= call.started and (end is None or call.started <= end)
            if running and start is not None and (best is None or start > best[0]):
                best = (start, task_id)
        return best[1] if best else None

    def _flush(self, session: _Session, *, final: bool) -> Iterator[Item]:
        ready: list[_Call] = []
        for call_id, call in list(session.calls.items()):
            if not call.done and not final:
                break  # keep call order: hand on only the finished calls before the first open one
            ready.append(call)
            del session.calls[call_id]
        if len(session.seen_ids) > _SEEN_LIMIT:
            # Forget handed-on ids (the store's call_id filter still catches repeats): bounded memory.
            session.seen_ids = set(session.calls)
        if not ready and not (final and session.summary is not None):
            return
        records: list[ToolCallRecord] = []
        for call in ready:
            payload = build_call(
                name=call.name,
                tool_input=call.tool_input,
                result=call.result,
                call_id=call.call_id,
                started=call.started,
                finished=call.finished,
                turn_id=call.turn_id,
                parent_call_id=self._parent_of(session, call),
                context_size_before=call.context_size,
            )
            try:
                records.append(ToolCallRecord.model_validate(payload))
            except ValidationError as exc:
                yield RejectedLine(call.line, f"tool call {call.call_id}: {describe_validation_error(exc)}")
        summary = session.summary if final else None
        try:
            log = self._task_log(session, records, summary)
        except ValidationError as exc:
            yield RejectedLine(session.first_line, f"session {session.session_id}: {describe_validation_error(exc)}")
            return
        line = ready[0].line if ready else session.summary_line
        yield LogPart(log, line)

    def _task_log(
        self, session: _Session, calls: list[ToolCallRecord], summary: dict[str, Any] | None
    ) -> TaskLogCreate:
        times = [c.timestamp for c in calls if c.timestamp is not None]
        started = min(times) if times else session.first_time
        completed = max(times) if times else session.last_time
        values: dict[str, Any] = {
            "adw_id": self.adw_id or session.session_id,
            "phase_name": self.phase,
            "phase_status": "completed",
            "workflow_template": self.options.workflow_template,
            "started_at": started,
            "completed_at": completed,
            "tool_calls": calls,
            "source": self.source,
            "log_message": self._describe(session),
        }
        if started is not None and completed is not None:
            values["duration_seconds"] = max(0.0, (completed - started).total_seconds())
        values["log_key"] = part_key(session.session_id, "part", calls)
        if summary is not None:
            values.update(self._summary_fields(summary))
            turns = summary.get("num_turns")
            if isinstance(turns, int) and not isinstance(turns, bool):
                values["log_message"] += f", {turns} turns"
            # The run's summary is one task log however often it arrives (under whatever adw_id or
            # phase an upload gives it): keyed by the session and the result line alone.
            marker = summary.get("uuid")
            if not isinstance(marker, str):
                marker = hashlib.sha256(repr(sorted(summary.items())).encode()).hexdigest()[:32]
            values["log_key"] = f"{SESSION_KEY_PREFIX}{session.session_id}:result:{marker[:64]}"
        elif self.source == "claude-stream-json":
            values["phase_status"] = "incomplete"
        return TaskLogCreate.model_validate(values)

    def _describe(self, session: _Session) -> str:
        parts = [f"Claude Code session {session.session_id}"]
        if session.version:
            parts.append(f"version {session.version}")
        if session.cwd:
            parts.append(f"cwd {session.cwd}")
        if session.git_branch:
            parts.append(f"branch {session.git_branch}")
        return ", ".join(parts)

    @staticmethod
    def _summary_fields(summary: dict[str, Any]) -> dict[str, Any]:
        """Task log fields from stream-json's final `result` line: status, cost, tokens, time."""
        fields: dict[str, Any] = {}
        failed = bool(summary.get("is_error")) or summary.get("subtype") not in (None, "success")
        fields["phase_status"] = "failed" if failed else "completed"
        if failed and isinstance(summary.get("result"), str):
            fields["error_message"] = bound_error(summary["result"])
        cost = summary.get("total_cost_usd")
        if isinstance(cost, int | float) and not isinstance(cost, bool) and cost >= 0:
            fields["cost_usd"] = float(cost)
        duration = summary.get("duration_ms")
        if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
            fields["duration_seconds"] = duration / 1000
        usage = summary.get("usage")
        if isinstance(usage, dict):
            tokens = sum(
                v
                for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
                if isinstance(v := usage.get(k), int) and not isinstance(v, bool) and v >= 0
            )
            fields["tokens_used"] = tokens
        return fields
