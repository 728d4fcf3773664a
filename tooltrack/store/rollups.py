"""Rollups: what the analytics read instead of expanding `task_logs.tool_calls` on every query.

All of it is derived from `task_logs.tool_calls` (the single source of truth), written in the
same transaction as every insert (this module's `MAINTAINER`, listed in `tooltrack.store.upkeep`),
and recomputed from scratch by `rebuild` (`tooltrack rollups rebuild`). The tables and their grain
are in `tooltrack.store.schema` (`ROLLUP_TABLES`); the day is the UTC day of the task log's
activity time (`started_at` else `created_at`).

What a call's outcome, error kind, command name, latency bucket and redundancy are comes from
`tooltrack.core`, the same definitions the analytics' direct reads use, so the two never disagree.

The counter tables are keyed by the day and `key_hash(texts)`, a digest of the row's text key
columns (`KEY_HASH_COLUMNS`): any names that validate fit a PostgreSQL index entry, however many
bytes they take. The text columns hold the names as sent, so reads group and filter on them.

Counters are added with `INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`, so concurrent
writers never lose a count; each batch aggregates first (one row per key) and writes its keys
sorted, table by table in a fixed order, so two writers take row locks in the same order and
cannot deadlock each other.
"""

from __future__ import annotations

import copy
import hashlib
import operator
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import (
    Connection,
    Table,
    case,
)

from tooltrack.core import (
    EXECUTION_SOURCES,
    SUBAGENT_TOOLS,
    activity_time,
    bucket_of,
    call_target,
    call_time,
    error_kind,
    find_in_log,
    normalise_command,
    outcome_of,
)
from tooltrack.store import derived
from tooltrack.store.dialects import DatabaseDialect, dialect_of
from tooltrack.store.run_summaries import RunParts
from tooltrack.store.schema import (
    GROUP_COLUMNS,
    KEY_HASH_COLUMNS,
    LOG_DIMENSIONS,
    ROLLUP_TABLES,
    SLIM_DIMENSIONS,
    SLIM_TOOL_DIMENSIONS,
    command_daily,
    command_slim_daily,
    costly_calls,
    failed_calls,
    latency_daily,
    latency_slim_daily,
    log_daily,
    log_redundancy,
    redundant_targets,
    repeat_daily,
    runs,
    sequence_daily,
    slow_calls,
    task_logs,
    tool_daily,
    tool_slim_daily,
)

NO_TEMPLATE: Final = ""
NO_COMMAND: Final = "(no command)"
UNKNOWN_TOOL: Final = "(unknown)"
#: Calls at least this slow are kept in `derived_slow_calls`.
SLOW_CALL_MS: Final = 30_000
#: Calls that cost at least this much are kept in `derived_costly_calls`.
COSTLY_CALL_USD: Final = 0.01
SEQUENCE_LENGTHS: Final = (2, 3)
MAX_ERROR_MESSAGE: Final = 2_000
#: Task logs read per round by `rebuild` (about 200 K calls at 100 calls a log).
REBUILD_BATCH: Final = 2_000
#: Counter rows a rebuild holds in memory before writing them (a few hundred bytes each).
REBUILD_MAX_KEYS: Final = 2_000_000


#: Hex digits of SHA-256 kept in `key_hash`: 128 bits, so two keys of one day never share one.
KEY_HASH_DIGITS: Final = 32

# Per counter table, the columns of the key tuples `RollupBatch` aggregates by, in their order
# (plain str, not quoted_name: they become JSON keys of the bulk insert, which orjson checks).
_GROUP: Final = ("day", *GROUP_COLUMNS)
_SLIM: Final = ("day", "dimension", "value")
_KEY_NAMES: Final = {
    tool_daily.name: (*_GROUP, "subagent", "tool_name"),
    latency_daily.name: (*_GROUP, "tool_name", "timing", "bucket"),
    command_daily.name: (*_GROUP, "command"),
    sequence_daily.name: (*_GROUP, "n", "tool_1", "tool_2", "tool_3"),
    tool_slim_daily.name: (*_SLIM, "workflow_template", "phase_name", "tool_name"),
    latency_slim_daily.name: (*_SLIM, "tool_name", "timing", "bucket"),
    command_slim_daily.name: (*_SLIM, "command"),
    repeat_daily.name: (*_SLIM, "kind", "target"),
    log_daily.name: (*_SLIM, "workflow_template", "phase_name"),
}
# The text columns `key_hash` digests, picked out of those tuples (as a tuple: each has several).
_HASHED: Final = {
    name: operator.itemgetter(*(keys.index(c) for c in KEY_HASH_COLUMNS[name])) for name, keys in _KEY_NAMES.items()
}
_COUNTER_NAMES: Final = ("calls", "failures", "cancelled", "timed_calls", "total_duration_ms", "max_duration_ms")
_TOOL_EXTRA_NAMES: Final = ("exec_timed_calls", "exec_total_duration_ms", "cost_calls", "cost_tokens", "cost_pico")
_SEQUENCE_NAMES: Final = ("occurrences", "successes", "timed", "total_duration_ms")
_REPEAT_NAMES: Final = ("task_logs", "redundant_calls", "occurrences", "wasted_ms", "wasted_tokens", "wasted_pico")
_SLIM_TOOL_EXTRA: Final = ("cost_calls", "cost_tokens", "cost_pico")


def _positions(source: str, dimensions: Sequence[str]) -> tuple[int | None, ...]:
    """Where each dimension's value sits in a key of the `source` counter table (None for "")."""
    names = _KEY_NAMES[source]
    return tuple(names.index(d) if d else None for d in dimensions)


# Per slim table: the dimensions, where their values sit in the source key, and the other key
# columns it keeps of the source key (its positions), in the slim key's order.
_SLIM_TOOL: Final = (
    SLIM_TOOL_DIMENSIONS,
    _positions(tool_daily.name, SLIM_TOOL_DIMENSIONS),
    tuple(_KEY_NAMES[tool_daily.name].index(c) for c in ("workflow_template", "phase_name", "tool_name")),
)
_SLIM_LATENCY: Final = (
    SLIM_DIMENSIONS,
    _positions(latency_daily.name, SLIM_DIMENSIONS),
    tuple(_KEY_NAMES[latency_daily.name].index(c) for c in ("tool_name", "timing", "bucket")),
)
_SLIM_COMMAND: Final = (
    SLIM_DIMENSIONS,
    _positions(command_daily.name, SLIM_DIMENSIONS),
    (_KEY_NAMES[command_daily.name].index("command"),),
)
#: A sub-agent's calls whose Task is not in the same task log (its file was ingested on its own).
SUBAGENT_UNKNOWN: Final = "(sub-agent)"
PICO: Final = 10**12


def pico(usd: Any) -> int:
    """Dollars (a float as the record stores them) as whole pico-dollars, the rollups' unit."""
    return round(usd * PICO) if isinstance(usd, int | float) and not isinstance(usd, bool) and usd > 0 else 0


class RollupBatch:
    """The rollup rows of a batch of task logs, aggregated in memory, then written at once."""

    def __init__(self) -> None:
        # key -> [calls, failures, cancelled, timed, total, max (-1 = none),
        #         exec timed, exec total, costed calls, cost tokens, cost pico]
        self.tools: dict[tuple[Any, ...], list[int]] = {}
        # key -> [calls, failures, cancelled, timed, total, max (-1 = none)]
        self.commands: dict[tuple[Any, ...], list[int]] = {}
        self.latency: dict[tuple[Any, ...], int] = {}
        # key -> [occurrences, successes, timed, total]
        self.sequences: dict[tuple[Any, ...], list[int]] = {}
        self.failed: list[dict[str, Any]] = []
        self.slow: list[dict[str, Any]] = []
        self.redundancy: list[dict[str, Any]] = []
        self.targets: list[dict[str, Any]] = []
        self.costly: list[dict[str, Any]] = []
        # (day, dimension, value, kind, target) -> _REPEAT_NAMES counters; and each target's file.
        self.repeats: dict[tuple[Any, ...], list[int]] = {}
        self.repeat_files: dict[tuple[str, str], str | None] = {}
        # (day, dimension, value, template, phase) -> task logs
        self.logs: dict[tuple[Any, ...], int] = {}
        self.runs = RunParts()

    def add(self, log: derived.InsertedLog) -> None:
        # The hot loop of every insert (a few µs per call): names are bound locally and the
        # definitions of tooltrack.core are used as they are, so the rollups count like the reads.
        moment = activity_time(log.started_at, log.created_at)
        day = moment.date()
        template = log.workflow_template or NO_TEMPLATE
        phase = log.phase_name
        project, agent, log_model = log.project or "", log.agent or "", log.model or ""
        tools, latency, commands = self.tools, self.latency, self.commands
        calls = log.tool_calls
        # The sub-agent type of each Task of the log, for the calls its sub-agent made.
        tasks = {
            c["call_id"]: str(c.get("subagent_type") or SUBAGENT_UNKNOWN)
            for c in calls
            if c.get("tool_name") in SUBAGENT_TOOLS and c.get("call_id")
        }
        names: list[str] = []
        failures: list[bool] = []
        durations: list[int | None] = []
        for index, call in enumerate(calls):
            tool = str(call.get("tool_name") or UNKNOWN_TOOL)
            failed, cancelled, duration = outcome_of(call)
            model = call.get("model") or log_model
            group = (day, template, phase, project, agent, model)
            parent = call.get("parent_call_id")
            subagent = tasks.get(parent, SUBAGENT_UNKNOWN) if parent else ""
            agg = _count(tools, (*group, subagent, tool), failed, cancelled, duration, _TOOL_WIDTH)
            execution = call.get("duration_source") in EXECUTION_SOURCES
            if duration is not None:
                if execution:
                    agg[6] += 1
                    agg[7] += duration
                key = (*group, tool, "exec" if execution else "wall", bucket_of(duration))
                latency[key] = latency.get(key, 0) + 1
            cost = call.get("cost_usd")
            if cost is not None:
                agg[8] += 1
                agg[9] += call.get("cost_tokens") or 0
                agg[10] += pico(cost)
            if tool == "Bash":
                command = call.get("command")
                name = normalise_command(str(command)) if command else NO_COMMAND
                _count(commands, (*group, name), failed, cancelled, duration, _COUNTER_WIDTH)
            slow = duration is not None and duration >= SLOW_CALL_MS
            costly = cost is not None and cost >= COSTLY_CALL_USD
            if failed or slow or costly:
                # What the costly, failed and slow call tables share about the call.
                row = {
                    "task_log_id": log.id,
                    "call_index": index,
                    "adw_id": log.adw_id,
                    "day": day,
                    "occurred_at": call_time(call, moment),
                    "workflow_template": template,
                    "phase_name": phase,
                    "project": project,
                    "agent": agent,
                    "model": model,
                    "tool_name": tool,
                    "duration_ms": duration,
                }
                if costly:
                    self.costly.append(
                        row
                        | {
                            "target": call_target(call),
                            "cost_pico": pico(cost),
                            "cost_tokens": call.get("cost_tokens") or 0,
                        }
                    )
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
        self._add_sequences((day, template, phase, project, agent, log_model), names, failures, durations)
        tallies = find_in_log(calls)
        self.runs.add(log, moment, failed=sum(failures), redundant=sum(t.count for t in tallies))
        where = {
            "adw_id": log.adw_id,
            "day": day,
            "workflow_template": template,
            "phase_name": phase,
            "project": project,
            "agent": agent,
            "model": log_model,
        }
        self._add_log_counts(day, template, phase, project, agent)
        self._add_repeats(day, (template, phase, project, agent, log_model), tallies)
        for tally in tallies:
            self.targets.append(
                where
                | {
                    "task_log_id": log.id,
                    "kind": tally.kind,
                    "target_hash": key_hash((tally.target,)),
                    "target": tally.target,
                    "file_path": tally.file_path,
                    "redundant_calls": tally.count,
                    "occurrences": tally.occurrences,
                    "wasted_ms": tally.wasted_ms,
                    "wasted_tokens": tally.wasted_tokens,
                    "wasted_pico": pico(tally.wasted_usd),
                }
            )
        if tallies:
            self.redundancy.append(
                {
                    "task_log_id": log.id,
                    "adw_id": log.adw_id,
                    "day": day,
                    "workflow_template": template,
                    "phase_name": phase,
                    "project": project,
                    "agent": agent,
                    "model": log_model,
                    "redundant_calls": sum(t.count for t in tallies),
                    "wasted_ms": sum(t.wasted_ms for t in tallies),
                    "wasted_tokens": sum(t.wasted_tokens for t in tallies),
                    "wasted_pico": sum(pico(t.wasted_usd) for t in tallies),
                }
            )

    def _add_log_counts(self, day: Any, template: str, phase: str, project: str, agent: str) -> None:
        logs = self.logs
        for dimension, value in zip(LOG_DIMENSIONS, ("", project, agent), strict=True):
            key = (day, dimension, value, template, phase)
            logs[key] = logs.get(key, 0) + 1

    def _add_repeats(self, day: Any, group: tuple[str, ...], tallies: Sequence[Any]) -> None:
        """Count each repeated target under every slim dimension (SLIM_DIMENSIONS, GROUP_COLUMNS' order)."""
        repeats, files = self.repeats, self.repeat_files
        values = ("", *group)
        for tally in tallies:
            files.setdefault((tally.kind, tally.target), tally.file_path)
            wasted = pico(tally.wasted_usd)
            for dimension, value in zip(SLIM_DIMENSIONS, values, strict=True):
                key = (day, dimension, value, tally.kind, tally.target)
                agg = repeats.get(key)
                if agg is None:
                    agg = repeats[key] = [0, 0, 0, 0, 0, 0]
                agg[0] += 1
                agg[1] += tally.count
                agg[2] += tally.occurrences
                agg[3] += tally.wasted_ms
                agg[4] += tally.wasted_tokens
                agg[5] += wasted

    def _add_sequences(
        self, group: tuple[Any, ...], names: list[str], failures: list[bool], durations: list[int | None]
    ) -> None:
        """Count every 2-gram and 3-gram of consecutive calls (SEQUENCE_LENGTHS, written out)."""
        sequences = self.sequences
        count = len(names)
        for start in range(count - 1):
            first, second = names[start], names[start + 1]
            ok = not (failures[start] or failures[start + 1])
            d1, d2 = durations[start], durations[start + 1]
            timed = d1 is not None and d2 is not None
            key = (*group, 2, first, second, "")
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
                key = (*group, 3, first, second, names[start + 2])
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
        return (
            len(self.tools)
            + len(self.commands)
            + len(self.latency)
            + len(self.sequences)
            + len(self.repeats)
            + len(self.logs)
        )

    def write(self, connection: Connection) -> None:
        """Add this batch to the rollups on `connection` (inside the caller's transaction)."""
        self.write_counters(connection)
        self.write_rows(connection)

    def write_counters(self, connection: Connection) -> None:
        """Add the counters to their tables (each slim table from its source's counters), then forget them."""
        dialect = dialect_of(connection)
        _upsert_counters(connection, dialect, tool_daily, self.tools, _TOOL_EXTRA_NAMES)
        # The slim tool rows keep the call counters and the cost (positions 8-10 of the source's).
        slim_tools = _slimmed(self.tools, *_SLIM_TOOL, pick=(0, 1, 2, 3, 4, 5, 8, 9, 10))
        _upsert_counters(connection, dialect, tool_slim_daily, slim_tools, _SLIM_TOOL_EXTRA)
        _upsert(
            connection,
            dialect,
            latency_daily,
            [_key_row(latency_daily, key) | {"calls": calls} for key, calls in sorted(self.latency.items())],
            added=("calls",),
        )
        slim_latency = _slimmed({k: [v] for k, v in self.latency.items()}, *_SLIM_LATENCY, pick=(0,), maximum=None)
        _upsert(
            connection,
            dialect,
            latency_slim_daily,
            [_key_row(latency_slim_daily, key) | {"calls": agg[0]} for key, agg in sorted(slim_latency.items())],
            added=("calls",),
        )
        _upsert_counters(connection, dialect, command_daily, self.commands, ())
        slim_commands = _slimmed(self.commands, *_SLIM_COMMAND, pick=(0, 1, 2, 3, 4, 5))
        _upsert_counters(connection, dialect, command_slim_daily, slim_commands, ())
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
        files = self.repeat_files
        _upsert(
            connection,
            dialect,
            repeat_daily,
            [
                _key_row(repeat_daily, key)
                | {"file_path": files.get((key[3], key[4]))}
                | dict(zip(_REPEAT_NAMES, agg, strict=True))
                for key, agg in sorted(self.repeats.items())
            ],
            added=_REPEAT_NAMES,
        )
        _upsert(
            connection,
            dialect,
            log_daily,
            [_key_row(log_daily, key) | {"task_logs": count} for key, count in sorted(self.logs.items())],
            added=("task_logs",),
        )
        self.tools, self.commands, self.latency, self.sequences = {}, {}, {}, {}
        self.repeats, self.repeat_files, self.logs = {}, {}, {}

    def write_rows(self, connection: Connection) -> None:
        """Insert the per-call and per-log rows, then forget them."""
        # Rows keyed by a task log that was just inserted: nobody else can hold them.
        dialect = dialect_of(connection)
        for table, rows in (
            (failed_calls, self.failed),
            (slow_calls, self.slow),
            (log_redundancy, self.redundancy),
            (redundant_targets, self.targets),
            (costly_calls, self.costly),
        ):
            if rows:
                statement, parameters = dialect.bulk_insert(table, rows)
                connection.execute(statement, parameters)
        self.failed, self.slow, self.redundancy, self.targets, self.costly = [], [], [], [], []
        self.runs.write(connection)


_COUNTER_WIDTH: Final = len(_COUNTER_NAMES)
_TOOL_WIDTH: Final = len(_COUNTER_NAMES) + len(_TOOL_EXTRA_NAMES)


def _count(
    target: dict[tuple[Any, ...], list[int]],
    key: tuple[Any, ...],
    failed: bool,
    cancelled: bool,
    duration: int | None,
    width: int,
) -> list[int]:
    """Count one call into `target[key]` (a list of `width` counters, the first six the calls'),
    and return that list for the caller's own counters."""
    agg = target.get(key)
    if agg is None:
        agg = target[key] = [0, 0, 0, 0, 0, -1] + [0] * (width - 6)
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
    return agg


def _slimmed(
    source: dict[tuple[Any, ...], list[int]],
    dimensions: Sequence[str],
    positions: Sequence[int | None],
    kept: Sequence[int],
    *,
    pick: Sequence[int],
    maximum: int | None = 5,
) -> dict[tuple[Any, ...], list[int]]:
    """A slim table's counters from its source's aggregated ones: each source row once per dimension,
    keyed (day, dimension, its value or "", the `kept` key columns); the `pick`ed counters are summed,
    except the one at `maximum` (an index into `pick`'s order; -1 = none), which keeps the largest."""
    slim: dict[tuple[Any, ...], list[int]] = {}
    for key, agg in source.items():
        rest = tuple(key[i] for i in kept)
        values = [agg[i] for i in pick]
        for dimension, position in zip(dimensions, positions, strict=True):
            slim_key = (key[0], dimension, "" if position is None else key[position], *rest)
            found = slim.get(slim_key)
            if found is None:
                slim[slim_key] = list(values)
                continue
            for index, value in enumerate(values):
                if index == maximum:
                    if value > found[index]:
                        found[index] = value
                else:
                    found[index] += value
    return slim


@lru_cache(maxsize=1 << 16)
def key_hash(texts: tuple[str, ...]) -> str:
    """The `key_hash` of a rollup row whose text key columns are `texts` (KEY_HASH_COLUMNS' order).

    SHA-256 over the texts in UTF-8 joined by NUL (which no stored name holds, so two different
    tuples never join to the same bytes), its first KEY_HASH_DIGITS hex digits. Migration 0007
    computes the same in SQL for the rows stored before it: change neither without the other.
    """
    data = b"\x00".join(text.encode("utf-8", "surrogatepass") for text in texts)
    return hashlib.sha256(data).hexdigest()[:KEY_HASH_DIGITS]


def _key_row(table: Table, key: tuple[Any, ...]) -> dict[str, Any]:
    row = dict(zip(_KEY_NAMES[table.name], key, strict=True))
    row["key_hash"] = key_hash(_HASHED[table.name](key))
    return row


def _upsert_counters(
    connection: Connection,
    dialect: DatabaseDialect,
    table: Table,
    aggregates: dict[tuple[Any, ...], list[int]],
    extra: tuple[str, ...],
) -> None:
    """Add counters (`_COUNTER_NAMES`, then the table's `extra` ones, all added) to `table`."""
    names = (*_COUNTER_NAMES, *extra)
    rows = []
    for key, agg in sorted(aggregates.items()):
        row = _key_row(table, key) | dict(zip(names, agg, strict=True))
        if row["max_duration_ms"] < 0:
            row["max_duration_ms"] = None
        rows.append(row)
    added = tuple(name for name in names if name != "max_duration_ms")
    _upsert(connection, dialect, table, rows, added=added, maximum="max_duration_ms")


def _upsert(
    connection: Connection,
    dialect: DatabaseDialect,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    added: Sequence[str],
    maximum: str | None = None,
) -> None:
    """Insert `rows` (sorted by key), adding to the counters of keys already present."""
    if not rows:
        return
    statement, parameters = dialect.bulk_insert(table, rows)
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
    mapped.runs = RunParts()
    mapped.runs.merged = dict(batch.runs.merged)
    mapped.failed, mapped.slow, mapped.redundancy, mapped.targets, mapped.costly = (
        [row | {"task_log_id": ids[row["task_log_id"]]} for row in rows]
        for rows in (batch.failed, batch.slow, batch.redundancy, batch.targets, batch.costly)
    )
    mapped.write(connection)


def on_insert(connection: Connection, inserted: Sequence[derived.InsertedLog]) -> None:
    """Add newly stored task logs to every rollup (called in the insert's transaction)."""
    prepare(inserted).write(connection)


def rebuild(connection: Connection) -> None:
    """Empty the rollups and recompute them from `task_logs`, batch by batch, in id order."""
    for table in reversed(ROLLUP_TABLES):
        connection.execute(table.delete())
    connection.execute(runs.delete())
    query = derived.select_logs().order_by(task_logs.c.id)
    last_id = 0
    # One batch across rounds: counters of the same day and group add up in memory, so far fewer
    # rows are upserted than when every round writes its own (task logs come in id order, not by day).
    batch = RollupBatch()
    while True:
        rows = connection.execute(query.where(task_logs.c.id > last_id).limit(REBUILD_BATCH)).all()
        if not rows:
            batch.write(connection)
            return
        for row in rows:
            batch.add(derived.InsertedLog.from_row(row))
        batch.write_rows(connection)
        if batch.keys > REBUILD_MAX_KEYS:
            batch.write_counters(connection)
        last_id = rows[-1].id


MAINTAINER: Final = derived.Maintainer("rollups", on_insert=on_insert, rebuild=rebuild, prepare=prepare, apply=apply)
