"""Calls as they are stored: a resumable feed (the stream endpoint) and the last minutes (the Live page).

Task logs are only ever inserted, and `task_logs.id` grows with each insert, so a call's place in
the order of storing is `<task log id>:<call index>` (`Cursor`), and a reader that remembers the
last cursor it passed on resumes exactly where it stopped: `CallFeed` polls `id >= cursor` through
the primary key (one small index-only query when nothing is new).

An id is handed out when its INSERT runs, not when it commits: on PostgreSQL, log 11 can be
visible while log 10 is still in an open transaction. A feed that passed 11 would never send 10.
So a feed stops before a missing id until it is *settled*: when it first sees the gap it notes the
next transaction id the database will give out (`DatabaseDialect.write_horizon`); the gap's
owner, if any, started before that, so once every transaction older than the mark has ended the
gap is either filled (and sent, in order) or was a rollback or a skipped value (an ON CONFLICT
insert takes one) and is passed. Only transactions of this database count, and a gap is held at
least `MIN_HOLD_SECONDS` (an INSERT takes its id a moment before its transaction id). A gap held
longer than `MAX_HOLD_SECONDS` (a write transaction left open) is passed anyway. SQLite serialises
writes: its gaps never fill. A feed that starts "now" starts after the last id handed out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine, select

from tooltrack.analytics.filters import Filters
from tooltrack.analytics.results import LiveCall, LiveSession, LiveView
from tooltrack.core import activity_time, call_target, call_time, duration_of, error_kind, is_cancelled, is_failed
from tooltrack.store import dialect_of, runs, task_logs

#: The index of a cursor that stands after every call of its log.
WHOLE_LOG: Final = 2**31 - 1
#: How long a feed waits for a missing id below visible ones before passing it (see the module).
MAX_HOLD_SECONDS: Final = 10.0
#: How long a gap is held at least: a transaction takes its id a moment before its transaction id
#: (the INSERT computes the row, then writes it), so a gap younger than this may have no xid yet.
MIN_HOLD_SECONDS: Final = 0.3
#: Task logs a feed reads per poll.
LOGS_PER_POLL: Final = 200
#: The most calls and logs the Live view reads (the minutes it shows hold far fewer).
LIVE_MAX_LOGS: Final = 5_000
LIVE_MAX_MINUTES: Final = 24 * 60

_COLUMNS: Final = (
    "id", "adw_id", "workflow_template", "phase_name", "project", "agent", "models", "started_at", "created_at",
    "tool_calls",
)  # fmt: skip


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """A place in the order calls were stored: after call `index` of task log `log_id`."""

    log_id: int
    index: int = WHOLE_LOG

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """`12:3` (after call 3 of log 12) or `12` (after all of log 12); ValueError otherwise."""
        head, _, tail = text.strip().partition(":")
        try:
            log_id, index = int(head), int(tail) if tail else WHOLE_LOG
        except ValueError:
            raise ValueError(f"a cursor is <task log id>:<call index>, not {text[:40]!r}") from None
        if not (0 <= log_id <= 2**63 - 1 and 0 <= index <= WHOLE_LOG):
            raise ValueError(f"cursor out of range: {text[:40]!r}")
        return cls(log_id, index)

    def __str__(self) -> str:
        return f"{self.log_id}:{self.index}"


def _is(value: str | None, wanted: str | None) -> bool:
    """A filter (None: any; "": none) against a log's value."""
    return wanted is None or (value or "") == wanted


def _log_model(row: Any) -> str:
    models = row.models
    return str(models[0]) if isinstance(models, list) and models else ""


def log_matches(row: Any, filters: Filters, *, window: bool = True) -> bool:
    """Whether a task log row passes the filters that narrow logs (and, with `window`, its day)."""
    if not (
        _is(row.workflow_template, filters.workflow_template)
        and (filters.phase is None or row.phase_name == filters.phase)
        and _is(row.project, filters.project)
        and _is(row.agent, filters.agent)
    ):
        return False
    if window:
        first, last = filters.window()
        return first <= activity_time(row.started_at, row.created_at).date() <= last
    return True


def call_matches(call: dict[str, Any], log_model: str, filters: Filters) -> bool:
    """Whether a call passes the tool and model filters (a call's model, else its log's)."""
    if filters.tool is not None and call.get("tool_name") != filters.tool:
        return False
    return filters.model is None or (call.get("model") or log_model) == filters.model


def live_call(row: Any, index: int, call: dict[str, Any]) -> LiveCall:
    """The call `index` of the task log `row` as the stream and the Live page show it."""
    failed = is_failed(call)
    message = call.get("error_message")
    return LiveCall(
        cursor=str(Cursor(int(row.id), index)),
        task_log_id=int(row.id),
        call_index=index,
        adw_id=row.adw_id,
        workflow_template=row.workflow_template,
        phase_name=row.phase_name,
        project=row.project,
        agent=row.agent,
        model=call.get("model") or _log_model(row) or None,
        tool_name=str(call.get("tool_name")),
        target=call_target(call),
        success=bool(call.get("success")),
        failed=failed,
        cancelled=is_cancelled(call),
        duration_ms=duration_of(call),
        occurred_at=call_time(call, activity_time(row.started_at, row.created_at)),
        stored_at=row.created_at,
        error_message=message,
        error_kind=error_kind(message) if failed else None,
        call_id=call.get("call_id"),
        parent_call_id=call.get("parent_call_id"),
    )


class CallFeed:
    """The calls stored after a cursor, in the order they were stored, a batch per `poll()`.

    Not shared between threads: one feed per stream. `after=None` starts after the newest call
    stored now (a new stream sends only what is stored from then on).
    """

    def __init__(
        self,
        engine: Engine,
        filters: Filters,
        after: Cursor | None = None,
        *,
        max_hold_seconds: float = MAX_HOLD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.filters = filters
        self.max_hold_seconds = max_hold_seconds
        self.clock = clock
        if after is None:
            with engine.connect() as connection:
                after = Cursor(dialect_of(connection).last_id(connection, task_logs))
        self.cursor = after
        # The gap the feed is waiting on: (first id, last id, transaction mark, when first seen).
        self._pending: tuple[int, int, int, float] | None = None

    def poll(self, limit: int = 1000) -> list[LiveCall]:
        """The matching calls stored after the cursor (at most `limit`); the cursor moves past them."""
        with self.engine.connect() as connection:
            horizon = dialect_of(connection).write_horizon(connection)
            start = self.cursor.log_id + (1 if self.cursor.index == WHOLE_LOG else 0)
            ids = list(
                connection.execute(
                    select(task_logs.c.id).where(task_logs.c.id >= start).order_by(task_logs.c.id).limit(LOGS_PER_POLL)
                ).scalars()
            )
            upto = self._settled_upto(connection, ids, horizon)
            if upto < start:
                return []
            rows = connection.execute(
                select(*(task_logs.c[name] for name in _COLUMNS))
                .where(task_logs.c.id >= start, task_logs.c.id <= upto)
                .order_by(task_logs.c.id)
            ).all()
        found: list[LiveCall] = []
        for row in rows:
            if log_matches(row, self.filters):
                model = _log_model(row)
                first = self.cursor.index + 1 if row.id == self.cursor.log_id else 0
                calls = row.tool_calls or []
                for index in range(first, len(calls)):
                    if call_matches(calls[index], model, self.filters):
                        if len(found) == limit:
                            self.cursor = Cursor(int(row.id), index - 1) if index else Cursor(int(row.id) - 1)
                            return found
                        found.append(live_call(row, index, calls[index]))
            self.cursor = Cursor(int(row.id))
        self.cursor = max(self.cursor, Cursor(upto))
        return found

    def _settled_upto(self, connection: Connection, ids: Iterable[int], horizon: tuple[int, int] | None) -> int:
        """The highest id up to which nothing can still appear (see the module)."""
        upto = self.cursor.log_id
        for log_id in ids:
            if log_id > upto + 1 and not self._gap_settled(connection, upto + 1, log_id - 1, horizon):
                break
            upto = log_id
        return upto

    def _gap_settled(self, connection: Connection, low: int, high: int, horizon: tuple[int, int] | None) -> bool:
        if horizon is None:
            return True
        now = self.clock()
        pending = self._pending
        if pending is None or not pending[0] <= low <= pending[1]:
            # Taken after the ids were read: whoever holds a missing id below a visible one began
            # before this (see the module).
            later = dialect_of(connection).write_horizon(connection)
            pending = (low, high, later[1] if later else 0, now)
            self._pending = pending
        waited = now - pending[3]
        if (horizon[0] >= pending[2] and waited >= MIN_HOLD_SECONDS) or waited >= self.max_hold_seconds:
            self._pending = None
            return True
        return False


def live_view(
    connection: Connection,
    filters: Filters,
    *,
    minutes: int = 10,
    active_minutes: int = 5,
    limit: int = 200,
    now: datetime | None = None,
) -> LiveView:
    """The calls of the last `minutes` (by their own time, of logs stored in those minutes), newest first;
    the failures among them; the sessions with a call in the last `active_minutes`. The narrowing
    filters apply; the window does not (the view is the last minutes)."""
    if not 1 <= minutes <= LIVE_MAX_MINUTES or not 1 <= active_minutes <= minutes:
        raise ValueError(f"minutes must be 1 to {LIVE_MAX_MINUTES}, active_minutes 1 to minutes")
    if not 1 <= limit <= 1000:
        raise ValueError("limit must be 1 to 1000")
    until = now or datetime.now(UTC)
    since = until - timedelta(minutes=minutes)
    rows = connection.execute(
        select(*(task_logs.c[name] for name in _COLUMNS))
        .where(task_logs.c.created_at >= since)
        .order_by(task_logs.c.id.desc())
        .limit(LIVE_MAX_LOGS)
    ).all()
    calls: list[LiveCall] = []
    for row in rows:
        if not log_matches(row, filters, window=False):
            continue
        model = _log_model(row)
        for index, call in enumerate(row.tool_calls or []):
            if call_matches(call, model, filters):
                item = live_call(row, index, call)
                if since <= item.occurred_at <= until + timedelta(minutes=1):
                    calls.append(item)
    calls.sort(key=lambda c: (c.occurred_at, c.task_log_id, c.call_index), reverse=True)
    failures = [c for c in calls if c.failed]
    return LiveView(
        since=since,
        until=until,
        calls=calls[:limit],
        total_calls=len(calls),
        failures=failures[:limit],
        total_failures=len(failures),
        sessions=_sessions(connection, calls, until, until - timedelta(minutes=active_minutes)),
    )


def _sessions(
    connection: Connection, calls: list[LiveCall], now: datetime, active_since: datetime
) -> list[LiveSession]:
    """Sessions (run and phase) whose latest call is after `active_since`, latest first."""
    by_session: dict[tuple[str, str], list[LiveCall]] = {}
    for call in calls:  # newest first
        by_session.setdefault((call.adw_id, call.phase_name), []).append(call)
    active = {key: group for key, group in by_session.items() if group[0].occurred_at >= active_since}
    if not active:
        return []
    adw_ids = sorted({adw_id for adw_id, _ in active})
    first_of = dict(connection.execute(select(runs.c.adw_id, runs.c.first_at).where(runs.c.adw_id.in_(adw_ids))).all())
    sessions = []
    for (adw_id, phase), group in active.items():
        latest = group[0]
        started = min(c.occurred_at for c in group)
        run_start = first_of.get(adw_id)
        if run_start is not None:
            run_start = run_start if run_start.tzinfo else run_start.replace(tzinfo=UTC)
            started = min(started, run_start)
        sessions.append(
            LiveSession(
                adw_id=adw_id,
                phase_name=phase,
                workflow_template=latest.workflow_template,
                project=latest.project,
                agent=latest.agent,
                current_tool=latest.tool_name,
                current_target=latest.target,
                last_call_at=latest.occurred_at,
                started_at=started,
                elapsed_seconds=max((now - started).total_seconds(), 0.0),
                calls=len(group),
                failures=sum(c.failed for c in group),
            )
        )
    sessions.sort(key=lambda s: (s.last_call_at, s.adw_id, s.phase_name), reverse=True)
    return sessions
