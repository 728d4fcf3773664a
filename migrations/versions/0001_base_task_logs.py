"""The task_logs table as it was before tool call tracking.

Revision ID: 0001
Revises:
Create Date: 2025-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tooltrack.store import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_logs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("issue_number", sa.Integer),
        sa.Column("workflow_template", sa.Text),
        sa.Column("phase_name", sa.Text, nullable=False),
        sa.Column("phase_number", sa.Integer),
        sa.Column("phase_status", sa.Text, nullable=False),
        sa.Column("log_message", sa.Text),
        sa.Column("error_message", sa.Text),
        sa.Column("started_at", UTCDateTime),
        sa.Column("completed_at", UTCDateTime),
        sa.Column("duration_seconds", sa.Float),
        sa.Column("tokens_used", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("captured_at", UTCDateTime, server_default=sa.func.current_timestamp()),
        sa.Column("created_at", UTCDateTime, server_default=sa.func.current_timestamp()),
    )
    op.create_index("idx_task_logs_adw_id", "task_logs", ["adw_id"])
    op.create_index("idx_task_logs_issue_number", "task_logs", ["issue_number"])
    op.create_index("idx_task_logs_phase_status", "task_logs", ["phase_status"])


def downgrade() -> None:
    op.drop_table("task_logs")
