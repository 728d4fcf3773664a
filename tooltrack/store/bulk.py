"""Storing many task logs fast: PostgreSQL's COPY, with the same results as `write_task_logs`.

This is the PostgreSQL-only fast path of the ingest pipeline. The generic path, on every
database, is `tooltrack.store.repository.write_task_logs`; `bulk_write_task_logs` picks this path
on PostgreSQL and that one elsewhere, and both give the same rows, keys, redaction and derived
updates (a test checks they agree).

How a batch is stored here, inside the caller's transaction:

1. each log is dumped once to JSON-ready values; its key is the client's `log_key` or the same
   content hash `write_task_logs` uses; then it is redacted (`tooltrack.core.redaction`);
2. keys already stored are looked up through the unique `log_key` index and skipped;
3. ids are drawn from the table's sequence, and the new rows go in with one `COPY ... FROM STDIN`
   (text format, built here: no per-value adaptation in Python);
4. the derived maintainers get exactly the rows inserted, in the same transaction: through
   `DERIVED.after_insert` (`tooltrack.store.upkeep`), or, for a `CopyBatch` whose upkeep was
   prepared ahead (in a child process), through `DERIVED.apply_prepared` (and `after_insert`
   for its logs without a start).

A concurrent writer that stores one of the same keys between steps 2 and 3 makes the COPY fail
on the unique index; the savepoint is rolled back and the batch redone through `write_rows`
(ON CONFLICT DO NOTHING), so nothing is stored twice or lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, Engine, func, select, text

from tooltrack.core import redact_row
from tooltrack.models import TaskLogCreate
from tooltrack.store.derived import InsertedLog
from tooltrack.store.dialects import dialect_of
from tooltrack.store.identity import has_call_ids, ids_for_keys, plan_rows, release_lost
from tooltrack.store.keys import KEY_PREFIX, content_hash
from tooltrack.store.repository import (
    INSERT_COLUMNS,
    StoreResult,
    insert_rows,
    planned_results,
    results_in_order,
    row_results,
    write_rows,
)
from tooltrack.store.upkeep import DERIVED

#: Columns written by COPY, in order (captured_at / created_at take their server default).
COPY_COLUMNS: Final = ("id", *INSERT_COLUMNS)
_COPY_SQL: Final = f"COPY task_logs ({', '.join(COPY_COLUMNS)}) FROM STDIN"
_TEXT_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_WORK_MEM = text("SET LOCAL work_mem = '64MB'")
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence('task_logs', 'id')) FROM generate_series(1, :n)")


def keyed_row(payload: dict[str, Any]) -> dict[str, Any]:
    """A task log's `model_dump(mode="json", exclude_none=True)`, keyed and redacted, in place.

    The key is the payload's own `log_key`, else the same content hash
    `tooltrack.store.keys.task_log_key` computes (over the payload without `log_key`).
    """
    client_key = payload.pop("log_key", None)
    payload["log_key"] = client_key or KEY_PREFIX + content_hash(payload)
    return redact_row(payload)


def json_row(log: TaskLogCreate) -> dict[str, Any]:
    """`to_row` in JSON-ready values (timestamps as ISO text), with the same key and redaction."""
    return keyed_row(log.model_dump(mode="json", exclude_none=True))


def _field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_TEXT_ESCAPES)
    return str(value)


def copy_tail(row: dict[str, Any]) -> str:
    """A row's COPY text line after its id (which is drawn only when the row is stored)."""
    get = row.get
    calls = orjson.dumps(get("tool_calls") or []).decode().replace("\\", "\\\\")
    return "\t".join(
        (
            _field(get("adw_id")),
            _field(get("issue_number")),
            _field(get("workflow_template")),
            _field(get("phase_name")),
            _field(get("phase_number")),
            _field(get("phase_status")),
            _field(get("log_message")),
            _field(get("error_message")),
            _field(get("started_at")),
            _field(get("completed_at")),
            _field(get("duration_seconds")),
            _field(get("tokens_used")),
            _field(get("cost_usd")),
            calls,
            _field(get("log_key")),
            _field(get("source")),
            _field(get("time_source")),
            _field(get("project")),
            _field(get("project_path")),
            _field(get("git_branch")),
            _field(get("agent")),
            _field(get("agent_version")),
            _json_field(get("models")),
            _field(get("title")),
            _field(get("outcome")),
            _json_field(get("mcp_servers")),
            _json_field(get("tools_available")),
        )
    )


def _json_field(value: Any) -> str:
    """A JSON column's COPY text: its JSON with backslashes doubled (the text format's escape), or NULL."""
    return "\\N" if value is None else orjson.dumps(value).decode().replace("\\", "\\\\")


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def python_row(row: dict[str, Any]) -> dict[str, Any]:
    """A `json_row` row with its timestamps as datetimes, as `write_rows` takes them."""
    values = dict(row)
    values["started_at"] = _parse_time(row.get("started_at"))
    values["completed_at"] = _parse_time(row.get("completed_at"))
    return values


@dataclass(slots=True)
class PreparedBatch:
    """Task logs turned into redacted, keyed rows (`json_row`), ready for `write_prepared`.

    Preparing is pure Python work with no database: the ingest pipeline does it on its reading
    thread while the writing thread waits on the database with the previous batch.
    """

    rows: list[dict[str, Any]]


def prepare(logs: Sequence[TaskLogCreate]) -> PreparedBatch:
    return PreparedBatch([json_row(log) for log in logs])


def supports_copy(bind: Engine | Connection) -> bool:
    """Whether this engine's or connection's database and driver take the COPY path."""
    return dialect_of(bind).supports_copy(bind.dialect.driver)


def _copy_in(connection: Connection, data: bytes) -> bool:
    """COPY `data` (text format, `COPY_COLUMNS`) in a savepoint; False if a key is already stored."""
    import psycopg.errors  # the driver's own errors: this path runs on psycopg only

    # The GIN index on tool_calls takes new entries into its pending list and merges them into
    # the index, in the inserting backend, with work_mem for sorting them: 4 MB (the default)
    # makes many small merges. Raw COPY of 1 M calls into task_logs took 14.2 s at 4 MB, 10.9 s
    # at 32 or 64 MB and 11.2 s at 128 MB (bench/bench_ingest.py's data). For this transaction only.
    connection.execute(_COPY_WORK_MEM)
    try:
        with connection.begin_nested():
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(_COPY_SQL) as copy:  # type: ignore[union-attr]
                copy.write(data)
    except psycopg.errors.UniqueViolation:
        return False
    return True


def _copy_rendered(connection: Connection, keys: list[str], tails: list[bytes]) -> list[int] | None:
    """COPY rows whose text after the id is `tails` (keys all new and distinct); their ids, in the
    order given, or None when a concurrent writer stored one of the keys first (nothing stored).

    Ids are drawn and rows sent in key order, like write_rows: two writers with overlapping keys
    then wait on the unique index in the same order instead of deadlocking.
    """
    order = sorted(range(len(keys)), key=keys.__getitem__)
    ids = [0] * len(keys)
    for (id_,), index in zip(connection.execute(_NEXT_IDS, {"n": len(keys)}), order, strict=True):
        ids[index] = id_
    if not _copy_in(connection, b"".join(b"%d\t%s\n" % (ids[index], tails[index]) for index in order)):
        return None
    return ids


def _copy_rows(connection: Connection, rows: list[dict[str, Any]]) -> list[StoreResult]:
    """`write_rows` through COPY (PostgreSQL with psycopg only): same results, in the order of `rows`."""
    if not rows:
        return []
    if any(has_call_ids(row) for row in rows):
        plan = plan_rows(connection, rows)
        created = _copy_fresh(connection, plan.rows)
        release_lost(connection, plan, created)
        return planned_results(connection, rows, plan, created)
    keys = list(dict.fromkeys(row["log_key"] for row in rows))
    existing = ids_for_keys(connection, keys)
    fresh: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["log_key"] not in existing:
            fresh.setdefault(row["log_key"], row)
    created = _copy_fresh(connection, list(fresh.values()))
    if missing := [key for key in fresh if key not in created]:  # stored by a concurrent writer meanwhile
        existing |= ids_for_keys(connection, missing)
    return row_results(rows, created, existing)


def _copy_fresh(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """COPY `rows` (distinct keys, none stored when looked up) and keep the derived structures; the
    keys stored -> ids. When a concurrent writer stored one of the keys since, the COPY stores
    nothing and the rows go through `insert_rows` (ON CONFLICT DO NOTHING) instead."""
    if not rows:
        return {}
    keys = [row["log_key"] for row in rows]
    ids = _copy_rendered(connection, keys, [copy_tail(row).encode() for row in rows])
    if ids is None:
        return insert_rows(connection, [python_row(row) for row in rows])
    now = connection.execute(select(func.now())).scalar_one()
    DERIVED.after_insert(connection, [_inserted_log(id_, row, now) for id_, row in zip(ids, rows, strict=True)])
    return dict(zip(keys, ids, strict=True))


def write_prepared(connection: Connection, batch: PreparedBatch) -> list[StoreResult]:
    """Store a prepared batch the fastest way the database allows (COPY on PostgreSQL), skipping duplicates."""
    if supports_copy(connection):
        return _copy_rows(connection, batch.rows)
    return write_rows(connection, [python_row(row) for row in batch.rows])


@dataclass(slots=True)
class CopyBatch:
    """Rows rendered for COPY ahead of time, with their derived updates, by `copy_batch`.

    All the per-call Python work of storing (COPY text, rollup counts) is done when the batch is
    made, with no database, so it can be made in another process (see `tooltrack.ingest.chunks`);
    what is left for `write_copy_batch` is per row, not per call. The batch does not carry the rows
    themselves: when some of its keys are stored already, or a maintainer could not prepare them,
    `write_copy_batch` asks the caller for the rows and stores them through `write_prepared`.
    """

    keys: list[str]
    """Every row's key, in order, later copies of a key included."""
    calls: list[int]
    """How many tool calls each row holds."""
    firsts: list[int]
    """Index (into `keys`) of the first copy of each key: the rows that are stored."""
    tails: list[bytes]
    """`copy_tail` of each stored row (aligned with `firsts`), UTF-8 encoded."""
    prepared_upkeep: dict[str, Any] | None
    """`DERIVED.prepare_all` of the stored rows that have `started_at` (placeholder id: the
    position in `firsts`); None when a maintainer could not prepare them."""
    untimed: dict[int, dict[str, Any]]
    """Stored rows without `started_at`, by position in `firsts`: their upkeep needs `created_at`,
    known only once they are inserted."""
    has_call_ids: bool = False
    """Some stored row has calls with a call_id: the batch goes the generic way (call identity)."""


def copy_batch(rows: list[dict[str, Any]]) -> CopyBatch:
    """A `CopyBatch` of keyed, redacted rows (`keyed_row`); pure Python, picklable."""
    keys = [row["log_key"] for row in rows]
    first_of: dict[str, int] = {}
    for index, key in enumerate(keys):
        first_of.setdefault(key, index)
    firsts = list(first_of.values())  # in order: dicts keep insertion order
    stored = [rows[index] for index in firsts]
    try:
        prepared = DERIVED.prepare_all(
            [_inserted_log(place, row, started) for place, row in enumerate(stored) if (started := _start(row))]
        )
    except Exception:
        # A log some maintainer cannot take: the batch goes the slow way, where it costs that
        # log's own line and nothing else (see the ingest pipeline's writer).
        prepared = None
    return CopyBatch(
        keys=keys,
        calls=[len(row.get("tool_calls") or ()) for row in rows],
        firsts=firsts,
        tails=[copy_tail(row).encode() for row in stored],
        prepared_upkeep=prepared,
        untimed={place: row for place, row in enumerate(stored) if not row.get("started_at")},
        has_call_ids=any(has_call_ids(row) for row in stored),
    )


def _start(row: dict[str, Any]) -> datetime | None:
    return _parse_time(row.get("started_at"))


def _inserted_log(id_: int, row: dict[str, Any], created_at: datetime) -> InsertedLog:
    """A `json_row` row as the derived maintainers take it."""
    return InsertedLog.of(id_, created_at, row)


def write_copy_batch(
    connection: Connection, batch: CopyBatch, rows: Callable[[], list[dict[str, Any]]]
) -> list[StoreResult]:
    """Store a `CopyBatch` like `write_prepared` would store its rows, in the order of `batch.keys`.

    `rows()` gives the batch's rows (as `keyed_row` made them), for the cases the fast path leaves.
    """
    keys = batch.keys
    if not keys:
        return []
    prepared = batch.prepared_upkeep
    if not supports_copy(connection) or prepared is None or not DERIVED.can_apply(prepared) or batch.has_call_ids:
        # Calls with ids are claimed first and may be filtered (tooltrack.store.identity): the
        # rendered rows would no longer be the rows stored.
        return write_prepared(connection, PreparedBatch(rows()))
    stored_keys = [keys[index] for index in batch.firsts]
    existing = ids_for_keys(connection, stored_keys)
    if len(existing) == len(stored_keys):  # all stored already (a file ingested again): nothing to remake
        return results_in_order(keys, batch.calls, {}, existing)
    if existing:
        return write_prepared(connection, PreparedBatch(rows()))
    ids = _copy_rendered(connection, stored_keys, batch.tails)
    if ids is None:  # someone stored one of these keys since we looked
        return write_rows(connection, [python_row(row) for row in rows()])
    DERIVED.apply_prepared(connection, prepared, ids)
    if batch.untimed:
        now = connection.execute(select(func.now())).scalar_one()
        DERIVED.after_insert(connection, [_inserted_log(ids[place], row, now) for place, row in batch.untimed.items()])
    return results_in_order(keys, batch.calls, dict(zip(stored_keys, ids, strict=True)), {})


def bulk_write_task_logs(connection: Connection, logs: Sequence[TaskLogCreate]) -> list[StoreResult]:
    """Store `logs` like `write_task_logs` does, through COPY on PostgreSQL."""
    return write_prepared(connection, prepare(logs))
