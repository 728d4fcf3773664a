"""Repeated work by target, and the most expensive calls: two more derived tables.

- `derived_redundant_targets`: per task log and repeated target (a file read again, a command run
  again, a file edited again and again), the pattern, the target, and what the repeats took and
  cost, so that repeated work is totalled by pattern, file and week over all of it.
- `derived_costly_calls`: one row per call whose attributed cost is at least a cent (the most
  expensive calls, each one click from its run).

Both are derived: created empty here, with the rollups' `derived_state` row set back to 0 so that
`tooltrack db upgrade` rebuilds every rollup from `task_logs` at once (by hand, after
`alembic upgrade head --sql`: `tooltrack rollups rebuild`). The downgrade drops them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tooltrack.store import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _dims() -> list[sa.Column]:
    return [
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("agent", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "derived_redundant_targets",
        sa.Column("task_log_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("target_hash", sa.Text, primary_key=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("file_path", sa.Text),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        *_dims(),
        *(
            sa.Column(name, sa.BigInteger, nullable=False)
            for name in ("redundant_calls", "occurrences", "wasted_ms", "wasted_tokens", "wasted_pico")
        ),
    )
    op.create_index("idx_redundant_targets_day", "derived_redundant_targets", ["day"])
    op.create_table(
        "derived_costly_calls",
        sa.Column("task_log_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("call_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        *_dims(),
        sa.Column("tool_name", sa.Text, nullable=False),
        sa.Column("duration_ms", sa.BigInteger),
        sa.Column("target", sa.Text),
        sa.Column("cost_pico", sa.BigInteger, nullable=False),
        sa.Column("cost_tokens", sa.BigInteger, nullable=False),
    )
    op.create_index("idx_costly_calls_day", "derived_costly_calls", ["day"])
    op.create_index("idx_costly_calls_cost", "derived_costly_calls", ["cost_pico"])
    op.execute("UPDATE derived_state SET version = 0 WHERE name = 'rollups'")


def downgrade() -> None:
    op.drop_table("derived_costly_calls")
    op.drop_table("derived_redundant_targets")
    op.execute("UPDATE derived_state SET version = 0 WHERE name = 'rollups'")
