"""Rollups: what the analytics read instead of expanding `task_logs.tool_calls` on every query.

All of it is derived from `task_logs.tool_calls` (the single source of truth), written in the
same transaction as every insert through the `derived` registry, and recomputed from scratch by
`rebuild` (`tooltrack rollups rebuild`). The grain is one UTC day (of the task log's activity
time, `started_at` else `created_at`) x workflow template ("" for none) x phase:

- `rollup_tool_daily`      per tool: calls, failures, cancelled, timed calls, total and max duration
- `rollup_latency_daily`   per tool and log-scale latency bucket: calls (a mergeable histogram)
- `rollup_command_daily`   per normalised Bash command: the same figures as per tool
- `rollup_sequence_daily`  per 2-gram and 3-gram of tool names: occurrences, successes, durations
- `derived_failed_calls`   one row per failing call (for the failure list and error kinds)
- `derived_slow_calls`     one row per call of at least SLOW_CALL_MS (for the slowest calls)
- `derived_log_redundancy` per task log: redundant calls and wasted time (for redundancy alerts)

Counters are added with `INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`, so concurrent
writers never lose a count; each batch aggregates first (one row per key) and writes its keys
sorted, table by table in a fixed order, so two writers take row locks in the same order and
cannot deadlock each other.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
    case,
    select,
)

# The analytics package holds the pure definitions (what a failure is, how a command is named,
# what is redundant) so the rollups and the service's direct reads can never disagree. Only its
# dependency-free modules are imported here: see tooltrack/analytics/service.py for the cycle.
from tooltrack.analytics.calls import activity_time, call_target, call_time, outcome_of
from tooltrack.analytics.commands import normalise_command
from tooltrack.analytics.errors import error_kind
from tooltrack.analytics.histogram import bucket_of
from tooltrack.analytics.redundancy import find_in_log
from tooltrack.store import derived
from tooltrack.store.dialects import UTCDateTime, bulk_insert
from tooltrack.store.schema import metadata, task_logs

NO_TEMPLATE: Final = ""
NO_COMMAND: Final = "(no command)"
UNKNOWN_TOOL: Final = "(unknown)"
#: Calls at least this slow are kept in `derived_slow_calls`.
SLOW_CALL_MS: Final = 30_000
SEQUENCE_LENGTHS: Final = (2, 3)
MAX_ERROR_MESSAGE: Final = 2_000
#: Task logs read per round by `rebuild` (about 200 K calls at 100 calls a log).
REBUILD_BATCH: Final = 2_000
#: Counter rows a rebuild holds in memory before writing them (a few hundred bytes each).
REBUILD_MAX_KEYS: Final = 2_000_000


def _group_columns() -> list[Column[Any]]:
    return [
        Column("day", Date, primary_key=True),
        Column("workflow_template", Text, primary_key=True),
        Column("phase_name", Text, primary_key=True),
    ]


def _call_counters() -> list[Column[Any]]:
    return [
        Column("calls", BigInteger, nullable=False),
        Column("failures", BigInteger, nullable=False),
        Column("cancelled", BigInteger, nullable=False),
        Column("timed_calls", BigInteger, nullable=False),
        Column("total_duration_ms", BigInteger, nullable=False),
        Column("max_duration_ms", BigInteger),
    ]


tool_daily = Table(
    "rollup_tool_daily",
    metadata,
    *_group_columns(),
    Column("tool_name", Text, primary_key=True),
    *_call_counters(),
)

latency_daily = Table(
    "rollup_latency_daily",
    metadata,
    *_group_columns(),
    Column("tool_name", Text, primary_key=True),
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("calls", BigInteger, nullable=False),
)

command_daily = Table(
    "rollup_command_daily",
    metadata,
    *_group_columns(),
    Column("command", Text, primary_key=True),
    *_call_counters(),
)

sequence_daily = Table(
    "rollup_sequence_daily",
    metadata,
    *_group_columns(),
    Column("n", SmallInteger, primary_key=True, autoincrement=False),
    Column("tool_1", Text, primary_key=True),
    Column("tool_2", Text, primary_key=True),
    Column("tool_3", Text, primary_key=True),  # "" for 2-grams
    Column("occurrences", BigInteger, nullable=False),
    Column("successes", BigInteger, nullable=False),
    Column("timed", BigInteger, nullable=False),
    Column("total_duration_ms", BigInteger, nullable=False),
)


def _call_row_columns() -> list[Column[Any]]:
    return [
        Column("task_log_id", Integer, primary_key=True, autoincrement=False),
        Column("call_index", Integer, primary_key=True, autoincrement=False),
        Column("adw_id", Text, nullable=False),
        Column("day", Date, nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("workflow_template", Text, nullable=False),
        Column("phase_name", Text, nullable=False),
        Column("tool_name", Text, nullable=False),
        Column("duration_ms", BigInteger),
    ]


failed_calls = Table(
    "derived_failed_calls",
    metadata,
    *_call_row_columns(),
    Column("error_kind", Text, nullable=False),
    Column("error_message", Text),
)
Index("idx_failed_calls_occurred_at", failed_calls.c.occurred_at)
Index("idx_failed_calls_day", failed_calls.c.day)

slow_calls = Table(
    "derived_slow_calls",
    metadata,
    *_call_row_columns(),
    Column("target", Text),
    Column("success", Boolean, nullable=False),
)
Index("idx_slow_calls_duration", slow_calls.c.duration_ms)
Index("idx_slow_calls_day", slow_calls.c.day)

log_redundancy = Table(
    "derived_log_redundancy",
    metadata,
    Column("task_log_id", Integer, primary_key=True, autoincrement=False),
    Column("adw_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("workflow_template", Text, nullable=False),
    Column("phase_name", Text, nullable=False),
    Column("redundant_calls", BigInteger, nullable=False),
    Column("wasted_ms", BigInteger, nullable=False),
)
Index("idx_log_redundancy_day", log_redundancy.c.day)
Index("idx_log_redundancy_adw_id", log_redundancy.c.adw_id)

#: Every table this module maintains, in the order they are written.
TABLES: Final = (tool_daily, latency_daily, command_daily, sequence_daily, failed_calls, slow_calls, log_redundancy)

# Plain str (not quoted_name): the names become JSON keys of the bulk insert, which orjson checks.
_KEY_NAMES: Final = {t.name: tuple(str(c.name) for c in t.primary_key.columns) for t in TABLES}
_COUNTER_NAMES: Final = ("calls", "failures", "cancelled", "timed_calls", "total_duration_ms", "max_duration_ms")
_SEQUENCE_NAMES: Final = ("occurrences", "successes", "timed", "total_duration_ms")


class RollupBatch:
    """The rollup rows of a batch of task logs, aggregated in memory, then written at once."""

    def __init__(self) -> None:
        # key -> [calls, failures, cancelled, timed, total, max (-1 = none)]
        self.tools: dict[tuple[Any, ...], list[int]] = {}
        self.commands: dict[tuple[Any, ...], list[int]] = {}
        self.latency: dict[tuple[Any, ...], int] = {}
        # key -> [occurrences, successes, timed, total]
        self.sequences: dict[tuple[Any, ...], list[int]] = {}
        self.failed: list[dict[str, Any]] = []
        self.slow: list[dict[str, Any]] = []
        self.redundancy: list[dict[str, Any]] = []

    def add(self, log: derived.InsertedLog) -> None:
        # The hot loop of every insert (a few µs per call): names are bound locally and the
        # definitions of analytics.calls are used as they are, so the rollups count like the reads.
        moment = activity_time(log.started_at, log.created_at)
        day = moment.date()
        template = log.workflow_template or NO_TEMPLATE
        phase = log.phase_name
        tools, latency, commands = self.tools, self.latency, self.commands
        names: list[str] = []
        failures: list[bool] = []
        durations: list[int | None] = []
        for index, call in enumerate(log.tool_calls):
            tool = str(call.get("tool_name") or UNKNOWN_TOOL)
            failed, cancelled, duration = outcome_of(call)
            _count(tools, (day, template, phase, tool), failed, cancelled, duration)
            if duration is not None:
                key = (day, template, phase, tool, bucket_of(duration))
                latency[key] = latency.get(key, 0) + 1
            if tool == "Bash":
                command = call.get("command")
                name = normalise_command(str(command)) if command else NO_COMMAND
                _count(commands, (day, template, phase, name), failed, cancelled, duration)
            slow = duration is not None and duration >= SLOW_CALL_MS
            if failed or slow:
                row = {
                    "task_log_id": log.id,
                    "call_index": index,
                    "adw_id": log.adw_id,
                    "day": day,
                    "occurred_at": call_time(call, moment),
                    "workflow_template": template,
                    "phase_name": phase,
                    "tool_name": tool,
                    "duration_ms": duration,
                }
                if failed:
                    message = call.get("error_message")
                    self.failed.append(
                        row
                        | {
                            "error_kind": error_kind(message),
                            "error_message": str(message)[:MAX_ERROR_MESSAGE] if message else None,
                        }
                    )
                if slow:
                    self.slow.append(row | {"target": call_target(call), "success": not failed})
            names.append(tool)
            failures.append(failed)
            durations.append(duration)
        self._add_sequences(day, template, phase, names, failures, durations)
        tallies = find_in_log(log.tool_calls)
        if tallies:
            self.redundancy.append(
                {
                    "task_log_id": log.id,
                    "adw_id": log.adw_id,
                    "day": day,
                    "workflow_template": template,
                    "phase_name": phase,
                    "redundant_calls": sum(t.count for t in tallies),
                    "wasted_ms": sum(t.wasted_ms for t in tallies),
                }
            )

    def _add_sequences(
        self,
        day: Any,
        template: str,
        phase: str,
        names: list[str],
        failures: list[bool],
        durations: list[int | None],
    ) -> None:
        """Count every 2-gram and 3-gram of consecutive calls (SEQUENCE_LENGTHS, written out)."""
        sequences = self.sequences
        count = len(names)
        for start in range(count - 1):
            first, second = names[start], names[start + 1]
            ok = not (failures[start] or failures[start + 1])
            d1, d2 = durations[start], durations[start + 1]
            timed = d1 is not None and d2 is not None
            key = (day, template, phase, 2, first, second, "")
            agg = sequences.get(key)
            if agg is None:
                agg = sequences[key] = [0, 0, 0, 0]
            agg[0] += 1
            if ok:
                agg[1] += 1
            if timed:
                agg[2] += 1
                agg[3] += d1 + d2  # type: ignore[operator]
            if start + 2 < count:
                d3 = durations[start + 2]
                key = (day, template, phase, 3, first, second, names[start + 2])
                agg = sequences.get(key)
                if agg is None:
                    agg = sequences[key] = [0, 0, 0, 0]
                agg[0] += 1
                if ok and not failures[start + 2]:
                    agg[1] += 1
                if timed and d3 is not None:
                    agg[2] += 1
                    agg[3] += d1 + d2 + d3  # type: ignore[operator]

    @property
    def keys(self) -> int:
        """How many counter rows the batch holds (what a rebuild watches to bound its memory)."""
        return len(self.tools) + len(self.commands) + len(self.latency) + len(self.sequences)

    def write(self, connection: Connection) -> None:
        """Add this batch to the rollups on `connection` (inside the caller's transaction)."""
        self.write_counters(connection)
        self.write_rows(connection)

    def write_counters(self, connection: Connection) -> None:
        """Add the counters to their tables, then forget them."""
        dialect = connection.dialect.name
        _upsert_counters(connection, dialect, tool_daily, self.tools)
        _upsert(
            connection,
            dialect,
            latency_daily,
            [_key_row(latency_daily, key) | {"calls": calls} for key, calls in sorted(self.latency.items())],
            added=("calls",),
        )
        _upsert_counters(connection, dialect, command_daily, self.commands)
        _upsert(
            connection,
            dialect,
            sequence_daily,
            [
                _key_row(sequence_daily, key) | dict(zip(_SEQUENCE_NAMES, agg, strict=True))
                for key, agg in sorted(self.sequences.items())
            ],
            added=_SEQUENCE_NAMES,
        )
        self.tools, self.commands, self.latency, self.sequences = {}, {}, {}, {}

    def write_rows(self, connection: Connection) -> None:
        """Insert the per-call and per-log rows, then forget them."""
        # Rows keyed by a task log that was just inserted: nobody else can hold them.
        dialect = connection.dialect.name
        for table, rows in ((failed_calls, self.failed), (slow_calls, self.slow), (log_redundancy, self.redundancy)):
            if rows:
                statement, parameters = bulk_insert(dialect, table, rows)
                connection.execute(statement, parameters)
        self.failed, self.slow, self.redundancy = [], [], []


def _count(
    target: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], failed: bool, cancelled: bool, duration: int | None
) -> None:
    agg = target.get(key)
    if agg is None:
        agg = target[key] = [0, 0, 0, 0, 0, -1]
    agg[0] += 1
    if failed:
        agg[1] += 1
    if cancelled:
        agg[2] += 1
    if duration is not None:
        agg[3] += 1
        agg[4] += duration
        if duration > agg[5]:
            agg[5] = duration


def _key_row(table: Table, key: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_KEY_NAMES[table.name], key, strict=True))


def _upsert_counters(
    connection: Connection,
    dialect: str,
    table: Table,
    aggregates: dict[tuple[Any, ...], list[int]],
) -> None:
    rows = []
    for key, agg in sorted(aggregates.items()):
        row = _key_row(table, key) | dict(zip(_COUNTER_NAMES, agg, strict=True))
        if row["max_duration_ms"] < 0:
            row["max_duration_ms"] = None
        rows.append(row)
    _upsert(connection, dialect, table, rows, added=_COUNTER_NAMES[:-1], maximum="max_duration_ms")


def _upsert(
    connection: Connection,
    dialect: str,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    added: Sequence[str],
    maximum: str | None = None,
) -> None:
    """Insert `rows` (sorted by key), adding to the counters of keys already present."""
    if not rows:
        return
    statement, parameters = bulk_insert(dialect, table, rows)
    excluded = statement.excluded
    updates: dict[str, Any] = {name: table.c[name] + excluded[name] for name in added}
    if maximum is not None:
        current, new = table.c[maximum], excluded[maximum]
        # CASE rather than GREATEST/MAX: the same SQL on both databases, and NULL-safe.
        updates[maximum] = case((current.is_(None), new), (new > current, new), else_=current)
    statement = statement.on_conflict_do_update(index_elements=list(table.primary_key.columns), set_=updates)
    connection.execute(statement, parameters)


def prepare(logs: Sequence[derived.InsertedLog]) -> RollupBatch:
    """The rollups of `logs`, aggregated but not written (pure Python: may run in another process)."""
    batch = RollupBatch()
    for log in logs:
        batch.add(log)
    return batch


def apply(connection: Connection, batch: RollupBatch, ids: Sequence[int]) -> None:
    """Write a `prepare`d batch whose logs carried placeholder ids: `ids[p]` is the real id for `p`.

    The batch itself is left as it was (its rows keep their placeholders).
    """
    mapped = copy.copy(batch)  # `write` empties the copy's fields, not the batch's
    mapped.failed, mapped.slow, mapped.redundancy = (
        [row | {"task_log_id": ids[row["task_log_id"]]} for row in rows]
        for rows in (batch.failed, batch.slow, batch.redundancy)
    )
    mapped.write(connection)


def on_insert(connection: Connection, inserted: Sequence[derived.InsertedLog]) -> None:
    """Add newly stored task logs to every rollup (called in the insert's transaction)."""
    prepare(inserted).write(connection)


def rebuild(connection: Connection) -> None:
    """Empty the rollups and recompute them from `task_logs`, batch by batch, in id order."""
    for table in reversed(TABLES):
        connection.execute(table.delete())
    query = select(
        task_logs.c.id,
        task_logs.c.adw_id,
        task_logs.c.workflow_template,
        task_logs.c.phase_name,
        task_logs.c.started_at,
        task_logs.c.created_at,
        task_logs.c.tool_calls,
    ).order_by(task_logs.c.id)
    last_id = 0
    # One batch across rounds: counters of the same day and group add up in memory, so far fewer
    # rows are upserted than when every round writes its own (task logs come in id order, not by day).
    batch = RollupBatch()
    while True:
        rows = connection.execute(query.where(task_logs.c.id > last_id).limit(REBUILD_BATCH)).all()
        if not rows:
            batch.write(connection)
            return
        for log in (
            derived.InsertedLog(
                id=row.id,
                adw_id=row.adw_id,
                workflow_template=row.workflow_template,
                phase_name=row.phase_name,
                started_at=row.started_at,
                created_at=row.created_at,
                tool_calls=row.tool_calls or [],
            )
            for row in rows
        ):
            batch.add(log)
        batch.write_rows(connection)
        if batch.keys > REBUILD_MAX_KEYS:
            batch.write_counters(connection)
        last_id = rows[-1].id


derived.register("rollups", on_insert=on_insert, rebuild=rebuild, prepare=prepare, apply=apply)
