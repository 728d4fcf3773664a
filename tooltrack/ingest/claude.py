"""Pairing Claude Code's tool_use blocks with their tool_result blocks, session by session.

Stream-json output (`claude -p --output-format stream-json --verbose`) and session transcripts
(`~/.claude/projects/<project>/<session>.jsonl`) are the same messages with a few differences
(`session_id` / `sessionId`, `tool_use_result` / `toolUseResult`, `parent_tool_use_id` /
`isSidechain` + `agentId`, a final `result` line only in stream-json). `ClaudeLog` reads either,
line by line, and turns each session into task logs:

- a `tool_use` (id, name, input) waits until its `tool_result` (tool_use_id, content, is_error)
  arrives; parallel calls of one assistant message share a `turn_id` (the message id);
- a call that never gets a result is stored as `interrupted`, unless the file may still grow
  (its last line, or the file's modification time when lines have no timestamps, is less than
  `UNFINISHED_GRACE_SECONDS` old): then it is *pending*, not stored, and counted in the report;
  a later ingest stores it with its outcome. A stream-json `result` line ends its run: calls
  without a result there are interrupted at once. A result whose call is not in the file is
  reported as a note;
- a sub-agent's calls get the id of the Task call (`Agent` since Claude Code 2.1: both are
  `SUBAGENT_TOOLS`) that started them as `parent_call_id`, at any depth (a Task made inside a
  sidechain is the parent of its own sub-agent's calls). Stream-json says so
  (`parent_tool_use_id`). In transcripts each sidechain line belongs to an agent: its `agentId`,
  else the first line of its chain (followed through `parentUuid`: Claude Code 2.0.24-2.0.27
  writes parallel sub-agents inline with no `agentId`). An agent's Task is the one whose result
  names the agent (`agentId`), else the one whose `prompt` input is the text of the agent's first
  line; a subclass may look further (`_external_parent`: files beside a sub-agent's own file).
  Only when nothing matches is the Task guessed (the latest started that was running when the call
  was made, not the agent's own and not matched to another agent): such calls are counted as
  "parent guessed" in the report;
- memory: a session's finished calls are made into parts every `PART_SIZE` calls, handed on when
  the session ends (their rent is known only then, `tooltrack.ingest.session_cost`); of the
  sidechain lines only their agent is remembered, for those of agents still running;
- identity (`tooltrack.ingest.run_identity`) and cost (`tooltrack.ingest.session_cost`) are
  collected from the same lines: the task logs carry the session's project, branch, models,
  title and outcome, and each call its cost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from tooltrack.core import (
    INT32_MAX,
    MAIN_AGENT,
    SUBAGENT_TOOLS,
    UNFINISHED_GRACE_SECONDS,
    ToolResult,
    bound_error,
    build_call,
    replace_nul_parsed,
    result_text,
    run_figures,
)
from tooltrack.ingest.items import (
    DEFAULT_PHASE,
    SESSION_KEY_PREFIX,
    IngestOptions,
    Item,
    LogPart,
    ResumeAt,
    adw_layout,
    part_key,
)
from tooltrack.ingest.lines import Line, parse_json_line
from tooltrack.ingest.report import Note, RejectedLine, Tally
from tooltrack.ingest.run_identity import RunIdentity, outcome_of
from tooltrack.ingest.session_cost import SIDECHAIN, Priced, SessionTurns, call_fields
from tooltrack.models import TaskLogCreate, ToolCallRecord, describe_validation_error

#: How far a computed session cost may be from the `result` line's own before the report says so.
COST_TOLERANCE: Final = Decimal("0.01")
#: Finished calls of one session handed on together (bounds memory on huge sessions).
PART_SIZE: Final = 2000
#: How many call ids a session remembers to skip repeated lines before it forgets the handed-on ones.
_SEEN_LIMIT: Final = 50_000
#: Sidechain lines (uuid -> agent) a session remembers before it forgets those of finished agents,
#: and the most it keeps at all (beyond it the oldest go: a call on such a chain is guessed).
CHAIN_SWEEP: Final = 10_000
CHAIN_LIMIT: Final = 100_000
#: Task calls whose sub-agent's first line has not been seen yet, kept to match it by its prompt.
_OPEN_TASK_LIMIT: Final = 10_000


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
    agent: str | None
    """The sub-agent that made it (sidechain calls): its agentId, else the uuid of its chain's first line."""
    agent_named: bool
    """Whether `agent` is an agentId (else a line's uuid)."""
    context_size: int | None
    result: ToolResult | None = None
    finished: datetime | None = None
    done: bool = False


@dataclass(slots=True)
class _Task:
    """A Task (or Agent) call, as the possible parent of sidechain calls."""

    started: datetime | None
    owner: str | None
    """The agent that made this call (None: the main chain): it cannot be that agent's parent."""
    ended: datetime | None = None
    agent: str | None = None
    """The agent it started, once known (its result names it, or its prompt matched a first line)."""
    agent_named: bool = False
    """Whether `agent` is an agentId (else the uuid of a chain's first line)."""


@dataclass(slots=True)
class _Session:
    session_id: str
    first_line: int
    calls: dict[str, _Call] = field(default_factory=dict)
    """Calls not yet handed on, in the order they were made."""
    first_time: datetime | None = None
    last_time: datetime | None = None
    identity: RunIdentity = field(default_factory=RunIdentity)
    first_uuid: str | None = None
    """The uuid of the session's first message line: a resumed session's file starts with the same."""
    turns: SessionTurns = field(default_factory=SessionTurns)
    """Its model turns since the start (or since its last `result` line), for their cost."""
    held: list[tuple[list[ToolCallRecord], int]] = field(default_factory=list)
    """Parts handed on before the end, waiting for their calls' cost (known at the end: rent)."""
    run: str | None = None
    """The run (adw_id) it continues, once looked up ("" when none)."""
    summary: dict[str, Any] | None = None
    summary_line: int = 0
    tasks: dict[str, _Task] = field(default_factory=dict)
    """Every Task (or Agent) call of the session, by call id."""
    agent_tasks: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """Sub-agent -> (id of the Task call that started it, whether that is certain): from a Task
    result naming the agent (certain), or from the agent's first prompt (certain unless several
    running Tasks had that same prompt)."""
    open_prompts: dict[bytes, list[str]] = field(default_factory=dict)
    """Digest of a Task's prompt -> the Tasks with it whose sub-agent has not shown up yet."""
    shared_prompts: set[bytes] = field(default_factory=set)
    """Prompts that several Tasks waited with at once."""
    chains: dict[str, str] = field(default_factory=dict)
    """Sidechain line uuid -> its agent, for the lines whose children may still come."""
    finished_agents: set[str] = field(default_factory=set)
    """Agents whose Task has its result: their lines can be forgotten at the next sweep."""
    sweep_at: int = 0
    """`chains` is swept when it grows past this (and past `CHAIN_SWEEP`)."""
    seen_ids: set[str] = field(default_factory=set)

    def saw_time(self, when: datetime | None) -> None:
        if when is None:
            return
        if self.first_time is None or when < self.first_time:
            self.first_time = when
        if self.last_time is None or when > self.last_time:
            self.last_time = when


def _prompt_digest(text: str) -> bytes:
    return hashlib.blake2b(text.strip().encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _first_prompt(message: Any) -> str | None:
    """The text of a sub-agent's first line (a string, or its text blocks), else None."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            b["text"]
            for b in content
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        ]
        return "\n".join(texts) if texts else None
    return None


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
    """The sub-agent a Task result line names: `agentId` on the line (2.0.x) or in its result
    detail (2.1.x). A sidechain line's own `agentId` is the agent that line belongs to, so there
    only a different one in the detail names the sub-agent (a Task inside a sub-agent)."""
    own = line.get("agentId")
    named = detail.get("agentId") if isinstance(detail, dict) else None
    agent = (named if named != own else None) if line.get("isSidechain") else (own or named)
    return agent if isinstance(agent, str) and agent else None


class ClaudeLog:
    """Reads stream-json or transcript lines and yields task logs, rejections, notes and tallies."""

    #: The agent every sidechain line of the input belongs to when it names none (a sub-agent's own file).
    file_agent: str | None = None

    def __init__(self, options: IngestOptions, *, source: str) -> None:
        self.options = options
        self.source = source
        layout = adw_layout(options.name)
        self.adw_id = options.adw_id or (layout[0] if layout else None)
        self.phase = options.phase or (layout[1] if layout else DEFAULT_PHASE)
        self.sessions: dict[str, _Session] = {}
        self.default_session: str | None = None
        self._guessed: list[int] = [0, 0]  # calls with a guessed parent, line of the first
        self._pending: list[Any] = [0, 0, None]  # calls still running, line of the first, newest time seen
        self._resume_line: int | None = None  # the earliest line of a call still running (`ResumeAt`)
        self._orphans: dict[tuple[str, str, bool], list[int]] = {}  # (session, agent, named) -> [calls, first line]

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
        named = value.get("session_id") or value.get("sessionId")
        # A line without a session id (a summary, a file-history snapshot) belongs to the session
        # whose line came before it: a summary at a file's end is that session's own.
        session_id = str(named)[:150] if named else self.default_session or "unknown-session"
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = _Session(session_id, line)
        if named:
            self.default_session = session_id
        return session

    def feed(self, line: int, value: dict[str, Any]) -> Iterator[Item]:
        kind = value.get("type")
        session = self._session(value, line)
        when = parse_time(value.get("timestamp"))
        session.saw_time(when)
        session.identity.line(value)
        if session.first_uuid is None and kind in ("user", "assistant") and isinstance(value.get("uuid"), str):
            session.first_uuid = value["uuid"]
        if kind == "result":
            # The run ended here: its calls so far and the summary make one task log. Lines after
            # it (a resumed session appending to the file) start new parts.
            session.summary = value
            session.summary_line = line
            session.turns.figures = run_figures(value)
            yield from self._flush(session, final=True)
            session.summary = None
            session.turns = SessionTurns()
            return
        agent = self._line_agent(session, value) if value.get("isSidechain") else None
        message = value.get("message")
        if kind is None:
            yield RejectedLine(line, "a JSON object without a type: not a Claude Code message")
            return
        parent_use = value.get("parent_tool_use_id")
        if isinstance(parent_use, str) and parent_use:
            turn_agent = parent_use  # stream-json: a sub-agent's lines name their Task call
        elif agent is not None:
            turn_agent = SIDECHAIN + agent
        else:
            turn_agent = SIDECHAIN + "?" if value.get("isSidechain") else MAIN_AGENT
        if kind not in ("assistant", "user"):
            if kind == "system" and value.get("subtype") == "compact_boundary":
                session.turns.compact(turn_agent)
            return
        if not isinstance(message, dict):
            yield RejectedLine(line, f"a {kind} line without a message object")
            return
        content = message.get("content")
        if content is None:
            yield RejectedLine(line, f"a {kind} message without content")
            return
        if agent is not None and kind == "user" and "parentUuid" in value and value["parentUuid"] is None:
            self._agent_started(session, agent, self._named(value), message)
        if kind == "assistant" and session.turns.assistant(value, content, turn_agent, when):
            session.identity.assistant(message)
        if not isinstance(content, list):
            return  # a plain prompt or reply: no tool call in it
        if kind == "assistant":
            yield from self._uses(session, line, value, message, content, when, agent)
        else:
            yield from self._results(session, line, value, content, when, turn_agent)
        if len(session.calls) >= PART_SIZE:
            yield from self._flush(session, final=False)

    # -- which sub-agent, which Task -----------------------------------------------------------

    def _line_agent(self, session: _Session, value: dict[str, Any]) -> str | None:
        """The agent a sidechain line belongs to: its agentId (else the input's own agent), else
        its chain's, found through `parentUuid` from the chain's first line (whose uuid names the
        agent). Lines are remembered for their children: some lines lack the agentId their chain has."""
        if self.file_agent is not None:
            agent = value.get("agentId")
            return agent if isinstance(agent, str) and agent else self.file_agent
        uuid, parent = value.get("uuid"), value.get("parentUuid")
        agent = value.get("agentId")
        if not (isinstance(agent, str) and agent):
            if parent is None:
                agent = uuid if isinstance(uuid, str) else None  # the first line of a chain
            elif isinstance(parent, str):
                # A parent not seen (a file cut before it, a chain forgotten): it names the chain.
                agent = session.chains.get(parent, parent)
            else:
                agent = None
        if agent is not None and isinstance(uuid, str):
            session.chains[uuid] = agent
            if len(session.chains) > min(max(session.sweep_at, CHAIN_SWEEP), CHAIN_LIMIT):
                self._sweep(session)
        return agent

    def _named(self, value: dict[str, Any]) -> bool:
        """Whether a sidechain line's agent is an agentId (its own or its file's), not a chain's first line."""
        agent = value.get("agentId")
        return (isinstance(agent, str) and bool(agent)) or self.file_agent is not None

    @staticmethod
    def _sweep(session: _Session) -> None:
        """Forget the lines of finished agents; past `CHAIN_LIMIT`, the oldest half of the rest."""
        chains = session.chains
        if session.finished_agents:
            chains = {uuid: agent for uuid, agent in chains.items() if agent not in session.finished_agents}
            session.finished_agents.clear()
        if len(chains) > CHAIN_LIMIT:
            chains = dict(list(chains.items())[len(chains) // 2 :])
        session.chains = chains
        session.sweep_at = 2 * len(chains)  # amortised: the next sweep waits until it has doubled

    @staticmethod
    def _agent_started(session: _Session, agent: str, named: bool, message: dict[str, Any]) -> None:
        """A sub-agent's first line: its text is the prompt of the Task that started it."""
        if agent in session.agent_tasks:
            return  # a line repeated (a resumed session), or a result that named it already
        text = _first_prompt(message)
        if not text:
            return
        digest = _prompt_digest(text)
        waiting = session.open_prompts.get(digest)
        if not waiting:
            return
        task_id = waiting.pop(0)
        # Several Tasks waiting with the same prompt: which agent is whose cannot be told.
        session.agent_tasks[agent] = (task_id, digest not in session.shared_prompts)
        if not waiting:
            del session.open_prompts[digest]
        if task_id in session.tasks:
            session.tasks[task_id].agent = agent
            session.tasks[task_id].agent_named = named

    def _uses(
        self,
        session: _Session,
        line: int,
        value: dict[str, Any],
        message: dict[str, Any],
        content: list[Any],
        when: datetime | None,
        agent: str | None,
    ) -> Iterator[Item]:
        sidechain = bool(value.get("isSidechain"))
        parent = value.get("parent_tool_use_id")
        context = _usage_context(message)
        turn = message.get("id") if isinstance(message.get("id"), str) else None
        named = self._named(value)
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
            tool_input = block.get("input")
            session.calls[call_id] = _Call(
                call_id=call_id,
                name=name,
                tool_input=tool_input,
                line=line,
                started=when,
                turn_id=turn,
                parent_call_id=parent if isinstance(parent, str) else None,
                sidechain=sidechain,
                agent=agent,
                agent_named=named,
                context_size=context,
            )
            if name in SUBAGENT_TOOLS:
                self._task_started(session, call_id, tool_input, when, agent)

    @staticmethod
    def _task_started(
        session: _Session, call_id: str, tool_input: Any, when: datetime | None, owner: str | None
    ) -> None:
        session.tasks[call_id] = _Task(started=when, owner=owner)
        prompt = tool_input.get("prompt") if isinstance(tool_input, dict) else None
        if isinstance(prompt, str) and prompt.strip():
            digest = _prompt_digest(prompt)
            waiting = session.open_prompts.setdefault(digest, [])
            if waiting:
                session.shared_prompts.add(digest)
            waiting.append(call_id)
            if len(session.open_prompts) > _OPEN_TASK_LIMIT:  # Tasks whose agent never showed up
                del session.open_prompts[next(iter(session.open_prompts))]

    def _results(
        self,
        session: _Session,
        line: int,
        value: dict[str, Any],
        content: list[Any],
        when: datetime | None,
        turn_agent: str,
    ) -> Iterator[Item]:
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
        detail = value.get("toolUseResult", value.get("tool_use_result"))
        for block in results:
            call_id = block.get("tool_use_id")
            call = session.calls.get(call_id) if isinstance(call_id, str) else None
            if call is None:
                if call_id not in session.seen_ids:
                    yield Note(line, self._unknown_result(call_id))
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
            session.turns.result(turn_agent, call.call_id, call.result.size_bytes or 0)
            task = session.tasks.get(call.call_id)
            if task is not None:
                task.ended = when
                # The agent named on a line belongs to its one result.
                agent = result_agent(value, detail) if len(results) == 1 else None
                if agent:
                    session.agent_tasks[agent] = (call.call_id, True)
                    task.agent, task.agent_named = agent, True
                if task.agent is not None:
                    session.finished_agents.add(task.agent)

    def _unknown_result(self, call_id: Any) -> str:
        resumed = self.options.resumed_at_line
        if resumed:
            # A read from a checkpoint starts before every call that was still running: a result
            # whose call lies before that is one of a call already handed on (stored or interrupted).
            return (
                f"tool_result for call {call_id} whose tool_use is before line {resumed + 1}, "
                "where this read of the grown file started: read before, skipped"
            )
        return f"tool_result for call {call_id} whose tool_use is not in this file: skipped"

    def finish(self) -> Iterator[Item]:
        now = datetime.now(UTC)
        for session in self.sessions.values():
            last = self._may_grow(session, now)
            held = self._pending[0]
            yield from self._flush(session, final=True, hold_open=last is not None)
            if last is not None and self._pending[0] > held:
                self._pending[2] = max(last, self._pending[2] or last)  # for the note: the newest
        yield from self._closing_notes()
        if self._resume_line is not None:
            yield ResumeAt(self._resume_line)

    # -- still running? ------------------------------------------------------------------------

    def _may_grow(self, session: _Session, now: datetime) -> datetime | None:
        """When the session's file was last written, if that is less than `UNFINISHED_GRACE_SECONDS`
        ago (it may still grow), else None. Judged by its last line's time, or without timestamps
        by the file's modification time; no evidence at all (stdin without timestamps): None."""
        last = session.last_time or self._file_time()
        if last is None or (now - last).total_seconds() >= UNFINISHED_GRACE_SECONDS:
            return None
        return last

    def _file_time(self) -> datetime | None:
        """The modification time of the file read, when it is one on disk."""
        if self.options.name == "-":
            return None
        try:
            return datetime.fromtimestamp(Path(self.options.name).stat().st_mtime, UTC)
        except (OSError, ValueError):
            return None  # an upload's name, or no longer there

    # -- handing on ----------------------------------------------------------------------------

    def _parent_of(self, session: _Session, call: _Call) -> tuple[str | None, bool]:
        """The Task that started the agent that made `call`, and whether it was guessed."""
        if call.parent_call_id or not call.sidechain:
            return call.parent_call_id, False
        if call.agent is not None and call.agent in session.agent_tasks:
            task_id, certain = session.agent_tasks[call.agent]
            return task_id, not certain
        found = self._external_parent(session, call.agent)
        if found is not None:
            return found, False
        guess = self._guess_parent(session, call)
        return guess, guess is not None

    def _external_parent(self, session: _Session, agent: str | None) -> str | None:
        """The Task of a sidechain call as found outside this input (see `tooltrack.ingest.transcript`)."""
        return None

    @staticmethod
    def _guess_parent(session: _Session, call: _Call) -> str | None:
        """The Task that was running when `call` was made (the latest started), leaving out the
        Tasks of its own agent and those known to have started another agent (known by the same
        kind of name: a chain's first line and an agentId may be one agent)."""
        if call.started is None:
            return None
        best: tuple[datetime, str] | None = None
        for task_id, task in session.tasks.items():
            if task.owner == call.agent:
                continue
            if task.agent is not None and task.agent != call.agent and task.agent_named == call.agent_named:
                continue
            start, end = task.started, task.ended
            if start is None or start > call.started or (end is not None and call.started > end):
                continue
            if best is None or start > best[0]:
                best = (start, task_id)
        return best[1] if best else None

    def _orphan_reason(self, session_id: str, agent: str) -> str:
        """Why no Task was found for an agent's calls (a subclass knows more places it looked)."""
        return "no Task call in this input started it (by the agent its result names, or by its first prompt)"

    def _closing_notes(self) -> Iterator[Item]:
        """What the report says once the input is read: guessed parents, orphans, pending calls."""
        guessed, line = self._guessed
        if guessed:
            yield Tally(parents_guessed=guessed)
            yield Note(
                line,
                f"{guessed} sub-agent call(s) matched no Task by the agent its result names or by the "
                "agent's first prompt: parent_call_id guessed (the Task running when each was made)",
            )
        for (session_id, agent, named), (count, first) in self._orphans.items():
            who = f"agent {agent}" if named else f"the sub-agent whose first line is {agent}"
            why = self._orphan_reason(session_id, agent)
            yield Note(first, f"{count} sidechain call(s) of {who}: {why}: stored without parent_call_id")
        pending, line, last = self._pending
        if pending:
            hours = UNFINISHED_GRACE_SECONDS / 3600
            yield Tally(calls_pending=pending)
            yield Note(
                line,
                f"{pending} call(s) still running: not stored yet (the file may still grow: last written "
                f"{last:%Y-%m-%d %H:%M} UTC, less than {hours:g} h ago); ingest it again to store them "
                f"with their outcome (after {hours:g} h they are stored as interrupted)",
            )

    def _flush(self, session: _Session, *, final: bool, hold_open: bool = False) -> Iterator[Item]:
        """Hand on the session's finished calls (all of them when `final`, those still without a
        result too, as interrupted, unless `hold_open`: then those are pending and left out)."""
        ready: list[_Call] = []
        for call_id, call in list(session.calls.items()):
            if not call.done and not final:
                break  # keep call order: hand on only the finished calls before the first open one
            del session.calls[call_id]
            if not call.done and hold_open:
                if not self._pending[0]:
                    self._pending[1] = call.line
                self._pending[0] += 1
                self._resume_line = min(call.line, self._resume_line or call.line)
                continue
            ready.append(call)
        if len(session.seen_ids) > _SEEN_LIMIT:
            # Forget handed-on ids (the store's call_id filter still catches repeats): bounded memory.
            session.seen_ids = set(session.calls)
        if not ready and not (final and (session.summary is not None or session.held or session.turns.drafts)):
            return
        records: list[ToolCallRecord] = []
        for call in ready:
            parent, guessed = self._parent_of(session, call)
            if guessed:
                if not self._guessed[0]:
                    self._guessed[1] = call.line
                self._guessed[0] += 1
            elif parent is None and call.sidechain:
                orphan = self._orphans.setdefault(
                    (session.session_id, call.agent or "?", call.agent_named), [0, call.line]
                )
                orphan[0] += 1
            payload = build_call(
                name=call.name,
                tool_input=call.tool_input,
                result=call.result,
                call_id=call.call_id,
                started=call.started,
                finished=call.finished,
                turn_id=call.turn_id,
                parent_call_id=parent,
                context_size_before=call.context_size,
            )
            try:
                records.append(ToolCallRecord.model_validate(payload))
            except ValidationError as exc:
                yield RejectedLine(call.line, f"tool call {call.call_id}: {describe_validation_error(exc)}")
        line = ready[0].line if ready else session.summary_line
        if not final:
            # Handed on at the end: a call's rent is known only when its context ends.
            session.held.append((records, line))
            return
        parts = session.held
        if records or session.summary is not None:
            parts.append((records, line))
        session.held = []
        priced = self._price(session, parts)
        if not parts and priced is not None and priced.summary.turns and not hold_open:
            # A session without tool calls (a chat, a compaction agent's file) still cost: a log of its own.
            parts.append(([], session.first_line))
        for index, (part, at) in enumerate(parts):
            last = index == len(parts) - 1
            try:
                log = self._task_log(
                    session, part, session.summary if last else None, priced if last else None, growing=hold_open
                )
            except ValidationError as exc:
                yield RejectedLine(at, f"session {session.session_id}: {describe_validation_error(exc)}")
                continue
            yield LogPart(log, at)
        if priced is not None:
            yield from self._cost_report(priced, parts[-1][1] if parts else session.first_line)

    # -- cost ----------------------------------------------------------------------------------

    def _price(self, session: _Session, parts: list[tuple[list[ToolCallRecord], int]]) -> Priced | None:
        """The session's cost attributed to its calls: their records get their parts."""
        turns = session.turns
        if not turns.drafts and turns.figures is None:
            return None
        priced = turns.price(
            session.session_id,
            lambda agent: self._turn_task(session, agent),
            skip=self._counted_elsewhere(session),
            when=session.last_time,
        )
        if priced is None:
            return None
        calls = priced.attribution.calls
        stored = 0
        for records, _ in parts:
            for record in records:
                call_id = record.call_id
                cost = calls.get(call_id) if call_id else None
                if cost is None or call_id is None:
                    continue
                values = call_fields(cost, priced.models.get(call_id), priced.unknown)
                # Checked values of the record's own fields (floats >= 0, an int, a model name):
                # set as pydantic's assignment without validation does, without its per-field cost.
                record.__dict__.update(values)
                record.__pydantic_fields_set__.update(values)
                stored += cost.total.pico
        priced.summary = replace(priced.summary, unstored_pico=priced.summary.calls_pico - stored)
        return priced

    def _turn_task(self, session: _Session, agent: str) -> str:
        """The Task call that started a sidechain agent (`SIDECHAIN` + its id), else the agent as it is."""
        name = agent.removeprefix(SIDECHAIN)
        if name in session.agent_tasks:
            return session.agent_tasks[name][0]
        return self._external_parent(session, name) or agent

    def _counted_elsewhere(self, session: _Session) -> frozenset[str]:
        """Message keys whose cost another session counts (the one a resumed session repeats)."""
        return frozenset()

    def _cost_report(self, priced: Priced, line: int) -> Iterator[Item]:
        """The session's cost into the report; a note where it needs a look: a model without a
        price, or a computed cost more than `COST_TOLERANCE` away from the run's own."""
        summary = priced.summary
        yield Tally(costs=(summary,))
        difference = summary.difference
        off = summary.reported_usd is not None and (
            (difference is None and summary.reported_usd != summary.total_usd)
            or (difference is not None and abs(difference) > COST_TOLERANCE)
        )
        if summary.unknown_models or off:
            yield Note(line, f"session {summary.session_id}: {summary.describe()}")

    def _task_log(
        self,
        session: _Session,
        calls: list[ToolCallRecord],
        summary: dict[str, Any] | None,
        priced: Priced | None = None,
        *,
        growing: bool = False,
    ) -> TaskLogCreate:
        times = [c.timestamp for c in calls if c.timestamp is not None]
        started = min(times) if times else session.first_time
        completed = max(times) if times else session.last_time
        values: dict[str, Any] = {
            "adw_id": self.adw_id or self._run_of(session) or session.session_id,
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
        elif started is None and completed is None:
            # No timestamp anywhere (older stream-json): never the ingest time; the pipeline dates
            # it by the best evidence it finds (`tooltrack.ingest.dating`).
            values["time_source"] = "unknown"
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
        values.update(session.identity.fields())
        values["outcome"] = outcome_of(values["phase_status"])
        if priced is not None:
            cost = priced.summary
            values["log_message"] += f"; {cost.describe()}"
            if summary is None and growing:
                values["log_message"] += " (not stored yet: the file may still grow)"
            elif summary is None:  # the run's own figures, where a result line gives them, stay
                values["tokens_used"] = min(cost.total_tokens, INT32_MAX)
                known = cost.total_pico or not cost.unknown_models
                values["cost_usd"] = float(cost.total_usd) if known else None
                # Its own key: a session ingested while it ran stored its calls without its cost;
                # once it is finished, this log stores the cost (with any calls not stored yet).
                values["log_key"] += ":cost"
        return TaskLogCreate.model_validate(values)

    def _run_of(self, session: _Session) -> str | None:
        """The run a session continues (a resumed session's file repeats the one it resumes), else None."""
        return None

    def _describe(self, session: _Session) -> str:
        parts = [f"Claude Code session {session.session_id}"]
        identity = session.identity
        if identity.version:
            parts.append(f"version {identity.version}")
        if identity.cwd:
            parts.append(f"cwd {identity.cwd}")
        if identity.git_branch:
            parts.append(f"branch {identity.git_branch}")
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
