"""Idempotent storing: a unique key per task log, where it came from, and a time index.

Keys survive a downgrade below this revision and the upgrade back:

- The downgrade drops `log_key` and `source`, so it first copies them, with the row's id and a
  fingerprint (adw_id, phase_name, created_at), into the side table `tooltrack_saved_log_keys`.
- The upgrade adds the columns back and restores them from that table (then drops it). A saved key
  goes back only to the row it came from: same id AND same fingerprint, so a table dropped and
  refilled below 0001 (ids reused) never inherits another row's key.
- Rows still without a key (stored while downgraded, or before this revision ever ran) get the
  content-hash key the store gave such a payload when this revision was written
  (`tooltrack.store.task_log_key`), computed from the payload rebuilt from the row, so the same
  payload sent again is recognised. This is faithful when the stored row round-trips to what was
  sent; it is not when redaction changed the row, when the payload carried a `source` or its own
  `log_key` (neither column existed while downgraded), or when the row's tool calls were dropped
  below 0002. Such a payload, re-sent, is stored a second time. A row that does not validate as a
  task log (the rules of `TaskLogCreate` then) keeps no key (NULL; unique indexes allow many NULLs).
- That key is frozen here (the payload's shape, its validation, its rendering and the hash), not
  imported: what this revision does to an old database must not change when the models or the
  store's key function change later. tests/store/test_golden_keys.py pins it to literal keys.
- Two keyless rows with the same content (one payload stored twice while downgraded) share a hash:
  the lowest id gets the key, the others stay NULL, and a key already restored stays where it is,
  so the unique index can be built.

Offline (`alembic upgrade --sql`) the side table is restored in plain SQL, but the content-hash
backfill needs Python over the rows and is skipped (a comment in the SQL says so).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

# No `from __future__ import annotations`: Alembic loads this file without entering it in
# sys.modules, where pydantic would look up the frozen models' annotations if they were strings.
import hashlib
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

import orjson
import sqlalchemy as sa
from alembic import context, op
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy.schema import CreateTable, DropTable

from tooltrack.store import JSONDocument, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SAVED_KEYS: Final = "tooltrack_saved_log_keys"
#: Rows read per step of the backfill (bounded memory on a large table).
BACKFILL_BATCH: Final = 1_000

#: The task_logs columns a task log payload is rebuilt from (all of `_TaskLog`'s fields).
_PAYLOAD_COLUMNS: Final = (
    sa.column("adw_id", sa.Text),
    sa.column("issue_number", sa.Integer),
    sa.column("workflow_template", sa.Text),
    sa.column("phase_name", sa.Text),
    sa.column("phase_number", sa.Integer),
    sa.column("phase_status", sa.Text),
    sa.column("log_message", sa.Text),
    sa.column("error_message", sa.Text),
    sa.column("started_at", UTCDateTime),
    sa.column("completed_at", UTCDateTime),
    sa.column("duration_seconds", sa.Float),
    sa.column("tokens_used", sa.Integer),
    sa.column("cost_usd", sa.Float),
    sa.column("tool_calls", JSONDocument),
    sa.column("source", sa.Text),
)

# task_logs as this revision sees it (not tooltrack.store.schema, which follows the newest one).
task_logs = sa.table(
    "task_logs",
    sa.column("id", sa.Integer),
    sa.column("created_at", UTCDateTime),
    sa.column("log_key", sa.Text),
    *_PAYLOAD_COLUMNS,
)

saved_keys = sa.Table(
    SAVED_KEYS,
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("adw_id", sa.Text, nullable=False),
    sa.Column("phase_name", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime),
    sa.Column("log_key", sa.Text, nullable=False),
    sa.Column("source", sa.Text),
)


def upgrade() -> None:
    op.add_column("task_logs", sa.Column("log_key", sa.Text))
    op.add_column("task_logs", sa.Column("source", sa.Text))
    # Created when missing so that the same plain SQL works offline, on a database that was never
    # downgraded as well as on one that was.
    op.execute(CreateTable(saved_keys, if_not_exists=True))
    _restore_saved_keys()
    op.execute(DropTable(saved_keys))
    if context.is_offline_mode():
        op.get_context().impl.static_output(
            "-- tooltrack: rows without a log_key keep it NULL here; the content-hash backfill runs\n"
            "-- only online (`tooltrack db upgrade`): it computes keys in Python from each row."
        )
    else:
        _backfill_content_keys(op.get_bind())
    op.create_index("uq_task_logs_log_key", "task_logs", ["log_key"], unique=True)
    op.create_index("idx_task_logs_created_at", "task_logs", ["created_at"])


def downgrade() -> None:
    op.drop_index("idx_task_logs_created_at", table_name="task_logs")
    op.drop_index("uq_task_logs_log_key", table_name="task_logs")
    # Keep the keys for the upgrade back: without them a log stored before would be stored again
    # when re-sent (client keys cannot be recomputed from the row at all).
    op.execute(DropTable(saved_keys, if_exists=True))
    op.execute(CreateTable(saved_keys))
    columns = ["id", "adw_id", "phase_name", "created_at", "log_key", "source"]
    op.execute(
        saved_keys.insert().from_select(
            columns,
            sa.select(*(task_logs.c[name] for name in columns)).where(task_logs.c.log_key.is_not(None)),
        )
    )
    with op.batch_alter_table("task_logs") as batch:
        batch.drop_column("source")
        batch.drop_column("log_key")


def _restore_saved_keys() -> None:
    same_row = sa.and_(
        saved_keys.c.id == task_logs.c.id,
        saved_keys.c.adw_id == task_logs.c.adw_id,
        saved_keys.c.phase_name == task_logs.c.phase_name,
        sa.or_(
            saved_keys.c.created_at == task_logs.c.created_at,
            sa.and_(saved_keys.c.created_at.is_(None), task_logs.c.created_at.is_(None)),
        ),
    )

    def saved(column: sa.Column[Any]) -> Any:
        return sa.select(column).where(same_row).scalar_subquery()

    op.execute(
        task_logs.update()
        .values(log_key=saved(saved_keys.c.log_key), source=saved(saved_keys.c.source))
        .where(sa.exists().where(same_row))
    )


def _backfill_content_keys(connection: sa.Connection) -> None:
    """Give each keyless row the content-hash key of the payload it was stored from (see above)."""
    last_id = 0
    while True:
        rows = (
            connection.execute(
                sa.select(task_logs.c.id, *_PAYLOAD_COLUMNS)
                .select_from(task_logs)
                .where(task_logs.c.log_key.is_(None), task_logs.c.id > last_id)
                .order_by(task_logs.c.id)
                .limit(BACKFILL_BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        last_id = rows[-1]["id"]
        # Ascending ids: the first row with a key keeps it, later copies stay NULL.
        keyed: dict[str, int] = {}
        for row in rows:
            key = _content_key(row)
            if key is not None:
                keyed.setdefault(key, row["id"])
        taken = connection.execute(sa.select(task_logs.c.log_key).where(task_logs.c.log_key.in_(list(keyed))))
        for (key,) in taken:
            keyed.pop(key, None)
        if keyed:
            connection.execute(
                task_logs.update().where(task_logs.c.id == sa.bindparam("row_id")).values(log_key=sa.bindparam("key")),
                [{"row_id": row_id, "key": key} for key, row_id in keyed.items()],
            )


def _content_key(row: Mapping[str, Any] | sa.RowMapping) -> str | None:
    """The key the store gave the payload this row was stored from, or None if it is not a task log.

    `row` maps the `_PAYLOAD_COLUMNS` names to the row's values (a missing name counts as NULL).
    """
    values = {column.name: row.get(column.name) for column in _PAYLOAD_COLUMNS}
    values = {name: value for name, value in values.items() if value is not None}
    values["tool_calls"] = row.get("tool_calls") or []
    try:
        log = _TaskLog.model_validate(values)
    except ValidationError:
        return None
    return KEY_PREFIX + hashlib.sha256(orjson.dumps(_payload(log), option=_HASH_OPTIONS)).hexdigest()


# -- The content key, frozen as it was when this revision was written ----------------------------
#
# Copied from tooltrack.models (TaskLogCreate, ToolCallRecord, the bounds of tooltrack.core) and
# tooltrack.store.keys (task_log_key) on purpose, and never to be changed: a later field, default,
# rule or rendering there must not change which old rows get a key or what key they get. The key
# is "sha256:" + the hex sha256 of orjson's bytes (keys sorted) for
# `TaskLogCreate.model_dump(mode="json", exclude_none=True, exclude={"log_key"})`, which is what
# `_payload` writes out field by field.

KEY_PREFIX: Final = "sha256:"
_HASH_OPTIONS: Final = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC

_MAX_TEXT: Final = 20_000
_MAX_NAME: Final = 200
_INT32_MAX: Final = 2**31 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_MAX_DURATION_MS: Final = 10**12
_MAX_PARAMETERS_DEPTH: Final = 32
#: The float fields of a task log: an integer given for one is written as a float (3 -> 3.0).
_FLOAT_FIELDS: Final = frozenset({"duration_seconds", "cost_usd"})


def _as_utc(value: datetime) -> datetime:
    """Naive timestamps are taken as UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC: invalid, not a crash
        raise PydanticCustomError("datetime_out_of_range", "time out of range once converted to UTC") from None


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "text must not contain a NUL character (U+0000)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("tool_name must not be blank")
    return value


def _bad_text(text: str) -> bool:
    """NUL (PostgreSQL cannot store it) or a lone UTF-16 surrogate (not valid Unicode)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable(value: Any, depth: int) -> bool:
    """Whether `parameters` (a container at `depth`) holds what orjson or jsonb refuse.

    The rules of `tooltrack.models._storable_json` then. A row's JSON holds only dicts, lists,
    text, numbers, booleans and nulls; sets and tuples are walked as lists, like the original did.
    """
    if isinstance(value, dict | list | tuple | set | frozenset):
        if depth > _MAX_PARAMETERS_DEPTH:
            return True
        if isinstance(value, dict):
            if any(isinstance(key, str) and _bad_text(key) for key in value):
                return True
            items: Any = value.values()
        else:
            items = value
        return any(_unstorable(item, depth + 1) for item in items)
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not _INT64_MIN <= value <= _INT64_MAX
    if isinstance(value, float):
        return not math.isfinite(value)
    return False


def _storable(value: dict[str, Any]) -> dict[str, Any]:
    if _unstorable(value, 1):
        raise PydanticCustomError("json_not_storable", "cannot be stored")
    return value


_Time = Annotated[datetime, AfterValidator(_as_utc)]
_Int64 = Annotated[int, Field(ge=_INT64_MIN, le=_INT64_MAX)]
_Count = Annotated[int, Field(ge=0, le=_INT64_MAX)]
_Count32 = Annotated[int, Field(ge=0, le=_INT32_MAX)]
_Text = Annotated[str, Field(max_length=_MAX_TEXT), AfterValidator(_no_nul)]
_Name = Annotated[str, Field(max_length=_MAX_NAME), AfterValidator(_no_nul)]
_RequiredName = Annotated[str, Field(min_length=1, max_length=_MAX_NAME), AfterValidator(_no_nul)]
_ToolName = Annotated[_RequiredName, AfterValidator(_not_blank)]
_Parameters = Annotated[dict[str, Any], AfterValidator(_storable)]


class _ToolCall(BaseModel):
    """`tooltrack.models.ToolCallRecord` as it was when this revision was written."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    tool_name: _ToolName
    duration_ms: Annotated[int, Field(ge=0, le=_MAX_DURATION_MS)] | None = None
    success: bool
    timestamp: _Time | None = None
    error_message: _Text | None = None
    tokens_consumed: _Count | None = None
    cache_hit: bool | None = None
    context_size_before: _Count | None = None
    command: _Text | None = None
    exit_code: _Int64 | None = None
    stdout_lines: _Count | None = None
    stderr_lines: _Count | None = None
    file_path: _Text | None = None
    lines_read: _Count | None = None
    file_size_bytes: _Count | None = None
    offset: _Count | None = None
    limit: _Count | None = None
    bytes_written: _Count | None = None
    created_new_file: bool | None = None
    lines_changed: _Count | None = None
    old_string_length: _Count | None = None
    new_string_length: _Count | None = None
    replace_all: bool | None = None
    pattern: _Text | None = None
    files_matched: _Count | None = None
    total_matches: _Count | None = None
    url: _Text | None = None
    http_status: Annotated[int, Field(ge=100, le=599)] | None = None
    response_size_bytes: _Count | None = None
    subagent_type: _Name | None = None
    agent_result: Literal["success", "failure"] | None = None
    call_id: _Name | None = None
    turn_id: _Name | None = None
    parent_call_id: _Name | None = None
    outcome: Literal["ok", "error", "cancelled", "interrupted", "rejected"] | None = None
    duration_source: Literal["measured", "timestamps", "tool_reported", "hook"] | None = None
    parameters: _Parameters | None = None


class _TaskLog(BaseModel):
    """`tooltrack.models.TaskLogCreate` as it was when this revision was written, without `log_key`
    (never a column while downgraded, and left out of the content hash)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    adw_id: _RequiredName
    issue_number: _Count32 | None = None
    workflow_template: _Name | None = None
    phase_name: _RequiredName
    phase_number: _Count32 | None = None
    phase_status: _RequiredName
    log_message: _Text | None = None
    error_message: _Text | None = None
    started_at: _Time | None = None
    completed_at: _Time | None = None
    duration_seconds: Annotated[float, Field(ge=0)] | None = None
    tokens_used: _Count32 | None = None
    cost_usd: Annotated[float, Field(ge=0)] | None = None
    tool_calls: list[_ToolCall] = Field(default_factory=list)
    source: _Name | None = None


def _rendered(value: Any) -> Any:
    """A field's value as `model_dump(mode="json")` wrote it: a UTC time as ISO text ending in Z,
    with microseconds only when there are some (2026-01-01T09:30:00Z, ...T09:30:00.250000Z)."""
    if isinstance(value, datetime):
        return _as_utc(value).replace(tzinfo=None).isoformat() + "Z"
    return value  # text, integers, booleans, floats and `parameters` (kept whole, nulls included)


def _payload(log: _TaskLog) -> dict[str, Any]:
    """The JSON document hashed for `log`: every field that is not None (`tool_calls` always, the
    same way inside each call), log_key left out."""
    payload: dict[str, Any] = {}
    for name in _TaskLog.model_fields:
        value = getattr(log, name)
        if name == "tool_calls":
            payload[name] = [_call_payload(call) for call in value]
        elif value is not None:
            payload[name] = float(value) if name in _FLOAT_FIELDS else _rendered(value)
    return payload


def _call_payload(call: _ToolCall) -> dict[str, Any]:
    """One tool call in the hashed document: its fields that are not None (exclude_none)."""
    payload: dict[str, Any] = {}
    for name in _ToolCall.model_fields:
        value = getattr(call, name)
        if value is not None:
            payload[name] = _rendered(value)
    return payload
