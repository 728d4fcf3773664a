"""A small adapter for the cost tests: the `cost.Turn`s of a real transcript or stream-json file.

Not the ingest's reader (tooltrack/ingest builds its own); it reads what attribution needs and no
more: assistant lines folded into one turn per API message (`UsageFolder`), the size of each
content block's compact JSON, the tool results each turn's successor carries, compact boundaries,
timestamps, and each turn's agent: `main`, or the Task call that started its sub-agent (stream-json
`parent_tool_use_id`; transcript sidechains through the `agentId` a Task result names, or through
the sidechain's root prompt, which is the Task's `prompt`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tooltrack.core.cost import MAIN_AGENT, ToolUse, Turn
from tooltrack.core.usage import MessageUsage, RunFigures, UsageFolder, run_figures

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def json_size(value: Any) -> int:
    """Bytes of a value's compact JSON: the size attribution shares by."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def read_log(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (bad lines skipped), or of a file holding one JSON array."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return [v for v in json.loads(text) if isinstance(v, dict)]
    rows = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            rows.append(value)
    return rows


@dataclass
class _Draft:
    message: MessageUsage
    agent: str
    tool_uses: dict[str, int] = field(default_factory=dict)
    text: int = 0
    thinking: int = 0
    results: dict[str, int] = field(default_factory=dict)
    compacted: bool = False
    when: datetime | None = None


@dataclass
class Session:
    """What the adapter read from one or more files of a session."""

    turns: list[Turn]
    figures: RunFigures | None
    """The stream-json result line's account, if the log has one."""
    lines_per_message: list[int]
    """For each turn, how many lines wrote its API message."""
    tool_names: dict[str, str]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _prompt_text(message: Any) -> str | None:
    content = message.get("content") if isinstance(message, Mapping) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, Mapping) and b.get("type") == "text"]
        return "\n".join(t for t in texts if isinstance(t, str)) or None
    return None


class _Reader:
    def __init__(self) -> None:
        self.folder = UsageFolder()
        self.drafts: list[_Draft] = []
        self.by_message: dict[int, _Draft] = {}
        self.last_of_agent: dict[str, _Draft] = {}
        self.compact_next: set[str] = set()
        self.task_of_agent_id: dict[str, str] = {}
        self.task_prompts: dict[str, str] = {}
        self.task_windows: dict[str, tuple[datetime | None, datetime | None]] = {}
        self.uuid_parent: dict[str, str | None] = {}
        self.uuid_prompt: dict[str, str] = {}
        self.figures: RunFigures | None = None
        self.tool_names: dict[str, str] = {}

    def agent_of(self, row: Mapping[str, Any], fixed: str | None) -> str:
        if fixed is not None:
            return fixed
        parent = row.get("parent_tool_use_id")
        if isinstance(parent, str) and parent:
            return parent  # stream-json: the sub-agent's lines name their Task call
        if not row.get("isSidechain"):
            return MAIN_AGENT
        agent_id = row.get("agentId")
        if isinstance(agent_id, str) and agent_id in self.task_of_agent_id:
            return self.task_of_agent_id[agent_id]
        # An inline sidechain without a linked agentId: its root prompt is one Task's prompt.
        node = row.get("uuid")
        for _ in range(10_000):
            parent_uuid = self.uuid_parent.get(node) if isinstance(node, str) else None
            if parent_uuid is None:
                break
            node = parent_uuid
        prompt = self.uuid_prompt.get(node) if isinstance(node, str) else None
        for call_id, task_prompt in self.task_prompts.items():
            if prompt is not None and prompt.strip() == task_prompt.strip():
                return call_id
        # A trimmed chain: the one Task running when the line was written (as the ingest links them).
        when = _time(row.get("timestamp"))
        running = [
            call_id
            for call_id, (start, end) in self.task_windows.items()
            if when is not None and start is not None and end is not None and start <= when <= end
        ]
        return running[0] if len(running) == 1 else f"sidechain:{agent_id or node}"

    def feed(self, rows: Iterable[dict[str, Any]], agent: str | None = None) -> None:
        rows = list(rows)
        # First pass: links (Task prompts, agentIds in Task results, the uuid tree), wherever they are.
        for row in rows:
            if isinstance(row.get("uuid"), str):
                self.uuid_parent[row["uuid"]] = row.get("parentUuid")
                text = _prompt_text(row.get("message")) if row.get("type") == "user" else None
                if text is not None:
                    self.uuid_prompt[row["uuid"]] = text
            message = row.get("message")
            content = message.get("content") if isinstance(message, Mapping) else None
            if not isinstance(content, list):
                continue
            for block in content:
                if not isinstance(block, Mapping):
                    continue
                if block.get("type") == "tool_use" and isinstance(block.get("input"), Mapping):
                    prompt = block["input"].get("prompt")
                    if block.get("name") in ("Task", "Agent") and not row.get("isSidechain"):
                        self.task_windows[str(block.get("id"))] = (_time(row.get("timestamp")), None)
                        if isinstance(prompt, str):
                            self.task_prompts[str(block.get("id"))] = prompt
                if block.get("type") == "tool_result":
                    window = self.task_windows.get(str(block.get("tool_use_id")))
                    if window is not None and not row.get("isSidechain"):
                        self.task_windows[str(block.get("tool_use_id"))] = (window[0], _time(row.get("timestamp")))
                    detail = row.get("toolUseResult")
                    agent_id = row.get("agentId") or (detail.get("agentId") if isinstance(detail, Mapping) else None)
                    if isinstance(agent_id, str) and not row.get("isSidechain"):
                        self.task_of_agent_id[agent_id] = str(block.get("tool_use_id"))
        for row in rows:
            self.row(row, agent)

    def row(self, row: dict[str, Any], fixed: str | None) -> None:
        kind = row.get("type")
        if kind == "system" and row.get("subtype") == "compact_boundary":
            self.compact_next.add(self.agent_of(row, fixed))
            return
        if kind == "result":
            self.figures = run_figures(row)
            return
        message = row.get("message")
        if not isinstance(message, Mapping):
            return
        agent = self.agent_of(row, fixed)
        content = message.get("content")
        if kind == "assistant":
            entry = self.folder.add(row)
            if entry is None:
                return
            draft = self.by_message.get(id(entry))
            if draft is None:
                draft = self.by_message[id(entry)] = _Draft(entry, agent, when=_time(row.get("timestamp")))
                draft.compacted = agent in self.compact_next
                self.compact_next.discard(agent)
                self.drafts.append(draft)
                self.last_of_agent[agent] = draft
            for block in content if isinstance(content, list) else []:
                if not isinstance(block, Mapping):
                    continue
                size = json_size(block)
                if block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                    draft.tool_uses[block["id"]] = size
                    self.tool_names[block["id"]] = str(block.get("name"))
                elif block.get("type") == "thinking" or block.get("type") == "redacted_thinking":
                    draft.thinking += size
                elif block.get("type") == "text":
                    draft.text += size
        elif kind == "user" and isinstance(content, list):
            last = self.last_of_agent.get(agent)
            for block in content:
                if isinstance(block, Mapping) and block.get("type") == "tool_result" and last is not None:
                    last.results[str(block.get("tool_use_id"))] = json_size(block)

    def session(self) -> Session:
        turns = [
            Turn(
                agent=d.agent,
                model=d.message.model,
                usage=d.message.usage,
                tool_uses=tuple(ToolUse(call_id, size) for call_id, size in d.tool_uses.items()),
                text_size=d.text,
                thinking_size=d.thinking,
                results=tuple(d.results.items()),
                compacted=d.compacted,
                when=d.when,
            )
            for d in self.drafts
        ]
        return Session(turns, self.figures, [d.message.lines for d in self.drafts], self.tool_names)


def read_session(main: Path, subagents: Mapping[str, Path] | None = None) -> Session:
    """The turns of a log file, and of its sub-agent files (agentId -> file) after them."""
    reader = _Reader()
    reader.feed(read_log(main))
    for agent_id, path in (subagents or {}).items():
        task = reader.task_of_agent_id.get(agent_id, f"sidechain:{agent_id}")
        reader.feed(read_log(path), agent=task)
    return reader.session()


def subagent_files(main: Path) -> dict[str, Path]:
    """A 2.1-style session's sub-agent files (`<session>/subagents/agent-<id>.jsonl`), by agent id."""
    folder = main.with_suffix("") / "subagents"
    return {p.stem.removeprefix("agent-"): p for p in sorted(folder.glob("agent-*.jsonl"))}


def fixture_logs() -> Iterator[Path]:
    """Every transcript and stream-json fixture with usage in it (sub-agent files come with their session)."""
    for path in sorted(FIXTURES.rglob("*.json*")):
        if "subagents" in path.parts or path.name.endswith(".meta.json") or "case8" in str(path):
            continue
        if '"usage"' in path.read_text(encoding="utf-8", errors="replace"):
            yield path
