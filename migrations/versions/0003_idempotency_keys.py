"""Idempotent storing: a unique key per task log, where it came from, and a time index.

Keys survive a downgrade below this revision and the upgrade back:

- The downgrade drops `log_key` and `source`, so it first copies them, with the row's id and a
  fingerprint (adw_id, phase_name, created_at), into the side table `tooltrack_saved_log_keys`.
- The upgrade adds the columns back and restores them from that table (then drops it). A saved key
  goes back only to the row it came from: same id AND same fingerprint, so a table dropped and
  refilled below 0001 (ids reused) never inherits another row's key.
- Rows still without a key (stored while downgraded, or before this revision ever ran) get the
  content-hash key `tooltrack.store.keys.task_log_key` gives the payload rebuilt from the row, so
  the same payload sent again is recognised. This is faithful when the stored row round-trips to
  what was sent; it is not when redaction changed the row, when the payload carried a `source` or
  its own `log_key` (neither column existed while downgraded), or when the row's tool calls were
  dropped below 0002. Such a payload, re-sent, is stored a second time. A row that does not
  validate as a `TaskLogCreate` keeps no key (NULL; unique indexes allow many NULLs).
- Two keyless rows with the same content (one payload stored twice while downgraded) share a hash:
  the lowest id gets the key, the others stay NULL, and a key already restored stays where it is,
  so the unique index can be built.

Offline (`alembic upgrade --sql`) the side table is restored in plain SQL, but the content-hash
backfill needs Python over the rows and is skipped (a comment in the SQL says so).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from alembic import context, op
from pydantic import ValidationError
from sqlalchemy.schema import CreateTable, DropTable

from tooltrack.models import TaskLogCreate
from tooltrack.store import JSONDocument, UTCDateTime, task_log_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SAVED_KEYS: Final = "tooltrack_saved_log_keys"
#: Rows read per step of the backfill (bounded memory on a large table).
BACKFILL_BATCH: Final = 1_000

#: The task_logs columns a `TaskLogCreate` is rebuilt from (all its fields but log_key).
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


def _content_key(row: sa.RowMapping) -> str | None:
    """The key `task_log_key` gives the payload this row was stored from, or None if it is not one."""
    values = {column.name: row[column.name] for column in _PAYLOAD_COLUMNS if row[column.name] is not None}
    values["tool_calls"] = row["tool_calls"] or []
    try:
        return task_log_key(TaskLogCreate.model_validate(values))
    except ValidationError:
        return None
