"""Format 4: Claude Code OpenTelemetry `claude_code.tool_result` events, exported as OTLP JSON.

Reads both shapes an export takes (`tooltrack.ingest.documents`): one JSON document
(`{"resourceLogs": [...]}`, as the OTLP/HTTP JSON body or a pretty-printed dump), streamed record
by record (`RECORDS`), so memory does not grow with the document; or JSON lines with one such
document per line (the collector's file exporter), each line read whole. A document that breaks
off (cut short, malformed) stores nothing, as when documents were parsed whole: the cost of its
sessions has no identity of its own, so what was read of it would be counted again with the
whole export. Attribute values arrive
as strings (`"success": "true"`, `"duration_ms": "12"`) or as OTLP typed values; both are read.

Each session (`session.id`) becomes a task log; `claude_code.api_request` events of the session
give its cost and tokens. A call's duration is Claude Code's own `duration_ms` ("tool_reported").
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from pydantic import ValidationError

from tooltrack.core import MAX_NAME, bound_error, shape, tool_fields
from tooltrack.ingest.documents import read_json_values
from tooltrack.ingest.items import DEFAULT_PHASE, IngestOptions, Item, LogPart, part_key
from tooltrack.ingest.lines import Line, loads_agent_json
from tooltrack.ingest.report import Note, RejectedLine
from tooltrack.ingest.run_identity import CLAUDE_CODE
from tooltrack.models import TaskLogCreate, ToolCallRecord, describe_validation_error

SOURCE: Final = "claude-otel"
#: Where a document's log records are: a pretty-printed export is streamed by these.
RECORDS: Final = ("resourceLogs", "*", "scopeLogs", "*", "logRecords", "*")
_TOOL_RESULT = {"claude_code.tool_result", "tool_result"}
_API_REQUEST = {"claude_code.api_request", "api_request"}
NOT_LOGS: Final = "not an OTLP logs document (no resourceLogs list)"
BROKEN_EXPORT: Final = (
    "nothing of this export was stored: it breaks off here (its cost would be counted twice "
    "once the whole export is ingested); ingest it again when it is whole"
)


def attribute_value(value: Any) -> Any:
    """An OTLP AnyValue as a plain value (strings stay strings: Claude Code sends most as text)."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    if "arrayValue" in value:
        return [attribute_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return {kv.get("key"): attribute_value(kv.get("value")) for kv in value["kvlistValue"].get("values", [])}
    return None


def _attributes(record: dict[str, Any]) -> dict[str, Any]:
    attrs = record.get("attributes")
    if not isinstance(attrs, list):
        return {}
    # An attribute without a string key names nothing a reader could look up.
    named = (a for a in attrs if isinstance(a, dict) and isinstance(a.get("key"), str))
    return {a["key"]: attribute_value(a.get("value")) for a in named}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _time(record: dict[str, Any], attrs: dict[str, Any]) -> datetime | None:
    nanos = record.get("timeUnixNano") or record.get("observedTimeUnixNano")
    if nanos is not None and _number(nanos):
        return datetime.fromtimestamp(int(nanos) / 1e9, tz=UTC)
    stamp = attrs.get("event.timestamp")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@dataclass(slots=True)
class _Session:
    session_id: str
    line: int
    calls: list[ToolCallRecord] = field(default_factory=list)
    cost: float = 0.0
    tokens: int = 0
    requests: int = 0
    models: Counter[str] = field(default_factory=Counter)


def _tool_call(attrs: dict[str, Any], when: datetime | None, session_id: str) -> dict[str, Any]:
    name = str(attrs.get("tool_name") or "unknown")
    success = _flag(attrs.get("success"))
    decision = str(attrs.get("decision") or "")
    outcome = "ok" if success else ("rejected" if decision == "reject" else "error")
    parameters: dict[str, Any] = {}
    raw = attrs.get("tool_parameters")
    if isinstance(raw, str):
        try:
            parameters = loads_agent_json(raw)
        except orjson.JSONDecodeError:
            parameters = {}
    tool_input = attrs.get("tool_input")
    if isinstance(tool_input, str):
        try:
            tool_input = loads_agent_json(tool_input)
        except orjson.JSONDecodeError:
            tool_input = None
    if not isinstance(tool_input, dict):
        tool_input = {}
        if isinstance(parameters, dict) and (parameters.get("full_command") or parameters.get("bash_command")):
            tool_input["command"] = parameters.get("full_command") or parameters.get("bash_command")
    record: dict[str, Any] = {"tool_name": name, "success": outcome == "ok", "outcome": outcome}
    record.update(tool_fields(name, tool_input, None))
    record.pop("exit_code", None)  # OTel does not say; tool_fields assumes a result
    if name == "Bash" and outcome == "ok" and not tool_input.get("run_in_background"):
        record["exit_code"] = 0
    extra = dict(record.get("parameters") or {})
    if isinstance(parameters, dict):
        extra.update({k: shape(v) for k, v in parameters.items() if k not in ("full_command", "bash_command")})
    for key in ("tool_input_size_bytes", "tool_result_size_bytes", "decision_source"):
        if attrs.get(key) is not None:
            number = _number(attrs[key])
            extra[key] = int(number) if number is not None and key.endswith("_bytes") else attrs[key]
    if extra:
        record["parameters"] = extra
    duration = _number(attrs.get("duration_ms"))
    if duration is not None:
        record["duration_ms"] = round(duration)
        record["duration_source"] = "tool_reported"
    if when is not None:
        record["timestamp"] = when
    if outcome != "ok" and isinstance(attrs.get("error"), str) and attrs["error"]:
        record["error_message"] = bound_error(attrs["error"])
    call_id = attrs.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        basis = f"{session_id}|{attrs.get('event.sequence')}|{attrs.get('event.timestamp')}|{name}"
        call_id = "otel:" + hashlib.sha256(basis.encode()).hexdigest()[:32]
    record["call_id"] = call_id[:200]
    if isinstance(attrs.get("prompt.id"), str):
        record["turn_id"] = attrs["prompt.id"][:200]
    return record


class OtelLog:
    """Collects tool calls and request costs per session from OTLP documents."""

    def __init__(self, options: IngestOptions) -> None:
        self.options = options
        self.sessions: dict[str, _Session] = {}
        self.version: str | None = None
        """Claude Code's version, from a resource's `service.version` (a whole document's; not when streamed)."""

    def feed(self, line: int, document: Any, _element: int | None = None) -> Iterator[Item]:
        """A whole document (a JSON line, or a top-level value that is not an export's object)."""
        if not isinstance(document, dict) or not isinstance(document.get("resourceLogs"), list):
            yield RejectedLine(line, NOT_LOGS)
            return
        number = 0
        for resource in document["resourceLogs"]:
            if self.version is None and isinstance(resource, dict) and isinstance(resource.get("resource"), dict):
                version = _attributes(resource["resource"]).get("service.version")
                self.version = version[:MAX_NAME] if isinstance(version, str) and version else None
            for scope in (resource or {}).get("scopeLogs") or []:
                for record in (scope or {}).get("logRecords") or []:
                    number += 1
                    yield from self.record(line, record, number)

    def record(self, line: int, record: Any, element: int | None) -> Iterator[Item]:
        """One log record, the `element`-th of its document (which starts at `line`, or it does)."""
        if not isinstance(record, dict):
            return
        attrs = _attributes(record)
        body = record.get("body")
        name = attribute_value(body) if isinstance(body, dict) else None
        name = name or attrs.get("event.name")
        if name not in _TOOL_RESULT and name not in _API_REQUEST:
            return
        session_id = str(attrs.get("session.id") or "unknown-session")[:150]
        session = self.sessions.setdefault(session_id, _Session(session_id, line))
        if name in _API_REQUEST:
            session.cost += _number(attrs.get("cost_usd")) or 0.0
            for key in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens"):
                session.tokens += int(_number(attrs.get(key)) or 0)
            session.requests += 1
            if isinstance(attrs.get("model"), str) and attrs["model"]:
                session.models[attrs["model"][:MAX_NAME]] += 1
            return
        payload = _tool_call(attrs, _time(record, attrs), session_id)
        try:
            session.calls.append(ToolCallRecord.model_validate(payload))
        except ValidationError as exc:
            reason = f"tool_result event {payload.get('call_id')}: {describe_validation_error(exc)}"
            yield RejectedLine(line, reason, element)

    def finish(self) -> Iterator[Item]:
        for session in self.sessions.values():
            if not session.calls and not session.requests:
                continue
            times = [c.timestamp for c in session.calls if c.timestamp is not None]
            phase = self.options.phase or DEFAULT_PHASE
            base = {
                "adw_id": self.options.adw_id or session.session_id,
                "phase_name": phase,
                "phase_status": "completed",
                "workflow_template": self.options.workflow_template,
                "started_at": min(times) if times else None,
                "completed_at": max(times) if times else None,
                "tool_calls": session.calls,
                "source": SOURCE,
                "log_message": f"Claude Code session {session.session_id} (OpenTelemetry)",
                "agent": CLAUDE_CODE,
                "agent_version": self.version,
                "models": [name for name, _ in session.models.most_common(50)] or None,
                "outcome": "completed",
            }
            # The calls and the session's cost in one log, keyed by its calls and that cost: the same
            # export read again is the same log. (An export that grew gives a new key and its cost
            # again: the cost of OTel api_request events has no identity of its own yet.)
            summary = hashlib.sha256(f"{session.cost}|{session.tokens}|{session.requests}".encode()).hexdigest()[:16]
            try:
                log = TaskLogCreate.model_validate(
                    base
                    | {
                        "cost_usd": round(session.cost, 6) if session.requests else None,
                        "tokens_used": session.tokens if session.requests else None,
                        "log_key": part_key(session.session_id, f"otel-{summary}", session.calls),
                    }
                )
            except ValidationError as exc:
                yield RejectedLine(session.line, f"session {session.session_id}: {describe_validation_error(exc)}")
                continue
            yield LogPart(log, session.line)


def parse(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
    """OTLP JSON, one document per line or one (pretty-printed) document for the whole file."""
    otel = OtelLog(options)
    broken: list[RejectedLine] = []
    yield from read_json_values(
        lines,
        otel.feed,
        malformed="malformed OTLP JSON document",
        stream=RECORDS,
        feed_element=otel.record,
        not_found=NOT_LOGS,
        on_break=broken.append,
    )
    if broken:
        # An export cut short is stored not at all, as when it was parsed whole: its sessions'
        # cost has no identity, so the part read, stored now, would be counted again with the
        # whole export later.
        yield Note(broken[0].line, BROKEN_EXPORT, broken[0].element)
        return
    yield from otel.finish()
