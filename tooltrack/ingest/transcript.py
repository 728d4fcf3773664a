"""Format 3: Claude Code session transcripts (`~/.claude/projects/<project>/<session>.jsonl`).

The same messages as stream-json with `timestamp`, `sessionId`, `cwd`, `gitBranch` and
`toolUseResult` on each line; durations come from the timestamps of a call and its result, so
they include any wait for the user's permission (`duration_source = "timestamps"`). Sub-agent
(sidechain) calls are attributed to the Task call that started them. See `tooltrack.ingest.claude`.

Sidechains in files of their own: Claude Code 2.0.x writes a sub-agent's lines to
`<project>/agent-<agentId>.jsonl` beside the session's `<project>/<sessionId>.jsonl`, 2.1.x to
`<project>/<sessionId>/subagents/agent-<agentId>.jsonl` with `agent-<agentId>.meta.json` beside
it. Every line there has `isSidechain: true`, the session's `sessionId` and (nearly always) the
`agentId`. The Task call that started the sub-agent is found, in order (`_external_parent`):

1. in the `toolUseId` of the sub-agent's meta.json (Claude Code 2.1.252; also for a sub-agent
   started by another sub-agent, whose Agent call is in that sub-agent's file);
2. in the session's file found beside it (`session_task_links`), whichever order the files are
   ingested in: the Task whose result line names the agent (`agentId` on the line in 2.0.x,
   `toolUseResult.agentId` in 2.1.x).

When neither gives it (no such file, a meta.json without toolUseId, a result that names no such
agent, or an input read from stdin or uploaded, which has no folder), the calls are stored without
`parent_call_id` and the report says so in a note. Only files named `agent-<id>.jsonl` are taken as
sidechain files; a folder search skips `agent-<id>.meta.json` (`is_agent_meta`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import orjson

from tooltrack.core import MAX_NAME, SUBAGENT_TOOLS, message_key
from tooltrack.ingest.claude import ClaudeLog, _Session, result_agent
from tooltrack.ingest.items import IngestOptions, Item
from tooltrack.ingest.lines import Line, LineReader

SOURCE: Final = "claude-transcript"

#: The file name Claude Code gives a sub-agent's transcript.
_AGENT_FILE: Final = re.compile(r"agent-([A-Za-z0-9_-]{1,100})\.jsonl")
#: The file Claude Code 2.1 writes beside a sub-agent's transcript (agent type, description, ...).
_AGENT_META: Final = re.compile(r"agent-[A-Za-z0-9_-]{1,100}\.meta\.json")
#: Session ids name files: only these characters are trusted to do so (no path separators).
_SAFE_SESSION: Final = re.compile(r"[A-Za-z0-9_-]{1,150}")
#: A sub-agent's meta.json is a few hundred bytes; a larger file is not one.
_META_LIMIT: Final = 64 * 1024
#: How much of each transcript in a folder is read to find its first message line (resume links).
_HEAD_LIMIT: Final = 256 * 1024
_HEAD_FIRST: Final = 16 * 1024
#: Folders of more transcripts than this are not searched for the session a file resumes.
_FOLDER_LIMIT: Final = 5000


def parse(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
    return _TranscriptLog(options, source=SOURCE).parse(lines)


def sidechain_agent(name: str) -> str | None:
    """The sub-agent id in a sidechain file's name (`agent-<agentId>.jsonl`), else None."""
    match = _AGENT_FILE.fullmatch(Path(name).name)
    return match.group(1) if match else None


def session_file_for(name: str, session_id: str) -> Path | None:
    """The session's own transcript beside a sidechain file `name`, where Claude Code puts it.

    `<dir>/<session>.jsonl` for 2.0.x (`<dir>/agent-<id>.jsonl`), two folders up for 2.1.x
    (`<dir>/<session>/subagents/agent-<id>.jsonl`). None when `name` is not a file on disk (an
    upload, stdin) or no such file exists.
    """
    if not _SAFE_SESSION.fullmatch(session_id):
        return None
    path = Path(name)
    if not path.is_file():
        return None
    folder = path.resolve().parent
    for candidate in (folder, *list(folder.parents)[:2]):
        target = candidate / f"{session_id}.jsonl"
        if target.is_file() and target.resolve() != path.resolve():
            return target
    return None


def session_task_links(path: Path) -> Mapping[str, str]:
    """Sub-agent id -> id of the Task call that started it, read from a session's transcript.

    Cached per file version (path, size, modification time): a folder holding many sub-agent
    files of one session reads the session's file once.
    """
    stat = path.stat()
    return _read_task_links(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _read_task_links(path: str, _size: int, _mtime_ns: int) -> Mapping[str, str]:
    task_calls: set[str] = set()
    links: dict[str, str] = {}
    with open(path, "rb") as handle:
        for line in LineReader(handle):  # type: ignore[arg-type]
            data = line.data
            # Only two kinds of line matter: a Task call, and a result naming an agent.
            if line.too_long or not (b'"agentId"' in data or b'"tool_use"' in data):
                continue
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue  # reported when that file itself is ingested
            if isinstance(value, dict) and not value.get("isSidechain"):
                _note_link(value, task_calls, links)
    return links


def _note_link(value: dict[str, Any], task_calls: set[str], links: dict[str, str]) -> None:
    """Learn from one main-chain line: a Task call's id, or which agent a Task result names."""
    message = value.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return
    blocks = [b for b in content if isinstance(b, dict)]
    if value.get("type") == "assistant":
        task_calls.update(
            b["id"] for b in blocks if b.get("type") == "tool_use" and b.get("name") in SUBAGENT_TOOLS and b.get("id")
        )
        return
    results = [b for b in blocks if b.get("type") == "tool_result"]
    if len(results) != 1 or results[0].get("tool_use_id") not in task_calls:
        return  # the agent named on a line belongs to its one result (as in `ClaudeLog`)
    agent = result_agent(value, value.get("toolUseResult"))
    if agent:
        links[agent] = str(results[0]["tool_use_id"])


def first_message_uuid(head: bytes) -> tuple[str, str] | None:
    """(uuid, sessionId) of the first user or assistant line in the start of a transcript."""
    for raw in head.splitlines():
        if b'"uuid"' not in raw:
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # a line cut by the head's end, or a bad line (reported when that file is ingested)
        if not isinstance(value, dict) or value.get("type") not in ("user", "assistant"):
            continue
        if isinstance(value.get("uuid"), str):
            session = value.get("sessionId")
            return value["uuid"], session if isinstance(session, str) else ""
    return None


def resumed_run(name: str, first_uuid: str) -> tuple[str, Path] | None:
    """The session a transcript continues and its file, by the transcripts beside it: None when it continues none.

    A resumed (or continued) session's file starts with the lines of the session it resumes again,
    same `uuid`s under a new `sessionId` (tests/fixtures/real/case1-resume): the transcripts of a
    folder whose first message line has one uuid are one run, named by the first of them (the
    smallest file: each continuation holds what it continues, and more).
    """
    path = Path(name)
    try:
        if not path.is_file():
            return None
        folder = path.resolve().parent
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return None
    chain = _first_uuids(str(folder), stamp).get(first_uuid)
    if not chain or len(chain) < 2:
        return None
    _, file_name, session = min(chain)
    return (session, folder / file_name) if session else None


def message_keys(path: Path) -> frozenset[str]:
    """The keys (message id + request id) of the API messages of a transcript: those a resumed
    session repeats are counted with the session they come from. Cached per file version."""
    try:
        stat = path.stat()
    except OSError:
        return frozenset()
    return _message_keys(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _message_keys(path: str, _size: int, _mtime_ns: int) -> frozenset[str]:
    keys: set[str] = set()
    try:
        with open(path, "rb") as handle:
            for line in LineReader(handle):  # type: ignore[arg-type]
                if line.too_long or b'"assistant"' not in line.data:
                    continue
                try:
                    value = orjson.loads(line.data)
                except orjson.JSONDecodeError:
                    continue
                key = message_key(value) if isinstance(value, dict) and value.get("type") == "assistant" else None
                if key is not None:
                    keys.add(key)
    except OSError:
        return frozenset()
    return frozenset(keys)


@lru_cache(maxsize=8)
def _first_uuids(folder: str, _stamp: int) -> Mapping[str, list[tuple[int, str, str]]]:
    """First message uuid -> (size, file name, session id) of each session transcript in `folder`."""
    found: dict[str, list[tuple[int, str, str]]] = {}
    try:
        entries = [e for e in Path(folder).iterdir() if e.suffix == ".jsonl" and not e.name.startswith("agent-")]
    except OSError:
        return found
    if len(entries) > _FOLDER_LIMIT:
        return found
    for entry in entries:
        try:
            with open(entry, "rb") as handle:
                head = handle.read(_HEAD_FIRST)
                first = first_message_uuid(head)
                if first is None and len(head) == _HEAD_FIRST:  # long first lines: read on, up to the limit
                    first = first_message_uuid(head + handle.read(_HEAD_LIMIT - _HEAD_FIRST))
            size = entry.stat().st_size
        except OSError:
            continue
        if first is not None:
            found.setdefault(first[0], []).append((size, entry.name, first[1] or entry.stem))
    return found


def is_agent_meta(name: str) -> bool:
    """Whether `name` is a sub-agent's metadata file (`agent-<agentId>.meta.json`), not a log."""
    return _AGENT_META.fullmatch(name) is not None


def agent_meta_task(name: str) -> str | None:
    """The Task that started a sub-agent, as its `agent-<id>.meta.json` beside `name` names it.

    Claude Code 2.1 writes `<session>/subagents/agent-<id>.meta.json` next to the sub-agent's
    transcript; recent versions (2.1.252 seen) put the spawning Agent call's id in `toolUseId`
    (also for a sub-agent started by another sub-agent, with `parentAgentId`); older ones
    (2.1.97 seen) hold only `agentType` and `description`. None when there is no such file, it
    is not JSON, or it names no call.
    """
    path = Path(name)
    meta = path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")
    try:
        if not meta.is_file() or meta.stat().st_size > _META_LIMIT:
            return None
        value = orjson.loads(meta.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None  # unreadable: the session's file is still looked up, and a note says if that fails
    task = value.get("toolUseId") if isinstance(value, dict) else None
    return task if isinstance(task, str) and 0 < len(task) <= MAX_NAME else None


class _TranscriptLog(ClaudeLog):
    """`ClaudeLog` that also finds the Task of a sidechain whose lines sit in a file of their own:
    by the file's `meta.json` (`toolUseId`), else by the session's file beside it."""

    def __init__(self, options: IngestOptions, *, source: str) -> None:
        super().__init__(options, source=source)
        self.file_agent = sidechain_agent(options.name)
        self.meta_task = agent_meta_task(options.name) if self.file_agent else None
        self._links: dict[str, tuple[Path | None, Mapping[str, str]]] = {}
        self._resumes: dict[str, Path] = {}
        """Session id -> the file of the session it resumes."""

    def _external_parent(self, session: _Session, agent: str | None) -> str | None:
        if self.file_agent is None or agent is None:
            return None  # a session's own file: `ClaudeLog` alone decides
        if agent == self.file_agent and self.meta_task is not None:
            return self.meta_task
        return self._session_links(session.session_id)[1].get(agent)

    def _session_links(self, session_id: str) -> tuple[Path | None, Mapping[str, str]]:
        if session_id not in self._links:
            found = session_file_for(self.options.name, session_id)
            try:
                self._links[session_id] = (found, session_task_links(found) if found else {})
            except OSError:  # unreadable: the calls are stored all the same, the note says why
                self._links[session_id] = (None, {})
        return self._links[session_id]

    def _run_of(self, session: _Session) -> str | None:
        if self.file_agent is not None or session.first_uuid is None:
            return None  # a sub-agent's file: its lines name the session (its run) already
        if session.run is None:
            found = resumed_run(self.options.name, session.first_uuid)
            if found is not None and found[0] != session.session_id:
                session.run, self._resumes[session.session_id] = found
            else:
                session.run = ""
        return session.run or None

    def _counted_elsewhere(self, session: _Session) -> frozenset[str]:
        """The messages of the session this one resumes: that session's log counts their cost."""
        self._run_of(session)
        resumed = self._resumes.get(session.session_id)
        return message_keys(resumed) if resumed is not None else frozenset()

    def _orphan_reason(self, session_id: str, agent: str) -> str:
        if self.file_agent is None:
            if Path(self.options.name).is_file():
                return super()._orphan_reason(session_id, agent)
            # docs/ingest.md: a sub-agent's file read from standard input (or uploaded) has no
            # folder, so the session's transcript beside it cannot be looked up.
            return (
                "no Task call in this input started it, and an input read without a path (standard input, "
                f"an upload) cannot have its session's transcript {session_id}.jsonl looked up beside it: "
                "ingest the sub-agent's file from its folder"
            )
        found, _ = self._session_links(session_id)
        if found is None:
            return f"the session's transcript {session_id}.jsonl was not found (or not readable) beside this file"
        return f"no Task result in {found} names this agent"
