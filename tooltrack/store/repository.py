"""Reading and writing task logs. Rows never leave this module: callers get pydantic models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, func, select

from tooltrack.core import redact_row
from tooltrack.models import TaskLogCreate, TaskLogWithToolCalls
from tooltrack.store.derived import InsertedLog
from tooltrack.store.dialects import dialect_of
from tooltrack.store.identity import Plan, Planned, has_call_ids, ids_for_keys, plan_rows, release_lost
from tooltrack.store.keys import task_log_key
from tooltrack.store.schema import task_logs
from tooltrack.store.upkeep import DERIVED

#: The columns a write sets, in order (id, captured_at and created_at come from the database).
INSERT_COLUMNS = (
    "adw_id",
    "issue_number",
    "workflow_template",
    "phase_name",
    "phase_number",
    "phase_status",
    "log_message",
    "error_message",
    "started_at",
    "completed_at",
    "duration_seconds",
    "tokens_used",
    "cost_usd",
    "tool_calls",
    "log_key",
    "source",
    "time_source",
    "project",
    "project_path",
    "git_branch",
    "agent",
    "agent_version",
    "models",
    "title",
    "outcome",
    "mcp_servers",
    "tools_available",
)


@dataclass(frozen=True, slots=True)
class StoreResult:
    """The outcome of storing one task log: its id, whether this write created it, and its calls.

    A log whose key is stored is a duplicate (`id` is the stored log's). A log whose calls were
    all stored before under other logs (a repeat, see `tooltrack.store.identity`) is not stored:
    `id` and `owner_key` name the log that owns its first call.
    """

    id: int
    log_key: str
    created: bool
    calls_stored: int = 0
    """Tool calls this write stored for the log."""
    calls_repeated: int = 0
    """Tool calls of the log not stored because they were stored before (or earlier in this write)."""
    owner_key: str | None = None


def to_row(log: TaskLogCreate) -> dict[str, Any]:
    """The column values for `log`, redacted; tool calls are stored without their empty fields.

    Every way into the database passes here (or through the bulk path, which does the same), so
    this is where secrets are removed (see `tooltrack.core.redaction`). The key is taken from
    the content as sent, so the same payload keeps its key whatever the redaction patterns do.
    """
    row = log.model_dump(exclude={"tool_calls", "log_key"})
    row["tool_calls"] = [call.model_dump(mode="json", exclude_none=True) for call in log.tool_calls]
    row["log_key"] = task_log_key(log)
    return redact_row(row)


def write_task_logs(connection: Connection, logs: Sequence[TaskLogCreate]) -> list[StoreResult]:
    """Store `logs` on `connection` (the caller owns the transaction), skipping duplicates.

    New rows and the derived structures that depend on them are written in the same
    transaction. Results come back in the order of `logs`; a log whose key is already stored
    (or repeated earlier in `logs`) comes back with the existing id and `created=False`; calls
    already stored are never stored again (`tooltrack.store.identity`).
    """
    rows = [to_row(log) for log in logs]
    return write_rows(connection, rows)


def write_rows(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[StoreResult]:
    """`write_task_logs` for rows already in column form (see `to_row`)."""
    if not rows:
        return []
    if any(has_call_ids(row) for row in rows):
        plan = plan_rows(connection, rows)
        created = insert_rows(connection, plan.rows)
        release_lost(connection, plan, created)
        return planned_results(connection, rows, plan, created)
    created = insert_rows(connection, rows)
    missing = [key for key in dict.fromkeys(row["log_key"] for row in rows) if key not in created]
    return row_results(rows, created, ids_for_keys(connection, missing))


def insert_rows(connection: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """INSERT `rows` (keyed) with ON CONFLICT (log_key) DO NOTHING, and keep the derived structures;
    the keys inserted -> their ids. A key twice in `rows` is inserted once: its first row."""
    if not rows:
        return {}
    dialect = dialect_of(connection)
    per_statement = max(1, dialect.max_bind_params // len(INSERT_COLUMNS))
    created: dict[str, int] = {}
    inserted: list[InsertedLog] = []
    # Insert in key order: two writers with overlapping logs then take the unique-index locks in the
    # same order and cannot deadlock each other. Results still come back in the caller's order.
    ordered = sorted(rows, key=lambda row: row["log_key"])
    for start in range(0, len(ordered), per_statement):
        chunk = [{c: row.get(c) for c in INSERT_COLUMNS} for row in ordered[start : start + per_statement]]
        statement = (
            dialect.insert(task_logs)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["log_key"])
            .returning(task_logs.c.id, task_logs.c.log_key, task_logs.c.created_at)
        )
        # The first row of a key is the one ON CONFLICT DO NOTHING inserts (a later copy in the
        # same statement is skipped): its calls, not the last copy's, go to the derived upkeep.
        by_key: dict[str, dict[str, Any]] = {}
        for row in chunk:
            by_key.setdefault(str(row["log_key"]), row)
        for new in connection.execute(statement):
            created[new.log_key] = new.id
            source = by_key[new.log_key]
            inserted.append(InsertedLog.of(new.id, new.created_at, source))
    DERIVED.after_insert(connection, inserted)
    return created


def _calls(row: dict[str, Any]) -> int:
    return len(row.get("tool_calls") or ())


def results_in_order(
    keys: Sequence[str], calls: Sequence[int], created: dict[str, int], existing: dict[str, int]
) -> list[StoreResult]:
    """One `StoreResult` per row (its key and how many calls it holds), in order, for a write
    without call identity: the first row of a key in `created` was stored by this write; later
    copies, and keys in `existing` (stored before), were not."""
    results: list[StoreResult] = []
    seen: set[str] = set()
    for key, count in zip(keys, calls, strict=True):
        if key in created and key not in seen:
            results.append(StoreResult(created[key], key, True, calls_stored=count))
        else:
            results.append(StoreResult(created.get(key) or existing[key], key, False, calls_repeated=count))
        seen.add(key)
    return results


def row_results(rows: Sequence[dict[str, Any]], created: dict[str, int], existing: dict[str, int]) -> list[StoreResult]:
    """`results_in_order` for rows."""
    return results_in_order([row["log_key"] for row in rows], [_calls(row) for row in rows], created, existing)


def planned_results(
    connection: Connection, rows: Sequence[dict[str, Any]], plan: Plan, created: dict[str, int]
) -> list[StoreResult]:
    """One `StoreResult` per row of a write planned by `plan_rows`, in order (see StoreResult)."""
    # Keys whose id is neither just created nor known: a planned row a concurrent writer stored
    # first (its key), and the owners of repeats.
    unknown = {p.row["log_key"] for p in plan.planned.values() if p.row is not None} - created.keys()
    unknown |= {p.owner_key for p in plan.planned.values() if p.owner_key} - created.keys()
    found = {**ids_for_keys(connection, sorted(unknown)), **created} if unknown else created
    results: list[StoreResult] = []
    seen: set[str] = set()
    for row in rows:
        key = row["log_key"]
        planned = plan.planned[key]
        if key in seen:
            results.append(StoreResult(_id_of(planned, plan, found), key, False, calls_repeated=_calls(row)))
            continue
        seen.add(key)
        stored_key = planned.row["log_key"] if planned.row is not None else None
        if stored_key is not None and stored_key in created:
            calls = _calls(planned.row)  # type: ignore[arg-type]
            results.append(StoreResult(created[stored_key], key, True, calls, planned.repeated))
        else:
            repeated = planned.calls_in if stored_key is not None else planned.repeated
            results.append(
                StoreResult(
                    _id_of(planned, plan, found), key, False, calls_repeated=repeated, owner_key=planned.owner_key
                )
            )
    return results


def _id_of(planned: Planned, plan: Plan, found: dict[str, int]) -> int:
    """The id a result names for a key that this write did not create."""
    if planned.key in plan.existing:
        return plan.existing[planned.key]
    for key in (planned.row["log_key"] if planned.row is not None else None, planned.owner_key):
        if key is not None and key in found:
            return found[key]
    raise LookupError(f"log {planned.key!r}: no stored log holds it or its calls")


def _to_model(row: RowMapping) -> TaskLogWithToolCalls:
    values = dict(row)
    values["tool_calls"] = values.get("tool_calls") or []
    return TaskLogWithToolCalls.model_validate(values)


class TaskLogRepository:
    """Task logs in one database, read and written as pydantic models."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, log: TaskLogCreate) -> StoreResult:
        """Store one task log (once: a second call with the same content returns the first id)."""
        return self.create_many([log])[0]

    def create_many(self, logs: Sequence[TaskLogCreate]) -> list[StoreResult]:
        """Store many task logs in one transaction, with one INSERT per few thousand logs."""
        with self.engine.begin() as connection:
            return write_task_logs(connection, logs)

    def get(self, task_log_id: int) -> TaskLogWithToolCalls | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(task_logs).where(task_logs.c.id == task_log_id)).mappings().first()
        return _to_model(row) if row else None

    def list_by_adw_id(self, adw_id: str, *, limit: int = 10_000) -> list[TaskLogWithToolCalls]:
        """Every task log of one workflow run, in the order its phases ran."""
        query = (
            select(task_logs)
            .where(task_logs.c.adw_id == adw_id)
            .order_by(task_logs.c.phase_number.nulls_last(), task_logs.c.started_at, task_logs.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [_to_model(row) for row in connection.execute(query).mappings()]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(task_logs)).scalar_one())

    def data_version(self) -> tuple[int, int]:
        """A cheap value that changes whenever a task log is stored: (newest id, row count)."""
        query = select(func.coalesce(func.max(task_logs.c.id), 0), func.count())
        with self.engine.connect() as connection:
            newest, count = connection.execute(query).one()
        return int(newest), int(count)
