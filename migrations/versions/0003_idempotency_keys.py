"""Idempotent storing: a unique key per task log, where it came from, and a time index.

Rows stored before this revision have no key (NULL; unique indexes allow many NULLs).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_logs", sa.Column("log_key", sa.Text))
    op.add_column("task_logs", sa.Column("source", sa.Text))
    op.create_index("uq_task_logs_log_key", "task_logs", ["log_key"], unique=True)
    op.create_index("idx_task_logs_created_at", "task_logs", ["created_at"])


def downgrade() -> None:
    op.drop_index("idx_task_logs_created_at", table_name="task_logs")
    op.drop_index("uq_task_logs_log_key", table_name="task_logs")
    with op.batch_alter_table("task_logs") as batch:
        batch.drop_column("source")
        batch.drop_column("log_key")
