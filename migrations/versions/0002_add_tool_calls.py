"""The specification's migration 019: add tool call tracking to task_logs.

Existing rows keep their data and get `tool_calls = []`.

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-18
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tooltrack.store import JSONDocument, dialect_of

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COMMENT = "Array of tool call records with timing, success, parameters, and results"


def upgrade() -> None:
    dialect = dialect_of(op.get_context().dialect)
    # A plain ADD COLUMN (no batch copy): both databases fill existing rows from the default.
    op.add_column(
        "task_logs",
        sa.Column(
            "tool_calls",
            JSONDocument,
            server_default=sa.text("'[]'"),
            comment=COMMENT if dialect.column_comments else None,
        ),
    )
    if dialect.gin_indexes:
        op.create_index("idx_task_logs_tool_calls", "task_logs", ["tool_calls"], postgresql_using="gin")


def downgrade() -> None:
    if dialect_of(op.get_context().dialect).gin_indexes:
        op.drop_index("idx_task_logs_tool_calls", table_name="task_logs")
    with op.batch_alter_table("task_logs") as batch:
        batch.drop_column("tool_calls")
