"""Storing many task logs fast: PostgreSQL's COPY, with the same results as `write_task_logs`.

This is the PostgreSQL-only fast path of the ingest pipeline. The generic path, on every
database, is `tooltrack.store.repository.write_task_logs`; `bulk_write_task_logs` picks this path
on PostgreSQL and that one elsewhere, and both give the same rows, keys, redaction and derived
updates (a test checks they agree).

How a batch is stored here, inside the caller's transaction:

1. each log is dumped once to JSON-ready values; its key is the client's `log_key` or the same
   content hash `write_task_logs` uses; then it is redacted (`tooltrack.ingest.redaction`);
2. keys already stored are looked up through the unique `log_key` index and skipped;
3. ids are drawn from the table's sequence, and the new rows go in with one `COPY ... FROM STDIN`
   (text format, built here: no per-value adaptation in Python);
4. `derived.after_insert` gets exactly the rows inserted, in the same transaction.

A concurrent writer that stores one of the same keys between steps 2 and 3 makes the COPY fail
on the unique index; the savepoint is rolled back and the batch redone through `write_rows`
(ON CONFLICT DO NOTHING), so nothing is stored twice or lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, func, select, text

from tooltrack.ingest.redaction import redact_row
from tooltrack.models import TaskLogCreate
from tooltrack.store import derived
from tooltrack.store.keys import KEY_PREFIX, content_hash
from tooltrack.store.repository import INSERT_COLUMNS, StoreResult, write_rows
from tooltrack.store.schema import task_logs

#: Columns written by COPY, in order (captured_at / created_at take their server default).
COPY_COLUMNS: Final = ("id", *INSERT_COLUMNS)
_COPY_SQL: Final = f"COPY task_logs ({', '.join(COPY_COLUMNS)}) FROM STDIN"
_TEXT_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
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


def copy_line(row_id: int, row: dict[str, Any]) -> str:
    """One line of COPY text input for a row made by `json_row`."""
    get = row.get
    calls = orjson.dumps(get("tool_calls") or []).decode().replace("\\", "\\\\")
    return "\t".join(
        (
            str(row_id),
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
        )
    )


def _existing(connection: Connection, keys: Sequence[str]) -> dict[str, int]:
    query = select(task_logs.c.log_key, task_logs.c.id).where(task_logs.c.log_key.in_(keys))
    return {key: id_ for key, id_ in connection.execute(query)}


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


def _copy_rows(connection: Connection, rows: list[dict[str, Any]]) -> list[StoreResult]:
    """`write_rows` through COPY (PostgreSQL with psycopg only): same results, in the order of `rows`."""
    if not rows:
        return []
    keys = [row["log_key"] for row in rows]
    existing = _existing(connection, list(set(keys)))
    fresh: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["log_key"] not in existing and row["log_key"] not in fresh:
            fresh[row["log_key"]] = row
    created: dict[str, int] = {}
    if fresh:
        # In key order, like write_rows: two writers with overlapping keys then wait on the
        # unique index in the same order instead of deadlocking.
        fresh = dict(sorted(fresh.items()))
        ids = [id_ for (id_,) in connection.execute(_NEXT_IDS, {"n": len(fresh)})]
        now = connection.execute(select(func.now())).scalar_one()
        data = "".join(copy_line(id_, row) + "\n" for id_, row in zip(ids, fresh.values(), strict=True))
        import psycopg.errors  # the driver's own errors: this path runs on psycopg only

        try:
            with connection.begin_nested():
                raw = connection.connection.driver_connection
                with raw.cursor() as cursor, cursor.copy(_COPY_SQL) as copy:  # type: ignore[union-attr]
                    copy.write(data.encode())
        except psycopg.errors.UniqueViolation:
            # Someone stored one of these keys since we looked: the safe (slower) way for this batch.
            return write_rows(connection, [python_row(row) for row in rows])
        created = dict(zip(fresh, ids, strict=True))
        derived.after_insert(
            connection,
            [
                derived.InsertedLog(
                    id=created[key],
                    adw_id=row["adw_id"],
                    workflow_template=row.get("workflow_template"),
                    phase_name=row["phase_name"],
                    started_at=_parse_time(row.get("started_at")),
                    created_at=now,
                    tool_calls=row.get("tool_calls") or [],
                )
                for key, row in fresh.items()
            ],
        )
    results: list[StoreResult] = []
    seen: set[str] = set()
    for key in keys:
        if key in created and key not in seen:
            results.append(StoreResult(created[key], key, True))
        else:
            results.append(StoreResult(created.get(key) or existing[key], key, False))
        seen.add(key)
    return results


def write_prepared(connection: Connection, batch: PreparedBatch) -> list[StoreResult]:
    """Store a prepared batch the fastest way the database allows (COPY on PostgreSQL), skipping duplicates."""
    # The one dialect test outside dialects.py: the COPY protocol is psycopg's, not SQLAlchemy's.
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        return _copy_rows(connection, batch.rows)
    return write_rows(connection, [python_row(row) for row in batch.rows])


def copy_task_logs(connection: Connection, logs: Sequence[TaskLogCreate]) -> list[StoreResult]:
    """`write_task_logs` through COPY (PostgreSQL with psycopg only)."""
    return _copy_rows(connection, prepare(logs).rows)


def bulk_write_task_logs(connection: Connection, logs: Sequence[TaskLogCreate]) -> list[StoreResult]:
    """Store `logs` like `write_task_logs` does, through COPY on PostgreSQL."""
    return write_prepared(connection, prepare(logs))
