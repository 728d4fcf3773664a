"""The hook's session state files: where each one is, and its lines' keys, version, writing and reading.

A session file (`session_file`: `<spool dir>/hook-sessions/<session>.jsonl`, see `hook_sessions.py`)
lives from a session's first tool call until a week after its last close, across upgrades of
tooltrack, and parallel hook processes append to it. This module is the only place that knows how
its lines are spelled: the hook writes them with `pre_line` / `post_line`, a close with
`close_line` / `done_line`, and everything that reads them goes through `read_line`, which gives
one shape (`CallEvent`, `CloseMarker`, `DoneIds`) whatever version wrote the line.

One JSON object a line, its kind in `ev`; the keys are short because a busy session writes
thousands of lines:

- `pre` (PreToolUse): `sid` session id, `id` tool_use_id (null before Claude Code ~2.0.43),
  `tool`, `at` epoch seconds the hook saw the event, `f` record fields from the tool's input,
  `m` workflow meta (when set);
- `post` (PostToolUse / PostToolUseFailure): the same, plus `ok`; `err` error text and `out`
  outcome for failures; `dur` the event's own `duration_ms` (when it has one);
- `close` (a batch being closed): `key` its log_key, `ids` its call ids, `reason`, `at`, `meta`;
- `done` (the calls closed before): `ids`, `at` of the last close.

**The version is on every line** (`"v": 1`), not in a header line, because each line must say what
it is on its own:

- parallel hook processes append whole lines with no read first (`files.append_line`); a header
  would need the first appender to know it is first, a read under the lock on every tool call;
- a file begun before an upgrade goes on growing after it: a header written by either version
  would describe only some of its lines, and an old hook process still running (or a second
  install sharing the spool) keeps appending its own format meanwhile;
- the rewrite at close keeps the lines of open calls byte for byte, so a file may hold lines of
  several versions for days; with the version on each line it never has to convert them.

It costs six bytes a line and no system call.

Versions: lines written before the version key existed have no `v` and are read as version 1
(the same keys; the key was only added to tell a later format apart). A line of a version newer
than `FORMAT_VERSION` raises `NewerFormat` and is not guessed at (`hook_sessions` skips it and
says so in the hook's error log). Version 1 readers, those before the key included, ignore keys
they do not know, so a key added later need not bump the version; a new version is for a change
an older reader would misread (a key renamed, a meaning changed). Its reader then goes beside
`_read_v1` and maps onto the same shapes.

Standard library only, and cheap to import: the hook loads this on every tool call (plain
classes with `__slots__`, no dataclasses; no regular expression), and on a PreToolUse or
PostToolUse nothing of the closing side (`hook_sessions`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tooltrack.capture.spool import Spool, dumps_line, sessions_dir

#: The version this code writes; `read_line` reads every version up to it.
FORMAT_VERSION = 1
#: The version of a line that has no `v` key (written before the key existed).
UNVERSIONED = 1

# Keys of every line.
VERSION = "v"
KIND = "ev"
# Keys of `pre` and `post` lines.
SESSION_ID = "sid"
CALL_ID = "id"
TOOL = "tool"
AT = "at"
FIELDS = "f"
META = "m"
# Keys of `post` lines only.
OK = "ok"
ERROR = "err"
OUTCOME = "out"
DURATION_MS = "dur"
# Keys of `close` lines (and `ids`, `at` of `done` lines).
LOG_KEY = "key"
IDS = "ids"
REASON = "reason"
CLOSE_AT = "at"
CLOSE_META = "meta"

# Kinds (the value of `ev`).
PRE = "pre"
POST = "post"
CLOSE = "close"
DONE = "done"

#: The hook events that close a session, and so the `reason` of their `close` lines (a session
#: that went quiet is closed by `tooltrack replay` with the reason "stale").
CLOSING_EVENTS = frozenset({"Stop", "SubagentStop", "SessionEnd"})

# A set, not a regular expression: compiling one costs each hook run a few ms.
_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def session_file(spool: Spool, session_id: str) -> Path:
    """The state file of one session; odd session ids are hashed into a safe file name."""
    if 0 < len(session_id) <= 100 and session_id[0] != "." and _SAFE_CHARS.issuperset(session_id):
        name = session_id
    else:
        import hashlib  # here, not at the top: loading OpenSSL costs every hook run several ms

        name = hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return sessions_dir(spool.path) / f"{name}.jsonl"


class UnreadableLine(ValueError):
    """A line that is not a session line this code can read (bad JSON, a missing or odd key)."""


class NewerFormat(UnreadableLine):
    """A line written by a newer tooltrack, in a format this code does not know."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"session line of format version {version}, newer than the {FORMAT_VERSION} this tooltrack reads"
        )
        self.version = version


class CallEvent:
    """A `pre` or `post` line read back: one tool-call event as the hook saw it."""

    # Plain classes, not dataclasses: importing dataclasses costs the hook a few ms on every call.
    __slots__ = (
        "at",
        "call_id",
        "duration_ms",
        "error",
        "fields",
        "kind",
        "meta",
        "ok",
        "outcome",
        "session_id",
        "tool",
    )

    # Positional: `read_line` makes one for every line at a close, and keywords cost a little each.
    def __init__(
        self,
        kind: str,
        session_id: str | None,
        call_id: str | None,
        tool: str,
        at: float,
        fields: dict[str, Any],
        meta: dict[str, Any] | None,
        ok: bool,
        error: str | None,
        outcome: str | None,
        duration_ms: int | None,
    ) -> None:
        self.kind = kind  # PRE or POST
        self.session_id = session_id
        self.call_id = call_id  # None: the event had no tool_use_id
        self.tool = tool
        self.at = at  # as written (a float from time.time()): synthetic call ids are made from its repr
        self.fields = fields
        self.meta = meta
        # Of a `post` line only (a `pre` line has False and Nones):
        self.ok = ok
        self.error = error
        self.outcome = outcome
        self.duration_ms = duration_ms  # the hook's own duration_ms, never negative


class CloseMarker:
    """A `close` line: a batch of calls being closed into the task log `key`."""

    __slots__ = ("at", "ids", "key", "meta", "reason")

    def __init__(self, *, key: str, ids: list[str], reason: str, at: float, meta: dict[str, Any]) -> None:
        self.key = key
        self.ids = ids
        self.reason = reason
        self.at = at
        self.meta = meta


class DoneIds:
    """The `done` line: the ids of the calls closed before, and when the last close was."""

    __slots__ = ("at", "ids")

    def __init__(self, ids: list[str], at: float | None) -> None:
        self.ids = ids
        self.at = at


def pre_line(
    *, session_id: Any, call_id: Any, tool: str, at: float, fields: dict[str, Any], meta: dict[str, Any]
) -> bytes:
    """The line of a PreToolUse event (`session_id` and `call_id` as the event gave them)."""
    line: dict[str, Any] = {VERSION: FORMAT_VERSION, KIND: PRE, SESSION_ID: session_id, CALL_ID: call_id, TOOL: tool}
    line[AT] = at
    line[FIELDS] = fields
    if meta:
        line[META] = meta
    return dumps_line(line)


def post_line(
    *,
    session_id: Any,
    call_id: Any,
    tool: str,
    at: float,
    ok: bool,
    error: str | None,
    outcome: str | None,
    duration_ms: int | None,
    fields: dict[str, Any],
    meta: dict[str, Any],
) -> bytes:
    """The line of a PostToolUse / PostToolUseFailure event (`error`, `outcome` only for failures)."""
    line: dict[str, Any] = {VERSION: FORMAT_VERSION, KIND: POST, SESSION_ID: session_id, CALL_ID: call_id, TOOL: tool}
    line[AT] = at
    line[OK] = ok
    if error is not None:
        line[ERROR] = error
    if outcome is not None:
        line[OUTCOME] = outcome
    if duration_ms is not None:
        line[DURATION_MS] = duration_ms
    line[FIELDS] = fields
    if meta:
        line[META] = meta
    return dumps_line(line)


def close_line(marker: CloseMarker) -> bytes:
    """The line that marks a batch as being closed (written before its task log is delivered)."""
    return dumps_line(
        {
            VERSION: FORMAT_VERSION,
            KIND: CLOSE,
            LOG_KEY: marker.key,
            IDS: marker.ids,
            REASON: marker.reason,
            CLOSE_AT: marker.at,
            CLOSE_META: marker.meta,
        }
    )


def done_line(ids: list[str], at: float) -> bytes:
    """The line that lists the calls closed so far (one a file, rewritten at each close)."""
    return dumps_line({VERSION: FORMAT_VERSION, KIND: DONE, IDS: ids, CLOSE_AT: at})


def read_line(line: bytes) -> CallEvent | CloseMarker | DoneIds:
    """One line of a session file, of any version up to `FORMAT_VERSION`, in the shapes above.

    Raises `NewerFormat` for a line of a later version, `UnreadableLine` for anything else that is
    not a session line.
    """
    try:
        obj = json.loads(line)
    except ValueError as exc:  # includes a line that is not UTF-8
        raise UnreadableLine(f"not a session event: {exc}") from None
    if not isinstance(obj, dict):
        raise UnreadableLine(f"not a session event: a JSON {type(obj).__name__}, not an object")
    version = obj.get(VERSION, UNVERSIONED)
    if type(version) is not int or version < 1:  # `type`, not isinstance: true is not version 1
        raise UnreadableLine(f"not a session event: format version {version!r}")
    if version > FORMAT_VERSION:
        raise NewerFormat(version)
    return _read_v1(obj)


def _number(obj: dict[str, Any], key: str) -> float:
    value = obj.get(key)
    if type(value) is not float and type(value) is not int:  # `type`: a bool is not a time
        raise UnreadableLine(f"not a session event: {key!r} is {value!r}, not a number")
    return value


def _ids(obj: dict[str, Any]) -> list[str]:
    value = obj.get(IDS)
    if not isinstance(value, list):
        raise UnreadableLine(f"not a session event: {IDS!r} is not a list")
    return [str(i) for i in value]


def _read_v1(obj: dict[str, Any]) -> CallEvent | CloseMarker | DoneIds:
    """A line of format 1 (with or without its `v` key)."""
    kind = obj.get(KIND)
    if kind in (PRE, POST):
        session_id, call_id, fields, meta = obj.get(SESSION_ID), obj.get(CALL_ID), obj.get(FIELDS), obj.get(META)
        ok, error, outcome, duration = False, None, None, None
        if kind == POST:
            ok, error, outcome, duration = bool(obj.get(OK)), obj.get(ERROR), obj.get(OUTCOME), obj.get(DURATION_MS)
        return CallEvent(
            kind,
            str(session_id) if session_id else None,
            str(call_id) if call_id else None,
            str(obj.get(TOOL) or "unknown"),
            _number(obj, AT),
            fields if type(fields) is dict else {},
            meta if type(meta) is dict and meta else None,
            ok,
            str(error) if error else None,
            outcome if type(outcome) is str and outcome else None,
            duration if type(duration) is int and duration >= 0 else None,
        )
    if kind == CLOSE:
        key, meta = obj.get(LOG_KEY), obj.get(CLOSE_META)
        if not isinstance(key, str) or not key:
            raise UnreadableLine(f"not a session event: a close line without its {LOG_KEY!r}")
        return CloseMarker(
            key=key,
            ids=_ids(obj),
            reason=str(obj.get(REASON) or "close"),
            at=_number(obj, CLOSE_AT),
            meta=meta if isinstance(meta, dict) else {},
        )
    if kind == DONE:
        when = obj.get(CLOSE_AT)
        return DoneIds(_ids(obj), when if type(when) in (int, float) else None)
    raise UnreadableLine(f"not a session event: kind {kind!r}")
