"""Approximate times: `task_logs.time_source` says where a log's time came from when it had none.

Output without timestamps (stream-json of older Claude Code, e.g. the 2.1.4x runs ADW saved) used
to be dated by the ingest itself, so an old run landed in "Today". The ingest now dates such a log
by the best evidence it finds and names it here (see `TaskLogBase.time_source`): "run" (another log
of the same adw_id with its own times), "adw_state" (a time in the run's adw_state.json),
"file_mtime" (the file's modification time) or "unknown". NULL, as every row stored before this
revision has, means the log's own timestamps.

A nullable text column without a default: adding it rewrites no row on either database, and the
downgrade drops it (what it said is lost; the times themselves stay).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_logs", sa.Column("time_source", sa.Text, nullable=True))


def downgrade() -> None:
    # Batch mode, as 0002 and 0003 drop theirs: on SQLite Alembic copies the table without the column.
    with op.batch_alter_table("task_logs") as batch:
        batch.drop_column("time_source")
