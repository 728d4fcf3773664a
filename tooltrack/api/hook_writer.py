"""The hook endpoint's writer: hook events queued by the request, stored by a thread of their own.

`POST /api/v1/hooks/claude-code` (`routes/hooks.py`) answers before any database work: it puts
the body on an in-process queue and returns. This thread takes the events off the queue and
runs each through the command hook's own code (`tooltrack.capture.handle_hook_event`: the one
Claude Code mapping, the one per-session file that pairs PreToolUse and PostToolUse), so a call
captured over HTTP gets exactly the fields the command hook or an ingest gives it.

When events are stored:

- a session's finished calls are stored `flush_after` seconds after the first PostToolUse that
  has not been stored yet (a burst of calls becomes one task log, and a call shows within about a
  second of finishing), closed with the reason "PostToolUse";
- a Stop / SubagentStop / SessionEnd closes the session at once, as the command hook does;
- a call whose PreToolUse came but no PostToolUse waits in the session file (pending) until its
  PostToolUse comes; a session that goes quiet is closed as the command hook's are
  (`tooltrack.capture.replay_spool` closes them, an unfinished call as interrupted only after
  `UNFINISHED_GRACE_SECONDS`).

Nothing is lost when the database is not there: a task log that cannot be stored goes to the
writer's spool (`TOOLTRACK_HOOK_SPOOL`, default `<data dir>/hook-server/task_logs.jsonl`, its
hook sessions beside it), and every `replay_every` seconds the writer replays that spool into the
database (`tooltrack replay <spool>` can send it too). A full queue is written to the session
files by the request itself (disk only, no database) and stored by the writer after. Every task
log carries the hash key of its session and calls, and every call its `tool_use_id`, so an event
posted twice, a replay after a crash, or the same session seen by the command hook too is stored
once (`tooltrack.store` call identity).

What the queue holds when the process is killed outright is lost (it was answered already); a
shutdown (SIGTERM, Ctrl-C) first stores or spools everything queued.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import Engine

from tooltrack.capture import (
    PostResult,
    Spool,
    close_hook_session,
    handle_hook_event,
    hook_session_file,
    log_hook_problem,
    replay_spool,
)
from tooltrack.core import default_data_dir
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository, describe_error

logger = logging.getLogger(__name__)

HOOK_SPOOL_ENV: Final = "TOOLTRACK_HOOK_SPOOL"
QUEUE_ENV: Final = "TOOLTRACK_HOOK_QUEUE"
FLUSH_ENV: Final = "TOOLTRACK_HOOK_FLUSH_SECONDS"
#: Events waiting for the writer before the requests write them to disk themselves.
DEFAULT_MAX_QUEUE: Final = 10_000
#: Seconds a finished call waits for the calls after it before its session's finished calls are stored.
DEFAULT_FLUSH_AFTER: Final = 1.0
#: Seconds between two replays of the writer's spool into the database.
DEFAULT_REPLAY_EVERY: Final = 5.0
#: Seconds a thread may hold the GIL before another gets it (see `HookWriter.start`).
SWITCH_INTERVAL: Final = 0.0002
#: Events taken off the queue in one go before the finished sessions are stored.
_BATCH: Final = 500
_TOOL_ENDS: Final = frozenset({"PostToolUse", "PostToolUseFailure"})
_CLOSING: Final = frozenset({"Stop", "SubagentStop", "SessionEnd"})


def default_hook_spool_path() -> Path:
    """`TOOLTRACK_HOOK_SPOOL` when set, else `<data dir>/hook-server/task_logs.jsonl`.

    The server's own folder, not the command hook's spool: what it replays is what it received.
    """
    override = os.environ.get(HOOK_SPOOL_ENV)
    if override:
        return Path(override).expanduser()
    return default_data_dir() / "hook-server" / "task_logs.jsonl"


def max_queue() -> int:
    value = os.environ.get(QUEUE_ENV)
    if not value:
        return DEFAULT_MAX_QUEUE
    try:
        return max(1, int(value))
    except ValueError as exc:
        raise ValueError(f"{QUEUE_ENV} must be a number of events, not {value!r}") from exc


def flush_after() -> float:
    value = os.environ.get(FLUSH_ENV)
    if not value:
        return DEFAULT_FLUSH_AFTER
    try:
        return max(0.0, float(value))
    except ValueError as exc:
        raise ValueError(f"{FLUSH_ENV} must be a number of seconds, not {value!r}") from exc


@dataclass(slots=True)
class Received:
    """One hook event as the request got it: its body, when, and the TOOLTRACK_* meta its headers gave."""

    body: bytes
    at: float
    env: dict[str, str]


@dataclass(slots=True)
class _Flush:
    """A marker on the queue: store every finished call and replay the spool now, then say so."""

    done: threading.Event = field(default_factory=threading.Event)


@dataclass(slots=True)
class WriterCounts:
    """What the writer did since it started (shown by tests and the benchmark)."""

    received: int = 0
    spilled: int = 0
    """Events the request wrote to disk itself because the queue was full."""
    stored: int = 0
    spooled: int = 0
    """Task logs that went to the spool because the database could not store them."""
    replayed: int = 0
    last_problem: str | None = None


class _Store:
    """The writer's way into the database, in the shape replay sends through (`Poster`)."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    @property
    def base_url(self) -> str:
        return "the hook endpoint's database"

    def post(self, payload: Mapping[str, Any], *, set_aside: object = None) -> PostResult:
        try:
            log = TaskLogCreate.model_validate(payload)
        except ValidationError as exc:
            return PostResult("rejected", http_status=422, reason=str(exc))
        try:
            result = TaskLogRepository(self._engine()).create(log)
        except Exception as exc:  # any failure to store: kept for the next replay
            return PostResult("failed", reason=describe_error(exc))
        return PostResult("created" if result.created else "duplicate", id=result.id)


class HookWriter:
    """The queue of hook events and the thread that stores them (see the module docstring).

    `engine` is asked for the engine each time something is stored, so an app whose engine is
    replaced (a test bringing the database back) stores into the new one. With `autostart=False`
    the thread starts at `start()` or `flush()`, not at the first event (tests fill the queue).
    """

    def __init__(
        self,
        engine: Callable[[], Engine],
        *,
        spool: Spool | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flush_after: float = DEFAULT_FLUSH_AFTER,
        replay_every: float = DEFAULT_REPLAY_EVERY,
        clock: Callable[[], float] = time.monotonic,
        autostart: bool = True,
    ) -> None:
        self.spool = spool if spool is not None else Spool(default_hook_spool_path(), fallback=True)
        self.flush_after = flush_after
        self.replay_every = replay_every
        self.counts = WriterCounts()
        self._store = _Store(engine)
        self._clock = clock
        self._queue: queue.Queue[Received | _Flush | None] = queue.Queue(max_queue)
        self._due: dict[str, float] = {}  # session id -> when its finished calls are stored
        self._due_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._next_replay = 0.0
        self._autostart = autostart

    # -- the request's side ------------------------------------------------------------------

    def submit(self, body: bytes, *, at: float, env: dict[str, str]) -> None:
        """Queue one event for the writer; when the queue is full, write it to disk here (no database)."""
        self.counts.received += 1
        item = Received(body, at, env)
        if self._thread is None and self._autostart:
            self.start()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.counts.spilled += 1
            self._record(item, deliver=self.spool.append)

    # -- the thread ----------------------------------------------------------------------------

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                # The writer holds the GIL while it validates and stores; by default Python hands it
                # over every 5 ms, and each request waits for it a few times: measured, the hook's
                # answer p50 went from 4.1 ms (5 ms interval) to 1.1 ms (0.2 ms) with the writer busy
                # storing (bench/bench_hook_overhead.py). The API server is the only user of it.
                sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
                self._thread = threading.Thread(target=self._run, name="tooltrack-hook-writer", daemon=True)
                self._thread.start()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every event queued before this call is stored (or spooled), finished calls included.

        Also replays the spool. False when that did not happen within `timeout` seconds.
        """
        if self._thread is None:
            self.start()
        marker = _Flush()
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return marker.done.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Store or spool everything queued, then end the thread."""
        if self._thread is None:
            if self._queue.empty():
                return
            self.start()  # events queued before the thread ever ran (autostart=False)
        thread = self._thread
        assert thread is not None
        with contextlib.suppress(queue.Full):  # then the join below waits for the queue to empty
            self._queue.put(None, timeout=timeout)
        thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._wait())
            except queue.Empty:  # a tick: store what is due
                self._tick(force=False)
                continue
            batch = [item]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = False
            markers: list[_Flush] = []
            for entry in batch:
                if entry is None:
                    stopping = True
                elif isinstance(entry, _Flush):
                    markers.append(entry)
                else:
                    self._record(entry, deliver=self._deliver)
            self._tick(force=bool(markers) or stopping)
            for marker in markers:
                marker.done.set()
            if stopping:
                return

    def _wait(self) -> float:
        with self._due_lock:
            first = min(self._due.values(), default=None)
        now = self._clock()
        until_replay = max(0.0, self._next_replay - now) if self.replay_every > 0 else 3600.0
        if first is None:
            return max(0.05, until_replay)
        return max(0.0, min(first - now, until_replay))

    def _tick(self, *, force: bool) -> None:
        """Store the sessions whose finished calls are due (all of them when `force`), replay when due."""
        try:
            now = self._clock()
            with self._due_lock:
                due = [sid for sid, when in self._due.items() if force or when <= now]
                for sid in due:
                    del self._due[sid]
            for session_id in due:
                close_hook_session(
                    self.spool,
                    hook_session_file(self.spool, session_id),
                    reason="PostToolUse",
                    at=time.time(),
                    session_id=session_id,
                    deliver=self._deliver,
                )
            if force or (self.replay_every > 0 and now >= self._next_replay):
                self._next_replay = now + self.replay_every
                report = replay_spool(self.spool, self._store, fallback=False)
                self.counts.replayed += report.created + report.duplicates
                if report.problems:
                    self.counts.last_problem = report.problems[-1]
        except Exception:  # the thread must live on: the events are in the session files or the spool
            self._problem({"error": traceback.format_exc()})

    # -- one event -----------------------------------------------------------------------------

    def _record(self, item: Received, *, deliver: Callable[[dict[str, Any]], object]) -> None:
        try:
            event = json.loads(item.body)
            if not isinstance(event, dict):
                raise ValueError("the hook event is not a JSON object")
            handle_hook_event(event, received=item.at, spool=self.spool, env=item.env, deliver=deliver)
        except Exception:
            self._problem({"input": item.body[:300].decode("utf-8", "replace"), "error": traceback.format_exc()})
            return
        name = event.get("hook_event_name")
        session_id = str(event.get("session_id") or "unknown")
        with self._due_lock:
            if name in _TOOL_ENDS:
                self._due.setdefault(session_id, self._clock() + self.flush_after)
            elif name in _CLOSING:
                self._due.pop(session_id, None)  # closed just now

    def _deliver(self, payload: dict[str, Any]) -> None:
        """Store one closed task log; spool it when the database cannot take it (replayed later)."""
        result = self._store.post(payload)
        if result.accepted:
            self.counts.stored += 1
        elif result.status == "rejected":
            self.spool.dead_letter(result.reason, payload=payload, status=result.http_status, origin="hook endpoint")
        else:
            self.spool.append(payload)  # raises only when no disk will take it: the batch stays marked
            self.counts.spooled += 1
            self.counts.last_problem = result.reason
            self._next_replay = self._clock() + self.replay_every

    def _problem(self, entry: dict[str, Any]) -> None:
        logger.warning("hook endpoint: %s", entry.get("error", "")[-500:])
        with contextlib.suppress(Exception):  # nowhere to log it: the warning above has said it
            log_hook_problem(self.spool, entry)
