"""The hook's per-session state: tool calls waiting for their task log, one small file a session.

Each hook run is a new process, and Claude Code runs hooks of parallel tool calls at the same time,
so the state is an append-only JSONL file per session (`<spool dir>/hook-sessions/<session>.jsonl`)
that hook processes append whole lines to (see `files.py`). Lines (spelled, versioned, written and
read back only by `session_format.py`):

- `pre`:  a PreToolUse event (call id, tool, time, the fields its input gives);
- `post`: a PostToolUse / PostToolUseFailure event (fields, outcome, the hook's own `duration_ms`);
- `close`: a batch of calls being closed into one task log (its `log_key`, the call ids, the meta);
- `done`: the ids of the calls closed before (one line, rewritten at each close).

Closing a batch (at Stop / SubagentStop / SessionEnd, or when `tooltrack replay` finds a session
that went quiet) takes three steps, and holds the file's lock only for the first and the last, so
that no hook process ever waits on another's network I/O (the lock is what every PreToolUse and
PostToolUse takes to append):

1. holding the lock: write the `close` marker of the new batch, and build the payloads of it and
   of any earlier marker still in the file (a close that did not complete);
2. without the lock: deliver them (append to the spool, or post with a deadline);
3. holding the lock again: read the file afresh (events appended meanwhile are kept) and rewrite
   it without the events of the batches delivered, their markers gone and their ids added to the
   `done` line. Markers this close did not deliver (another close running at the same time, a
   delivery that failed) stay, with their calls' events.

The key is a hash of the session id and the call ids, so a crash anywhere in between is repaired by
the next close re-delivering the marked batch under the same key, which the store keeps once; two
closes at once may both deliver one marker, which is stored once for the same reason.

Each call is delivered once: an event that arrives for a call already closed (a PostToolUse after
its session was closed as stale with the call unfinished, a repeated event) is dropped at the next
close, because its id is on the `done` line. The store keeps task logs write-once, so a call closed
as interrupted cannot be completed later; that is why a stale close keeps unfinished calls back for
`UNFINISHED_GRACE_SECONDS` (their PostToolUse usually comes, say after a long permission prompt)
and only then closes them as interrupted. The `done` ids are forgotten `KEEP_CLOSED_IDS_SECONDS`
after the session's last close, and the file with them.

A line this code cannot read goes to the dead-letter file; a line of a newer format (a newer
tooltrack wrote it, then an older one was installed) is skipped with an entry in the hook's error
log holding the whole line, and the rest of the session is closed as usual.

Standard library only. The hook imports this only to close a session: a PreToolUse or PostToolUse
needs `session_format` alone, and with no bytecode cached (PYTHONDONTWRITEBYTECODE) compiling this
module would cost every tool call about a millisecond.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tooltrack.capture.files import append_line, locked_fd, read_all, replace_contents, write_all
from tooltrack.capture.session_format import (
    CLOSING_EVENTS,
    PRE,
    CallEvent,
    CloseMarker,
    DoneIds,
    NewerFormat,
    UnreadableLine,
    close_line,
    done_line,
    read_line,
)
from tooltrack.capture.session_format import session_file as session_file  # where callers have found it
from tooltrack.capture.spool import Spool, dumps_line, hook_log_path, sessions_dir, utc_iso
from tooltrack.core import INT64_MAX, INT64_MIN, MAX_DURATION_MS, MAX_NAME, MAX_TEXT, storable_text

Deliver = Callable[[dict[str, Any]], object]  # what it returns is not used (Spool.append gives the file)

#: Reasons of a close made as calls finish (the API's hook endpoint stores a session's finished
#: calls a moment after their PostToolUse, not only at Stop): their calls completed, as at Stop.
LIVE_CLOSES = frozenset({"PostToolUse", "PostToolUseFailure"})
#: A stale close leaves a call without PostToolUse alone until its PreToolUse is this old.
UNFINISHED_GRACE_SECONDS = 24 * 3600.0
#: How long the ids of closed calls are remembered to drop late events of those calls.
KEEP_CLOSED_IDS_SECONDS = 7 * 24 * 3600.0
_SYNTHETIC = "noid:"
_LOG_LIMIT = 1 << 20  # rotate the hook's error log past 1 MB


def log_hook_problem(spool: Spool, entry: dict[str, Any]) -> None:
    """Add one entry to the hook's error log (`hook-errors.log` beside the spool), rotating it past 1 MB."""
    line = dumps_line({"at": utc_iso(), "pid": os.getpid(), **entry})
    try:
        _append_log(hook_log_path(spool.path), line)
    except OSError:
        backup = spool.fallback_spool()  # the spool's folder cannot be written: the log goes with the spool
        if backup is None:
            raise
        _append_log(hook_log_path(backup.path), line)


def _append_log(path: Path, line: bytes) -> None:
    if path.exists() and path.stat().st_size > _LOG_LIMIT:
        os.replace(path, path.with_suffix(".log.1"))
    append_line(path, line)


class PendingCall:
    """One tool call as the session file knows it: its Pre and Post events, either may be missing."""

    # A plain class, not a dataclass: importing dataclasses costs the hook a few ms on every call.
    __slots__ = ("id", "post", "pre", "tool")

    def __init__(self, call_id: str, tool: str) -> None:
        self.id = call_id
        self.tool = tool
        self.pre: CallEvent | None = None
        self.post: CallEvent | None = None

    @property
    def start(self) -> float | None:
        if self.pre is not None:
            return float(self.pre.at)
        if self.post is not None:
            duration = self.post.duration_ms
            return float(self.post.at) - (duration / 1000 if duration is not None else 0)
        return None


class SessionState:
    """A session file read back: calls in order of first sight, close markers, lines per call."""

    __slots__ = (
        "bad_lines",
        "calls",
        "done",
        "done_at",
        "event_ids",
        "marker_lines",
        "markers",
        "newer_lines",
        "session_id",
    )

    def __init__(self) -> None:
        self.calls: dict[str, PendingCall] = {}
        self.markers: list[CloseMarker] = []
        self.marker_lines: list[bytes] = []  # as written, in the order of `markers`
        self.event_ids: list[tuple[bytes, str]] = []
        self.bad_lines: list[tuple[int, bytes, str]] = []
        self.newer_lines: list[tuple[int, bytes, str]] = []  # of a format newer than this code reads
        self.session_id: str | None = None
        self.done: dict[str, None] = {}  # ids of calls closed before, in closing order
        self.done_at: float | None = None


def fold(data: bytes) -> SessionState:
    """Pair Pre and Post events by tool_use_id (in file order for events that have none)."""
    state = SessionState()
    waiting_by_tool: dict[str, list[str]] = defaultdict(list)  # Pre events without an id, oldest first
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = read_line(line)
        except NewerFormat as exc:
            state.newer_lines.append((number, line, str(exc)))
            continue
        except UnreadableLine as exc:
            state.bad_lines.append((number, line, str(exc)))
            continue
        if isinstance(event, CloseMarker):
            state.markers.append(event)
            state.marker_lines.append(line)
            continue
        if isinstance(event, DoneIds):
            state.done.update(dict.fromkeys(event.ids))
            when = event.at
            if when is not None and (state.done_at is None or when > state.done_at):
                state.done_at = float(when)
            continue
        state.session_id = state.session_id or event.session_id
        tool = event.tool
        call_id = event.call_id
        if not call_id:
            if event.kind == PRE:
                call_id = f"{_SYNTHETIC}{event.at!r}:{tool}"
                waiting_by_tool[tool].append(call_id)
            elif waiting_by_tool[tool]:
                call_id = waiting_by_tool[tool].pop(0)
            else:
                call_id = f"{_SYNTHETIC}{event.at!r}:{tool}"
        call = state.calls.setdefault(call_id, PendingCall(call_id, tool))
        if event.kind == PRE:
            if call.pre is None:
                call.pre = event
        elif call.post is None:
            call.post = event
        state.event_ids.append((line, call_id))
    return state


def build_record(call: PendingCall) -> dict[str, Any]:
    """The ToolCallRecord fields of one call (JSON-ready).

    Text taken from the events as they came (tool name, call id, error) goes through `storable_text`,
    like the fields `hook_mapping` takes from the tool's input: one NUL or lone surrogate would make
    the model refuse the whole session's task log. The session file keeps the events as they came.
    """
    fields: dict[str, Any] = dict(call.pre.fields) if call.pre else {}
    post = call.post
    if post is not None:
        for key, value in post.fields.items():
            if key == "parameters" and isinstance(fields.get("parameters"), dict):
                fields["parameters"] = {**fields["parameters"], **value}
            else:
                fields[key] = value
    record: dict[str, Any] = {"tool_name": storable_text(call.tool, MAX_NAME), **fields}
    if not call.id.startswith(_SYNTHETIC):
        record["call_id"] = storable_text(call.id, MAX_NAME)
    start = call.start
    if post is not None:
        success = post.ok and fields.get("success", True) is not False
        record["success"] = success
        record["outcome"] = fields.get("outcome") or post.outcome or ("ok" if success else "error")
        if post.error:
            record["error_message"] = storable_text(post.error, MAX_TEXT)
        if post.duration_ms is not None:
            record["duration_ms"] = post.duration_ms
            record["duration_source"] = "hook"
        elif call.pre is not None:
            # From the two hook runs' clocks: includes any permission prompt in between.
            record["duration_ms"] = max(0, round((float(post.at) - float(call.pre.at)) * 1000))
            record["duration_source"] = "timestamps"
    else:
        record["success"] = False
        record["outcome"] = "interrupted"
        record["error_message"] = "the call never finished: no PostToolUse event before the session closed"
    if start is not None:
        record["timestamp"] = utc_iso(start)
    return _storable_numbers_of(record)


def storable_numbers(value: Any) -> Any:
    """JSON `value` with each number the store cannot hold replaced as the shared mapping does.

    An integer beyond 64 bits becomes the float orjson reads it as (its text when even a float
    cannot hold it), NaN and +-Infinity their text: orjson, PostgreSQL's jsonb and the model refuse
    them, which would cost the whole session's task log. The hook's events go through that mapping
    (`tooltrack.core.claude_tools.shape`) already; this is for session lines written before it did,
    so that a value is stored the same way whenever its line was written.
    """
    kind = type(value)
    if kind is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value
        try:
            return float(value)
        except OverflowError:
            return str(value)
    if kind is float:
        return value if value - value == 0 else str(value)  # nan, inf, -inf
    if kind is dict:
        return {key: storable_numbers(item) for key, item in value.items()}
    if kind is list:
        return [storable_numbers(item) for item in value]
    return value


def _storable_numbers_of(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with out-of-range numbers in `parameters` replaced (`storable_numbers`), and typed
    fields beyond their bounds (a count beyond 64 bits, a duration beyond `MAX_DURATION_MS`) moved
    into `parameters["invalid_fields"]` as text, as the tracker does: the rest of the call is kept."""
    invalid: dict[str, str] = {}
    for key, value in record.items():
        if type(value) is int and not (
            INT64_MIN <= value <= INT64_MAX and (key != "duration_ms" or value <= MAX_DURATION_MS)
        ):
            invalid[key] = str(value)
    for key in invalid:
        del record[key]
    if "duration_ms" in invalid:
        record.pop("duration_source", None)
    parameters = record.get("parameters")
    if isinstance(parameters, dict):
        record["parameters"] = parameters = storable_numbers(parameters)
    if invalid:
        if not isinstance(parameters, dict):
            parameters = record["parameters"] = {}
        earlier = parameters.get("invalid_fields")
        parameters["invalid_fields"] = {**(earlier if isinstance(earlier, dict) else {}), **invalid}
    return record


def _assign_turns(calls: list[PendingCall], records: list[dict[str, Any]]) -> None:
    """Calls whose Pre..Post spans overlap ran in parallel: give each such group one turn id."""
    spans = [
        (float(c.pre.at), float(c.post.at), i) for i, c in enumerate(calls) if c.pre is not None and c.post is not None
    ]
    spans.sort()
    group: list[int] = []
    group_end = float("-inf")
    for start, end, index in [*spans, (float("inf"), float("inf"), -1)]:
        if start >= group_end:
            if len(group) > 1:
                turn = storable_text(f"overlap:{calls[group[0]].id}", MAX_NAME)
                for member in group:
                    records[member]["turn_id"] = turn
            group, group_end = [], float("-inf")
        if index >= 0:
            group.append(index)
            group_end = max(group_end, end)


def batch_key(session_id: str, call_ids: list[str]) -> str:
    """The log_key of a closed batch: the same session and calls always give the same key."""
    import hashlib

    digest = hashlib.sha256("\n".join([session_id, *sorted(call_ids)]).encode("utf-8", "surrogatepass"))
    return f"hook:{digest.hexdigest()[:48]}"


def build_payload(session_id: str, calls: list[PendingCall], marker: CloseMarker) -> dict[str, Any]:
    """The tooltrack JSONL payload (a TaskLogCreate) of one closed batch."""
    shown_id = storable_text(session_id)
    calls = sorted(calls, key=lambda c: (c.start if c.start is not None else float("inf"), c.id))
    records = [build_record(c) for c in calls]
    _assign_turns(calls, records)
    # The workflow meta comes from the environment, where a non-UTF-8 byte is a lone surrogate.
    meta = {k: storable_text(v, MAX_NAME) if isinstance(v, str) else v for k, v in marker.meta.items()}
    closed_at = float(marker.at)
    starts = [c.start for c in calls if c.start is not None]
    started_at = min(starts) if starts else closed_at
    reason = marker.reason
    payload: dict[str, Any] = {
        "adw_id": str(meta.pop("adw_id", None) or shown_id)[:MAX_NAME],
        "phase_name": str(meta.pop("phase_name", None) or "session")[:MAX_NAME],
        "phase_status": "completed" if reason in CLOSING_EVENTS or reason in LIVE_CLOSES else "incomplete",
        **meta,
        "log_message": f"Claude Code session {shown_id}: {len(records)} tool calls, closed by {reason}",
        "started_at": utc_iso(started_at),
        "completed_at": utc_iso(max(closed_at, started_at)),
        "duration_seconds": round(max(0.0, closed_at - started_at), 3),
        "tool_calls": records,
        "log_key": marker.key,
        "source": "hook",
    }
    return payload


def _latest_meta(calls: list[PendingCall]) -> dict[str, Any]:
    for call in reversed(calls):
        for event in (call.post, call.pre):
            if event is not None and event.meta:
                return dict(event.meta)
    return {}


def close_session(
    spool: Spool,
    path: Path,
    *,
    reason: str,
    at: float | None = None,
    meta: Mapping[str, Any] | None = None,
    include_unfinished: bool = False,
    unfinished_grace: float = 0.0,
    keep_closed_ids: float = KEEP_CLOSED_IDS_SECONDS,
    session_id: str | None = None,
    deliver: Deliver | None = None,
) -> list[dict[str, Any]]:
    """Close the session's finished calls (and unfinished ones, if asked) into one task log.

    With `include_unfinished`, a call still waiting for its PostToolUse is closed as interrupted
    once its PreToolUse is `unfinished_grace` seconds old; younger ones stay. Events of calls closed
    before are dropped (see the module's docstring). Returns the payloads delivered: an earlier
    batch whose delivery may not have completed (re-sent under its own key), then the new batch.
    `deliver` runs without the file's lock held; when it raises, that batch stays marked for the
    next close and the first such error is raised once the file is tidied.
    """
    if not path.exists():
        return []
    deliver = deliver or spool.append
    at = time.time() if at is None else at
    batches: list[tuple[str, dict[str, Any]]] = []
    settled: set[str] = set()  # keys of markers with nothing left to deliver: dropped in step 3
    with locked_fd(path) as fd:  # step 1: mark the new batch, build the payloads
        state = fold(read_all(fd))
        sid = session_id or state.session_id or path.stem
        closed: set[str] = set(state.done)  # delivered before: a late event of theirs is dropped
        for marker in state.markers:
            ids = [i for i in marker.ids if i in state.calls and i not in state.done]
            if ids:
                batches.append((marker.key, build_payload(sid, [state.calls[i] for i in ids], marker)))
            else:
                settled.add(marker.key)
            closed.update(marker.ids)
        started_before = at - unfinished_grace
        batch = [
            c
            for i, c in state.calls.items()
            if i not in closed
            and (c.post is not None or (include_unfinished and c.start is not None and c.start <= started_before))
        ]
        if batch:
            ids = [c.id for c in batch]
            chosen_meta = dict(meta) if meta else _latest_meta(batch)
            marker = CloseMarker(key=batch_key(sid, ids), ids=ids, reason=reason, at=at, meta=chosen_meta)
            os.lseek(fd, 0, os.SEEK_END)
            write_all(fd, close_line(marker))  # we hold the lock: this line lands whole
            batches.append((marker.key, build_payload(sid, batch, marker)))
    delivered: list[dict[str, Any]] = []
    delivered_keys: set[str] = set(settled)
    failure: BaseException | None = None
    for key, payload in batches:  # step 2: no lock held, however long delivery takes
        try:
            deliver(payload)
        except Exception as exc:
            failure = failure or exc
            continue
        delivered.append(payload)
        delivered_keys.add(key)
    with locked_fd(path) as fd:  # step 3: forget what was delivered, keep everything else
        data = read_all(fd)
        _tidy(spool, path, data, fold(data), delivered_keys, at=at, keep_closed_ids=keep_closed_ids)
    if failure is not None:
        raise failure
    return delivered


def _tidy(
    spool: Spool,
    path: Path,
    data: bytes,
    state: SessionState,
    delivered_keys: set[str],
    *,
    at: float,
    keep_closed_ids: float,
) -> None:
    """Rewrite the session file (lock held) without the batches delivered, and unreadable lines set aside.

    The file is left untouched when nothing changed, so a quiet session stays quiet; it is removed
    when no call is open and the closed ids are old enough to forget.
    """
    for number, line, problem in state.bad_lines:
        spool.dead_letter(problem, raw_line=line.decode("utf-8", "replace"), origin=f"{path}:{number}")
    for number, line, problem in state.newer_lines:
        # Skipped, not guessed at; the whole line is kept here, since the file drops it below.
        log_hook_problem(
            spool,
            {"error": f"skipped: {problem}", "origin": f"{path}:{number}", "line": line.decode("utf-8", "replace")},
        )
    closed: set[str] = set(state.done)
    newly_closed: list[str] = []
    kept_markers: list[bytes] = []
    for marker, line in zip(state.markers, state.marker_lines, strict=True):
        if marker.key in delivered_keys:
            newly_closed += [i for i in marker.ids if i not in closed]
            closed.update(marker.ids)
        else:
            kept_markers.append(line + b"\n")
    last_close = at if newly_closed else state.done_at
    done = [i for i in (*state.done, *newly_closed) if not i.startswith(_SYNTHETIC)]
    if last_close is None or at - last_close >= keep_closed_ids:
        done = []
    lines = [done_line(list(dict.fromkeys(done)), last_close)] if done and last_close is not None else []
    lines += kept_markers
    lines += [line + b"\n" for line, call_id in state.event_ids if call_id not in closed]
    content = b"".join(lines)
    if not content:
        os.unlink(path)
    elif content != data:
        replace_contents(path, content)


def session_files(spool: Spool) -> Iterator[Path]:
    folder = sessions_dir(spool.path)
    if folder.is_dir():
        yield from sorted(folder.glob("*.jsonl"))


def flush_stale_sessions(
    spool: Spool,
    *,
    quiet_for: float,
    now: float | None = None,
    deliver: Deliver | None = None,
    unfinished_after: float = UNFINISHED_GRACE_SECONDS,
    keep_closed_ids: float = KEEP_CLOSED_IDS_SECONDS,
) -> list[dict[str, Any]]:
    """Close every session whose file has not changed for `quiet_for` seconds.

    A session that never sent Stop (the agent was killed, the hook was added mid-session) would
    otherwise keep its calls here for ever. Its finished calls go now; a call without PostToolUse
    goes as interrupted once its PreToolUse is `unfinished_after` seconds old (until then its
    PostToolUse may still come). Files left with nothing but old closed ids are removed.
    """
    now = time.time() if now is None else now
    delivered: list[dict[str, Any]] = []
    for path in session_files(spool):
        try:
            quiet = now - path.stat().st_mtime
        except FileNotFoundError:  # a Stop closed it meanwhile
            continue
        if quiet >= quiet_for:
            delivered += close_session(
                spool,
                path,
                reason="stale",
                at=now,
                include_unfinished=True,
                unfinished_grace=unfinished_after,
                keep_closed_ids=keep_closed_ids,
                deliver=deliver,
            )
    return delivered
